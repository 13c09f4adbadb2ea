"""Text cut where a reader pauses: into sentences, and a sentence too long into clauses, else between words.

Two users: a long segment (a letter, a story told, a long paragraph) is said as sentence-sized clips
(`clip_texts`, used by cast.lines_for), and subtitles cut a clip's text into cues (audio/subtitles.py). Both cut
the same way, so a cue never straddles two clips.
"""
from __future__ import annotations

import re

# A segment longer than this is said as several clips, one per sentence (a sentence longer than this cut at its
# clauses, else between words): about 15 s of espeak at its default 170 words a minute. A shorter one is one
# clip, as it always was, so its cached clip stays valid.
MAX_CLIP_CHARS = 250

_SENTENCE_END = re.compile(r"(?:(?<=[.!?\u2026])|(?<=[.!?\u2026][\"'\u201d\u2019)\]]))\s+(?=\S)")
# "Mr. Gardiner", "No. 4", "J. Smith": a period that ends no sentence
_ABBREVIATION = re.compile(r"(?:^|\s)(?:mr|mrs|ms|mme|dr|st|jr|sr|prof|rev|capt|col|gen|lt|sgt|no|vol|ch|[a-z])\.$",
                           re.IGNORECASE)
_CLAUSE_END = re.compile(r"(?<=[,;:\u2014])\s+")


def sentences(text: str) -> list[str]:
    """The sentences of `text` (whitespace collapsed), in order; "" gives []."""
    found: list[str] = []
    for piece in _SENTENCE_END.split(" ".join(text.split())):
        if found and (_ABBREVIATION.search(found[-1]) or piece[:1].islower()):  # “Go!” she said: one sentence
            found[-1] += " " + piece
        elif piece:
            found.append(piece)
    return found


def cut(text: str, limit: int) -> list[str]:
    """`text` (one sentence) in pieces of at most `limit` characters where it can be: at its clauses, joined
    while they fit, a clause too long cut between words into near-equal parts. A single word longer than
    `limit` stays whole."""
    if len(text) <= limit:
        return [text]
    clauses = _CLAUSE_END.split(text)
    if len(clauses) == 1:
        return _cut_words(text, limit)
    out: list[str] = []
    for clause in clauses:
        if out and len(out[-1]) + 1 + len(clause) <= limit:
            out[-1] += " " + clause
        else:
            out += _cut_words(clause, limit)
    return out


def _cut_words(text: str, limit: int) -> list[str]:
    parts = -(-len(text) // limit)  # as few as fit, each about as long
    target = len(text) / parts
    out: list[str] = [""]
    for word in text.split():
        if out[-1] and (len(out[-1]) + 1 + len(word) > limit or len(out[-1]) >= target):
            out.append(word)
        else:
            out[-1] = f"{out[-1]} {word}".strip()
    return out


def clip_texts(text: str, limit: int = MAX_CLIP_CHARS) -> list[str]:
    """What one segment's text is said as: itself when it is at most `limit` characters, else a clip per
    sentence, each cut to `limit` (see `cut`). Joined with spaces, the pieces are the text, whitespace
    collapsed: no word is lost or repeated."""
    if len(text) <= limit:
        return [text]
    return [piece for sentence in sentences(text) for piece in cut(sentence, limit)] or [text]
