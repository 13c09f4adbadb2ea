"""Who says each quote.

Evidence is tried from the strongest to the weakest, for each utterance (the dialogue pieces that share
`Segment.utterance`):

1. a speech tag next to the quote in its paragraph: `"…," said X`, `X asked`, `X's voice, "…"`,
   `"…" this from X`, `it was her`, `he told him`; a pronoun resolves to the latest compatible character;
2. another tagged utterance of the same paragraph (one paragraph, one speaker);
3. an action beat: the subject of a sentence of the paragraph (`She smiled. "…"`);
4. the conversation: a new paragraph gives the turn to the other participant (the one addressed, or the
   one who spoke before), unless a paragraph of narration since the last quote is about someone else
   (`The doctor stopped in the hall.`), who speaks next; after a long stretch of narration, the turn
   goes to the subject of the last sentence read;
5. otherwise "unknown".

Names said inside a quote are never its speaker by inference (`"Barton, do we need medics?"`).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from narrate.annotate.characters import (
    CharacterIndex,
    Mention,
    WordStats,
    scan_names,
)
from narrate.annotate.speechverbs import (
    DETERMINERS,
    FEMALE_NOUNS,
    FEMALE_PRONOUNS,
    MALE_NOUNS,
    MALE_PRONOUNS,
    OBJECT_PRONOUNS,
    PERSON_NOUNS,
    PARTICLE_VERBS,
    SPEECH_INFINITIVES,
    SPEECH_NOUNS,
    SPEECH_VERBS,
    SUBJECT_PRONOUNS,
    TITLES,
)
from narrate.model import NARRATOR, UNKNOWN, Book, CastEntry, Character, Segment

NARRATOR_ID = -1  # the first-person narrator ("I said"): voiced by the narrator
UNKNOWN_ID = -2

TOKEN = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*|[.!?;:,\u2014\u2013\u2026]+|-{2,}|[^\s_*]")  # markdown emphasis marks are not tokens
CLAUSE_END = frozenset(".!?;:…")
SENTENCE_END_CHARS = frozenset(".!?…")
ADVERBS = frozenset("then again now still presently too also".split())
NOUN_PHRASE_STOPS = frozenset("""
to with in at on of from for by as and but or who whom which that while when where after before into upon
was were is had has have did does could would should might must will shall not then again
""".split())
# Words that cannot follow a sentence's subject as its verb ("Tom and Mary", "Tom of Warwick").
SUBJECT_STOPS = frozenset("to with in at on of from for by as and or who whom which that".split())
PRONOUN_GENDER = {w: "male" for w in MALE_PRONOUNS} | {w: "female" for w in FEMALE_PRONOUNS}
SUBJECT_GENDER = {"he": "male", "she": "female"}
COPULAS = frozenset("is was were are be been had has have".split())
# "his wife" is Mrs. <his surname>, "her father" Mr. <her surname>.
# Determiners that point back to someone already in the story ("the boy", "his step-son").
DEFINITE = frozenset("the his her my our their this that".split())
# Words that open a clause with a subject of its own: a pronoun past them is not about the sentence's subject.
SUBORDINATORS = frozenset("what that who whom which when while where if as because though although until".split())
# "Emma was a tall woman" says more about Emma's gender than a pronoun nearby does.
COPULA_GENDER_WEIGHT = 3
KIN_TITLES = {"wife": "mrs", "husband": "mr", "lady": "mrs", "mother": "mrs", "father": "mr"}

# How sure each kind of evidence is (the benchmark wants a name; the listener prefers "unknown" to a wrong one).
CONFIDENCE = {
    "tag-name": 0.95,
    "tag-pronoun": 0.85,
    "tag-phrase": 0.75,
    "same-paragraph": 0.8,
    "action-after": 0.7,
    "action": 0.65,
    "turn-taking": 0.55,
    "focus": 0.45,
    "fallback": 0.3,
}
# How many times the others must call the first-person narrator by a name before it is taken as theirs.
NARRATOR_NAME_VOTES = 1
# How the narrator names themself, and how much that counts against the others' vocatives.
SELF_NAMING = ("my name is", "my name was", "call me", "called myself", "i am")
SELF_NAMING_VOTES = 3
# A name said in dialogue counts this much towards how prominent a character is ("Barton, ..." is said to him).
DIALOGUE_MENTION_WEIGHT = 0.25
# Narration between two utterances longer than this ends the conversation (turn-taking no longer holds).
CONVERSATION_GAP_WORDS = 25
# How far back (names, subjects, speakers) a character still counts as present in the scene.
ON_STAGE_WINDOW = 12
# How far back in the history a pronoun or a name looks for whom it means.
HISTORY_LOOKBACK = 60


@dataclass
class _Tok:
    kind: str  # "name", "word" or "punct"
    text: str
    start: int
    end: int
    mention: Mention | None = None

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return self.kind == "word"


@dataclass(frozen=True)
class _Ref:
    """Who a tag or a sentence names, before resolution: a name, a pronoun or a noun phrase."""

    kind: str  # "name", "pronoun", "phrase", "reply"
    position: int
    mention: Mention | None = None
    word: str = ""  # the pronoun, or the noun phrase
    voice: bool = False  # "X's voice", "his voice"


@dataclass(frozen=True)
class _Finding:
    ref: _Ref
    evidence: str
    strength: str  # a CONFIDENCE key


@dataclass
class _Utterance:
    positions: list[int]  # indexes into the segment list
    paragraph: tuple[int, int]  # (chapter, paragraph) of its first piece
    start: int
    excluded: set[int] = field(default_factory=set)  # characters named inside the quote
    addressees: list[int] = field(default_factory=list)  # vocatives
    speaker: int = UNKNOWN_ID
    evidence: str = "none"
    confidence: float = 0.0


@dataclass
class _Paragraph:
    key: tuple[int, int]
    positions: list[int]  # segment indexes, in order
    words: int = 0  # narration words
    mentions: list[Mention] = field(default_factory=list)  # names in its narration
    subjects: list[_Ref] = field(default_factory=list)  # subjects of its narration sentences


def attribute(
    book: Book, segments: list[Segment], cast: Sequence[CastEntry] = (), first_person: str = NARRATOR
) -> tuple[list[Segment], list[Character]]:
    """Fill `speaker`, `evidence` and `confidence` of every dialogue segment; list the characters found.

    `first_person` is who speaks the narrator's own quotes ("I said"): with the default, "narrator", the
    name the text gives the narrator ("my name was Pip", the others' "Yes, Watson") when it gives one;
    any other value is used as it is (a character's name from voices.yaml, say)."""
    return _Attributor(book, segments, cast, first_person).run()


def _known(cid: int | None) -> bool:
    return cid is not None and cid != UNKNOWN_ID


class _Attributor:
    def __init__(self, book: Book, segments: list[Segment], cast: Sequence[CastEntry], first_person: str) -> None:
        self.first_person = first_person
        self.source = book.source
        self.segments = segments
        self.cast = cast
        self.index = CharacterIndex(cast)
        self.paragraphs = _paragraphs(segments)
        self.utterances = _utterances(segments)
        # characters in the order the text names them, each flagged when it is a sentence's subject
        self.history: list[tuple[int, bool]] = []
        self.lines: Counter = Counter()
        self.dialogue_mentions: dict[int, list[Mention]] = {}
        self.tokens: dict[int, list[_Tok]] = {}  # narration segment index -> tokens
        self.conversation = _Conversation()
        self.descriptions: dict[str, int] = {}  # definite description -> the named character it was taken for
        self.paragraph_positions = {paragraph.key: paragraph.positions for paragraph in self.paragraphs}
        self.by_paragraph: dict[tuple[int, int], list[_Utterance]] = {}
        for utterance in self.utterances:
            self.by_paragraph.setdefault(utterance.paragraph, []).append(utterance)

    def run(self) -> tuple[list[Segment], list[Character]]:
        self._find_characters()
        for utterance in self.utterances:
            self._note_quote_names(utterance)
        for paragraph in self.paragraphs:
            utterances = self.by_paragraph.get(paragraph.key, [])
            if utterances:
                self._attribute_paragraph(paragraph, utterances)
            self._remember(paragraph, utterances)
            if not utterances:
                self.conversation.narration(paragraph.words, self._last_subject(paragraph))
        return self._results()

    # ---- characters and names

    def _find_characters(self) -> None:
        stats = self.stats = WordStats(self.cast)
        for paragraph in self.paragraphs:
            first, last = self.segments[paragraph.positions[0]], self.segments[paragraph.positions[-1]]
            stats.add(self.source[first.start: last.end])
        forms: Counter = Counter()
        found: dict[int, list] = {}
        for paragraph in self.paragraphs:
            for pos in paragraph.positions:
                seg = self.segments[pos]
                found[pos] = scan_names(self.source[seg.start: seg.end], stats, seg.start)
                weight = 1 if seg.kind == "narration" else DIALOGUE_MENTION_WEIGHT
                for _, _, form, _ in found[pos]:
                    forms[form] += weight
        self.index.build(forms, self._gender_votes(found))
        for paragraph in self.paragraphs:
            for pos in paragraph.positions:
                mentions = [Mention(s, e, form, poss, self.index.candidates(form)) for s, e, form, poss in found[pos]]
                if self.segments[pos].kind != "narration":
                    self.dialogue_mentions[pos] = mentions
                    continue
                paragraph.mentions.extend(mentions)
                self.tokens[pos] = _lex(self.source, self.segments[pos], mentions)
                subjects = (_sentence_subject(sentence) for sentence in _sentences(self.tokens[pos]))
                paragraph.subjects.extend(ref for ref in subjects if ref is not None)

    def _gender_votes(self, found: dict[int, list]) -> dict:
        """Gender evidence for each name form: after a sentence's named subject, the first he/she-type
        pronoun of that sentence, else a he/she opening the paragraph's next narration sentence."""
        votes: dict = {}
        for paragraph in self.paragraphs:
            sentences = []
            for pos in paragraph.positions:
                if self.segments[pos].kind == "narration":
                    mentions = [Mention(s, e, form, poss, ()) for s, e, form, poss in found[pos]]
                    sentences += _sentences(_lex(self.source, self.segments[pos], mentions))
            for k, sentence in enumerate(sentences):
                ref = _sentence_subject(sentence)
                if ref is not None and ref.kind == "name":
                    after = _pronouns_after(sentence, ref.position)
                    if k + 1 < len(sentences):
                        opening = sentences[k + 1][_first_word(sentences[k + 1])] if sentences[k + 1] else None
                        after += [opening.low] if opening is not None and opening.low in ("he", "she") else []
                    _vote(votes, ref.mention.form, after, PRONOUN_GENDER)
                    if gender := _copula_gender(sentence, ref.position):
                        votes.setdefault(ref.mention.form, Counter())[gender] += COPULA_GENDER_WEIGHT
                for i, tok in enumerate(sentence[:-1]):
                    # "... and Clint didn't break stride as he flew": a clause's subject and its "he"
                    if tok.kind == "name" and (ref is None or tok.start != ref.position) and _clause_subject(sentence, i):
                        _vote(votes, tok.mention.form, [t.low for t in sentence[i + 1:] if t.is_word], SUBJECT_GENDER)
        return votes

    def _note_quote_names(self, utterance: _Utterance) -> None:
        """Names said in a quote are not its speaker; those said to someone are its addressees."""
        for pos in utterance.positions:
            seg = self.segments[pos]
            text = self.source[seg.start: seg.end]
            for mention in self.dialogue_mentions.get(pos, []):
                cid = self._pick(mention.candidates)
                if cid is None:
                    continue
                utterance.excluded.add(cid)
                if self.stats.is_thing(mention.form):
                    continue  # "Kestrel, Gannet Rock": hailing a boat by its name, not someone who will answer
                person = self.index.gender_of(cid) is not None
                if _is_vocative(text, mention.start - seg.start, mention.end - seg.start, person):
                    utterance.addressees.append(cid)

    def _pick(self, candidates: tuple[int, ...], position: int | None = None, paragraph: _Paragraph | None = None) -> int | None:
        """One character for a name: the only one, or the latest named of those it may denote."""
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        for cid, _ in self._recent(position, paragraph):
            if cid in candidates:
                return cid
        return max(candidates, key=self.index.mentions)

    # ---- one paragraph

    def _attribute_paragraph(self, paragraph: _Paragraph, utterances: list[_Utterance]) -> None:
        for utterance in utterances:
            if finding := self._tag(utterance):
                self._settle(utterance, finding, paragraph)
        for utterance in utterances:
            if utterance.speaker != UNKNOWN_ID:
                continue
            decided = [u for u in utterances if u.speaker != UNKNOWN_ID]
            if decided:
                nearest = min(decided, key=lambda d: abs(d.start - utterance.start))
                self._assign(utterance, nearest.speaker, "same-paragraph", "same-paragraph")
            elif action := self._action(paragraph, utterance):
                self._settle(utterance, action, paragraph)
            if utterance.speaker == UNKNOWN_ID and not self._overheard(utterance):
                self._from_conversation(utterance)
        for utterance in utterances:
            self.conversation.spoke(utterance)
        trailing = self._narration_after_last_quote(paragraph)
        self.conversation.narration(trailing, self._last_subject(paragraph) if trailing else None)

    def _tag(self, utterance: _Utterance) -> _Finding | None:
        """A speech tag right after one of the utterance's pieces, or right before its first piece; an
        action right after the quote only when there is no tag."""
        beat = None  # "…” Alexandra went into the store": weaker than a real tag before the quote
        for pos in utterance.positions:
            following = self._neighbour(pos, +1)
            if following is not None and (finding := _tag_after(self.tokens[following])):
                if finding.strength != "action-after":
                    return finding
                beat = beat or finding
        preceding = self._neighbour(utterance.positions[0], -1)
        before = _tag_before(self.tokens[preceding]) if preceding is not None else None
        return before or beat

    def _neighbour(self, pos: int, step: int) -> int | None:
        """The narration segment next to `pos` in the same paragraph, if any."""
        other = pos + step
        if not 0 <= other < len(self.segments) or other not in self.tokens:
            return None
        here, there = self.segments[pos], self.segments[other]
        return other if (here.chapter, here.paragraph) == (there.chapter, there.paragraph) else None

    def _action(self, paragraph: _Paragraph, utterance: _Utterance) -> _Finding | None:
        """The subject of the paragraph's sentence nearest before the quote (else the first after it)."""
        before = [ref for ref in paragraph.subjects if ref.position < utterance.start]
        after = [ref for ref in paragraph.subjects if ref.position > utterance.start]
        if before:
            return _Finding(before[-1], "action", "action")
        if after:
            return _Finding(after[0], "action", "action")
        return None

    def _settle(self, utterance: _Utterance, finding: _Finding, paragraph: _Paragraph) -> None:
        if finding.ref.kind == "reply":
            cid, how = self.conversation.next_speaker(utterance.excluded), ""
        else:
            cid, how = self._resolve(finding.ref, utterance, paragraph)
        if not _known(cid):
            return
        evidence = finding.evidence + (f" {how}" if how else "")
        self._assign(utterance, cid, evidence, "fallback" if how.startswith("fallback") else finding.strength)

    def _assign(self, utterance: _Utterance, cid: int, evidence: str, strength: str) -> None:
        utterance.speaker = cid
        utterance.evidence = evidence
        utterance.confidence = CONFIDENCE[strength]
        self.lines[cid] += 1

    # ---- references to characters

    def _resolve(self, ref: _Ref, utterance: _Utterance | None, paragraph: _Paragraph | None) -> tuple[int | None, str]:
        if ref.kind == "name":
            return self._pick(ref.mention.candidates, ref.position, paragraph), ""
        if ref.kind == "pronoun":
            return self._resolve_pronoun(ref, utterance, paragraph)
        if ref.kind == "phrase":
            return self._resolve_phrase(ref, utterance, paragraph), ""
        return None, ""

    def _recent(self, position: int | None, paragraph: _Paragraph | None, limit: int = HISTORY_LOOKBACK):
        """(character, is subject) from the latest named backwards: this paragraph before `position`, then
        the text before it."""
        yield from self._in_paragraph(position, paragraph)
        yield from reversed(self.history[-limit:])

    def _in_paragraph(self, position: int | None, paragraph: _Paragraph | None) -> list[tuple[int, bool]]:
        """(character, is subject) named in the paragraph before `position`, the latest first."""
        if paragraph is None or position is None:
            return []
        subjects = {ref.position for ref in paragraph.subjects}
        local = [(m.start, self._pick(m.candidates), m.start in subjects) for m in paragraph.mentions if m.start < position]
        local += [
            (ref.position, self.index.label(*_label(ref.word)), True)
            for ref in paragraph.subjects
            if ref.kind == "phrase" and ref.position < position
        ]
        spoken = self.by_paragraph.get(paragraph.key, [])
        local += [(u.start, u.speaker, True) for u in spoken if u.start < position and _known(u.speaker)]
        return [(cid, subject) for _, cid, subject in sorted(local, key=lambda e: e[0], reverse=True) if cid is not None]

    def _antecedent(self, gender: str, excluded: set[int], position: int | None, paragraph: _Paragraph | None) -> int | None:
        """The latest character of that gender, where in the pronoun's own paragraph a sentence's subject
        or a speaker comes before a mere mention ("She noticed ... Millie ... 'Sir?' she said" is not
        Millie); failing that, the latest of unknown gender, a speaker or a subject before a mention."""
        undecided: tuple[int, bool] | None = None
        mentioned: int | None = None
        local = self._in_paragraph(position, paragraph)
        earlier = ((cid, subject, False) for cid, subject in reversed(self.history[-HISTORY_LOOKBACK:]))
        for cid, subject, here in [(cid, subject, True) for cid, subject in local] + list(earlier):
            if mentioned is not None and not here:
                return mentioned
            if cid < 0 or cid in excluded:
                continue
            known = self.index.gender_of(cid)
            if known == gender and here and not subject:
                mentioned = mentioned if mentioned is not None else cid
                continue
            if known == gender:
                return cid
            if known is None and (undecided is None or (subject and not undecided[1])):
                undecided = (cid, subject)
        if mentioned is not None:
            return mentioned
        return undecided[0] if undecided else None

    def _resolve_pronoun(self, ref: _Ref, utterance: _Utterance | None, paragraph: _Paragraph | None) -> tuple[int | None, str]:
        gender = SUBJECT_PRONOUNS.get(ref.word)
        if gender == "narrator":
            return NARRATOR_ID, ""
        if gender not in ("male", "female"):
            return None, ""
        excluded = utterance.excluded if utterance else set()
        cid = self._antecedent(gender, excluded, ref.position, paragraph)
        if utterance is not None and cid is not None and (other := self._answering(utterance, paragraph, cid, gender)):
            cid = other
            self.index.learn_gender(cid, gender)
            return cid, f"pronoun:{ref.word}->{self.index.name(cid)} turn-taking"
        if cid is not None:
            self.index.learn_gender(cid, gender)
            return cid, f"pronoun:{ref.word}->{self.index.name(cid)}"
        known = [c for c in range(len(self.index.clusters)) if self.index.gender_of(c) == gender and c not in excluded]
        if known:
            cid = max(known, key=self.index.mentions)
            return cid, f"fallback:pronoun:{ref.word}->{self.index.name(cid)}"
        return None, ""

    def _answering(self, utterance: _Utterance, paragraph: _Paragraph | None, cid: int, gender: str) -> int | None:
        """"he answered" opening a new turn: when the latest man is the one who just spoke and nothing in
        this paragraph names anyone before the quote, the "he" is the other man in the conversation."""
        conversation = self.conversation
        if not conversation.active() or cid != conversation.speaker or conversation.paragraph == utterance.paragraph:
            return None
        if paragraph is not None and (
            any(s.position < utterance.start for s in paragraph.subjects)
            or any(m.start < utterance.start for m in paragraph.mentions)
        ):
            return None
        partner = conversation.next_speaker(utterance.excluded)
        if partner is None:
            partner = self._on_stage(utterance.excluded | {cid})
        if partner is None or partner < 0 or self.index.gender_of(partner) not in (gender, None):
            return None
        return partner

    def _resolve_phrase(self, ref: _Ref, utterance: _Utterance | None, paragraph: _Paragraph) -> int:
        """A described speaker: a relative or titled character when the text has one ("her mother" ->
        Mrs. Bennet, "the doctor" -> Dr. Archie), a named character the description points back to,
        else a character named by the description."""
        key, shown, gender = _label(ref.word)
        words = key.split()
        if len(words) == 2 and words[1] in KIN_TITLES and words[0] in ("his", "her", "the"):
            relative = self._relative(words[0], words[1], utterance, paragraph, ref.position)
            if relative is not None:
                return relative
        if len(words) == 2 and words[0] == "the" and words[1] in TITLES:
            titled = set(self.index.titled(words[1]))
            if titled:
                recent = next((cid for cid, _ in self._recent(ref.position, paragraph) if cid in titled), None)
                if recent is not None or len(titled) == 1:
                    return recent if recent is not None else titled.pop()
        if (named := self.index.named_by_word(words[-1])) is not None:
            return named
        if (described := self.index.labelled(key)) is not None and described in self.index.described:
            return described  # "A boy ran down the slipway ... asked the boy"
        if ref.word.split()[0] in DEFINITE and (cid := self._described_one(key, gender, utterance)) is not None:
            return cid
        return self.index.label(key, shown, gender)

    def _described_one(self, key: str, gender: str | None, utterance: _Utterance | None) -> int | None:
        """The named character a definite description ("the boy", "his step-son") points back to: the
        one it was linked to before while still in the scene, else, in a conversation, the one whose
        turn it is when the gender fits. Never when a newcomer of that gender was just introduced
        ("A man in oilskins ... asked the old fisherman")."""
        recent = [cid for cid, _ in self.history[-ON_STAGE_WINDOW:]]
        if (linked := self.descriptions.get(key)) is not None and linked in recent:
            return linked
        if utterance is None or not self.conversation.active():
            return None
        if any(cid in self.index.described and _compatible(gender, self.index.gender_of(cid)) for cid in recent[-4:]):
            return None
        cid = self.conversation.next_speaker(utterance.excluded)
        if cid is None or cid < 0 or cid in self.index.described or not _compatible(gender, self.index.gender_of(cid)):
            return None
        self.descriptions[key] = cid
        return cid

    def _relative(self, possessive: str, kin: str, utterance: _Utterance | None, paragraph: _Paragraph, position: int) -> int | None:
        """"his wife", "her mother": the character with the possessor's surname and the title that goes
        with it (Mrs. for a wife or a mother), else the latest named character with that title."""
        title = KIN_TITLES[kin]
        if possessive in ("his", "her"):
            gender = "male" if possessive == "his" else "female"
            owners = [c for c in (utterance.addressees if utterance else []) if self.index.gender_of(c) == gender]
            nearest = self._antecedent(gender, set(), position, paragraph)
            for owner in owners + ([nearest] if nearest is not None else []):
                if (relative := self.index.relative(owner, title)) is not None:
                    return relative
        titled = set(self.index.titled(title))
        return next((cid for cid, _ in self._recent(position, paragraph) if cid in titled), None)

    # ---- conversation

    def _from_conversation(self, utterance: _Utterance) -> None:
        conversation = self.conversation
        if conversation.active() and (focus := self._someone_else_acted(utterance)) is not None:
            self._assign(utterance, focus, "action:previous-paragraph", "focus")
        elif conversation.active():
            cid = conversation.next_speaker(utterance.excluded)
            if cid is not None:
                self._assign(utterance, cid, "turn-taking", "turn-taking")
            elif (cid := self._on_stage(utterance.excluded | {conversation.speaker})) is not None:
                self._assign(utterance, cid, "turn-taking:on-stage", "fallback")
        elif conversation.focus is not None and conversation.focus not in utterance.excluded:
            self._assign(utterance, conversation.focus, "action:previous-paragraph", "focus")
        elif (cid := conversation.next_speaker(utterance.excluded)) is not None:
            self._assign(utterance, cid, "turn-taking", "fallback")

    def _someone_else_acted(self, utterance: _Utterance) -> int | None:
        """The subject of the narration since the last quote, when it is not the last speaker: "Mr. Quill
        stopped at the gate." gives him the next quote, whoever's turn it was."""
        focus = self.conversation.focus
        if focus is None or focus < 0 or focus == self.conversation.speaker or focus in utterance.excluded:
            return None
        return focus

    def _overheard(self, utterance: _Utterance) -> bool:
        """An untagged snippet that starts mid-sentence (" … thought she was with you!"): chatter over a
        radio or from a crowd, by someone the text does not name; no guess is better than a wrong voice."""
        first = self.segments[utterance.positions[0]].text.lstrip(" \"'“‘*_")
        return not first or first[0] in "…." or first[0].islower() or first.startswith(("--", "-", "—"))

    def _on_stage(self, excluded: set[int]) -> int | None:
        """The character the narration named last, other than `excluded`: who answers when the one
        spoken to has not been named yet."""
        for cid, _ in reversed(self.history[-ON_STAGE_WINDOW:]):
            if cid >= 0 and cid not in excluded:
                return cid
        return None

    def _last_subject(self, paragraph: _Paragraph) -> int | None:
        """The character the paragraph's last sentence is about (its subject), if it names one."""
        if not paragraph.subjects:
            return None
        ref = paragraph.subjects[-1]
        return self._resolve(ref, None, paragraph)[0]

    def _narration_after_last_quote(self, paragraph: _Paragraph) -> int:
        words = 0
        for pos in reversed(paragraph.positions):
            if self.segments[pos].kind != "narration":
                break
            words += sum(t.is_word for t in self.tokens.get(pos, []))
        return words

    def _remember(self, paragraph: _Paragraph, utterances: list[_Utterance]) -> None:
        """Add the paragraph's names, sentence subjects and speakers to the history, in text order."""
        subjects = {ref.position: ref for ref in paragraph.subjects}
        events: list[tuple[int, object]] = [(m.start, m) for m in paragraph.mentions if m.start not in subjects]
        events += [(ref.position, ref) for ref in paragraph.subjects]
        events += [(u.start, u) for u in utterances if _known(u.speaker)]
        for _, event in sorted(events, key=lambda e: e[0]):
            if isinstance(event, _Utterance):
                self.history.append((event.speaker, True))
            elif isinstance(event, Mention):
                cid = self._pick(event.candidates)
                if cid is not None:
                    self.history.append((cid, False))
            else:  # a sentence's subject; a pronoun looks back through the history built so far
                cid, _ = self._resolve(event, None, None if event.kind == "pronoun" else paragraph)
                if _known(cid) and cid >= 0:
                    self.history.append((cid, True))

    # ---- results

    def _name_the_narrator(self) -> None:
        """A first-person narrator is the one the others call by name in the quotes next to "I said"
        ones ("Yes, Watson") or in a quote said to "me", or the name they give themself: give the
        narrator's quotes to that character. (A name said only inside quotes is not enough: it is as often
        a character the narration calls by a description.)"""
        votes: Counter = Counter(self._self_named())
        if not any(u.speaker == NARRATOR_ID for u in self.utterances):
            return
        for k, utterance in enumerate(self.utterances):
            if utterance.speaker < 0:
                continue
            if self._said_to_me(utterance) or any(u.speaker == NARRATOR_ID for u in self.utterances[max(0, k - 1): k + 2]):
                votes.update(a for a in utterance.addressees if a != utterance.speaker)
        if not votes or votes.most_common(1)[0][1] < NARRATOR_NAME_VOTES:
            return
        narrator = votes.most_common(1)[0][0]
        for utterance in self.utterances:
            if utterance.speaker == NARRATOR_ID:
                utterance.speaker = narrator
                utterance.evidence += f" narrator->{self.index.name(narrator)}"
                self.lines[narrator] += 1
        del self.lines[NARRATOR_ID]

    def _said_to_me(self, utterance: _Utterance) -> bool:
        """The narration of the quote's paragraph has the narrator as an object ("Agnes turned to me."): a
        name the quote calls out is the narrator's."""
        return any(
            tok.low == "me"
            for pos in self.paragraph_positions[utterance.paragraph]
            for tok in self.tokens.get(pos, [])
        )

    def _self_named(self) -> Counter:
        """Names the narrator gives themself in the narration: "my name was Pip", "call me Ishmael"."""
        votes: Counter = Counter()
        for pos, tokens in self.tokens.items():
            for k, tok in enumerate(tokens):
                if tok.kind != "name" or k < 2:
                    continue
                before = " ".join(t.low for t in tokens[max(0, k - 3): k])
                if before.endswith(SELF_NAMING):
                    cid = self._pick(tok.mention.candidates)
                    if cid is not None:
                        votes[cid] += SELF_NAMING_VOTES
        return votes

    def _fill_backwards(self) -> None:
        """An untagged quote that opens a conversation: the one who answers it addresses its speaker by
        name, or, when two people are talking to each other, the one who speaks after the answer is the
        same person again (turn-taking, backwards)."""
        for k in range(len(self.utterances) - 3, -1, -1):
            quote, answer, then = self.utterances[k: k + 3]
            if _known(quote.speaker) or not (_follows(quote, answer) and _follows(answer, then)):
                continue
            addressed = [a for a in answer.addressees if a != answer.speaker and a not in quote.excluded]
            if _known(answer.speaker) and addressed:
                self._assign(quote, addressed[0], "turn-taking", "turn-taking")
            elif _known(then.speaker) and then.speaker != answer.speaker and then.speaker not in quote.excluded:
                # only between two people who talk to each other, not over a crowd's voices
                pair = answer.speaker in then.addressees or then.speaker in answer.addressees
                if pair or answer.speaker in quote.addressees:
                    self._assign(quote, then.speaker, "turn-taking", "turn-taking")

    def _results(self) -> tuple[list[Segment], list[Character]]:
        self._fill_backwards()
        if self.first_person == NARRATOR:
            self._name_the_narrator()
        out = list(self.segments)
        for utterance in self.utterances:
            name = self._speaker_name(utterance.speaker)
            for pos in utterance.positions:
                out[pos] = replace(
                    out[pos], speaker=name, evidence=utterance.evidence, confidence=round(utterance.confidence, 2)
                )
        cast_ids = [cid for cid, cluster in enumerate(self.index.clusters) if cluster.cast_name]
        speaking = sorted((c for c in self.lines if c >= 0 and c not in cast_ids), key=lambda c: -self.lines[c])
        characters = [
            Character(self.index.name(cid), self.index.aliases(cid), self.index.gender_of(cid) or "neutral", self.lines[cid])
            for cid in cast_ids + speaking
        ]
        return out, characters

    def _speaker_name(self, cid: int) -> str:
        if cid == NARRATOR_ID:
            return self.first_person
        if cid == UNKNOWN_ID:
            return UNKNOWN
        return self.index.name(cid)


def _label(phrase: str) -> tuple[str, str, str | None]:
    """A described speaker's key, name and gender: "a tall man" -> ("the tall man", "a tall man", "male")."""
    words = phrase.split()
    if words[-1] in SPEECH_NOUNS and len(words) > 2 and words[-2].endswith(("'s", "’s")):
        words = words[:-1]
        words[-1] = words[-1][:-2]
    shown = " ".join(words)
    if words[0] in ("a", "an", "this", "that"):
        words[0] = "the"
    head = words[-1]
    gender = "male" if head in MALE_NOUNS else "female" if head in FEMALE_NOUNS else None
    return " ".join(words), shown, gender


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _follows(first: _Utterance, second: _Utterance) -> bool:
    """`second` opens the paragraph right after `first`'s: the next turn of a conversation."""
    return first.paragraph[0] == second.paragraph[0] and second.paragraph[1] == first.paragraph[1] + 1


def _vote(votes: dict, form: object, words: list[str], genders: dict[str, str]) -> None:
    gender = next((genders[w] for w in words if w in genders), None)
    if gender:
        votes.setdefault(form, Counter())[gender] += 1


def _pronouns_after(sentence: list[_Tok], position: int) -> list[str]:
    """The pronouns after `position` that may refer back to a sentence's subject: not "him" nor an
    object "her" ("Vance told him", "he kissed her"), which are someone else, and none in a clause of
    its own ("Philip did not know what she meant")."""
    words = [t for t in sentence if t.start > position]
    found = []
    for k, tok in enumerate(words):
        if tok.low in SUBORDINATORS:
            break
        if tok.low == "her":
            nxt = words[k + 1] if k + 1 < len(words) else None
            if nxt is None or not nxt.is_word or nxt.low in NOUN_PHRASE_STOPS or nxt.low in DETERMINERS:
                continue
        if tok.low in PRONOUN_GENDER and tok.low != "him":
            found.append(tok.low)
    return found


def _copula_gender(sentence: list[_Tok], position: int) -> str | None:
    """"Emma was a tall, big-boned woman": the gender of the noun the subject is said to be."""
    words = [t for t in sentence if t.start > position and t.is_word]
    if len(words) < 3 or words[0].low not in ("was", "is") or words[1].low not in ("a", "an"):
        return None
    for tok in words[2:7]:
        if tok.low in MALE_NOUNS:
            return "male"
        if tok.low in FEMALE_NOUNS:
            return "female"
    return None


def _clause_subject(sentence: list[_Tok], i: int) -> bool:
    """The name at `i` is followed by a verb-like word and not preceded by a determiner or preposition."""
    tok, nxt = sentence[i], sentence[i + 1]
    before = sentence[i - 1].low if i > 0 else ""
    return (
        not tok.mention.possessive
        and nxt.is_word
        and nxt.text[0].islower()
        and nxt.low not in SUBJECT_STOPS
        and before not in DETERMINERS
        and before not in NOUN_PHRASE_STOPS
    )


class _Conversation:
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

    def spoke(self, utterance: _Utterance) -> None:
        speaker = utterance.speaker
        if _known(speaker) and speaker != self.speaker:
            if _known(self.speaker):
                self.partner = self.speaker
            elif self.partner == speaker:
                self.partner = None
            self.speaker = speaker
        addressed = [cid for cid in utterance.addressees if cid != speaker]
        if addressed and _known(speaker):
            self.partner = addressed[0]
        self.paragraph = utterance.paragraph
        self.gap = 0
        self.focus = None

    def next_speaker(self, excluded: set[int]) -> int | None:
        if _known(self.partner) and self.partner not in excluded:
            return self.partner
        return None


# ---- segments into paragraphs and utterances


def _paragraphs(segments: Sequence[Segment]) -> list[_Paragraph]:
    paragraphs: list[_Paragraph] = []
    for pos, seg in enumerate(segments):
        if seg.kind == "skipped" or seg.paragraph < 0:
            continue
        key = (seg.chapter, seg.paragraph)
        if not paragraphs or paragraphs[-1].key != key:
            paragraphs.append(_Paragraph(key, []))
        paragraphs[-1].positions.append(pos)
        if seg.kind == "narration":
            paragraphs[-1].words += len(seg.text.split())
    return paragraphs


def _utterances(segments: Sequence[Segment]) -> list[_Utterance]:
    groups: dict[object, _Utterance] = {}
    for pos, seg in enumerate(segments):
        if seg.kind != "dialogue":
            continue
        key = ("utterance", seg.utterance) if seg.utterance is not None else ("segment", pos)
        if key in groups:
            groups[key].positions.append(pos)
        else:
            groups[key] = _Utterance([pos], (seg.chapter, seg.paragraph), seg.start)
    return sorted(groups.values(), key=lambda u: u.positions[0])


# ---- tokens and sentences


def _lex(source: str, seg: Segment, mentions: Sequence[Mention]) -> list[_Tok]:
    """The narration's words and punctuation, each name mention as one token."""
    tokens: list[_Tok] = []
    spans = iter(sorted(mentions, key=lambda m: m.start))
    mention = next(spans, None)
    for match in TOKEN.finditer(source, seg.start, seg.end):
        while mention is not None and mention.end <= match.start():
            mention = next(spans, None)
        if mention is not None and mention.start <= match.start() < mention.end:
            if not tokens or tokens[-1].mention is not mention:
                tokens.append(_Tok("name", source[mention.start: mention.end], mention.start, mention.end, mention))
            continue
        kind = "word" if match.group()[0].isalpha() else "punct"
        tokens.append(_Tok(kind, match.group(), match.start(), match.end()))
    return tokens


def _sentences(tokens: list[_Tok], ends: frozenset = SENTENCE_END_CHARS) -> list[list[_Tok]]:
    sentences: list[list[_Tok]] = [[]]
    for tok in tokens:
        sentences[-1].append(tok)
        if tok.kind == "punct" and any(ch in ends for ch in tok.text):
            sentences.append([])
    return [s for s in sentences if any(t.kind != "punct" for t in s)]


def _first_word(tokens: list[_Tok]) -> int:
    i = 0
    while i < len(tokens) and tokens[i].kind == "punct":
        i += 1
    return i


def _is_adverb(tok: _Tok) -> bool:
    return tok.is_word and ((tok.low.endswith("ly") and len(tok.low) > 4) or tok.low in ADVERBS)


def _skip_adverbs(tokens: list[_Tok], i: int) -> int:
    while i < len(tokens) and _is_adverb(tokens[i]):
        i += 1
    return i


def _speech_verb_end(tokens: list[_Tok], i: int) -> int | None:
    """If a speech verb ("said", "went on", "managed to say") starts at `i`, the index after it."""
    if i >= len(tokens) or not tokens[i].is_word:
        return None
    word = tokens[i].low
    nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
    if word in PARTICLE_VERBS and nxt == PARTICLE_VERBS[word]:
        return i + 2
    if nxt == "to" and i + 2 < len(tokens) and tokens[i + 2].low in SPEECH_INFINITIVES:
        return i + 3
    if word in SPEECH_VERBS:
        return i + 1
    return None


def _subject_at(tokens: list[_Tok], i: int) -> tuple[_Ref, int] | None:
    """A name, pronoun or noun phrase starting at `i` that can be the subject of a verb."""
    if i >= len(tokens):
        return None
    tok = tokens[i]
    nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
    if tok.kind == "name":
        if not tok.mention.possessive:
            return _Ref("name", tok.start, tok.mention), i + 1
        if nxt in SPEECH_NOUNS:
            return _Ref("name", tok.start, tok.mention, voice=True), i + 2
        return None
    if not tok.is_word:
        return None
    if tok.low in SUBJECT_PRONOUNS:
        return _Ref("pronoun", tok.start, word=tok.low), i + 1
    possessor = {"his": "he", "her": "she", "my": "i"}.get(tok.low)
    if possessor and nxt in SPEECH_NOUNS:
        return _Ref("pronoun", tok.start, word=possessor, voice=True), i + 2
    if tok.low in DETERMINERS:
        return _noun_phrase_at(tokens, i)
    return None


def _noun_phrase_at(tokens: list[_Tok], i: int) -> tuple[_Ref, int] | None:
    """`the old man`, `a thin, elderly gentleman`, `his mother's voice`, `the voice of John Reed`.
    The phrase ends at its first person noun, or before a participle ("the man, staring")."""
    words: list[str] = [tokens[i].low]
    j = i + 1
    while j < len(tokens) and len(words) <= 4:
        tok = tokens[j]
        nxt = tokens[j + 1] if j + 1 < len(tokens) else None
        if tok.text == "," and len(words) > 1 and nxt is not None and _noun_phrase_word(nxt) and words[-1] not in PERSON_NOUNS:
            j += 1  # between adjectives
            continue
        adjective = _is_adverb(tok) and nxt is not None and _noun_phrase_word(nxt) and tok.low.endswith("ly")
        if not (_noun_phrase_word(tok) or adjective) or (tok.low.endswith("ing") and len(words) > 1):
            break
        words.append(tok.low)
        j += 1
        if tok.low in PERSON_NOUNS or tok.low in SPEECH_NOUNS:
            break
    if len(words) < 2:
        return None
    if words[-1] in SPEECH_NOUNS and j + 1 < len(tokens) and tokens[j].low == "of" and tokens[j + 1].kind == "name":
        return _Ref("name", tokens[j + 1].start, tokens[j + 1].mention, voice=True), j + 2
    voice = words[-1] in SPEECH_NOUNS and words[-2].endswith(("'s", "’s"))
    return _Ref("phrase", tokens[i].start, word=" ".join(words), voice=voice), j


def _noun_phrase_word(tok: _Tok) -> bool:
    return (
        tok.is_word
        and tok.low not in NOUN_PHRASE_STOPS
        and tok.low not in SPEECH_VERBS
        and tok.low not in OBJECT_PRONOUNS
        and not _is_adverb(tok)
    )


def _sentence_subject(sentence: list[_Tok]) -> _Ref | None:
    """Who a narration sentence is about: its opening name, pronoun or person noun phrase followed by
    a verb ("Barton swallowed", "She smiled", "The girl flushed"), or the one after an opening phrase
    ("Trembling, she ...")."""
    starts = [_skip_adverbs(sentence, _first_word(sentence))]  # "Then the doctor felt ..."
    commas = [k + 1 for k, t in enumerate(sentence) if t.text == ","]
    starts += commas  # "Amid this halo, as on clouds of flame, a girl was dancing"
    for i in starts:
        found = _subject_at(sentence, i)
        if found is None or found[0].voice:
            continue
        ref, j = found
        if ref.kind == "pronoun" and ref.word not in ("he", "she", "i"):
            continue
        if ref.kind == "phrase" and (ref.word.split()[0] not in ("the", "a", "an") or ref.word.split()[-1] not in PERSON_NOUNS):
            continue
        if j < len(sentence) and sentence[j].is_word and sentence[j].text[0].islower() and sentence[j].low not in SUBJECT_STOPS:
            return ref
        if ref.kind == "phrase" and ref.word.split()[0] in ("a", "an") and j < len(sentence) and sentence[j].low in ("in", "with", "from"):
            return ref  # "A man in oilskins was waiting": someone new comes on stage
    return None


# ---- speech tags


def _tag_after(tokens: list[_Tok]) -> _Finding | None:
    """A tag opening the narration that follows a quote: `said X`, `X said`, `X's voice`, `this from X`."""
    clause = _sentences(tokens, frozenset(CLAUSE_END))[:1]
    if not clause:
        return None
    toks = clause[0]
    i = _first_word(toks)
    if i >= len(toks):
        return None
    words = [t.low for t in toks[i: i + 3]]
    if words[:2] == ["it", "was"] and len(toks) > i + 2:
        target = toks[i + 2]
        if target.kind == "name":
            return _Finding(_Ref("name", target.start, target.mention), "tag:it-was", "tag-name")
        if target.low in ("him", "her"):
            pronoun = "he" if target.low == "him" else "she"
            return _Finding(_Ref("pronoun", target.start, word=pronoun), "tag:it-was", "tag-name")
    if words[:2] == ["this", "from"]:
        found = _subject_at(toks, i + 2)
        if found:
            return _Finding(found[0], "tag:this-from", _strength(found[0]))
    verb_end = _speech_verb_end(toks, i)
    if verb_end is not None:
        found = _subject_at(toks, _skip_adverbs(toks, verb_end))
        if found and not found[0].voice:
            return _Finding(found[0], "tag:said-after", _strength(found[0]))
    if words[:1] in (["came"], ["was"]):
        found = _subject_at(toks, i + 1)
        if found and found[0].kind == "phrase" and found[0].word.split()[-1] in SPEECH_NOUNS:
            return _Finding(_Ref("reply", found[0].position), "tag:came-reply", "turn-taking")
    found = _subject_at(toks, i)
    if found is None:
        return None
    ref, j = found
    j = _skip_adverbs(toks, j)
    if ref.voice:
        return _Finding(ref, "tag:possessive", _strength(ref))
    if _speech_verb_end(toks, j) is not None:
        return _Finding(ref, "tag:said-after", _strength(ref))
    if ref.kind == "phrase" and ref.word.split()[-1] in SPEECH_NOUNS and j < len(toks) and toks[j].low == "came":
        return _Finding(_Ref("reply", ref.position), "tag:came-reply", "turn-taking")
    if ref.kind in ("name", "pronoun") and j < len(toks) and toks[j].is_word and toks[j].text[0].islower():
        if toks[j].low not in COPULAS:  # "(Dinah was the cat.)" describes; it does not act
            return _Finding(ref, "action", "action-after")
    return None


def _tag_before(tokens: list[_Tok]) -> _Finding | None:
    """A tag closing the narration that precedes a quote: `X said,` `He added in a low tone:` `X's voice,`."""
    if not tokens or (tokens[-1].kind == "punct" and tokens[-1].text[-1] in SENTENCE_END_CHARS):
        return None  # a finished sentence is an action beat, not a tag
    clauses = _sentences(tokens, frozenset(".!?;…"))
    if not clauses:
        return None
    toks = clauses[-1]
    for k, tok in enumerate(toks):
        found = _subject_at(toks, k)
        if found and found[0].voice:
            return _Finding(found[0], "tag:possessive", _strength(found[0]))
        if _speech_verb_end(toks, k) is None:
            continue
        if (ref := _subject_before(toks, k)) is not None:
            return _Finding(ref, "tag:said-before", _strength(ref))
        found = _subject_at(toks, _skip_adverbs(toks, _speech_verb_end(toks, k)))
        if found and not found[0].voice:
            return _Finding(found[0], "tag:said-before", _strength(found[0]))
    return None


def _subject_before(tokens: list[_Tok], verb: int) -> _Ref | None:
    """The subject that ends right before the verb at `verb` (adverbs skipped): `Mr. Bennet said`, `the old man said`."""
    b = verb - 1
    while b >= 0 and _is_adverb(tokens[b]):
        b -= 1
    for start in range(b, max(-1, b - 5), -1):
        found = _subject_at(tokens, start)
        if found and found[1] == b + 1 and not found[0].voice:
            return found[0]
        if start < b and not _noun_phrase_word(tokens[start]) and tokens[start].low not in DETERMINERS:
            break
    return None


def _strength(ref: _Ref) -> str:
    return {"name": "tag-name", "pronoun": "tag-pronoun", "phrase": "tag-phrase"}.get(ref.kind, "turn-taking")


def _is_vocative(text: str, start: int, end: int, person: bool) -> bool:
    """A name said to someone: set off by punctuation ("Barton, do we ..."), or, for a known person,
    closing the quote ("Is the pain bad Nat?")."""
    before = text[:start].rstrip(" _*\u2026")
    after = text[end:].lstrip(" _*")
    opened = not before or before[-1] in ",.!?;:\u2014-" or re.search(r"\b(?:dear|dearest|my|oh|o)$", before, re.I)
    closing = not after.strip(" .!?\u2026")
    if not before and closing and after.strip().startswith("."):
        return False  # “Bingley.”: a name given in answer, not a call
    set_off = closing or after[0] in ",!?;\u2014"
    return bool(set_off and (opened or (closing and person)))
