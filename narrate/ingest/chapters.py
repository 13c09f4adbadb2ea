"""Heading pieces → chapters: which headings start chapters, which group them (volumes, books, parts), and
each chapter's title.

A division (a volume, book or part heading, or a Markdown heading whose level holds the chapter headings) does
not make a part of its own unless text of its own follows it: a volume page (its heading, an imprint, an
illustration) opens the chapter after it, whose announced title names the volume. Every chapter under a division
is titled with it, 'Volume 2, Chapter 1: The Letter', so no two titles repeat and part numbers follow chapter
order.

The pieces are text.py's: objects with kind, text, md_level, chapter_title, subtitle, inert, lines, start, end,
markup and reason.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from narrate.ingest.headings import (
    NUMERAL_HEADING,
    chapter_heading_title,
    division_rank,
    looks_like_title,
)
from narrate.model import Block, Chapter


def settle_headings(pieces: list, chapter_level: int = 0) -> None:
    """Markdown headings below the chapter level are read aloud unless they name a chapter; Markdown levels above
    it are divisions. After a heading, a bare chapter number ('CHAPTER I' then 'I') adds nothing to the title,
    and a short title-like line after a bare 'Chapter 3' (or 'BOOK THE FIRST') is its subtitle.

    `chapter_level` given (an e-book whose table of contents lists the chapters as `##`, their volumes as `#`):
    only those start chapters; any other heading is a division if it names one, is kept silent if it names a
    chapter (the table of contents' title is announced instead), and is read aloud otherwise."""
    headings = [piece for piece in pieces if piece.kind == "heading"]
    forced = chapter_level > 0
    if not forced:
        chapter_level = _chapter_level(pieces)
    for piece in headings:
        if forced and piece.md_level != chapter_level and not 0 < piece.md_level < chapter_level:
            if division_rank(piece.text):
                continue
            if chapter_heading_title(piece.text, True):
                piece.inert = True
            else:
                piece.kind = "paragraph"
        elif piece.md_level > chapter_level and not chapter_heading_title(piece.text, True):
            piece.kind = "paragraph"
    for previous, piece in itertools.pairwise(pieces):
        if previous.kind != "heading" or previous.inert:
            continue
        if (piece.kind == "heading" and NUMERAL_HEADING.fullmatch(piece.text)
                and previous.chapter_title.startswith("Chapter")):
            piece.chapter_title = ""
        elif (piece.kind == "paragraph" and _is_bare_heading(previous) and len(piece.lines) == 1
              and looks_like_title(piece.text)):
            piece.kind, piece.chapter_title, piece.subtitle = "heading", piece.text, True


def chapters(pieces: list, book_title: str, chapter_level: int = 0) -> tuple[Chapter, ...]:
    """A chapter starts at each run of heading pieces (inert ones aside). What comes before the first heading
    joins the first chapter, unless it holds prose: then it is a chapter of its own, named after the book. A run
    of divisions with no prose of its own joins the chapter after it."""
    divisions = _divisions(pieces, chapter_level)
    sections: list[_Section] = []
    for index, piece in enumerate(pieces):
        starts = _starts(piece) and (index == 0 or not _starts(pieces[index - 1]))
        if starts or not sections:
            sections.append(_Section())
        sections[-1].pieces.append(piece)
    sections = _joined(sections, divisions)
    stack: list[_Division] = []  # the divisions the reading is in, outermost first
    return tuple(_chapter(number, section, divisions, stack, book_title)
                 for number, section in enumerate(sections, start=1))


@dataclass
class _Section:
    pieces: list = field(default_factory=list)

    def has_text(self) -> bool:
        return any(piece.kind == "paragraph" for piece in self.pieces)

    def only_divisions(self, divisions: set[int]) -> bool:
        return all(id(piece) in divisions for piece in self.pieces if _starts(piece))


@dataclass
class _Division:
    rank: tuple[int, int]
    keyword_rank: int
    title: str


def _starts(piece) -> bool:
    return piece.kind == "heading" and not piece.inert


def _joined(sections: list[_Section], divisions: set[int]) -> list[_Section]:
    """Sections without prose whose headings are only divisions (or none: front matter) join the next; such a
    section at the very end joins the one before."""
    joined: list[_Section] = []
    carried: list = []
    for section in sections:
        if not section.has_text() and section.only_divisions(divisions):
            carried += section.pieces
            continue
        section.pieces[:0] = carried
        carried = []
        joined.append(section)
    if carried:
        if joined:
            joined[-1].pieces += carried
        else:
            joined.append(_Section(carried))
    return joined


def _chapter(number: int, section: _Section, divisions: set[int], stack: list[_Division],
             book_title: str) -> Chapter:
    title: str | None = None  # the chapter heading's own title, with any subtitle
    last: _Division | None = None  # what a subtitle belongs to
    for piece in section.pieces:
        if not _starts(piece) or not piece.chapter_title:
            continue
        if piece.subtitle:
            if last is not None and title is None:
                last.title += f": {piece.chapter_title}"
            elif title is not None:
                title += f": {piece.chapter_title}"
        elif id(piece) in divisions:
            keyword_rank, rank = division_rank(piece.text), _rank(piece)
            stack[:] = [held for held in stack
                        if held.rank > rank and not (keyword_rank and held.keyword_rank == keyword_rank)]
            last = _Division(rank, keyword_rank, piece.chapter_title)
            stack.append(last)
        elif title is None:
            rank = _rank(piece)  # an 'Epilogue' at the volumes' own level ends the last volume
            stack[:] = [held for held in stack if held.rank > rank]
            title = piece.chapter_title
        else:  # 'Chapter 5' then another heading at once
            title += f". {piece.chapter_title}"
    names = [division.title for division in stack] + ([title] if title else [])
    full_title = ", ".join(names) if names else book_title
    blocks = tuple(Block(piece.kind, piece.start, piece.end, piece.markup, piece.reason) for piece in section.pieces)
    return Chapter(index=number, title=full_title, start=blocks[0].start, end=blocks[-1].end, blocks=blocks)


# --- divisions ---------------------------------------------------------------------------------------------------

def _rank(piece) -> tuple[int, int]:
    """Volumes above books above parts above the rest; then higher Markdown levels above lower ones."""
    return division_rank(piece.text), (10 - piece.md_level if piece.md_level else 0)


def _divisions(pieces: list, chapter_level: int) -> set[int]:
    """ids of the heading pieces that group the chapters after them: a heading that names a division (or, in
    Markdown, a heading with no prose of its own that names no chapter) followed by a lesser heading; with
    `chapter_level` given, every Markdown heading above it."""
    found: set[int] = set()
    headings = [index for index, piece in enumerate(pieces)
                if _starts(piece) and piece.chapter_title and not piece.subtitle]
    for here, after in itertools.zip_longest(headings, headings[1:]):
        piece = pieces[here]
        if chapter_level and 0 < piece.md_level < chapter_level:
            found.add(id(piece))
            continue
        if after is None:
            continue
        if not division_rank(piece.text):
            prose_between = any(other.kind == "paragraph" for other in pieces[here + 1:after])
            if not piece.md_level or prose_between or chapter_heading_title(piece.text, True):
                continue
        if _rank(pieces[after]) < _rank(piece):
            found.add(id(piece))
    return found


def _chapter_level(pieces: list) -> int:
    """The Markdown level of the chapter headings: the highest level with no division among its headings (one
    naming no chapter, or naming a division, followed by a deeper heading before any prose). '# Epilogue' may
    stand among '# Volume' headings as a chapter of its own."""
    levels = sorted({piece.md_level for piece in pieces if piece.kind == "heading" and piece.md_level})
    for level in levels:
        if not any(_heads_deeper(pieces, index) for index, piece in enumerate(pieces)
                   if piece.kind == "heading" and piece.md_level == level):
            return level
    return levels[-1] if levels else 0


def _heads_deeper(pieces: list, index: int) -> bool:
    piece = pieces[index]
    if chapter_heading_title(piece.text, True) and not division_rank(piece.text):
        return False
    for other in itertools.islice(pieces, index + 1, None):  # no copy: a file may hold thousands of headings
        if other.kind == "paragraph":
            return False
        if other.kind == "heading" and other.md_level:
            return other.md_level > piece.md_level
    return False


def _is_bare_heading(piece) -> bool:
    """'Chapter 3', 'Prologue' or 'BOOK THE FIRST' with no title of its own."""
    return (not piece.subtitle and bool(piece.chapter_title) and ":" not in piece.chapter_title
            and chapter_heading_title(piece.text, alone=True) is not None)
