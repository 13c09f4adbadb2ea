"""Annotate: Book -> Script, every character of the source in exactly one segment, each quote with its speaker.

In: a Book (ingest/) and the cast voices.yaml names (CastEntry: names, aliases, gender). Out: a Script of
narration, dialogue and skipped segments, its characters and warnings. quotes.py finds the dialogue, segments.py
cuts the book, speakers.py says who speaks; kept.py keeps results in the cache, overrides.py applies manual fixes,
scriptio.py reads and writes the script as JSON, YAML or text. Imports no engine, synthesis or audio module.

Entry point: `annotate(book, cast, ...)`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from narrate.annotate.overrides import Override
from narrate.model import NARRATOR, Book, CastEntry, Script

__all__ = ["annotate"]


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
    # imported here: the package's other modules (kept annotations, overrides) are used without annotating, and
    # compiling the stages' patterns costs ~20 ms
    from narrate.annotate.segments import book_segments, quote_style
    from narrate.annotate.speakers import attribute

    book = replace(book, quote_style=quote_style(book))
    segments, warnings = book_segments(book, book.quote_style, author_notes)
    notes: list[str] = []
    segments, characters = attribute(book, segments, cast, first_person, pins, notes)
    warnings = [*warnings, *notes]
    return Script(book=book, segments=tuple(segments), characters=tuple(characters), warnings=tuple(warnings))
