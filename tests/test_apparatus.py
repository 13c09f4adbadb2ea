"""The printed book's apparatus is skipped, not read (issue 17, item 2): illustrations, page numbers, 'END OF VOL.
I.', 'THE END', imprints, 'By the Author of ...', transcribers' notes become skipped segments that say which rule
skipped them; voices.yaml's `skip:` patterns add a book's own furniture, checked when the file is read; `narrate
script` reports what was skipped and why."""
from __future__ import annotations

from pathlib import Path

import pytest
from cli_tools import run
from test_ingest import assert_every_character_in_one_block, write

from narrate import pipeline
from narrate.annotate import annotate
from narrate.annotate.segments import skipped_apparatus
from narrate.casting.config import load_config
from narrate.errors import ConfigError
from narrate.ingest import load_book, spoken_text
from narrate.ingest.apparatus import SkipPattern, paragraph_rule

NOVEL = Path(__file__).parent / "inputs" / "ingest" / "three_volumes.txt"


@pytest.mark.parametrize("text, rule", [
    ("[Illustration: A VICARAGE HOUSE.]", "illustration"),
    ("[Illustration: “She read it twice.”]", "illustration"),
    ("[Illustration]", "illustration"),
    ("[Pg 12]", "page number"),
    ("[Page iv]", "page number"),
    ("{37}", "page number"),
    ("END OF VOL. I.", "end of volume"),
    ("End of the Second Volume.", "end of volume"),
    ("THE END.", "the end"),
    ("Finis", "the end"),
    ("By the Author of “The Salt Road.”", "byline"),
    ("A NOVEL.", "title page"),
    ("IN THREE VOLUMES.", "title page"),
    ("Printed by T. Weller, Press Row, Bath.", "imprint"),
    ("LONDON:\nPRINTED FOR J. HARROW AND SONS,\nFLEET STREET.\n1821.", "imprint"),
    ("LONDON:\nSmith, Elder and Co.\n1850.", "imprint"),
    ("[Transcriber's Note: obvious errors have been corrected.]", "transcriber's note"),
])
def test_each_kind_of_apparatus_is_named_by_its_rule(text, rule):
    assert paragraph_rule(" ".join(text.split()), text.split("\n")) == rule


@pytest.mark.parametrize("text", [
    "The end of the road was near, and she knew it.",
    "By the author's own account, it rained all week.",
    "She read page 12 twice before she understood it.",
    "HAMLET:\nTo be, or not to be, that is the question.",
    "A novel idea occurred to her.",
    "In two minds, he waited.",
    "“The end,” she said.",
    "Printed on the card was her name, and nothing else.",
])
def test_prose_that_looks_like_apparatus_is_read(text):
    assert paragraph_rule(" ".join(text.split()), text.split("\n")) is None


def test_apparatus_is_skipped_with_its_rule_and_a_speech_runs_on_over_an_illustration(tmp_path):
    story = write(tmp_path, "The Flood\n\nChapter 1\n\n“The water will reach the church,\n\n"
                            "[Illustration: THE CHURCH.]\n\n“and the school after it,” said Harriet.\n[Pg 4]\n"
                            "Nobody answered her.\n")
    script = annotate(load_book(story))
    assert [(s.kind, s.evidence, s.text) for s in script.segments if s.kind == "skipped"][-2:] == [
        ("skipped", "skipped:illustration", "[Illustration: THE CHURCH.]"),
        ("skipped", "skipped:page number", "[Pg 4]")]
    dialogue = [s for s in script.segments if s.kind == "dialogue"]
    assert len(dialogue) == 2 and dialogue[0].utterance == dialogue[1].utterance  # one speech over the picture
    narration = [s.text for s in script.segments if s.kind == "narration"]
    assert "Nobody answered her." in narration and not any("Pg" in text for text in narration)



