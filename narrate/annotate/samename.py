"""One person under a given name and a surname the text never writes together: "Clint" in the narration, "Barton"
when a friend calls him, and no "Clint Barton" anywhere to join them (characters.py joins a short form only to a
full name it extends).

Read after the rules' first pass (speakers.py), from what they found: two lone names of one known gender, both
speaking; the one is called, more than once, in a quote right before or after one the other says ("Barton, do we
need medics?" / "No," said Clint); yet the two never share a paragraph, never answer each other and never call
each other. Then the name of the one who speaks less is joined to the other's and the book is read again.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

from narrate.annotate.conversation import ParagraphContext, Utterance, follows
from narrate.annotate.names import Form

# How often the surname must be called in a quote next to one the given name says.
CALLS = 2


def same_person(
    index, utterances: Sequence[Utterance], paragraphs: Sequence[ParagraphContext], quoted: dict[int, list],
    lines: dict[int, int],
) -> list[tuple[Form, Form]]:
    """(the name called, the name of the one answering) of each pair that is one person; `quoted` holds the
    names said in each quote (by segment index), `lines` how many quotes each character speaks."""
    mentioned: dict[int, set] = {}  # character -> the paragraphs that name it, in narration or quotes
    for paragraph in paragraphs:
        said = [m for pos in paragraph.positions for m in quoted.get(pos, [])]
        for mention in [*paragraph.mentions, *said]:
            for cid in mention.candidates:
                mentioned.setdefault(cid, set()).add(paragraph.key)
    answered: Counter = Counter()  # (called, the one answering or answered) -> how often
    for k, utterance in enumerate(utterances):
        around = [utterances[j] for j in (k - 1, k + 1) if 0 <= j < len(utterances)]
        around = [u for u in around if follows(u, utterance) or follows(utterance, u)]
        for called in set(utterance.addressees) - {utterance.speaker}:
            for other in {u.speaker for u in around} - {called, utterance.speaker}:
                answered[called, other] += 1
    pairs = []
    for (called, other), times in answered.items():
        if times < CALLS or called < 0 or other < 0 or not lines.get(called) or not lines.get(other):
            continue
        forms = _lone_form(index, called), _lone_form(index, other)
        if None in forms or index.gender_of(called) is None or index.gender_of(called) != index.gender_of(other):
            continue
        if lines[called] > lines[other]:
            continue  # joined into the one who speaks more
        if mentioned.get(called, set()) & mentioned.get(other, set()) or _talk_together(utterances, called, other):
            continue
        pairs.append((called, other, forms))
    surnames = Counter(called for called, _, _ in pairs)
    given = Counter(other for _, other, _ in pairs)
    return [forms for called, other, forms in pairs if surnames[called] == 1 and given[other] == 1]


def _lone_form(index, cid: int) -> Form | None:
    """The character's only name form, when it is one word without a title ("Barton")."""
    forms = list(index.clusters[cid].forms)
    if cid in index.described or len(forms) != 1 or forms[0][0] or len(forms[0][1]) != 1:
        return None
    return forms[0]


def _talk_together(utterances: Sequence[Utterance], one: int, other: int) -> bool:
    """The two answer each other, share a paragraph or call each other: two people."""
    pair = {one, other}
    for first, second in pairwise(utterances):
        if {first.speaker, second.speaker} == pair and (first.paragraph == second.paragraph or follows(first, second)):
            return True
    return any(u.speaker in pair and pair - {u.speaker} & set(u.addressees) for u in utterances)
