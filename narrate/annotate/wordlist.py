"""Is a capitalised word an ordinary English word ("Report") rather than a name ("Jack")?

The answer comes from english-words' web2 list: ordinary means the list has the word in lower case only.
Unpickling that list costs ~0.15 s, a third of `narrate script`'s budget, so the words that answer yes are
written once, sorted, one per line, into the cache directory, and looked up there by binary search over the
bytes: reading the file is all a run pays (~2 ms).
"""
from __future__ import annotations

from functools import cache
from importlib import metadata


def is_common_word(word: str) -> bool:
    """The dictionary has the word in lower case only: an ordinary word ("Report"), not a name ("Jack")."""
    return _contains(_common_words(), word.lower().encode("utf-8"))


def _contains(blob: bytes, key: bytes) -> bool:
    """Whether `key` is a line of `blob`, whose lines are sorted bytewise and each ends with a newline."""
    low, high = 0, len(blob)  # search the lines starting in [low, high)
    while low < high:
        middle = (low + high) // 2
        start = blob.rfind(b"\n", 0, middle) + 1  # the line that contains byte `middle`
        end = blob.index(b"\n", start)
        line = blob[start:end]
        if line == key:
            return True
        if line < key:
            low = end + 1
        else:
            high = start
    return False


@cache
def _common_words() -> bytes:
    from narrate.state import atomic_path, cache_root

    path = cache_root() / "words" / f"web2-common-{metadata.version('english-words')}.txt"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        blob = _build()
        try:
            with atomic_path(path) as tmp:
                tmp.write_bytes(blob)
        except OSError:  # a read-only cache: answer from memory, build again next time
            pass
        return blob


def _build() -> bytes:
    from english_words import get_english_words_set

    words = get_english_words_set(["web2"], lower=False)
    common = sorted(w.encode("utf-8") for w in words if w.islower() and w.capitalize() not in words)
    return b"".join(w + b"\n" for w in common)

