"""The printed book's apparatus, which a listener should not hear: illustrations, page numbers, "END OF VOL. I.",
"THE END", printers' imprints, "By the Author of ...", transcribers' notes; and a book's own furniture that
voices.yaml names under `skip:` (regular expressions).

Each rule looks at the spoken words of a paragraph, or of one line of a paragraph, and names itself: the name
becomes the skipped segment's evidence (`skipped:illustration`), so `narrate script` can say why. Nothing is
removed from the book: the text stays in a block of its own, kind `apparatus`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_ROMAN_OR_DIGITS = r"(?:\d{1,4}|[ivxlcdm]{1,8})"
_PAGE_NUMBER = re.compile(
    rf"\[\s*(?:pg\.?|page|p\.)\s*{_ROMAN_OR_DIGITS}\s*\]|\{{\s*{_ROMAN_OR_DIGITS}\s*\}}|\[\s*\d{{1,4}}\s*\]",
    re.IGNORECASE)
_BARE_PAGE_NUMBER = re.compile(r"\d{1,3}")  # a year (1813) alone on a line is not one
_ILLUSTRATION = re.compile(r"\[\s*(?:illustrations?|frontispiece|plate|image)\b[^\[\]]*\]", re.IGNORECASE)
_DIVISION_WORD = r"(?:vol(?:ume)?\.?|book|part|tome)"
_END_OF_DIVISION = re.compile(
    rf"(?:the\s+)?end\s+of\s+(?:the\s+)?(?:(?:first|second|third|fourth|fifth|last)\s+)?{_DIVISION_WORD}"
    rf"(?:\s+(?:the\s+)?[\w-]+)?\s*[.!]?", re.IGNORECASE)
_THE_END = re.compile(r"(?:the\s+end|finis)\s*[.!]?", re.IGNORECASE)
# a title page's 'A NOVEL.', 'IN THREE VOLUMES.', 'A TALE, IN TWO VOLUMES.'
_TITLE_PAGE = re.compile(r"(?:an?\s+(?:novel|tale|romance)[.,]?\s*)?(?:in\s+(?:two|three|four|five|six|\d)\s+"
                         r"(?:vol(?:ume)?s?\.?|books|parts))?\s*\.?", re.IGNORECASE)
_BY_THE_AUTHOR = re.compile(r"by\s+the\s+authors?\s+of\b.*", re.IGNORECASE | re.DOTALL)
_TRANSCRIBER = re.compile(r"\[?\s*transcriber['’]?s?['’]?\s+notes?\b", re.IGNORECASE)
# an imprint: "Printed by/for/at ...", "LONDON: ...", "... PRESS", "... PRINTER" (in a short paragraph)
_PRINTED = re.compile(r"printed\s+(?:by|for|at)\s.*", re.IGNORECASE)
_PLACE = re.compile(r"[A-Z][A-Z.'’ -]{2,}:")  # LONDON:  (alone on its line)
_YEAR = re.compile(r"\b1[4-9]\d\d\b")
_IMPRINT_CAPITALS = re.compile(r"\b(?:PRESS|PRINTERS?|PRINTING OFFICE)\b")
_QUOTE_MARKS = "\"“”«»„"
_MAX_IMPRINT_WORDS = 40
_MAX_BYLINE_WORDS = 25
_MAX_NOTES_HEADING_WORDS = 4


@dataclass(frozen=True)
class SkipPattern:
    """A voices.yaml `skip:` pattern: a paragraph or line whose whole text matches it is not read."""

    pattern: str

    @property
    def reason(self) -> str:
        return f"skip {self.pattern}"

    def matches(self, text: str) -> bool:
        return re.fullmatch(self.pattern, text) is not None


def paragraph_rule(text: str, lines: Sequence[str], skip: Sequence[SkipPattern] = ()) -> str | None:
    """Why the paragraph whose spoken words are `text` (and whose lines say `lines`) is apparatus; None if it is
    read."""
    if line := line_rule(text, skip):
        return line
    if _ILLUSTRATION.fullmatch(text):
        return "illustration"
    if _END_OF_DIVISION.fullmatch(text):
        return "end of volume"
    if _THE_END.fullmatch(text):
        return "the end"
    if _TITLE_PAGE.fullmatch(text) and any(char.isalpha() for char in text):
        return "title page"
    if _BY_THE_AUTHOR.fullmatch(text) and len(text.split()) <= _MAX_BYLINE_WORDS:
        return "byline"
    if _TRANSCRIBER.match(text):
        return "transcriber's note"
    if _is_imprint(text, lines):
        return "imprint"
    return None


def line_rule(text: str, skip: Sequence[SkipPattern] = ()) -> str | None:
    """Why one line inside a paragraph is apparatus (a page number, an illustration, a `skip:` pattern); None if
    it is read. A bare number counts only as a line among others: alone, it may be a chapter number."""
    if _PAGE_NUMBER.fullmatch(text):
        return "page number"
    if _ILLUSTRATION.fullmatch(text):
        return "illustration"
    return next((pattern.reason for pattern in skip if pattern.matches(text)), None)


def inline_page_markers(source: str, lines: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Source ranges of page numbers printed inside a line of prose ("walked [Pg 45] to the door", "{45}"): they
    are unspoken markup of the line. A line that is only a page number is apparatus of its own (line_rule)."""
    ranges = []
    for start, end in lines:
        for match in _PAGE_NUMBER.finditer(source, start, end):
            before, after = source[start:match.start()], source[match.end():end]
            if before.strip() or after.strip():
                # "her [12]." loses the space too: the words read "her." in subtitles, not "her ."
                joins_punctuation = after[:1] and not after[:1].isspace() and not after[:1].isalnum()
                left = match.start() - (len(before) - len(before.rstrip())) if joins_punctuation else match.start()
                ranges.append((left, match.end()))
    return ranges

def is_bare_page_number(text: str) -> bool:
    return _BARE_PAGE_NUMBER.fullmatch(text) is not None


def opens_notes_block(text: str) -> bool:
    """A transcriber's note whose bracket is still open, or a 'Transcriber's Notes' heading: the paragraphs after
    it are notes too (see notes_block_ends)."""
    if not _TRANSCRIBER.match(text):
        return False
    if text.startswith("["):
        return "]" not in text
    return len(text.split()) <= _MAX_NOTES_HEADING_WORDS


def notes_block_ends(opening: str, text: str) -> bool:
    """Whether the paragraph `text` is the last of the notes `opening` opened: the one closing its bracket."""
    return opening.startswith("[") and text.rstrip().endswith("]")


def _is_imprint(text: str, lines: Sequence[str]) -> bool:
    if len(text.split()) > _MAX_IMPRINT_WORDS or any(mark in text for mark in _QUOTE_MARKS):
        return False
    if _IMPRINT_CAPITALS.search(text) or any(_PRINTED.fullmatch(line) for line in lines):
        return True
    # 'LONDON:' alone on a line, then a publisher and a year (a play's 'HAMLET:' line has no year after it)
    return len(lines) > 1 and _PLACE.fullmatch(lines[0]) is not None and _YEAR.search(text) is not None
