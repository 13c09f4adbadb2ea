"""Heading lines: what a chapter, volume, book or part heading says ('CHAPTER III - The Fall' → 'Chapter 3: The
Fall', 'VOL. II.' → 'Volume 2'), and how high a division it names (volumes hold books, books hold parts)."""
from __future__ import annotations

import re

QUOTES = "\"'“”‘’«»„‚‹›"
TERMINAL_PUNCTUATION = ".!?,;:…"
_MAX_TITLE_WORDS = 10


def looks_like_title(text: str) -> bool:
    """A short line with no sentence punctuation at its end, not a line of dialogue."""
    words = text.split()
    return (0 < len(words) <= _MAX_TITLE_WORDS and any(char.isalpha() for char in text)
            and text[0] not in QUOTES + "-–—(" and text[-1] not in TERMINAL_PUNCTUATION + QUOTES)


_NUMBER_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
                r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
                r"|hundred)")
_NUMBER_WORDS = rf"{_NUMBER_WORD}(?:[\s-]+(?:and[\s-]+)?{_NUMBER_WORD})*"
_ORDINAL = (r"(?:the\s+)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
            r"|last)")
# 'Chapter 3: The Fall', 'CHAPTER I. Title', 'Part II -- Title', or a capitalised title after a space
_TITLE_PART = r"(?:\s*[:.\-–—]+\s*(?P<title>.*)|\s+(?P<spaced_title>\S.*))?"
_NUMBERED_HEADING = re.compile(
    rf"(?P<keyword>chapter|chap\.|ch\.|part|book|volume|vol\.|act)\s+"
    rf"(?P<number>\d+|[ivxlcdm]+|{_NUMBER_WORDS}|{_ORDINAL})\b{_TITLE_PART}", re.IGNORECASE)
_NAMED_HEADING = re.compile(
    rf"(?P<keyword>prologue|epilogue|interlude|preface|foreword|afterword|introduction)\b{_TITLE_PART}",
    re.IGNORECASE)
# a paragraph of only 'IV' or '12.': a chapter number (Roman numerals in capitals only: 'x' may be a letter)
NUMERAL_HEADING = re.compile(r"(?P<number>\d{1,3}|[IVXLCDM]+)\.?")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})", re.IGNORECASE)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_KEYWORD_NAMES = {"chap.": "Chapter", "ch.": "Chapter", "vol.": "Volume"}
_MAX_HEADING_TITLE_WORDS = 12


def chapter_heading_title(text: str, alone: bool = False) -> str | None:
    """'CHAPTER III - The Fall' → 'Chapter 3: The Fall'; None when `text` is not a chapter heading line.
    A line `alone` in its paragraph may also be a bare chapter number ('IV' → 'Chapter 4')."""
    if alone and (numeral := NUMERAL_HEADING.fullmatch(text)):
        number = _spoken_number(numeral["number"])
        return f"Chapter {number}" if number else None
    match = _NUMBERED_HEADING.fullmatch(text) or _NAMED_HEADING.fullmatch(text)
    if not match:
        return None
    keyword = match["keyword"].lower()
    heading = _KEYWORD_NAMES.get(keyword, keyword.capitalize())
    if match.re is _NUMBERED_HEADING:
        number = _spoken_number(match["number"])
        if number is None:
            return None
        heading = f"{heading} {number}"
    subtitle = (match["title"] or "").rstrip(".").strip()
    if spaced := match["spaced_title"]:  # no separator: only a capitalised, unpunctuated title ('Chapter 2 of.')
        if not spaced[0].isupper() or spaced[-1] in TERMINAL_PUNCTUATION:
            return None
        subtitle = spaced
    if len(subtitle.split()) > _MAX_HEADING_TITLE_WORDS:
        return None
    return f"{heading}: {subtitle}" if subtitle else heading


def _spoken_number(number: str) -> str | None:
    """Digits and Roman numerals become digits ('III' → '3'); number words are capitalised; None if invalid."""
    if number.isdigit():
        return str(int(number))
    if _ROMAN.fullmatch(number):
        values = [_ROMAN_VALUES[char] for char in number.upper()]
        return str(sum(-value if value < following else value for value, following in zip(values, values[1:] + [0])))
    if re.fullmatch(f"{_NUMBER_WORDS}|{_ORDINAL}", number, re.IGNORECASE):
        return re.sub(r"[a-z]+", lambda word: word[0] if word[0] in ("and", "the") else word[0].capitalize(),
                      number.lower())
    return None


# volumes hold books, books hold parts, parts hold chapters: a heading of a higher rank groups those under it
_DIVISION_RANKS = {"volume": 3, "vol.": 3, "book": 2, "part": 1}


def division_rank(text: str) -> int:
    """3 for 'VOL. II.' or 'Volume the First', 2 for 'BOOK THE SECOND', 1 for 'PART ONE', 0 for anything else."""
    match = _NUMBERED_HEADING.fullmatch(text)
    if not match or _spoken_number(match["number"]) is None:
        return 0
    return _DIVISION_RANKS.get(match["keyword"].lower(), 0)
