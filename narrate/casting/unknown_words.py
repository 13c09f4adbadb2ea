"""Words the speech engine may say wrong: the story's proper nouns and the words no dictionary has.

They are what `pronounce:` entries in voices.yaml are for. Words are read where both the story and the engine
have them (the text made speakable: "NATASHA" shouted is "Natasha" by then, "Mrs." is "Missus", which the story
does not write), so each listed word can be used as a `pronounce:` key as it is.

- A proper noun (capitalised somewhere a sentence does not start) is listed unless it is also an ordinary
  word in lower case ("Hope", "Will"): a name that is in the word list may still be said wrong ("Tomas").
- Any other word (in lower case, or capitalised only where sentences start) is listed when the word list has
  it in neither case, after taking off inflections ("nodded" is nod), reading British spellings as American
  ("harbour") and cutting compounds in two ("harbourmaster"). A name always at a sentence's start
  ("Natasha said.") is listed that way.

The word list is english-words' union of Webster's Second (web2) and GCIDE: 341,000 words, proper names
capitalised.

Words common in the language are left out even when they qualify ("London", "Saturday", "began", which web2
lacks as an inflection): espeak's rules and dictionary were built on everyday text, so it says them right. A
word is common when wordfreq puts it at COMMON_ZIPF or above (10 uses per million words of English; "Natasha"
is 3.5, "London" 5.3).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from narrate.casting.normalize import speakable
from narrate.model import Script

# A word, with its inner apostrophes and hyphens: "O'Brien", "don't", "Jean-Luc".
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Where a sentence starts: the text's start, or after . ! ? … and any closing quote or bracket.
_SENTENCE_START = re.compile(r"(?:^|[.!?…][\"'”’)\]]*\s+)[\"'“‘(\[—–-]*$")
_LOOK_BACK = 20  # characters before a word that _SENTENCE_START looks at (`^` still means the text's start)
_CONTRACTIONS = {"s", "d", "ll", "re", "ve", "m", "t"}  # after the apostrophe: Natasha's, she'd, don't
_NEGATIONS = {"can't": "can", "won't": "will", "shan't": "shall"}  # n't that does not just drop off
# Inflections to take off, and what to put back: "studies" -> "study", "nodded" -> "nod", "boxes" -> "box".
_SUFFIXES = (("iest", "y"), ("ied", "y"), ("ies", "y"), ("ier", "y"), ("ily", "y"), ("ing", ""), ("ing", "e"),
             ("est", ""), ("est", "e"), ("ed", ""), ("ed", "e"), ("er", ""), ("er", "e"), ("ly", ""), ("s", ""))
_SIBILANT_PLURAL = re.compile(r"(?:[sxz]|[cs]h)es$")
# British spellings, as the (American) word lists spell them: colour, realise, analyse, centre.
_AMERICAN_SPELLINGS = ((re.compile(r"our"), "or"), (re.compile(r"is(?=e|ing|ation)"), "iz"),
                       (re.compile(r"yse"), "yze"), (re.compile(r"tre(?=s?$)"), "ter"))
COMMON_ZIPF = 4.0  # wordfreq's log10 of uses per billion words: 4.0 is 10 per million
MIN_COMPOUND_PART = 3  # "harbourmaster" is harbour + master; shorter parts would make nonsense words known


@dataclass
class _Seen:
    count: int = 0
    lower: int = 0  # occurrences in lower case
    capitalised_inside: int = 0  # capitalised where no sentence starts
    forms: Counter = field(default_factory=Counter)


def unknown_words(script: Script, limit: int | None = None, language: str = "en",
                  known: Iterable[str] = ()) -> list[tuple[str, int]]:
    """(word, occurrences) for the proper nouns and unlisted words of the spoken segments, most frequent
    first, at most `limit`. Words in `known` (e.g. the keys of `pronounce:` entries) are left out.

    `language` picks the speakable() rules; the word list is English whatever the language."""
    seen: dict[str, _Seen] = {}
    for segment in script.segments:
        if segment.kind != "skipped":
            written = {word.lower() for match in _WORD.finditer(segment.text) for word in _base_words(match[0])}
            _count_words(speakable(segment.text, language), written, seen)
    left_out = {word.lower() for word in known}
    found = [(stats.forms.most_common(1)[0][0], stats.count) for key, stats in seen.items()
             if key not in left_out and _may_be_misread(key, stats) and not _common(key, language)]
    found.sort(key=lambda item: (-item[1], item[0].lower()))
    return found[:limit]


def _count_words(text: str, written: set[str], seen: dict[str, _Seen]) -> None:
    """Counts the words of speech-ready `text` that the story wrote (`written`, in lower case): the words
    speakable() puts in ("Missus" for "Mrs.") are the normaliser's to get right."""
    for match in _WORD.finditer(text):
        for word in _base_words(match[0]):
            if len(word) < 2 or word.lower() not in written:
                continue
            stats = seen.setdefault(word.lower(), _Seen())
            stats.count += 1
            stats.forms[word] += 1
            if word.islower():
                stats.lower += 1
            elif not _SENTENCE_START.search(text, max(0, match.start() - _LOOK_BACK), match.start()):
                stats.capitalised_inside += 1


