"""Candidates and scored features for every quote, in chains the decoder (decoder.py) reads.

speakers.py reads the book first (characters, tags, pronouns, action beats, the ladder of rules of old) and notes,
for each utterance, what the scene looked like when it was reached (`Scene`). From that, every utterance gets a
few candidate speakers, each with features:

- the rules' pick and how they came to it (a tag naming the speaker, a pronoun tag, an action beat, turn-taking ...);
- presence: named in the paragraph before or after the quote, the subject of a sentence of it, how recently the
  narration named them (the scene), how often the book names them;
- vocatives: called by name in the quote (the one spoken to is not the speaker), named in it otherwise; called by
  the quote before (the one called answers) or by the answer (this quote's speaker is the one called);
- a pronoun tag's gender against the candidate's;
- per-book style: how much the quote's words are like those the candidate says in the book's confidently
  attributed quotes (`StyleModel`).

Consecutive quotes of a chapter form a chain unless a long stretch of narration separates them; the transition
features between two quotes are the same speaker again (in one paragraph, in the next, after narration) and the
one the quote before called answering.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from narrate.annotate import castguide
from narrate.annotate.conversation import NARRATOR_ID, UNKNOWN_ID
from narrate.annotate.decoder import Chain
from narrate.annotate.speechverbs import SUBJECT_PRONOUNS

STRENGTHS = ("tag-name", "self-named", "tag-pronoun", "tag-phrase", "same-paragraph", "action-after", "action",
             "turn-taking", "focus", "fallback")
EMISSION = (
    "unknown", *(f"rule:{s}" for s in STRENGTHS), "rule-other-known",
    "named-in-quote", "called-before", "rule-called", "called-after",
    "paragraph-before", "paragraph-subject-before", "paragraph-after", "scene-rank", "scene-subject",
    "scene-present", "prominence", "described", "narrator", "tag-i-narrator", "tag-i-other", "pronoun-gender-agrees", "pronoun-gender-differs",
    "previous-rule", "next-rule", "alternation-before", "alternation-after", "style",
)
TRANSITION = ("same-paragraph", "same-next-paragraph", "same-after-narration", "answers-call")
SECOND = ("alternation", "alternation-after-narration", "third-voice", "alternation-past-a-call")
E = {name: k for k, name in enumerate(EMISSION)}
T = {name: k for k, name in enumerate(TRANSITION)}
# Narration words between two quotes beyond which they are two conversations.
CHAIN_GAP_WORDS = 120
MAX_CANDIDATES = 7
SCENE_DEPTH = 5  # distinct characters of the scene offered as candidates
SCENE_RECENT = 8  # distinct characters the scene remembers
SCENE_LOOKBACK = 60  # entries of the history (names, subjects, speakers) the scene is read from
SUBJECT_WINDOW = 12  # of those, the latest that count as what the narration is about now
CONFIDENT = frozenset(("tag-name", "self-named", "tag-pronoun"))
TAGS = frozenset(("tag-name", "self-named", "tag-pronoun", "tag-phrase"))  # the rules read a speech tag
WORD = re.compile(r"[a-z']+")
STYLE_PRIOR = 20  # words of the book's overall usage each character's own usage is smoothed with


@dataclass
class Scene:
    """What the text had shown when an utterance was reached."""

    recent: list[int] = field(default_factory=list)  # distinct characters of the history, latest first
    subjects: set[int] = field(default_factory=set)  # of those, the ones a recent sentence was about
    before: list[int] = field(default_factory=list)  # named in the paragraph before the quote, latest first
    subject_before: int | None = None
    after: list[int] = field(default_factory=list)  # subjects of the paragraph's sentences after the quote
    pronoun: str | None = None  # what a pronoun tag says: "male", "female" ("he said"), "narrator" ("I said")


class StyleModel:
    """Each character's words in the book's confidently attributed quotes, and how much a quote sounds like
    them (a naive-Bayes log-likelihood ratio against all quotes, leaving the quote's own words out)."""

    def __init__(self, texts: list[str], speakers: list[int | None]) -> None:
        self.words = [Counter(WORD.findall(t.lower())) for t in texts]
        self.background: Counter = Counter()
        for w in self.words:
            self.background.update(w)
        self.total = sum(self.background.values()) or 1
        self.by_speaker: dict[int, Counter] = {}
        self.quotes: Counter = Counter()
        for words, cid in zip(self.words, speakers):
            if cid is not None:
                self.by_speaker.setdefault(cid, Counter()).update(words)
                self.quotes[cid] += 1
        self.sizes = {cid: sum(c.values()) for cid, c in self.by_speaker.items()}
        self.own = speakers

    def score(self, k: int, cid: int) -> float:
        counts = self.by_speaker.get(cid)
        if counts is None or self.quotes[cid] - (self.own[k] == cid) < 3:
            return 0.0
        mine = self.words[k]
        size = self.sizes[cid] - (sum(mine.values()) if self.own[k] == cid else 0)
        total = 0.0
        for word, n in mine.items():
            c = counts[word] - (n if self.own[k] == cid else 0)
            p_b = self.background[word] / self.total
            p_c = (c + STYLE_PRIOR * p_b) / (size + STYLE_PRIOR)
            total += n * math.log(p_c / p_b)
        return max(-5.0, min(5.0, total)) / 5.0


def scene_at(att, paragraph, utterance) -> Scene:
    """The scene as the text has shown it when `utterance` is reached (before its own paragraph is attributed)."""
    scene = Scene()
    for cid, _ in reversed(att.history[-SCENE_LOOKBACK:]):
        if cid < NARRATOR_ID or cid in scene.recent or cid in att.groups or _silent(att, cid):
            continue
        scene.recent.append(cid)
        if len(scene.recent) == SCENE_RECENT:
            break
    scene.subjects = {cid for cid, subject in att.history[-SUBJECT_WINDOW:] if subject}
    named = att._in_paragraph(utterance.start, paragraph)
    pronouns = [(ref.position, _subject(att, ref, utterance, paragraph)) for ref in paragraph.subjects
                if ref.kind == "pronoun" and ref.position < utterance.start]
    if pronouns:  # "She let out a breath. '…'": the pronoun's subject is who acts before the quote
        position, cid = pronouns[-1]
        later_names = [m for m in paragraph.mentions if position < m.start < utterance.start]
        if cid is not None and not later_names:
            named = [(cid, True)] + named
    for cid, subject in named:
        if cid < NARRATOR_ID or cid in scene.before:
            continue
        scene.before.append(cid)
        if subject and scene.subject_before is None:
            scene.subject_before = cid
    for ref in paragraph.subjects:
        if ref.position > utterance.start and (cid := _subject(att, ref, utterance, paragraph)) is not None:
            scene.after.append(cid)
    return scene


def _silent(att, cid: int) -> bool:
    """A place or a thing ("in Dunmore", "the _Lusitania_"): never a speaker (asked once per character)."""
    if cid < 0:
        return False
    if cid not in att.never_speaking:
        att.never_speaking[cid] = att._never_speaks(cid)
    return att.never_speaking[cid]


def _subject(att, ref, utterance, paragraph) -> int | None:
    """The character a sentence's subject (a name or he/she) means, without changing what the book knows."""
    cid = None
    if ref.kind == "name":
        cid = att._pick(ref.mention.candidates, ref.position, paragraph)
    elif ref.kind == "pronoun" and SUBJECT_PRONOUNS.get(ref.word) in ("male", "female"):
        cid = att._antecedent(SUBJECT_PRONOUNS[ref.word], utterance.excluded, ref.position, paragraph)
    return cid if cid is not None and cid >= 0 else None


def candidates_for(k: int, att, rule_speaker: list[int], pins: dict[int, int], narrator: int | None = None) -> list[int]:
    """The pin, else: the rules' pick, the pins and picks of the quotes around, who the neighbours called, the
    paragraph's and the scene's characters, and "unknown". Never one the quote calls by name (the addressee is
    not the speaker; nor the "I" when it calls the name the others give the narrator, unless a tag says so), a group ("the men") or a place or firm, unless the rules picked it; nobody for a snippet
    of chatter the rules left unattributed (`_overheard`)."""
    utterances, scene = att.utterances, att.scenes[k]
    if k in pins:
        return list(dict.fromkeys([pins[k], UNKNOWN_ID]))
    if rule_speaker[k] == UNKNOWN_ID and att._overheard(utterances[k]):
        return [UNKNOWN_ID]
    out: list[int] = []
    barred = set(utterances[k].addressees)
    if narrator in barred and utterances[k].strength not in TAGS:
        barred.add(NARRATOR_ID)  # "Well, Watson, what do you make of it?" is not said by Watson, the "I"

    def add(cid: int | None) -> None:
        if cid is None or cid == UNKNOWN_ID or cid in out or cid in barred:
            return
        if cid != rule_speaker[k] and (cid in att.groups or _silent(att, cid)):
            return
        out.append(cid)

    add(rule_speaker[k])
    for j in (k - 1, k + 1, k - 2, k + 2):
        if 0 <= j < len(utterances):
            add(pins.get(j, rule_speaker[j]))
    for j in (k - 1, k + 1):
        if 0 <= j < len(utterances):
            for cid in utterances[j].addressees[:1]:
                add(cid)
    for cid in scene.before[:2] + scene.after[:1] + scene.recent[:SCENE_DEPTH]:
        add(cid)
    out = castguide.prefer_cast(att, out)
    return out[:MAX_CANDIDATES] + [UNKNOWN_ID]


class _Facts:
    """What the book says of each character, asked once per character: how often it is named, its gender."""

    def __init__(self, att) -> None:
        self.index = att.index
        self.genders: dict[int, str | None] = {}
        self.prominence: dict[int, float] = {}

    def gender(self, cid: int) -> str | None:
        if cid not in self.genders:
            self.genders[cid] = self.index.gender_of(cid)
        return self.genders[cid]

    def named(self, cid: int) -> float:
        if cid not in self.prominence:
            self.prominence[cid] = math.log1p(self.index.mentions(cid)) / 5
        return self.prominence[cid]


def emission_features(k: int, cid: int, utterances, scenes: list[Scene], strengths: list[str | None],
                      rule_speaker: Sequence[int], facts: _Facts, style: StyleModel) -> list[float]:
    f = [0.0] * len(EMISSION)
    u, scene = utterances[k], scenes[k]
    if cid == UNKNOWN_ID:
        f[E["unknown"]] = 1
        return f
    if cid == rule_speaker[k] and strengths[k]:
        f[E[f"rule:{strengths[k]}"]] = 1
    elif rule_speaker[k] != UNKNOWN_ID:
        f[E["rule-other-known"]] = 1
    f[E["named-in-quote"]] = cid in u.excluded
    prev = utterances[k - 1] if k > 0 and _follows(utterances[k - 1], u) else None
    nxt = utterances[k + 1] if k + 1 < len(utterances) and _follows(u, utterances[k + 1]) else None
    f[E["called-before"]] = prev is not None and cid in prev.addressees[:1]
    f[E["rule-called"]] = f[E["called-before"]] and cid == rule_speaker[k]  # the rules gave it to the one called
    f[E["called-after"]] = nxt is not None and cid in nxt.addressees[:1]
    f[E["paragraph-before"]] = cid in scene.before
    f[E["paragraph-subject-before"]] = cid == scene.subject_before
    f[E["paragraph-after"]] = cid in scene.after[:1]
    if cid in scene.recent:
        f[E["scene-rank"]] = 1.0 / (1 + scene.recent.index(cid))
        f[E["scene-present"]] = 1
    f[E["scene-subject"]] = cid in scene.subjects
    if cid >= 0:
        f[E["prominence"]] = facts.named(cid)
        f[E["described"]] = cid in facts.index.described
        gender = facts.gender(cid)
        if scene.pronoun in ("male", "female") and gender:
            f[E["pronoun-gender-agrees"]] = gender == scene.pronoun
            f[E["pronoun-gender-differs"]] = gender != scene.pronoun
    f[E["narrator"]] = cid == NARRATOR_ID
    f[E["tag-i-narrator"]] = scene.pronoun == "narrator" and cid == NARRATOR_ID  # "I said"
    f[E["tag-i-other"]] = scene.pronoun == "narrator" and cid != NARRATOR_ID
    f[E["previous-rule"]] = prev is not None and rule_speaker[k - 1] == cid
    f[E["next-rule"]] = nxt is not None and rule_speaker[k + 1] == cid
    f[E["alternation-before"]] = _alternates(utterances, rule_speaker, k, -1, cid)
    f[E["alternation-after"]] = _alternates(utterances, rule_speaker, k, +1, cid)
    f[E["style"]] = style.score(k, cid)
    return f


def _alternates(utterances, rule_speaker: Sequence[int], k: int, step: int, cid: int) -> bool:
    """Two quotes away (in consecutive paragraphs) the rules picked `cid`, and someone else between."""
    j, m = k + 2 * step, k + step
    if not 0 <= j < len(utterances) or rule_speaker[j] != cid or rule_speaker[m] in (cid, UNKNOWN_ID):
        return False
    first, middle, last = sorted((utterances[k], utterances[m], utterances[j]), key=lambda u: u.start)
    return _follows(first, middle) and _follows(middle, last)


def _follows(first, second) -> bool:
    return first.paragraph[0] == second.paragraph[0] and second.paragraph[1] == first.paragraph[1] + 1


def narration_between(att, first, second) -> int:
    """Words of the paragraphs between two utterances' paragraphs (narration only: no quote is between)."""
    order = att.paragraph_order
    if first.paragraph[0] != second.paragraph[0]:
        return CHAIN_GAP_WORDS + 1
    return sum(p.words for p in att.paragraphs[order[first.paragraph] + 1: order[second.paragraph]])


def transition_features(prev, u, a: list[int], b: list[int]) -> np.ndarray:
    """The same speaker again (in the same paragraph, the next, or after narration), and the one the previous
    quote called answering, for each pair of candidates."""
    x, y = np.array(a)[:, None], np.array(b)[None, :]
    out = np.zeros((len(a), len(b), len(TRANSITION)))
    same = (x == y) & (x != UNKNOWN_ID)
    key = "same-paragraph" if prev.paragraph == u.paragraph else "same-next-paragraph" if _follows(prev, u) \
        else "same-after-narration"
    out[:, :, T[key]] = same
    if prev.paragraph != u.paragraph and prev.addressees:
        out[:, :, T["answers-call"]] = ~same & (x != UNKNOWN_ID) & (y == prev.addressees[0])
    return out


def second_features(first, middle, u, a: list[int], b: list[int], c: list[int]) -> np.ndarray:
    """A-B-A: the speaker two quotes back speaks again after another (in three consecutive paragraphs, or with
    narration between), and the same when B called someone else by name; a third voice after two others."""
    out = np.zeros((len(a), len(b), len(c), len(SECOND)))
    if first.paragraph == middle.paragraph or middle.paragraph == u.paragraph:
        return out
    close = _follows(first, middle) and _follows(middle, u)
    x, y, z = np.array(a)[:, None, None], np.array(b)[None, :, None], np.array(c)[None, None, :]
    two = (x != UNKNOWN_ID) & (y != UNKNOWN_ID) & (y != x)
    out[:, :, :, 0 if close else 1] = two & (z == x)
    if close:
        out[:, :, :, 2] = two & (z != x) & (z != y) & (z != UNKNOWN_ID)
        if middle.addressees:  # "Martin, get the bags." / "Both of them?": the one called answers, not A again
            out[:, :, :, 3] = two & (z == x) & (x != middle.addressees[0])
    return out


def build_chains(att, pins: dict[int, int] | None = None) -> list[tuple[Chain, list[int]]]:
    """The book's utterances as chains, with (for each) the utterance indexes it covers."""
    layout = ChainLayout(att)
    return [(layout.chain(members, pins or {}), members) for members in layout.members]


# The rules' picks that only followed the turns: a pin on one of the two quotes before overrules their premise.
TURN_RULES = frozenset(("turn-taking", "focus"))


class ChainLayout:
    """What the chains are made of that no pin changes, worked out once per reading of the book: which
    utterances each chain covers, the candidates of each quote without pins, and the features of each
    (quote, candidate). A pin changes the candidates of its own quote and of the two on either side only."""

    def __init__(self, att) -> None:
        self.att = att
        utterances = att.utterances
        self.rule_speaker = [u.speaker for u in utterances]
        self.strengths = [getattr(u, "strength", None) for u in utterances]
        confident = [u.speaker if s in CONFIDENT and u.speaker >= 0 else None
                     for u, s in zip(utterances, self.strengths)]
        self.style = StyleModel([" ".join(att.segments[p].text for p in u.positions) for u in utterances], confident)
        self.facts = _Facts(att)
        # the name the others give the first-person narrator (as the rules read the book, before any decoding)
        self.narrator = att.narrator_character()
        self.unpinned = [candidates_for(k, att, self.rule_speaker, {}, self.narrator) for k in range(len(utterances))]
        self.emitted: dict[tuple[int, int], list[float]] = {}
        self.members: list[list[int]] = []  # per chain, its utterance indexes
        for k, u in enumerate(utterances):
            if k == 0 or narration_between(att, utterances[k - 1], u) > CHAIN_GAP_WORDS:
                self.members.append([])
            self.members[-1].append(k)

    def candidates(self, members: list[int], pins: dict[int, int]) -> list[list[int]]:
        near = {j for k in pins for j in range(k - 2, k + 3)}
        return [candidates_for(k, self.att, self.rule_speaker, pins, self.narrator) if k in near else self.unpinned[k]
                for k in members]

    def chain(self, members: list[int], pins: dict[int, int], cands: list[list[int]] | None = None) -> Chain:
        cands = cands if cands is not None else self.candidates(members, pins)
        utterances, chain = self.att.utterances, Chain()
        own = {k: pins[k] for k in members if k in pins}  # a chain's decoding hangs on its own pins only
        picks = _PinnedPicks(self.rule_speaker, own)
        for t, k in enumerate(members):
            chain.candidates.append(cands[t])
            if any(j in own for j in (k - 2, k - 1, k + 1, k + 2)):  # the neighbours' picks are the pins there
                chain.emissions.append(np.array([self._pinned_emission(k, c, picks) for c in cands[t]]))
            else:
                chain.emissions.append(np.array([self._emission(k, c) for c in cands[t]]))
            chain.transitions.append(None if t == 0 else transition_features(
                utterances[k - 1], utterances[k], cands[t - 1], cands[t]))
            chain.seconds.append(None if t < 2 else second_features(
                utterances[k - 2], utterances[k - 1], utterances[k], cands[t - 2], cands[t - 1], cands[t]))
        return chain

    def _pinned_emission(self, k: int, cid: int, picks: _PinnedPicks) -> list[float]:
        """A quote next to a pinned one: what its neighbours said ("previous-rule", "alternation-before", ...) is
        read from the pin, not from the rules' pick the pin overruled, so the turns follow the fix."""
        overruled = any(picks[j] != self.rule_speaker[j] for j in (k - 1, k - 2))
        if overruled and self.strengths[k] in TURN_RULES:  # its own pick followed turns the pin has changed
            picks = _PinnedPicks(self.rule_speaker, {**picks.pins, k: UNKNOWN_ID})
        return emission_features(k, cid, self.att.utterances, self.att.scenes, self.strengths, picks, self.facts,
                                 self.style)

    def _emission(self, k: int, cid: int) -> list[float]:
        if (k, cid) not in self.emitted:
            self.emitted[k, cid] = emission_features(k, cid, self.att.utterances, self.att.scenes, self.strengths,
                                                     self.rule_speaker, self.facts, self.style)
        return self.emitted[k, cid]


class _PinnedPicks:
    """The rules' pick of each quote, but a pinned quote's pin (a read-only view: no copy of a novel's list)."""

    def __init__(self, picks: list[int], pins: dict[int, int]) -> None:
        self.picks, self.pins = picks, pins

    def __getitem__(self, k: int) -> int:
        return self.pins.get(k, self.picks[k])

    def __len__(self) -> int:
        return len(self.picks)
