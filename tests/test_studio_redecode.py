"""The studio's fast fix: a reassign (or its undo) changes only voices.yaml's `overrides:`, so the studio's reading
of the book re-decodes the conversations the new pin changes instead of loading and annotating the book again;
the script it shows is still exactly the one the CLI's loading makes. A merge changes the character model: the
book is loaded the full way."""
from __future__ import annotations

import pytest
from studio_story import ALL_NIGHT, NEXT_AFTER_SMALL_ONES, SMALL_ONES, harbour

from narrate import pipeline
from narrate.studio import session
from narrate.studio.session import Studio


def cli_script(story):
    return pipeline.load(story)[1]


def no_full_load(*args, **kwargs):
    raise AssertionError("the book was loaded and annotated again for a fix that only pins a quote")


def test_a_reassign_and_its_undo_redecode_without_loading_the_book_and_match_the_cli(tmp_path, monkeypatch):
    story = harbour(tmp_path)
    studio = Studio(story)
    monkeypatch.setattr(session.pipeline, "load", no_full_load)
    changed = studio.reassign(SMALL_ONES, "Ben")
    assert any(c.index == NEXT_AFTER_SMALL_ONES for c in changed)
    studio.reassign(ALL_NIGHT, "Cole")
    studio.reassign(SMALL_ONES, "Somebody New")  # a name the book does not have: a speaker of its own
    shown = studio.script
    studio.undo()
    undone = studio.script
    monkeypatch.undo()
    assert undone == cli_script(story)
    studio.redo()
    assert studio.script == shown == cli_script(story)


def test_a_merge_changes_the_cast_and_takes_the_full_way(tmp_path, monkeypatch):
    story = harbour(tmp_path)
    studio = Studio(story)
    studio.reassign(SMALL_ONES, "Ben")
    monkeypatch.setattr(session.pipeline, "load", no_full_load)
    with pytest.raises(AssertionError, match="loaded and annotated again"):
        studio.merge("Cole", "Ben")
    monkeypatch.undo()
    studio.merge("Cole", "Ben")
    assert studio.script == cli_script(story)
    studio.reassign(ALL_NIGHT, "Ann")  # the reading made again with the new cast: redecoded, same as the CLI's
    assert studio.script == cli_script(story)