def _base_words(token: str) -> list[str]:
    """The words of a token, contractions and possessives taken off: "Natasha's" -> Natasha,
    "Jean-Luc" -> Jean, Luc; "O'Brien" stays whole."""
    token = token.replace("’", "'")
    if token.lower() in _NEGATIONS:
        return [_NEGATIONS[token.lower()]]
    words = []
    for part in token.split("-"):
        stem, apostrophe, ending = part.rpartition("'")
        if apostrophe and ending.lower() in _CONTRACTIONS:
            part = stem[:-1] if ending.lower() == "t" and stem.lower().endswith("n") else stem
        words.append(part)
    return words


def _may_be_misread(key: str, stats: _Seen) -> bool:
    """`key` is the word in lower case; the word list holds ordinary words in lower case, names capitalised."""
    if stats.capitalised_inside:  # a proper noun: unless it is also an ordinary word ("Hope")
        return key not in _words()
    # never capitalised but where a sentence starts (a name as often as not), or written in lower case
    return not (_listed(key) or _listed(key.capitalize()) or _compound(key))


def _common(word: str, language: str) -> bool:
    from wordfreq import zipf_frequency  # 0.3 s with its English table: loaded only when words are looked up

    try:
        return zipf_frequency(word, language.split("-")[0]) >= COMMON_ZIPF
    except LookupError:  # a language wordfreq has no table for: its words are judged by the word list alone
        return False


def _listed(word: str) -> bool:
    return any(form in _words() for form in _dictionary_forms(word))


def _compound(word: str) -> bool:
    return any(_listed(word[:cut]) and _listed(word[cut:])
               for cut in range(MIN_COMPOUND_PART, len(word) - MIN_COMPOUND_PART + 1))


def _dictionary_forms(word: str) -> list[str]:
    """`word` and what it may be inflected from, in American spelling too: the word lists hold few plurals
    and past tenses."""
    spellings = [word] + [pattern.sub(american, word) for pattern, american in _AMERICAN_SPELLINGS
                          if pattern.search(word)]
    forms = list(spellings)
    for spelling in spellings:
        for suffix, replacement in _SUFFIXES:
            stem = spelling[:-len(suffix)]
            if spelling.endswith(suffix) and len(stem) >= 2:
                forms.append(stem + replacement)
                if replacement == "" and len(stem) >= 3 and stem[-1] == stem[-2]:  # "nodded", "running"
                    forms.append(stem[:-1])
        if _SIBILANT_PLURAL.search(spelling):  # "boxes", "churches": not "ines"
            forms.append(spelling[:-2])
    return forms


@cache
def _words() -> frozenset[str]:
    from english_words import (
        get_english_words_set,  # 0.2 s: loaded only when words are looked up
    )

    return frozenset(get_english_words_set(["web2", "gcide"], lower=False))
