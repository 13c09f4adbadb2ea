"""Never wrong audio with exit 0 (issue 16, items 1-3): a file in the output folder is reused only if it is the
very file the last manifest recorded; two builds sharing a cache both succeed with the same audio (a published
clip is never replaced); a corrupt cache entry (clip, unit, level, kept annotation) is a logged miss that is made
again, never shipped and never an error. Real espeak-ng and ffmpeg, except where the race needs takes that vary."""
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from audio_tools import duration, tone_wav
from fake_engine import FakeEngine

from narrate.state import read_clip, read_record, store_root, write_record

ROOT = Path(__file__).resolve().parents[2]

STORY = """The Small Harbour

Chapter One

The lamp was lit before dark, and the gulls went quiet on the wall.

"Is the ferry in?" Mara asked.

"Not yet," said Tomas. "The tide is wrong."

Chapter Two

The rope creaked by the narrow door. Mara waited by the map until the bell rang twice.

"There she is," Tomas said.
"""



def narrate(*args, cache: Path, timeout: float = 300):
    env = dict(os.environ)  # the test's own state folder, set by conftest's cache_dir
    assert env["NARRATE_CACHE_DIR"] == str(cache), "use the cache_dir fixture's folder"
    return subprocess.run([sys.executable, "-m", "narrate", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)


def build(story: Path, out: Path, cache: Path):
    result = narrate("build", story, "-o", out, "-j", "2", "--format", "mp3", "--format", "m4b", cache=cache)
    assert result.returncode == 0, result.stderr
    return result


def digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()
            if p.suffix in (".mp3", ".m4b", ".srt")}


@pytest.fixture
def story(tmp_path) -> Path:
    path = tmp_path / "story" / "harbour.txt"
    path.parent.mkdir()
    path.write_text(STORY, encoding="utf-8")
    return path


@pytest.fixture
def built(story, tmp_path):
    """The story built once: (its output folder, the cache)."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(story, out, cache)
    return out, cache


# ---- item 1: a chapter a killed build rewrote


def test_a_chapter_rewritten_by_a_killed_build_is_made_again(story, built, tmp_path):
    out, cache = built
    before = digests(out)
    edited = tmp_path / "edited" / "harbour.txt"
    edited.parent.mkdir()
    edited.write_text(STORY.replace("the gulls went quiet on the wall", "the whole town slept"), encoding="utf-8")
    build(edited, tmp_path / "other", cache)
    # what a build of the edited story leaves when it is killed just after writing chapter one (and the book):
    # the new files under their names, the manifest still the last build's
    for name in ("01 - Chapter One.mp3", "The Small Harbour.m4b"):
        shutil.copy(tmp_path / "other" / name, out / f".{name}.tmp")
        os.replace(out / f".{name}.tmp", out / name)
    assert digests(out) != before

    reverted = build(story, out, cache)  # the story as it was: the book as it was
    assert digests(out) == before, reverted.stdout
    again = build(story, out, cache)
    assert "nothing changed" in again.stdout and digests(out) == before


def test_a_file_recorded_is_reused_only_while_it_is_the_very_file(tmp_path):
    from narrate.audio.encoding import Recorded
    from narrate.state import file_digest

    path = tmp_path / "01 - One.mp3"
    path.write_bytes(b"frames" * 100)
    stat = path.stat()
    recorded = Recorded("print", stat.st_size, stat.st_mtime_ns, file_digest(path))
    assert recorded.holds(path, "print") and not recorded.holds(path, "another print")
    path.write_bytes(b"FRAMES" * 100)  # the same size, its time put back: only the digest tells
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert not recorded.holds(path, "print")


# ---- item 2: two builds on one cache


class VaryingEngine(FakeEngine):
    """A fake engine whose takes differ in length from call to call, as espeak-ng's do between runs."""

    engine_id = "varying"

    def synthesize(self, text, voice, out_path):
        rng = random.Random(os.urandom(8))
        tone_wav(Path(out_path), 0.03 * len(text) + rng.uniform(0.0, 0.2), freq=200 + 40 * len(voice.voice))


def _build_in_child(story: str, out: str, errors) -> None:
    from narrate import pipeline
    from narrate.request import BuildRequest

    try:
        pipeline.build(BuildRequest(Path(story), Path(out), formats=("mp3", "m4b"), jobs=2))
    except BaseException as err:  # reported to the test, which fails with it
        errors.put(f"{type(err).__name__}: {err}")
        raise


def test_two_builds_sharing_a_cache_both_succeed_with_the_same_audio(tmp_path, monkeypatch):
    from narrate.engines import base

    monkeypatch.setitem(base._engines, VaryingEngine.engine_id, VaryingEngine())
    story = tmp_path / "story" / "night.txt"
    story.parent.mkdir()
    lines = [f"The {n}th lamp of the harbour wall was lit at dusk, and then another one." for n in range(24)]
    story.write_text("The Long Night\n\nChapter One\n\n" + "\n\n".join(lines[:12]) + "\n\nChapter Two\n\n"
                     + "\n\n".join(lines[12:]) + "\n", encoding="utf-8")
    (story.parent / "voices.yaml").write_text("narrator: {engine: varying, voice: mid}\n", encoding="utf-8")
    context = multiprocessing.get_context("fork")  # the fake engine registered here goes with them
    errors = context.Queue()
    builds = [context.Process(target=_build_in_child, args=(str(story), str(tmp_path / name), errors))
              for name in ("a", "b")]
    for process in builds:
        process.start()
    for process in builds:
        process.join(timeout=300)
    failures = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
    assert [p.exitcode for p in builds] == [0, 0], failures
    a, b = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert a == b and len(a) == 9  # 4 parts' mp3 and srt, the book
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    for chapter in manifest["chapters"]:
        assert duration(tmp_path / "a" / chapter["files"][0]) == pytest.approx(chapter["duration"], abs=0.05)


