"""The dialogue as a conversation: paragraphs and utterances of the segment list, and who is talking with whom
(to give an untagged quote in a new paragraph to the other participant)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from narrate.annotate.characters import Mention
from narrate.annotate.clauses import Ref
from narrate.model import Segment

NARRATOR_ID = -1  # the first-person narrator ("I said"): voiced by the narrator
UNKNOWN_ID = -2
# Narration between two utterances longer than this ends the conversation (turn-taking no longer holds).
CONVERSATION_GAP_WORDS = 25


def is_known(cid: int | None) -> bool:
    """A character id that is a speaker (the narrator counts), not "unknown"."""
    return cid is not None and cid != UNKNOWN_ID


@dataclass
class Utterance:
    """One turn of speech: the dialogue pieces a tag splits (`"We go," said Ivo, "now."`), and what is known of
    its speaker so far."""

    positions: list[int]  # indexes into the segment list
    paragraph: tuple[int, int]  # (chapter, paragraph) of its first piece
    start: int
    excluded: set[int] = field(default_factory=set)  # characters named inside the quote
    addressees: list[int] = field(default_factory=list)  # vocatives
    kin_called: list[str] = field(default_factory=list)  # the title a kinship vocative stands for: "papa" -> "mr"
    introduced: int | None = None  # the speaker's own name, given in the quote ("My name is Ada.")
    speaker: int = UNKNOWN_ID
    strength: str | None = None  # how the rules picked the speaker: a speakers.CONFIDENCE key
    evidence: str = "none"
    confidence: float = 0.0


@dataclass
class ParagraphContext:
    """One paragraph's segments, and who its narration names and is about."""

    key: tuple[int, int]
    positions: list[int]  # segment indexes, in order
    words: int = 0  # narration words
    mentions: list[Mention] = field(default_factory=list)  # names in its narration
    subjects: list[Ref] = field(default_factory=list)  # subjects of its narration sentences


def follows(first: Utterance, second: Utterance) -> bool:
    """`second` opens the paragraph right after `first`'s: the next turn of a conversation."""
    return first.paragraph[0] == second.paragraph[0] and second.paragraph[1] == first.paragraph[1] + 1


class Conversation:
    """Who is talking with whom, to give an untagged quote in a new paragraph to the other participant."""

    def __init__(self) -> None:
        self.speaker: int | None = None  # who spoke last
        self.partner: int | None = None  # the other participant (addressed, or the speaker before)
        self.paragraph: tuple[int, int] | None = None
        self.gap = 0  # narration words since the last quote
        self.focus: int | None = None  # subject of the last narration sentence after a quote

    def active(self) -> bool:
        return self.speaker is not None and self.gap < CONVERSATION_GAP_WORDS

    def narration(self, words: int, subject: int | None) -> None:
        self.gap += words
        if subject is not None:
            self.focus = subject

    def spoke(self, utterance: Utterance) -> None:
        self.took_turn(utterance.speaker)
        addressed = [cid for cid in utterance.addressees if cid != utterance.speaker]
        if addressed and is_known(utterance.speaker):
            self.partner = addressed[0]
        self.paragraph = utterance.paragraph

    def took_turn(self, speaker: int) -> None:
        """`speaker` spoke, in a quote or in reported speech ("Lucy mumbled that ...")."""
        if is_known(speaker) and speaker != self.speaker:
            if is_known(self.speaker):
                self.partner = self.speaker
            elif self.partner == speaker:
                self.partner = None
            self.speaker = speaker
        self.gap = 0
        self.focus = None

    def next_speaker(self, excluded: set[int]) -> int | None:
        if is_known(self.partner) and self.partner not in excluded:
            return self.partner
        return None


def group_paragraphs(segments: Sequence[Segment]) -> list[ParagraphContext]:
    paragraphs: list[ParagraphContext] = []
    for pos, seg in enumerate(segments):
        if seg.kind == "skipped" or seg.paragraph < 0:
            continue
        key = (seg.chapter, seg.paragraph)
        if not paragraphs or paragraphs[-1].key != key:
            paragraphs.append(ParagraphContext(key, []))
        paragraphs[-1].positions.append(pos)
        if seg.kind == "narration":
            paragraphs[-1].words += len(seg.text.split())
    return paragraphs


def group_utterances(segments: Sequence[Segment]) -> list[Utterance]:
    groups: dict[object, Utterance] = {}
    for pos, seg in enumerate(segments):
        if seg.kind != "dialogue":
            continue
        key = ("utterance", seg.utterance) if seg.utterance is not None else ("segment", pos)
        if key in groups:
            groups[key].positions.append(pos)
        else:
            groups[key] = Utterance([pos], (seg.chapter, seg.paragraph), seg.start)
    return sorted(groups.values(), key=lambda u: u.positions[0])
