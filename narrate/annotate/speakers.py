"""Who says each quote: the book read by rules, then the choice made by the decoder.

The rules below read the book (characters, tags, pronouns, action beats, turn-taking) and make a first pick per
utterance (the dialogue pieces that share `Segment.utterance`), noting the scene as each was reached; that pick
and how it was made are then features among others (features.py), and the speakers are chosen per conversation
by the decoder with fitted weights (choose.py, decoder.py), around the quotes a person pinned. Here: reading
the book and one paragraph's tags and beats; references.py: whom a name, pronoun or description means;
turns.py: the conversation's rules and the passes over the whole book. The rules, from the strongest evidence
to the weakest:

1. a speech tag next to the quote in its paragraph (tags.py): `"…," said X`, `X asked`, `X's voice, "…"`,
   `"…" this from X`, `it was her`, `he told him`, or closing the paragraph before with a colon
   (`He laid the brush aside and cried:`); a pronoun resolves to the latest compatible character, never
   the one spoken to (`he said to Oak`), a place or a group;
2. another tagged utterance of the same paragraph (one paragraph, one speaker);
3. an action beat: the subject of a sentence of the paragraph (`She smiled. "…"`);
4. the conversation (conversation.py): the one the quote before called by name answers it; else the one the
   answer calls by name (`"So I did, Beth."`) said the quote before; a new paragraph gives the turn to the other participant (the one addressed, or the
   one who spoke before), unless a paragraph of narration since the last quote is about someone else
   (`The doctor stopped in the hall.`), who speaks next, or the quote calls that someone by name (the last
   speaker speaks again, to them); after a long stretch of narration, the turn
   goes to the subject of the last sentence read;
5. otherwise "unknown".

Names said inside a quote are never its speaker by inference (`"Barton, do we need medics?"`).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from narrate.annotate.quotenames import NAME_QUESTION, QuoteNames  # noqa: F401  (importable from here as before)
from narrate.annotate.references import (  # noqa: F401
    HISTORY_LOOKBACK,
    ON_STAGE_WINDOW,
    References,
    _compatible,
)
from narrate.annotate.turns import (  # noqa: F401  (the rules' constants, importable from here as before)
    KIN_VOCATIVE,
    KIN_VOCATIVE_TITLES,
    NARRATOR_NAME_VOTES,
    SELF_NAMING,
    SELF_NAMING_VOTES,
    Turns,
)

from narrate.annotate import castguide, choose, features
from narrate.annotate.answers import answering_forms
from narrate.annotate.characters import CharacterIndex, Form, Mention, WordStats, scan_names
from narrate.annotate.clauses import (
    Tok,
    lex,
    sentence_subject,
    split_sentences,
)
from narrate.annotate.conversation import (
    NARRATOR_ID,
    UNKNOWN_ID,
    Conversation,
    ParagraphContext,
    Utterance,
    group_paragraphs,
    group_utterances,
    is_known,
)
from narrate.annotate.gender import gender_votes
from narrate.annotate.marriages import married_names
from narrate.annotate.overrides import Override
from narrate.annotate.samename import same_person
from narrate.annotate.speechverbs import SUBJECT_PRONOUNS
from narrate.annotate.tags import (
    Finding,
    ends_in_colon,
    said_and_stopped,
    tag_after,
    tag_before,
)
from narrate.model import NARRATOR, UNKNOWN, Book, CastEntry, Character, Segment

# How sure each kind of evidence is (the benchmark wants a name; the listener prefers "unknown" to a wrong one).
CONFIDENCE = {
    "tag-name": 0.95,
    "self-named": 0.9,
    "tag-pronoun": 0.85,
    "tag-phrase": 0.75,
    "same-paragraph": 0.8,
    "action-after": 0.7,
    "action": 0.65,
    "turn-taking": 0.55,
    "focus": 0.45,
    "fallback": 0.3,
}
# A name said in dialogue counts this much towards how prominent a character is ("Barton, ..." is said to him).
DIALOGUE_MENTION_WEIGHT = 0.25


def attribute(
    book: Book, segments: list[Segment], cast: Sequence[CastEntry] = (), first_person: str = NARRATOR,
    pins: Sequence[Override] = (), notes: list[str] | None = None, decoded: bool = True,
) -> tuple[list[Segment], list[Character]]:
    """Fill `speaker`, `evidence` and `confidence` of every dialogue segment; list the characters found.

    `first_person` is who speaks the narrator's own quotes ("I said"): with the default, "narrator", the
    name the text gives the narrator ("my name was Pip", the others' "Yes, Watson") when it gives one;
    any other value is used as it is (a character's name from voices.yaml, say). `pins` fix the speakers of the
    quotes they match, and the rest is decoded around them; a line per other quote that changed is added to
    `notes`. Without `decoded`, the rules' own picks are kept (what the decoder's features are made from)."""
    attributor = read_book(book, segments, cast, first_person)
    if decoded:
        decide(attributor, pins, notes)
    return attributor.results()


def read_book(book: Book, segments: list[Segment], cast: Sequence[CastEntry] = (),
              first_person: str = NARRATOR) -> _Attributor:
    """The rules' reading of the book, which no pin changes: decide() gives it speakers for a set of pins, as
    often as asked (annotate.redecode)."""
    attributor = _Attributor(book, segments, cast, first_person)
    attributor.read()
    if joins := attributor.same_person():  # a given name and a surname found to be one person: read again
        attributor = _Attributor(book, segments, cast, first_person, joins)
        attributor.read()
    attributor.keep()
    return attributor


def decide(attributor: _Attributor, pins: Sequence[Override] = (), notes: list[str] | None = None) -> None:
    """Give the read book's utterances their decoded speakers around `pins` (what an earlier decide() gave them
    is forgotten first); a line per quote the pins changed goes to `notes`."""
    attributor.restore()
    changed = choose.decide(attributor, choose.pinned_speakers(attributor, pins))
    if notes is not None and pins:
        notes.append(f"{len(pins)} pin(s); {len(changed)} other quote(s) changed speaker with them"
                     + "".join(f"\n  {line}" for line in changed))


class _Attributor(References, Turns, QuoteNames):
    def __init__(self, book: Book, segments: list[Segment], cast: Sequence[CastEntry], first_person: str,
                 joins: Sequence[tuple[Form, Form]] = ()) -> None:
        self.first_person = first_person
        self.joins = joins  # (name form, the form of the same person's other name): samename.py
        self.source = book.source
        self.segments = segments
        self.cast = cast = castguide.guided(cast)  # "old Cotter" also answers to "Cotter"
        self.index = CharacterIndex(cast)
        self.paragraphs = group_paragraphs(segments)
        self.utterances = group_utterances(segments)
        # characters in the order the text names them, each flagged when it is a sentence's subject
        self.history: list[tuple[int, bool]] = []
        # where the latest paragraph's closing narration starts in the history (all of it when it has no quote)
        self.narration_start: int | None = None
        self.remembering_from: int | None = None  # where the paragraph being remembered starts in the history
        self.first_subject: dict[tuple[int, int], int] = {}  # paragraph -> whom its first sentence is about
        self.later_named: dict[int, int] = {}  # described speaker -> the name the narration gives them later
        self.lines: Counter = Counter()
        self.dialogue_mentions: dict[int, list[Mention]] = {}
        self.tokens: dict[int, list[Tok]] = {}  # narration segment index -> tokens
        self.conversation = Conversation()
        self.groups: set[int] = set()  # described by a plural ("the men"): never a "he" or a "she"
        self.descriptions: dict[str, int] = {}  # definite description -> the named character it was taken for
        self.paragraph_positions = {paragraph.key: paragraph.positions for paragraph in self.paragraphs}
        self.by_paragraph: dict[tuple[int, int], list[Utterance]] = {}
        self.paragraph_order = {paragraph.key: k for k, paragraph in enumerate(self.paragraphs)}
        self.utterance_index = {id(utterance): k for k, utterance in enumerate(self.utterances)}
        for utterance in self.utterances:
            self.by_paragraph.setdefault(utterance.paragraph, []).append(utterance)
        self.scenes = [features.Scene() for _ in self.utterances]  # the scene as each utterance was reached
        self.pinned_names: dict[int, str] = {}  # speakers named only by a pin (choose.py)
        self.never_speaking: dict[int, bool] = {}  # _never_speaks, asked once per character (features.py)
        self.layout = None  # features.ChainLayout, made once per reading (choose.py)
        self.chains_decoded: dict = {}  # chains decoded for some pins, kept for the next decide() (choose.py)
        self.kept: tuple = ()  # the rules' picks, as keep() found them
        self.made: dict[int, Segment] = {}  # segment position -> the segment results() made of it last

    def read(self) -> None:
        """Read the book and make the rules' pick for every utterance (before the narrator is named)."""
        self._find_characters()
        for utterance in self.utterances:
            self._note_quote_names(utterance)
        for paragraph in self.paragraphs:
            utterances = self.by_paragraph.get(paragraph.key, [])
            if utterances:
                self._attribute_paragraph(paragraph, utterances)
            self._remember(paragraph, utterances)
            if utterances:
                continue
            if (reporter := self._reported_speech(paragraph)) is not None and self.conversation.active():
                self.conversation.took_turn(reporter)
            else:
                self.conversation.narration(paragraph.words, self._last_subject(paragraph))
        self._name_the_described()
        self._fill_backwards()
        self._fill_two_back()
        self._fill_from_what_follows()

    def keep(self) -> None:
        """Note the rules' picks: decoding and naming the narrator overwrite them, restore() puts them back."""
        self.kept = ([(u.speaker, u.evidence, u.strength, u.confidence) for u in self.utterances], Counter(self.lines))

    def restore(self) -> None:
        picks, lines = self.kept
        for utterance, (speaker, evidence, strength, confidence) in zip(self.utterances, picks):
            utterance.speaker, utterance.evidence, utterance.strength, utterance.confidence = (
                speaker, evidence, strength, confidence)
        self.lines = Counter(lines)
        self.pinned_names = {}

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
        apart = answering_forms(self.source, self.segments, self.paragraphs, found)  # a father and son
        self.index.build(forms, self._gender_votes(found), stats, apart)
        for form, into in [*married_names(self.source, self.segments, found), *self.joins]:
            self.index.join(form, into)
        castguide.link_appositions(self.index, self.cast, self.source, found)
        described = castguide.DescribedMentions(self.index, self.cast)  # "the guide", an entry of the cast
        for paragraph in self.paragraphs:
            for pos in paragraph.positions:
                mentions = [Mention(s, e, form, poss, self.index.candidates(form)) for s, e, form, poss in found[pos]]
                if self.segments[pos].kind != "narration":
                    self.dialogue_mentions[pos] = mentions
                    continue
                seg = self.segments[pos]
                mentions = sorted(mentions + described(self.source, seg.start, seg.end, mentions), key=lambda m: m.start)
                paragraph.mentions.extend(mentions)
                self.tokens[pos] = lex(self.source, self.segments[pos], mentions)
                subjects = (sentence_subject(sentence) for sentence in split_sentences(self.tokens[pos]))
                paragraph.subjects.extend(ref for ref in subjects if ref is not None)

    def same_person(self) -> list[tuple[Form, Form]]:
        """Pairs of name forms the first reading shows to be one person (samename.py); none when voices.yaml says
        who is whom."""
        if self.cast:
            return []
        return same_person(self.index, self.utterances, self.paragraphs, self.dialogue_mentions, self.lines)

    def _gender_votes(self, found: dict[int, list]) -> dict:
        """Gender evidence for each name form, from the narration sentences of each paragraph."""
        paragraphs = []
        for paragraph in self.paragraphs:
            sentences = []
            for pos in paragraph.positions:
                if self.segments[pos].kind == "narration":
                    mentions = [Mention(s, e, form, poss, ()) for s, e, form, poss in found[pos]]
                    sentences += split_sentences(lex(self.source, self.segments[pos], mentions))
            paragraphs.append(sentences)
        return gender_votes(paragraphs)

    def _pick(self, candidates: tuple[int, ...], position: int | None = None, paragraph: ParagraphContext | None = None) -> int | None:
        """One character for a name: the only one, or the latest named of those it may denote."""
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        for cid, _ in self._recent(position, paragraph):
            if cid in candidates:
                return cid
        return max(candidates, key=self.index.mentions)

    # ---- one paragraph

    def _attribute_paragraph(self, paragraph: ParagraphContext, utterances: list[Utterance]) -> None:
        for utterance in utterances:
            self.scenes[self.utterance_index[id(utterance)]] = features.scene_at(self, paragraph, utterance)
        for utterance in utterances:
            finding = self._tag(utterance)
            if finding is not None and finding.ref.kind == "pronoun":
                self.scenes[self.utterance_index[id(utterance)]].pronoun = SUBJECT_PRONOUNS.get(finding.ref.word)
            named_by_tag = finding is not None and (finding.ref.kind == "name" or finding.ref.word == "i")
            if utterance.introduced is not None and not named_by_tag:
                self._assign(utterance, utterance.introduced, "self-named", "self-named")  # "I am Ada," she said
            elif finding is not None:
                self._settle(utterance, finding, paragraph)
        for utterance in utterances:
            if utterance.speaker != UNKNOWN_ID:
                continue
            # "'…,' observed Fergus. 'Nonsense, Fergus!'": a quote that calls the paragraph's speaker is not theirs
            decided = [u for u in utterances if u.speaker != UNKNOWN_ID and u.speaker not in utterance.addressees]
            nearest = min(decided, key=lambda d: abs(d.start - utterance.start)) if decided else None
            if nearest is not None and not self._acts_first(paragraph, utterance, nearest):
                self._assign(utterance, nearest.speaker, "same-paragraph", "same-paragraph")
            elif action := self._action(paragraph, utterance):
                self._settle(utterance, action, paragraph)
            if utterance.speaker == UNKNOWN_ID and not self._overheard(utterance):
                self._from_conversation(utterance)
        for utterance in utterances:
            self.conversation.spoke(utterance)
        trailing = self._narration_after_last_quote(paragraph)
        self.conversation.narration(trailing, self._last_subject(paragraph) if trailing else None)

    def _acts_first(self, paragraph: ParagraphContext, utterance: Utterance, tagged: Utterance) -> bool:
        """A sentence about someone comes before the quote in its paragraph, and the paragraph's tagged quote only
        after it ("He sprang to his feet. "Yes--tomorrow." ... whereupon Mrs. Griffin spoke. "Well, ..."): the
        beat is the better evidence."""
        return tagged.start > utterance.start and any(ref.position < utterance.start for ref in paragraph.subjects)

    def _tag(self, utterance: Utterance) -> Finding | None:
        """A speech tag right after one of the utterance's pieces, or right before its first piece; an
        action right after the quote only when there is no tag."""
        beat = None  # "…” Alexandra went into the store": weaker than a real tag before the quote
        for pos in utterance.positions:
            following = self._neighbour(pos, +1)
            if following is not None and (finding := tag_after(self.tokens[following])):
                if finding.strength != "action-after":
                    return finding
                beat = beat or finding
        preceding = self._neighbour(utterance.positions[0], -1)
        if preceding is None:
            preceding = self._colon_paragraph_before(utterance.positions[0])
        before = tag_before(self.tokens[preceding]) if preceding is not None else None
        return before or beat

    def _colon_paragraph_before(self, pos: int) -> int | None:
        """The narration closing the paragraph before, when it ends in a colon and the quote opens its own
        paragraph ("He laid the brush aside and cried:" / "Will he come?"), or when that paragraph is narration
        ending on a speech verb ("Buck Mulligan's gay voice went on." / "My name is absurd too"): its tag is
        this quote's."""
        other = pos - 1
        if other not in self.tokens or not self.tokens[other]:
            return None
        if self.segments[other].chapter != self.segments[pos].chapter:
            return None
        if ends_in_colon(self.tokens[other]):
            return other
        if self.by_paragraph.get((self.segments[other].chapter, self.segments[other].paragraph)):
            return None  # '"…," he said.' closing a quote's own paragraph tags that quote, not this one
        sentences = split_sentences(self.tokens[other])
        return other if sentences and said_and_stopped(sentences[-1]) else None

    def _neighbour(self, pos: int, step: int) -> int | None:
        """The narration segment next to `pos` in the same paragraph, if any."""
        other = pos + step
        if not 0 <= other < len(self.segments) or other not in self.tokens:
            return None
        here, there = self.segments[pos], self.segments[other]
        return other if (here.chapter, here.paragraph) == (there.chapter, there.paragraph) else None

    def _action(self, paragraph: ParagraphContext, utterance: Utterance) -> Finding | None:
        """The subject of the paragraph's sentence nearest before the quote (else the first after it)."""
        before = [ref for ref in paragraph.subjects if ref.position < utterance.start]
        after = [ref for ref in paragraph.subjects if ref.position > utterance.start]
        if before:
            return Finding(before[-1], "action", "action")
        if after:
            return Finding(after[0], "action", "action")
        return None

    def _settle(self, utterance: Utterance, finding: Finding, paragraph: ParagraphContext) -> None:
        if finding.addressee is not None and (addressee := self._pick(finding.addressee.candidates)) is not None:
            utterance.excluded.add(addressee)
            utterance.addressees.insert(0, addressee)
        if finding.ref.kind == "reply":
            cid, how = self.conversation.next_speaker(utterance.excluded), ""
        else:
            cid, how = self._resolve(finding.ref, utterance, paragraph)
        if not is_known(cid):
            return
        evidence = finding.evidence + (f" {how}" if how else "")
        self._assign(utterance, cid, evidence, "fallback" if how.startswith("fallback") else finding.strength)

    def _assign(self, utterance: Utterance, cid: int, evidence: str, strength: str) -> None:
        utterance.speaker = cid
        utterance.evidence = evidence
        utterance.strength = strength
        utterance.confidence = CONFIDENCE[strength]
        self.lines[cid] += 1

    def results(self) -> tuple[list[Segment], list[Character]]:
        """The segments with their speakers, and the characters who speak (the narrator named first)."""
        if self.first_person == NARRATOR:
            self._name_the_narrator()
        out = list(self.segments)
        names: dict[int, str] = {}
        for utterance in self.utterances:
            if utterance.speaker not in names:
                names[utterance.speaker] = self.speaker_name(utterance.speaker)
            said = (names[utterance.speaker], utterance.evidence, round(utterance.confidence, 2))
            for pos in utterance.positions:
                made = self.made.get(pos)  # the same as the last results() made: that segment again (redecode)
                if made is None or (made.speaker, made.evidence, made.confidence) != said:
                    made = self.made[pos] = replace(out[pos], speaker=said[0], evidence=said[1], confidence=said[2])
                out[pos] = made
        cast_ids = [cid for cid, cluster in enumerate(self.index.clusters) if cluster.cast_name]
        speaking = sorted((c for c in self.lines if c >= 0 and c not in cast_ids), key=lambda c: -self.lines[c])
        characters = [
            self.index.character(cid, self.lines[cid])
            for cid in cast_ids + speaking
        ]
        characters += [Character(name, (), "neutral", self.lines[cid]) for cid, name in self.pinned_names.items()
                       if self.lines[cid]]
        return out, characters

    def speaker_name(self, cid: int) -> str:
        if cid in self.pinned_names:
            return self.pinned_names[cid]
        if cid == NARRATOR_ID:
            return self.first_person
        if cid == UNKNOWN_ID:
            return UNKNOWN
        return self.index.name(cid)