def test_a_clip_published_is_never_replaced(tmp_path):
    from narrate.state import atomic_path

    final = tmp_path / "ab" / "clip.wav"
    with atomic_path(final, publish="first") as tmp:
        tmp.write_bytes(b"first take")
    with atomic_path(final, publish="first") as tmp:
        tmp.write_bytes(b"second take, longer")
    assert final.read_bytes() == b"first take" and os.listdir(final.parent) == ["clip.wav"]


# ---- item 3: corrupt entries are misses, made again


def clips_of(cache: Path) -> list[Path]:
    return sorted((store_root(cache) / "clips").rglob("*.flac"), key=lambda p: p.stat().st_size)


def units_of(cache: Path, suffix: str) -> list[Path]:
    return sorted((store_root(cache) / "masters").glob(f"*{suffix}"), key=lambda p: p.stat().st_size)


def durations_match_the_manifest(out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    for chapter in manifest["chapters"]:
        assert duration(out / chapter["files"][0]) == pytest.approx(chapter["duration"], abs=0.05), chapter
    assert duration(out / manifest["book_file"]["file"]) == pytest.approx(manifest["book_file"]["duration"],
                                                                           abs=0.05)


def test_a_clip_of_noise_is_made_again_never_shipped(story, built, tmp_path):
    out, cache = built
    clip = clips_of(cache)[-1]
    data = bytearray(clip.read_bytes())
    noise = random.Random(1).randbytes(len(data) - 200)
    data[200:] = noise  # the header stays, the samples are noise
    clip.write_bytes(bytes(data))
    shutil.rmtree(store_root(cache) / "masters")  # so the chapters are encoded from the clips again

    rebuilt = build(story, tmp_path / "again", cache)
    assert noise not in clip.read_bytes() and read_clip(clip).frames > 0  # a whole clip again, encoded
    durations_match_the_manifest(tmp_path / "again")
    assert clip.name in rebuilt.stderr and "made again" in rebuilt.stderr  # and said


def test_a_truncated_clip_is_made_again_not_an_error(story, built, tmp_path):
    out, cache = built
    clip = clips_of(cache)[-1]
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    shutil.rmtree(store_root(cache) / "masters")

    rebuilt = build(story, tmp_path / "again", cache)
    assert clip.name in rebuilt.stderr
    assert read_clip(clip).frames > 0
    durations_match_the_manifest(tmp_path / "again")


def test_a_truncated_unit_is_encoded_again_never_joined(story, built, tmp_path):
    out, cache = built
    for suffix in (".mp3", ".aac"):
        unit = units_of(cache, suffix)[-1]
        unit.write_bytes(unit.read_bytes()[: unit.stat().st_size // 2])

    rebuilt = build(story, tmp_path / "again", cache)  # a new folder: every file joined from the units
    durations_match_the_manifest(tmp_path / "again")
    assert "made again" in rebuilt.stderr


def test_a_level_that_is_not_a_number_is_measured_again(story, built, tmp_path):
    out, cache = built
    records = list((store_root(cache) / "levels").glob("*.json"))
    assert records
    for record in records:
        body = json.loads(read_record(record))
        write_record(record, json.dumps({**body, "lufs": float("nan")}).encode())  # whole, but no level
    shutil.rmtree(store_root(cache) / "masters")

    rebuilt = build(story, tmp_path / "again", cache)
    assert digests(tmp_path / "again") == digests(out)  # measured again: the same gains, the same audio
    assert "not a level" in rebuilt.stderr


def test_a_kept_annotation_that_is_not_the_books_is_made_again(story):
    from narrate.annotate.kept import _reading_record, annotate_kept
    from narrate.ingest import load_book

    book = load_book(story)
    first = annotate_kept(book, (), False, "narrator")
    reading = _reading_record(book, (), False, "narrator")  # kept beside it, signed (test_studio_kept.py)
    [record] = [path for path in (store_root() / "scripts").glob("*.json") if path != reading]
    kept = json.loads(read_record(record))

    for wrong in ({**kept, "segments": []},  # a book of titles only
                  {**kept, "segments": [{**s, "text": s["text"].replace("ferry", "fairy")} for s in kept["segments"]]}):
        write_record(record, json.dumps(wrong).encode())  # whole, as records go, but not this book's script
        assert annotate_kept(book, (), False, "narrator") == first

    record.write_bytes(record.read_bytes().replace(b"ferry", b"fairy"))  # changed after it was written
    assert annotate_kept(book, (), False, "narrator") == first
