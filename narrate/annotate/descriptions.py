"""Descriptions as speakers ("the old man", "her aunt"): the words a speech tag would use of a cast entry's
description, and the descriptions that name nobody ("the former", "a time", "the Longmere")."""
from __future__ import annotations

from narrate.annotate.clauses import PLURAL_NOUNS
from narrate.annotate.names import WordStats
from narrate.annotate.speechverbs import DETERMINERS, PERSON_NOUNS, SPEECH_NOUNS, TITLES

# Head words of descriptions that describe nobody ("the former", "a time", "her the"): never a speaker.
NOBODY_HEADS = frozenset("""
former latter same rest whole first last next time moment while day night morning evening way place thing
matter end part case fact world pause silence
""".split()) | (SPEECH_NOUNS - {"voice"})
# Endings of nouns (and verbs) that name a thing, a deed or a state, never a person ("the occasion", "her
# attention", "a smile of recognition"), on heads longer than NOBODY_ENDING_MIN letters.
NOBODY_ENDINGS = ("tion", "sion", "ment", "ness", "ity", "ance", "ence", "ship", "hood", "ing", "ed")
NOBODY_ENDING_MIN = 4


def description_words(name: str) -> str:
    """The words of a description as a speech tag's subject has them: up to its person noun, without commas
    ("a thin, elderly gentleman of fifty" -> "a thin elderly gentleman")."""
    words = name.lower().replace(",", " ").split()
    for k, word in enumerate(words):
        if k and (word in PERSON_NOUNS or word in SPEECH_NOUNS or word in PLURAL_NOUNS):
            return " ".join(words[: k + 1])
    return " ".join(words)


def is_junk_label(key: str, stats: WordStats | None) -> bool:
    """A description that names nobody: "the former", "a time", "her the", "the one", or a determiner
    before a word the book writes capitalised (`stats`), a place or a party ("the Longmere")."""
    words = key.split()
    if not words:
        return True
    head = words[-1]
    if head in NOBODY_HEADS or any(w in DETERMINERS for w in words[1:]):
        return True
    if head == "one" and len(words) > 1:
        return True
    if head not in PERSON_NOUNS and head.endswith(NOBODY_ENDINGS) and len(head) > NOBODY_ENDING_MIN:
        return True  # "the occasion", "her attention", "a moment's recollection enabled"
    if stats is None or len(words) < 2 or head in PERSON_NOUNS or head in TITLES:
        return False
    return stats.capital_total[head.capitalize()] > stats.lower[head]
