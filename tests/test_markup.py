"""Inline markup in plain-text stories (issue 17, item 4): emphasis marks that pair up are left out of what is
spoken, like Markdown's, and accounted for as markup; what only looks like a mark stays as written."""
from __future__ import annotations

from pathlib import Path

import pytest

from narrate.annotate import annotate
from narrate.ingest import load_book, spoken_text
from narrate.model import Book


def write(tmp_path: Path, text: str, name: str = "story.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def last_block(book: Book):
    return book.chapters[-1].blocks[-1]


def said(book: Book, block) -> str:
    return spoken_text(book.source, block.start, block.end, block.markup, entities=book.source_format != "text")


@pytest.mark.parametrize("text, spoken", [
    ("It was *very* cold.", "It was very cold."),
    ("She was **truly** sorry.", "She was truly sorry."),
    ("He ~~loved~~ hated the sea.", "He loved hated the sea."),
    ("The _Marie Celeste_ sailed.", "The Marie Celeste sailed."),
    ("***Run,*** she thought.", "Run, she thought."),
    ("A *long\nemphasis* over lines.", "A long emphasis over lines."),
    ('"*Never*," he said.', '"Never," he said.'),
])
def test_emphasis_in_a_txt_story_is_not_spoken(tmp_path, text, spoken):
    book = load_book(write(tmp_path, f"The ferry was late.\n\n{text}\n"))
    block = last_block(book)
    assert block.kind == "paragraph"
    assert said(book, block) == spoken
    assert all(set(book.source[a:b]) <= set("*_~") for a, b in block.markup)  # only the marks are markup


@pytest.mark.parametrize("text", [
    "5 * 3 is fifteen.",
    "5*3*2 is thirty.",
    "Keep snake_case and file_name as they are.",
    "The inn* stood by the road.",  # a footnote mark with no partner
    "a*b*c stays a product.",
    "Two ~ tildes ~ apart.",
    "__ just underscores __ here.",
])
def test_what_does_not_pair_as_emphasis_stays(tmp_path, text):
    book = load_book(write(tmp_path, f"The ferry was late.\n\n{text}\n"))
    block = last_block(book)
    assert block.markup == ()
    assert said(book, block) == text


def test_an_asterisk_line_is_still_a_scene_break(tmp_path):
    book = load_book(write(tmp_path, "She slept.\n\n* * *\n\nShe *woke*.\n"))
    assert [block.kind for block in book.chapters[0].blocks] == ["paragraph", "scene_break", "paragraph"]


def test_entities_are_what_a_txt_file_says_and_markdown_decodes_them(tmp_path):
    txt = load_book(write(tmp_path, "The ferry was late.\n\nIf 5 &lt; 6 then Tom &amp; Jerry ran.\n"))
    assert txt.source_format == "text"
    script = annotate(txt)
    assert script.segments[-1].text == "If 5 &lt; 6 then Tom &amp; Jerry ran."
    md = load_book(write(tmp_path, "The ferry was late.\n\nIf 5 &lt; 6 then Tom &amp; Jerry ran.\n", "story.md"))
    assert md.source_format == "markdown"
    assert annotate(md).segments[-1].text == "If 5 < 6 then Tom & Jerry ran."


def test_segments_leave_the_marks_out_and_keep_their_offsets(tmp_path):
    text = 'The ferry was *very* late.\n\n"I am **truly** sorry," said _Mara_. "It was ~~not~~ my fault."\n'
    script = annotate(load_book(write(tmp_path, text)))
    source = script.book.source
    spoken = [(s.kind, s.text) for s in script.segments]
    assert spoken == [("narration", "The ferry was very late."), ("dialogue", "I am truly sorry,"),
                      ("narration", "said Mara."), ("dialogue", "It was not my fault.")]
    for segment in script.segments:  # each span starts and ends on a word or a mark of the source
        assert source[segment.start:segment.end].replace("*", "").replace("_", "").replace("~", "").split() \
            == segment.text.split()
