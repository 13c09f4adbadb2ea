"""Annotate: Book -> Script, every character of the source in exactly one segment, each quote with its speaker.

In: a Book (ingest/) and the cast voices.yaml names (CastEntry: names, aliases, gender). Out: a Script of
narration, dialogue and skipped segments, its characters and warnings. quotes.py finds the dialogue, segments.py
cuts the book, speakers.py says who speaks; kept.py keeps results in the cache, overrides.py applies manual fixes,
scriptio.py reads and writes the script as JSON, YAML or text. Imports no engine, synthesis or audio module.

Entry point: `annotate(book, cast, ...)`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from narrate.annotate.overrides import Override
from narrate.model import NARRATOR, Book, CastEntry, Script

__all__ = ["Annotation", "annotate", "annotation", "redecode"]


def annotate(book: Book, cast: Sequence[CastEntry] = (), author_notes: bool = False,
             first_person: str = NARRATOR, pins: Sequence[Override] = ()) -> Script:
    """Cut `book` into narration, dialogue and skipped segments that cover every word of it, and give
    each piece of dialogue a speaker.

    `cast` names the characters voices.yaml knows (aliases, gender); with `author_notes` an author's note
    is read as narration instead of skipped; `first_person` speaks the narrator's own quotes ("I said");
    `pins` fix the speakers of the quotes they match, and the quotes around them are decoded again (a warning
    lists those that changed).
    The Script's book has `quote_style` set to the style found;
    trouble with quote marks (a quotation never closed, a stray closing mark) is reported in
    `Script.warnings` as `file:line: what was assumed — the fix`.
    """
    return annotation(book, cast, author_notes, first_person, pins).script


@dataclass(frozen=True)
class Annotation:
    """A Script with what made it: the rules' reading of the book, which no pin changes, so that other pins
    re-decode only the conversations they touch (`redecode`)."""

    script: Script
    pins: tuple[Override, ...]
    reading: object  # speakers.read_book's, with the chains decoded so far
    found: tuple[str, ...]  # the warnings of cutting the book (quote marks)


def annotation(book: Book, cast: Sequence[CastEntry] = (), author_notes: bool = False,
               first_person: str = NARRATOR, pins: Sequence[Override] = ()) -> Annotation:
    """annotate(), keeping what a later redecode() needs."""
    # imported here: the package's other modules (kept annotations, overrides) are used without annotating, and
    # compiling the stages' patterns costs ~20 ms
    from narrate.annotate.segments import book_segments, quote_style
    from narrate.annotate.speakers import read_book

    book = replace(book, quote_style=quote_style(book))
    segments, warnings = book_segments(book, book.quote_style, author_notes)
    return _decided(book, read_book(book, segments, cast, first_person), tuple(warnings), pins)


def redecode(annotation: Annotation, pins: Sequence[Override]) -> tuple[Annotation, list[int]]:
    """The annotation of the same book, cast and settings with `pins` instead of its own: exactly what
    annotate(..., pins=pins) gives, but only the conversations whose candidates or pins differ from one decoded
    before are decoded again (a pin changes its quote's candidates and those of the two quotes on either side).
    Also returns the indexes of the dialogue segments whose speaker changed."""
    book = annotation.script.book
    again = _decided(book, annotation.reading, annotation.found, pins)
    changed = [new.index for old, new in zip(annotation.script.segments, again.script.segments)
               if new.kind == "dialogue" and new.speaker != old.speaker]
    return again, changed


def _decided(book: Book, reading, found: tuple[str, ...], pins: Sequence[Override]) -> Annotation:
    from narrate.annotate.speakers import decide

    notes: list[str] = []
    decide(reading, pins, notes)
    segments, characters = reading.results()
    script = Script(book=book, segments=tuple(segments), characters=tuple(characters), warnings=(*found, *notes))
    return Annotation(script=script, pins=tuple(pins), reading=reading, found=found)
