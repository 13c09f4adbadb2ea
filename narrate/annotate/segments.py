"""Book → segments: every block of every chapter in source order, paragraphs cut into narration and dialogue.

Nothing is lost: a segment covers every word of the file's body (markup aside), and what falls between
segments is only whitespace, quote marks, dialogue dashes and punctuation.
"""
from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import replace

from narrate.annotate.quotes import (
    CLAUSE_PUNCTUATION,
    DASHES,
    QUOTE_GLYPHS,
    Dialogue,
    ParagraphSpan,
    QuoteStyle,
    View,
    detect_style,
    find_dialogue,
    has_word,
    visible,
)
from narrate.ingest.text import spoken_text
from narrate.model import NARRATOR, UNKNOWN, Block, Book, Chapter, Segment, SegmentKind

NARRATION_EDGE_MARKS = QUOTE_GLYPHS + DASHES


def quote_style(book: Book) -> QuoteStyle:
    """The quote style of the book's dialogue, judged over all its paragraphs."""
    return detect_style(
        [
            visible(book.source, ParagraphSpan(block.start, block.end, block.markup)).text
            for chapter in book.chapters
            for block in chapter.blocks
            if block.kind == "paragraph"
        ]
    )


def book_segments(book: Book, style: QuoteStyle, author_notes: bool) -> tuple[list[Segment], list[str]]:
    """All segments of `book` (indexes 0, 1, 2, … in source order) and the warnings met on the way."""
    segments: list[Segment] = []
    warnings: list[str] = []
    utterance_ids = itertools.count()
    for chapter in book.chapters:
        paragraph_numbers = itertools.count()
        for in_run, group in itertools.groupby(chapter.blocks, key=lambda block: block.kind in _RUN_KINDS):
            blocks = list(group)
            if in_run:
                found, met = _run_segments(book, chapter, blocks, style, paragraph_numbers, utterance_ids,
                                           author_notes)
                segments.extend(found)
                warnings.extend(met)
            else:
                segments.extend(_block_segment(book, chapter, block, author_notes) for block in blocks)
    return [replace(segment, index=index) for index, segment in enumerate(segments)], warnings


# a speech runs on over an illustration or a page number between its paragraphs
_RUN_KINDS = frozenset({"paragraph", "apparatus"})


_STRUCTURE = frozenset({"heading", "title", "author", "author_note", "scene_break"})


def skipped_apparatus(segments) -> dict[str, list[Segment]]:
    """Why passages were skipped as the printed book's apparatus or a `skip:` pattern ('illustration',
    'skip END OF VOL.*'), each with its segments in book order; headings, titles and scene breaks aside."""
    found: dict[str, list[Segment]] = {}
    for segment in segments:
        reason = segment.evidence.removeprefix("skipped:")
        if segment.kind == "skipped" and reason not in _STRUCTURE:
            found.setdefault(reason, []).append(segment)
    return found


def _block_segment(book: Book, chapter: Chapter, block: Block, author_notes: bool) -> Segment:
    """A heading, title, byline, author's note or scene break: accounted for, not read (an author's
    note is read when the user asks for it)."""
    text = spoken_text(book.source, block.start, block.end, block.markup, entities=_has_entities(book))
    if block.kind == "author_note" and author_notes:
        return Segment(chapter.index, 0, "narration", text, block.start, block.end, -1)
    return Segment(chapter.index, 0, "skipped", text, block.start, block.end, -1,
                   evidence=f"skipped:{block.reason or block.kind}")


def _run_segments(
    book: Book,
    chapter: Chapter,
    blocks: list[Block],
    style: QuoteStyle,
    paragraph_numbers: Iterator[int],
    utterance_ids: Iterator[int],
    author_notes: bool,
) -> tuple[list[Segment], list[str]]:
    """Segments of consecutive paragraphs (a speech may run on from one to the next), with the apparatus
    between them skipped in its place."""
    texts = [block for block in blocks if block.kind == "paragraph"]
    paragraphs = [ParagraphSpan(block.start, block.end, block.markup) for block in texts]
    dialogue, warnings = find_dialogue(book.source, paragraphs, style, book.path, utterance_ids) if texts else ([], [])
    found = iter(zip(paragraphs, dialogue))
    segments = []
    for block in blocks:
        if block.kind != "paragraph":
            segments.append(_block_segment(book, chapter, block, author_notes))
            continue
        paragraph, pieces = next(found)
        number = next(paragraph_numbers)
        segments.extend(_paragraph_segments(book.source, chapter.index, number, paragraph, pieces,
                                            _has_entities(book)))
    return segments, warnings


def _has_entities(book: Book) -> bool:
    """HTML entities are Markdown's (and so HTML's and EPUB's): in plain text `&lt;` is what the file says."""
    return book.source_format != "text"


def _paragraph_segments(
    source: str, chapter: int, number: int, paragraph: ParagraphSpan, dialogue: list[Dialogue], entities: bool
) -> list[Segment]:
    """Narration and dialogue, alternating, in the order they come."""

    def segment(kind: SegmentKind, span: tuple[int, int], **fields) -> Segment:
        start, end = span
        markup = tuple((a, b) for a, b in paragraph.markup if a < end and b > start)
        return Segment(chapter, 0, kind, spoken_text(source, start, end, markup, entities), start, end,
                       number, **fields)

    view = visible(source, paragraph)
    segments = []
    cursor = 0  # visible index where the next narration may start
    for piece in dialogue:
        narration = _narration_span(view, cursor, bisect_left(view.offsets, piece.start))
        if narration:
            segments.append(segment("narration", narration, speaker=NARRATOR))
        segments.append(
            segment("dialogue", (piece.start, piece.end), speaker=UNKNOWN, evidence="unattributed",
                    confidence=0.0, utterance=piece.utterance)
        )
        cursor = bisect_left(view.offsets, piece.end)
    narration = _narration_span(view, cursor, len(view.text))
    if narration:
        segments.append(segment("narration", narration, speaker=NARRATOR))
    return segments


def _narration_span(view: View, start: int, end: int) -> tuple[int, int] | None:
    """The source span of the narration in view.text[start:end], trimmed of the marks and spaces around
    it; None when it holds no word."""
    # After dialogue, leading punctuation belongs to it: »Kommst du?«, fragte sie.
    leading = CLAUSE_PUNCTUATION if start > 0 else ""
    while start < end and (_is_edge(view.text[start]) or view.text[start] in leading):
        start += 1
    while end > start and _is_edge(view.text[end - 1]):
        end -= 1
    if not has_word(view.text[start:end]):
        return None
    return view.offsets[start], view.offsets[end - 1] + 1


def _is_edge(char: str) -> bool:
    """What may sit between narration and the dialogue next to it: space, quote marks, dashes."""
    return char.isspace() or char in NARRATION_EDGE_MARKS
