"""Speech tags that answer each other (annotate/answers.py): a titled surname and a given name taking turns."""
from pathlib import Path

from narrate.annotate.answers import answering_forms
from narrate.annotate.conversation import group_paragraphs
from narrate.annotate.names import WordStats, scan_names
from narrate.annotate.segments import book_segments, quote_style
from narrate.ingest.text import load_book


def answering(text: str, tmp_path: Path) -> frozenset:
    path = tmp_path / "story.txt"
    path.write_text(text, encoding="utf-8")
    book = load_book(path)
    segments, _ = book_segments(book, quote_style(book), False)
    stats = WordStats()
    stats.add(book.source)
    found = {k: scan_names(book.source[s.start: s.end], stats, s.start) for k, s in enumerate(segments)}
    return answering_forms(book.source, segments, group_paragraphs(segments), found)


TURNS = ('"Is the wheel mended?" said Mr. Tollard.\n\n"Not yet," said Ned Tollard.\n\n"Then mend it," said '
         'Mr. Tollard.\n\n"Tomorrow," Ned said.\n\nThe mill was quiet.\n\n"Ned, come here," said Mr. Tollard.')


def test_a_titled_surname_and_a_given_name_that_take_turns(tmp_path):
    assert answering(TURNS, tmp_path) == {(("mr", ("Tollard",)), "Ned")}


def test_once_is_not_enough_nor_the_same_name_twice(tmp_path):
    once = '"Is the wheel mended?" said Mr. Tollard.\n\n"Not yet," said Ned.\n\nThe mill was quiet.'
    assert answering(once, tmp_path) == frozenset()
    himself = '"Well?" said Mr. Tollard.\n\n"Well," said Tollard.\n\n"Well?" said Mr. Tollard.\n\n"Well," said Tollard.'
    assert answering(himself, tmp_path) == frozenset()
