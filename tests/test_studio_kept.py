"""What the studio keeps in the cache: the script of each fix, where `narrate script`/`build` from the terminal
find it (the same speakers, no annotating again), and its reading of the book, so that the studio opened again
on the same book has it at once; a reading is loaded only when it carries this user's signature."""
from __future__ import annotations

import json
import logging
import os
import pickle

import pytest
from cli_tools import run_out
from studio_story import ALL_NIGHT, SMALL_ONES, harbour

import narrate.annotate
from narrate.annotate import kept
from narrate.ingest import load_book
from narrate.studio.session import Studio


def never(*args, **kwargs):
    raise AssertionError("the book was annotated again")


def without_its_reading(story, monkeypatch):
    """`story` with its script kept but not its reading (as a cache from before readings were kept with the
    scripts): the studio makes the reading itself."""
    from narrate import pipeline

    with monkeypatch.context() as patch:
        patch.setattr(kept, "_keep_reading", lambda *args: None)
        pipeline.load(story)
    return story


def ready(studio: Studio) -> Studio:
    with studio.reading_lock:  # the reading made (on its thread) or read back
        return studio


def test_after_a_fix_the_cli_gives_the_studios_speakers_from_the_kept_record(tmp_path, capsys, monkeypatch):
    story = harbour(tmp_path)
    studio = ready(Studio(story))
    studio.reassign(SMALL_ONES, "Ben")
    studio.reassign(ALL_NIGHT, "Cole")
    studio.settled()
    monkeypatch.setattr(narrate.annotate, "annotation", never)  # the CLI must find the fixed book's record
    code, out, _ = run_out(capsys, "script", story, "--format", "json")
    assert code == 0
    cli = {(s["start"], s["end"]): s["speaker"] for s in json.loads(out)["segments"]}
    assert cli == {(s.start, s.end): s.speaker for s in studio.script.segments}
    assert cli[(studio.script.segments[SMALL_ONES].start, studio.script.segments[SMALL_ONES].end)] == "Ben"


def test_the_studio_opened_again_reads_its_reading_back_and_fixes_without_annotating(tmp_path, monkeypatch):
    story = harbour(tmp_path)
    ready(Studio(story)).settled()  # its reading kept (else once the studio is quiet, or at exit)
    monkeypatch.setattr(narrate.annotate, "annotation", never)
    again = Studio(story)
    assert again.reading is not None  # read back before the studio answers anything
    again.reassign(SMALL_ONES, "Ben")
    monkeypatch.undo()
    from narrate import pipeline

    assert again.script == pipeline.load(story)[1]


def test_a_reading_made_on_opening_is_kept_after_the_first_fix_has_answered(tmp_path, monkeypatch):
    """Pickling a novel's reading takes ~1 s that a first fix, waiting for the reading, need not wait for."""
    order = []
    keep = kept._keep_reading
    story = without_its_reading(harbour(tmp_path), monkeypatch)
    monkeypatch.setattr(kept, "_keep_reading", lambda *args: order.append("kept") or keep(*args))
    studio = Studio(story)
    studio.page_shown.set()
    studio.reassign(SMALL_ONES, "Ben")  # waits for the reading
    order.append("fixed")
    studio.settled()
    assert order == ["fixed", "kept"]
    monkeypatch.setattr(narrate.annotate, "annotation", never)
    assert Studio(story).script.segments[SMALL_ONES].speaker == "Ben"  # read back: no annotating


def test_a_reading_still_to_keep_as_narrate_exits_is_kept_by_the_exit_not_the_quiet_thread(tmp_path, monkeypatch):
    from narrate.studio import session

    monkeypatch.setattr(session, "KEEP_WHEN_QUIET", 3600.0)  # its own quiet thread waits beyond the test
    studio = Studio(without_its_reading(harbour(tmp_path), monkeypatch))
    studio.page_shown.set()
    with studio.reading_lock:
        pass
    studio.keeper.shutdown()  # as at the interpreter's exit: it takes no more work
    studio.fixed_at = -1e9
    studio._keep_when_quiet()  # no error: the reading is left to the finalizer
    assert studio.unkept
    studio._keep_at_exit()
    assert not studio.unkept and kept.reading_kept(studio.reading.book, (), False, "narrator")


def kept_reading(story):
    book = load_book(story)
    kept.Redecoder()(book, (), False, "narrator")
    return book, kept._reading_record(book, (), False, "narrator")


class Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_reading_not_signed_by_this_user_is_never_unpickled(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    book, record = kept_reading(harbour(tmp_path))
    assert kept._kept_reading(book, (), False, "narrator") is not None
    body = pickle.dumps(Boom())
    kept.write_record(record, b"\0" * 32 + body)  # a forged record: a whole one, signed with no key of ours
    with caplog.at_level(logging.WARNING, logger="narrate.cache"):
        assert kept._kept_reading(book, (), False, "narrator") is None
    assert not (tmp_path / "pwned").exists()
    assert "not signed by this user" in caplog.text and not record.exists()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="file modes and owners")
def test_a_signing_key_others_can_read_is_not_trusted(tmp_path):
    book, record = kept_reading(harbour(tmp_path))
    key = kept.store_root() / f"reading-key.{os.getuid()}"
    key.chmod(0o644)
    assert kept._signing_key() is None
    assert kept._kept_reading(book, (), False, "narrator") is None
    assert record.exists()  # nothing to judge it by: left alone, not loaded


def test_a_reading_that_cannot_be_pickled_is_not_kept_and_nothing_fails(tmp_path, monkeypatch):
    book = load_book(harbour(tmp_path))

    def cannot(*args, **kwargs):
        raise TypeError("cannot pickle '_thread.lock' object")

    monkeypatch.setattr(kept.pickle, "dumps", cannot)
    script = kept.Redecoder()(book, (), False, "narrator")
    assert script == kept.annotate_kept(book, (), False, "narrator")
    assert not kept.reading_kept(book, (), False, "narrator")


def test_the_reading_a_merge_replaces_is_freed(tmp_path):
    import weakref

    studio = ready(Studio(harbour(tmp_path)))
    [before] = studio.redecoder.readings.values()
    old = weakref.ref(before.reading)  # the rules' reading: cycles (its chains' layout points back at it)
    del before
    studio.merge("Cole", "Ben")
    ready(studio)
    assert studio.reading is not None and old() is None


def test_a_reading_kept_later_goes_to_the_cache_the_studio_opened_with(tmp_path, monkeypatch, cache_dir):
    """It is kept from another thread once the studio is quiet: by then NARRATE_CACHE_DIR may name another
    folder (the next test's), which must stay untouched."""
    story = harbour(tmp_path)
    studio = ready(Studio(story))
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(elsewhere))
    studio.settled()
    assert not elsewhere.exists()  # before: the reading and its key were written there
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(cache_dir))
    assert Studio(story).reading is not None  # found where the studio was opened


def test_a_book_the_terminal_annotated_opens_in_the_studio_with_its_reading(tmp_path, capsys, monkeypatch):
    """`narrate script` (or build) keeps the reading with the script: the studio's first fix then re-decodes at
    once instead of annotating the whole book (seconds on a novel) while the user waits."""
    story = harbour(tmp_path)
    assert run_out(capsys, "script", story, "--format", "json")[0] == 0
    monkeypatch.setattr(narrate.annotate, "annotation", never)
    studio = Studio(story)
    assert studio.reading is not None  # read back before the studio answers anything; before: made again
    studio.reassign(SMALL_ONES, "Ben")
    assert studio.script.segments[SMALL_ONES].speaker == "Ben"
