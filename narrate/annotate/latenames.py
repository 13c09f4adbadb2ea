"""A described speaker named later: "a gentleman" who asks the price of a shine and, a few paragraphs on, is
"Mr. Greyson" as he walks away; "the old lady" who calls for Tom and is "his aunt Polly" once she laughs.
Such a speaker is one person under two labels; giving the description's quotes to the name keeps one voice.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from narrate.annotate.clauses import Tok
from narrate.annotate.conversation import Utterance, follows
from narrate.annotate.speechverbs import NEUTRAL_NOUNS, PERSON_NOUNS

# The name must come this close (in paragraphs, in the same chapter) after a quote given to the description.
LATE_NAME_WINDOW = 5
# Descriptions without a gender that still stand for one person the story may go on to name ("the child",
# "the stranger"); "a voice" or "one" is a passing speaker.
NAMEABLE_NEUTRAL = NEUTRAL_NOUNS - frozenset("voice speaker other one figure".split())
# Two turns prove two people only when neither was given by turn-taking alone (a guess that may be the
# very mistake: the newcomer handed the turn after the description's).
EXCHANGE_CONFIDENCE = 0.6
# The words between a person noun and the name that the narration gives it outright.
NAMING_WORDS = (("whose", "name", "was"), ("whose", "name", "is"), ("named",), ("called",), ("by", "the", "name", "of"))


def late_names(
    utterances: Sequence[Utterance],
    paragraph_order: dict[tuple[int, int], int],
    first_named: dict[int, tuple[int, int]],
    described: dict[int, str],
    gender_of: Callable[[int], str | None],
    outright: set[tuple[str, int]] = frozenset(),
) -> dict[int, int]:
    """Described speaker -> the named character the narration introduces right after it spoke, of the
    same gender (any, for "the child"), who never talks with it (no turn answering it, no paragraph shared,
    not called by it); of those, first one the narration names outright with the description's noun ("The
    officer, whose name was Blakeney"), then the first introduced.

    `first_named` maps each named character to the paragraph ((chapter, paragraph), a key of `paragraph_order`)
    where the narration first names it; `described` maps each described speaker to the head noun of its description;
    `outright` holds (noun, named character) for each naming `named_outright` found."""
    spoken_at: dict[int, list[tuple[int, int]]] = {}
    for utterance in utterances:
        if utterance.speaker in described:
            spoken_at.setdefault(utterance.speaker, []).append(utterance.paragraph)
    speaking = {utterance.speaker for utterance in utterances}
    links = {}
    for cid, paragraphs in spoken_at.items():
        gender = gender_of(cid)
        if gender is None and described[cid] not in NAMEABLE_NEUTRAL:
            continue
        # a description that spoke through a chapter before the name's is someone of that chapter (a prologue's
        # stranger), whatever quote of the next chapter turn-taking handed it
        paragraphs = [p for p in paragraphs if p[0] == paragraphs[0][0]]
        newcomers = sorted(
            ((described[cid], named) not in outright, paragraph_order[first], named)
            for named, first in first_named.items()
            if named not in described
            and ((described[cid], named) in outright or _same_gender(gender, named, gender_of, speaking))
            and any(_soon_after(spoken, first, paragraph_order) for spoken in paragraphs)
        )
        if newcomers and not _talk_together(utterances, cid, newcomers[0][-1]):
            links[cid] = newcomers[0][-1]
    return links


def named_outright(tokens: Sequence[Tok]) -> list[tuple[str, int]]:
    """(person noun, named character) wherever the narration names someone outright: "the officer, whose name was
    Blakeney", "a clerk named Pyle", "a boy called Kit"."""
    found = []
    for k, tok in enumerate(tokens):
        if tok.low not in PERSON_NOUNS:
            continue
        j = k + 2 if k + 1 < len(tokens) and tokens[k + 1].text == "," else k + 1
        for words in NAMING_WORDS:
            end = j + len(words)
            if end < len(tokens) and tuple(t.low for t in tokens[j:end]) == words:
                mention = tokens[end].mention
                if tokens[end].kind == "name" and mention is not None and len(mention.candidates) == 1:
                    found.append((tok.low, mention.candidates[0]))
    return found


def _same_gender(gender: str | None, named: int, gender_of: Callable[[int], str | None], speaking: set[int]) -> bool:
    """The name may be the description's: any for "the child"; for "a small boy", a man, or a speaker whose
    gender the text never shows (a name that never speaks and has no gender is as often a place)."""
    return gender is None or gender_of(named) == gender or (gender_of(named) is None and named in speaking)


def _soon_after(spoken: tuple[int, int], named: tuple[int, int], paragraph_order: dict[tuple[int, int], int]) -> bool:
    """The name comes a few paragraphs after the quote, in the same chapter."""
    return spoken[0] == named[0] and 0 < paragraph_order[named] - paragraph_order[spoken] <= LATE_NAME_WINDOW


def _talk_together(utterances: Sequence[Utterance], one: int, other: int) -> bool:
    """The two speak in one paragraph, answer each other, or one calls the other by name: two people."""
    pair = {one, other}
    for first, second in zip(utterances, utterances[1:]):
        if {first.speaker, second.speaker} != pair or min(first.confidence, second.confidence) < EXCHANGE_CONFIDENCE:
            continue
        if first.paragraph == second.paragraph or follows(first, second):
            return True
    return any(u.speaker in pair and pair - {u.speaker} & set(u.addressees) for u in utterances)