@pytest.mark.parametrize("name", ["story.txt", "story.md"])
def test_page_numbers_printed_inside_a_line_are_not_read(tmp_path, name):
    story = write(tmp_path, "Chapter 1\n\nShe crossed [Pg 45] the yard and {46}knocked.\n"
                            "Nobody came to the door [12].\n", name)
    book = load_book(story)
    spoken = [spoken_text(book.source, b.start, b.end, b.markup) for c in book.chapters for b in c.blocks]
    # before: "She crossed [Pg 45] the yard and {46}knocked." was read with its page numbers
    assert spoken[-1] == "She crossed the yard and knocked. Nobody came to the door."
    assert_every_character_in_one_block(book)  # the marks are markup of the line: nothing lost

def test_the_novels_apparatus_is_reported_by_rule():
    found = skipped_apparatus(annotate(load_book(NOVEL)).segments)
    assert {reason: len(segments) for reason, segments in found.items()} == {
        "transcriber's note": 1, "title page": 2, "byline": 1, "imprint": 4, "illustration": 2, "page number": 3,
        "end of volume": 2, "the end": 1}


# --- voices.yaml `skip:` -----------------------------------------------------------------------------------------

def test_skip_patterns_skip_whole_paragraphs_and_lines(tmp_path):
    story = write(tmp_path, "Chapter 1\n\nTHE TIDEWATER SISTERS.\n\nShe waited.\nTHE TIDEWATER SISTERS.\n"
                            "Then she went in.\n\nThe tidewater sisters were late.\n")
    (tmp_path / "voices.yaml").write_text("skip:\n  - 'THE TIDEWATER SISTERS\\.'\n", encoding="utf-8")
    _, script = pipeline.load(story)
    skipped = [(s.text, s.evidence) for s in script.segments if s.kind == "skipped" and s.evidence != "skipped:heading"]
    assert skipped == [("THE TIDEWATER SISTERS.", r"skipped:skip THE TIDEWATER SISTERS\.")] * 2
    read = [s.text for s in script.segments if s.kind == "narration"]
    assert read == ["She waited.", "Then she went in.", "The tidewater sisters were late."]  # whole text only


def test_skip_patterns_are_checked_when_voices_yaml_is_read(tmp_path):
    path = tmp_path / "voices.yaml"
    path.write_text("language: en\nskip:\n  - 'fine'\n  - 'END OF (VOL'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}:4: skip.1: 'END OF (VOL' is not a regular expression" in str(caught.value)
    path.write_text("skip:\n  - '.*'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"voices.yaml:2: skip.0: '\.\*' matches an empty line"):
        load_config(path)


def test_script_reports_what_was_skipped_and_why(tmp_path, capsys):
    story = tmp_path / "novel.txt"
    story.write_bytes(NOVEL.read_bytes())
    (tmp_path / "voices.yaml").write_text("skip:\n  - 'Harriet came away, .*'\n", encoding="utf-8")
    code, err = run(capsys, "script", story)
    assert code == 0
    assert "skipped, not read aloud (17 passages):" in err
    assert "2  illustration: e.g. “[Illustration: A VICARAGE HOUSE.]”" in err
    assert f"1  skip Harriet came away, .* ({tmp_path / 'voices.yaml'}:2): e.g. “Harriet came away" in err
    code, err = run(capsys, "script", story, "--voices", tmp_path / "missing.yaml")
    assert code == 2


def test_a_bad_skip_pattern_stops_the_command_with_exit_2(tmp_path, capsys):
    story = write(tmp_path, "Chapter 1\n\nText.\n")
    (tmp_path / "voices.yaml").write_text("skip:\n  - '[Illustration'\n", encoding="utf-8")
    code, err = run(capsys, "script", story)
    assert code == 2 and "voices.yaml:2: skip.0: '[Illustration' is not a regular expression" in err


def test_skip_pattern_reason_names_the_pattern():
    assert SkipPattern(r"END OF VOL\. I\.").reason == r"skip END OF VOL\. I\."
