"""Pronunciation entries (voices.yaml `pronounce:`): say a word of the story the way the user wrote down.

An entry maps a word or phrase to a respelling ("Natasha": "Nah-tah-sha") or to espeak-ng phonemes in double
brackets ("Natasha": "[[n@t'A:S@]]"), which espeak-ng reads as phonemes inside text. Entries change only what
the engine is asked to say; the script keeps the story's words.

Matching is by whole words. A key in lower case matches the word however it is capitalised ("tomato" also at
the start of a sentence); a key with capitals matches that spelling and the word in capitals, so "Nice" (the
town) leaves "nice" alone. Longer keys are tried first ("Clint Barton" before "Clint"), and a possessive
keeps its ending ("Natasha's" -> "Nah-tah-sha's").
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

_APOSTROPHES = str.maketrans({"’": "'"})


def apply(text: str, entries: Mapping[str, str]) -> str:
    """`text` with every whole-word occurrence of an entry's key replaced by its pronunciation."""
    if not entries:
        return text
    return _replacer(tuple(entries.items()))(text)


def _normal(words: str) -> str:
    """How a key and a matched piece of text are compared: single spaces, straight apostrophes."""
    return " ".join(words.split()).translate(_APOSTROPHES)


def _pattern(key: str) -> str:
    words = [re.escape(word).replace("'", "['’]") for word in key.split(" ")]
    return r"\s+".join(words)


@lru_cache(maxsize=256)  # a book has a handful of entry sets (the book's, and one per character with its own)
def _replacer(items: tuple[tuple[str, str], ...]) -> Callable[[str], str]:
    exact: dict[str, str] = {}  # keys with capitals: that spelling, and in capitals
    folded: dict[str, str] = {}  # lower-case keys: any capitalisation
    for word, spoken in items:
        key = _normal(word)
        if key == key.lower():
            folded[key] = spoken
        else:
            exact[key] = spoken
            exact.setdefault(key.upper(), spoken)
    # longest first, and at equal length a spelling with capitals before a lower-case key it also matches
    alternatives = sorted([(len(key), 1, _pattern(key)) for key in exact]
                          + [(len(key), 0, f"(?i:{_pattern(key)})") for key in folded], reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(p for _, _, p in alternatives) + r")(?!\w)")

    def spoken(match: re.Match) -> str:
        found = _normal(match[0])
        return exact[found] if found in exact else folded[found.lower()]

    return lambda text: pattern.sub(spoken, text)
