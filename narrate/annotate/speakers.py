"""Who says each quote: the book read by rules, then the choice made by the decoder.

The rules below read the book (characters, tags, pronouns, action beats, turn-taking) and make a first pick per
utterance (the dialogue pieces that share `Segment.utterance`), noting the scene as each was reached; that pick
and how it was made are then features among others (features.py), and the speakers are chosen per conversation
by the decoder with fitted weights (choose.py, decoder.py), around the quotes a person pinned. The rules, from
the strongest evidence to the weakest:

1. a speech tag next to the quote in its paragraph (tags.py): `"…," said X`, `X asked`, `X's voice, "…"`,
   `"…" this from X`, `it was her`, `he told him`, or closing the paragraph before with a colon
   (`He laid the brush aside and cried:`); a pronoun resolves to the latest compatible character, never
   the one spoken to (`he said to Oak`), a place or a group;
2. another tagged utterance of the same paragraph (one paragraph, one speaker);
3. an action beat: the subject of a sentence of the paragraph (`She smiled. "…"`);
4. the conversation (conversation.py): the one the answer calls by name (`"So I did, Beth."`) said the
   quote before; a new paragraph gives the turn to the other participant (the one addressed, or the
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
from dataclasses import replace

from narrate.annotate import choose, features
from narrate.annotate.characters import CharacterIndex, Mention, WordStats, scan_names
from narrate.annotate.clauses import (
    DEFINITE,
    PLURAL_NOUNS,
    Ref,
    Tok,
    describe,
    lex,
    sentence_subject,
    speech_verb_end,
    split_sentences,
)
from narrate.annotate.conversation import (
    NARRATOR_ID,
    UNKNOWN_ID,
    Conversation,
    ParagraphContext,
    Utterance,
    follows,
    group_paragraphs,
    group_utterances,
    is_known,
)
from narrate.annotate.gender import gender_votes
from narrate.annotate.latenames import late_names
from narrate.annotate.speechverbs import SUBJECT_PRONOUNS, TITLES
from narrate.annotate.tags import (
    Finding,
    is_vocative,
    said_and_stopped,
    subject_before,
    tag_after,
    tag_before,
)
from narrate.annotate.overrides import Override
from narrate.model import NARRATOR, UNKNOWN, Book, CastEntry, Character, Segment

# "his wife" is Mrs. <his surname>, "her father" Mr. <her surname>.
KIN_TITLES = {"wife": "mrs", "husband": "mr", "lady": "mrs", "mother": "mrs", "father": "mr"}

# Kinship words said to someone ("No, papa, ...") and the title of the one they most likely mean.
KIN_VOCATIVE_TITLES = {
    **dict.fromkeys(("papa", "father", "dad", "daddy", "pa"), "mr"),
    **dict.fromkeys(("mamma", "mama", "mother", "mum", "mummy", "ma"), "mrs"),
    "uncle": "uncle",
    "aunt": "aunt",
}
# The kinship noun a narration describes each of them by ("my mother" is the one called "mamma").
KIN_NOUNS = {"mr": "father", "mrs": "mother", "uncle": "uncle", "aunt": "aunt"}
KIN_VOCATIVE = re.compile(r"\b(?:" + "|".join(KIN_VOCATIVE_TITLES) + r")\b", re.IGNORECASE)
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
# How many times the others must call the first-person narrator by a name before it is taken as theirs.
NARRATOR_NAME_VOTES = 1
# How the narrator names themself, and how much that counts against the others' vocatives.
SELF_NAMING = ("my name is", "my name was", "call me", "called myself", "i am")
SELF_NAMING_VOTES = 3
# A quote that asks for the other's name ("What name?"): the answer opening with a name gives the speaker's own.
NAME_QUESTION = re.compile(r"\b(?:your name|what name|who are you)\W*$", re.IGNORECASE)
# A name said in dialogue counts this much towards how prominent a character is ("Barton, ..." is said to him).
DIALOGUE_MENTION_WEIGHT = 0.25
# How far back (names, subjects, speakers) a character still counts as present in the scene.
ON_STAGE_WINDOW = 12
# How many paragraphs back a description in the narration still introduces the one a tag describes so.
DESCRIPTION_LOOKBACK = 3
# Who a possessive in a description points to: "her cousin" is someone with a woman, not the woman.
POSSESSOR_GENDER = {"his": "male", "her": "female"}
# A paragraph of narration this short that reports speech ("Lucy mumbled that ...") is a turn of the conversation.
REPORTED_TURN_WORDS = 30
REPORTING_WORDS = frozenset("that how whether".split())
# How many paragraphs of narration after an unattributed quote may still say who spoke it.
FOLLOWING_NARRATION = 4
# How far back in the history a pronoun or a name looks for whom it means.
HISTORY_LOOKBACK = 60


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
    attributor = _Attributor(book, segments, cast, first_person)
    attributor.read()
    if decoded:
        changed = choose.decide(attributor, choose.pinned_speakers(attributor, pins))
        if notes is not None and pins:
            notes.append(f"{len(pins)} pin(s); {len(changed)} other quote(s) changed speaker with them"
                         + "".join(f"\n  {line}" for line in changed))
    return attributor.results()


class _Attributor:
    def __init__(self, book: Book, segments: list[Segment], cast: Sequence[CastEntry], first_person: str) -> None:
        self.first_person = first_person
        self.source = book.source
        self.segments = segments
        self.cast = cast
        self.index = CharacterIndex(cast)
        self.paragraphs = group_paragraphs(segments)
        self.utterances = group_utterances(segments)
        # characters in the order the text names them, each flagged when it is a sentence's subject
        self.history: list[tuple[int, bool]] = []
        # where the latest paragraph's entries start in the history, when it was narration only
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
        self.index.build(forms, self._gender_votes(found), stats)
        for paragraph in self.paragraphs:
            for pos in paragraph.positions:
                mentions = [Mention(s, e, form, poss, self.index.candidates(form)) for s, e, form, poss in found[pos]]
                if self.segments[pos].kind != "narration":
                    self.dialogue_mentions[pos] = mentions
                    continue
                paragraph.mentions.extend(mentions)
                self.tokens[pos] = lex(self.source, self.segments[pos], mentions)
                subjects = (sentence_subject(sentence) for sentence in split_sentences(self.tokens[pos]))
                paragraph.subjects.extend(ref for ref in subjects if ref is not None)

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

    def _note_quote_names(self, utterance: Utterance) -> None:
        """Names said in a quote are not its speaker, unless the speaker gives them as their own ("My name
        is Ada."); those said to someone are its addressees."""
        for pos in utterance.positions:
            seg = self.segments[pos]
            text = self.source[seg.start: seg.end]
            for mention in self.dialogue_mentions.get(pos, []):
                cid = self._pick(mention.candidates)
                if cid is None:
                    continue
                before = text[: mention.start - seg.start]
                if utterance.introduced is None and not mention.possessive and self._introduces(utterance, before):
                    utterance.introduced = cid
                    continue
                utterance.excluded.add(cid)
                if self.stats.is_thing(mention.form) or self.stats.is_place(mention.form):
                    continue  # "Kestrel, Gannet Rock": hailing a boat or a place, not someone who will answer
                person = self.index.gender_of(cid) is not None
                after = text[mention.end - seg.start:]
                if is_vocative(text, mention.start - seg.start, mention.end - seg.start, person) and not self._echoes(
                    utterance, cid, before, after
                ):
                    utterance.addressees.append(cid)
            for word in KIN_VOCATIVE.finditer(text):
                if is_vocative(text, word.start(), word.end(), True):
                    utterance.kin_called.append(KIN_VOCATIVE_TITLES[word.group().lower()])

    def _echoes(self, utterance: Utterance, cid: int, before: str, after: str) -> bool:
        """"Dorian Gray? Is that his name?": a name the last quote said, opening this one as a question, is
        repeated, not called."""
        if before.strip(" \"'“‘") or not after.lstrip(" _*").startswith("?"):
            return False
        k = self.utterance_index[id(utterance)]
        said = self.utterances[k - 1] if k > 0 else None
        if said is None or not follows(said, utterance):
            return False
        return any(cid in m.candidates for pos in said.positions for m in self.dialogue_mentions.get(pos, []))

    def _introduces(self, utterance: Utterance, before: str) -> bool:
        """The name after `before` is the speaker's own: "my name is", "call me", "I am" before it, or it
        opens the answer to a question asking for a name ("What name?" / "Greyson, second floor.")."""
        before = before.lower()
        if before.rstrip().endswith(SELF_NAMING):
            return True
        k = self.utterance_index[id(utterance)]
        asked = self.utterances[k - 1] if k > 0 else None
        if before.strip(" \"'“‘") or asked is None or not follows(asked, utterance):
            return False
        question = self.segments[asked.positions[-1]].text.rstrip(" \"'”’")
        return question.endswith("?") and NAME_QUESTION.search(question[:-1]) is not None

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
        if self.tokens[other][-1].text.endswith(":"):
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

    # ---- references to characters

    def _resolve(self, ref: Ref, utterance: Utterance | None, paragraph: ParagraphContext | None) -> tuple[int | None, str]:
        if ref.kind == "name":
            return self._pick(ref.mention.candidates, ref.position, paragraph), ""
        if ref.kind == "pronoun":
            return self._resolve_pronoun(ref, utterance, paragraph)
        if ref.kind == "phrase":
            return self._resolve_phrase(ref, utterance, paragraph), ""
        return None, ""

    def _recent(self, position: int | None, paragraph: ParagraphContext | None, limit: int = HISTORY_LOOKBACK):
        """(character, is subject) from the latest named backwards: this paragraph before `position`, then
        the text before it."""
        yield from self._in_paragraph(position, paragraph)
        yield from reversed(self.history[-limit:])

    def _in_paragraph(self, position: int | None, paragraph: ParagraphContext | None) -> list[tuple[int, bool]]:
        """(character, is subject) named in the paragraph before `position`, the latest first."""
        if paragraph is None or position is None:
            return []
        subjects = {ref.position for ref in paragraph.subjects}
        local = [(m.start, self._pick(m.candidates), m.start in subjects) for m in paragraph.mentions if m.start < position]
        local += [
            (ref.position, self._resolve_phrase(ref, None, paragraph), True)
            for ref in paragraph.subjects
            if ref.kind == "phrase" and ref.position < position
        ]
        spoken = self.by_paragraph.get(paragraph.key, [])
        local += [(u.start, u.speaker, True) for u in spoken if u.start < position and is_known(u.speaker)]
        return [(cid, subject) for _, cid, subject in sorted(local, key=lambda e: e[0], reverse=True) if cid is not None]

    def _antecedent(self, gender: str, excluded: set[int], position: int | None, paragraph: ParagraphContext | None) -> int | None:
        """The latest character of that gender, where in the pronoun's own paragraph (and, for a tag, in a
        paragraph of narration just before it) a sentence's subject or a speaker comes before a mere mention
        ("She noticed ... Millie ... 'Sir?' she said" is not Millie; "He turned to Tom's face. / 'No,' he
        said." is not Tom); failing that, the latest of unknown gender, a speaker or a subject before a mention."""
        undecided: tuple[int, bool] | None = None
        mentioned: int | None = None
        local = self._in_paragraph(position, paragraph)
        history = self.history[-HISTORY_LOOKBACK:]
        tag_scope = self.narration_start is not None and paragraph is not None
        just_before = len(self.history) - self.narration_start if tag_scope else 0
        if paragraph is None and self.remembering_from is not None:
            just_before = len(self.history) - self.remembering_from
        earlier = ((cid, subject, k < just_before) for k, (cid, subject) in enumerate(reversed(history)))
        for cid, subject, here in [(cid, subject, True) for cid, subject in local] + list(earlier):
            if mentioned is not None and not here:
                return mentioned
            if cid < 0 or cid in excluded or cid in self.groups or self._never_speaks(cid):
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

    def _resolve_pronoun(self, ref: Ref, utterance: Utterance | None, paragraph: ParagraphContext | None) -> tuple[int | None, str]:
        gender = SUBJECT_PRONOUNS.get(ref.word)
        if gender == "narrator":
            return NARRATOR_ID, ""
        if gender not in ("male", "female"):
            return None, ""
        excluded = utterance.excluded if utterance else set()
        cid = self._antecedent(gender, excluded, ref.position, paragraph)
        other = self._answering(utterance, paragraph, cid, gender) if utterance is not None and cid is not None else None
        if other is not None:
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

    def _answering(self, utterance: Utterance, paragraph: ParagraphContext | None, cid: int, gender: str) -> int | None:
        """"he answered" opening a new turn: when the latest man is the one who just spoke, the narration
        since has not been about him, and nothing in this paragraph names anyone before the quote, the "he" is
        the other man in the conversation."""
        conversation = self.conversation
        if not conversation.active() or cid != conversation.speaker or conversation.paragraph == utterance.paragraph:
            return None
        if conversation.focus == cid:  # "He stood up." between the quotes: "he said" is still him
            return None
        if paragraph is not None and (
            any(s.position < utterance.start for s in paragraph.subjects)
            or any(m.start < utterance.start for m in paragraph.mentions)
        ):
            return None
        partner = conversation.next_speaker(utterance.excluded)
        if partner is None:  # nobody addressed yet: the latest other one on stage, of that gender if known
            partner = self._on_stage_of(gender, utterance.excluded | {cid})
            partner = self._on_stage(utterance.excluded | {cid}) if partner is None else partner
        if partner is None or partner < 0 or self.index.gender_of(partner) not in (gender, None):
            return None
        return partner

    def _resolve_phrase(self, ref: Ref, utterance: Utterance | None, paragraph: ParagraphContext) -> int | None:
        """A described speaker: a relative or titled character when the text has one ("her mother" ->
        Mrs. Bennet, "the doctor" -> Dr. Archie), a named character the description points back to,
        else a character named by the description."""
        key, shown, gender = describe(ref.word)
        shown = ref.shown or shown
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
        if ref.word.split()[0] in DEFINITE and words[-1] not in PLURAL_NOUNS:  # "the ladies" are no one person
            if (cid := self._described_one(key, gender, utterance, paragraph, ref.position)) is not None:
                return cid
        cid = self.index.label(key, shown, gender)  # None: a description of nobody ("the former")
        if cid is not None and key.split()[-1] in PLURAL_NOUNS:
            self.groups.add(cid)
        return cid

    def _described_one(
        self, key: str, gender: str | None, utterance: Utterance | None, paragraph: ParagraphContext | None, position: int
    ) -> int | None:
        """The named character a definite description ("the boy", "his step-son") points back to: the
        one it was linked to before while still in the scene; else, in a conversation, the one whose
        turn it is when the gender fits; else the one called by name in the quote it answers or in the
        answer to it; else the latest named one of the description's gender on stage
        ("the girl"), unless the narration just called a newcomer so. Never when a described newcomer of
        that gender is in the scene ("A man in oilskins ... asked the old fisherman")."""
        recent = [cid for cid, _ in self.history[-ON_STAGE_WINDOW:]]
        if (linked := self.descriptions.get(key)) is not None and linked in recent:
            return linked
        excluded = utterance.excluded if utterance is not None else set()
        in_conversation = utterance is not None and self.conversation.active()
        cid = self.conversation.next_speaker(excluded) if in_conversation else None
        if cid is not None and cid in self.index.described and _compatible(gender, self.index.gender_of(cid)):
            self.descriptions[key] = cid
            return cid  # "A small boy ... asked" / "... rejoined his young interlocutor": the one answering
        called = self._called_around(utterance, excluded)  # "'Robin, pour the tea.' / '…,' said the son"
        if called is not None and _compatible(gender, self.index.gender_of(called)):
            self.descriptions[key] = called
            if gender:
                self.index.learn_gender(called, gender)  # "the son" says he is a man
            return called
        if any(cid in self.index.described and _compatible(gender, self.index.gender_of(cid)) for cid in recent[-4:]):
            return None
        if cid is None or cid < 0 or cid in self.index.described or not _compatible(gender, self.index.gender_of(cid)):
            introduced = paragraph is not None and self._described_in_narration(key.split()[-1], paragraph, position)
            cid = None if introduced else self._on_stage_of(gender, excluded)
            if cid is None and not introduced and gender is None and key.split()[0] in POSSESSOR_GENDER:
                cid = self._possessors_companion(key.split()[0], excluded, paragraph, position)
        if cid is None:
            return None
        self.descriptions[key] = cid
        return cid

    def _called_around(self, utterance: Utterance | None, excluded: set[int]) -> int | None:
        """The character the quote just before calls by name (this one answers it), else the one the quote just
        after calls by name ("'…,' said my sister-in-law. / 'My dear Rose, …'": it answers this one)."""
        if utterance is None:
            return None
        k = self.utterance_index[id(utterance)]
        before = self.utterances[k - 1] if k > 0 else None
        after = self.utterances[k + 1] if k + 1 < len(self.utterances) else None
        if before is not None and follows(before, utterance) and is_known(before.speaker):
            called = [c for c in before.addressees if c != before.speaker and c not in excluded]
            if called:
                return called[0]
        if after is not None and follows(utterance, after):
            return next((c for c in after.addressees if c not in excluded), None)
        return None

    def _possessors_companion(
        self, possessive: str, excluded: set[int], paragraph: ParagraphContext | None, position: int
    ) -> int | None:
        """"said her cousin" (a description that gives no gender): the one on stage who is not "her"."""
        owner = self._antecedent(POSSESSOR_GENDER[possessive], set(), position, paragraph)
        return None if owner is None else self._on_stage(excluded | {owner})

    def _described_in_narration(self, noun: str, paragraph: ParagraphContext, position: int) -> bool:
        """The narration just before (this paragraph and the ones before it) already calls someone by this
        noun ("The old woman who sold tickets was waiting"): a tag's "the old woman" is that newcomer."""
        k = self.paragraph_order[paragraph.key]
        for earlier in self.paragraphs[max(0, k - DESCRIPTION_LOOKBACK): k + 1]:
            for pos in earlier.positions:
                if any(tok.low == noun and tok.start < position for tok in self.tokens.get(pos, [])):
                    return True
        return False

    def _on_stage_of(self, gender: str | None, excluded: set[int]) -> int | None:
        """The named character the narration named last whose gender is the description's ("the girl" is the
        latest woman on stage); none for a description without gender ("the gatekeeper" may be anyone)."""
        if gender is None:
            return None
        for cid, _ in reversed(self.history[-ON_STAGE_WINDOW:]):
            if cid < 0 or cid in excluded or cid in self.index.described or self._never_speaks(cid):
                continue
            if self.index.gender_of(cid) == gender:
                return cid
        return None

    def _relative(self, possessive: str, kin: str, utterance: Utterance | None, paragraph: ParagraphContext, position: int) -> int | None:
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

    def _from_conversation(self, utterance: Utterance) -> None:
        conversation = self.conversation
        if (kin := self._kin_answering(utterance)) is not None:
            self._assign(utterance, kin, "turn-taking:kin-called", "turn-taking")
        elif (called := self._called_in_answer(utterance)) is not None:
            self._assign(utterance, called, "turn-taking:called-in-answer", "turn-taking")
        elif conversation.active() and (focus := self._someone_else_acted(utterance)) is not None:
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

    def _called_in_answer(self, utterance: Utterance) -> int | None:
        """The one the next paragraph's quote calls by name ("So I did, Beth."): it answers this quote, so
        this quote is theirs, when the narration has brought them on stage (a name only ever said in quotes may
        be a character the narration calls otherwise)."""
        k = self.utterance_index[id(utterance)]
        answer = self.utterances[k + 1] if k + 1 < len(self.utterances) else None
        if answer is None or not follows(utterance, answer):
            return None
        recent = [cid for cid, _ in reversed(self.history[-HISTORY_LOOKBACK:])]
        called = next((cid for cid in answer.addressees if cid not in utterance.excluded and cid in recent), None)
        return called if called is not None else self._kin_called(answer, utterance.excluded)

    def _kin_answering(self, utterance: Utterance) -> int | None:
        """The one the quote before called "mamma" or "uncle" answers it ("But isn't it strange, mamma?" / "Strange!")."""
        k = self.utterance_index[id(utterance)]
        call = self.utterances[k - 1] if k > 0 else None
        if call is None or not call.kin_called or not follows(call, utterance) or not is_known(call.speaker):
            return None
        return self._kin_called(call, utterance.excluded | {call.speaker})

    def _kin_called(self, utterance: Utterance, excluded: set[int]) -> int | None:
        """Who a kinship vocative means ("No, papa, nobody thought of your walking"): the latest one on stage
        with the title that goes with it (Mr. for papa), else the one the narration calls by that kinship
        ("cried my mother")."""
        recent = [cid for cid, _ in reversed(self.history[-HISTORY_LOOKBACK:])]
        for title in utterance.kin_called:
            titled = set(self.index.titled(title)) - excluded
            if (called := next((cid for cid in recent if cid in titled), None)) is not None:
                return called
        for title in utterance.kin_called:
            kin = {c for c in self.index.described if self.index.name(c).split()[-1].lower() == KIN_NOUNS[title]}
            kin -= excluded
            if (called := next((cid for cid in recent if cid in kin), None)) is not None:
                return called
        return None

    def _someone_else_acted(self, utterance: Utterance) -> int | None:
        """The subject of the narration since the last quote, when it is not the last speaker: "Mr. Quill
        stopped at the gate." gives him the next quote, whoever's turn it was."""
        focus = self.conversation.focus
        if focus is None or focus < 0 or focus == self.conversation.speaker or focus in utterance.excluded:
            return None
        return focus

    def _overheard(self, utterance: Utterance) -> bool:
        """An untagged snippet that starts mid-sentence (" … thought she was with you!"): chatter over a
        radio or from a crowd, by someone the text does not name; no guess is better than a wrong voice."""
        first = self.segments[utterance.positions[0]].text.lstrip(" \"'“‘*_")
        return not first or first[0] in "…." or first[0].islower() or first.startswith(("--", "-", "—"))

    def _on_stage(self, excluded: set[int]) -> int | None:
        """The character the narration named last, other than `excluded`: who answers when the one
        spoken to has not been named yet."""
        for cid, _ in reversed(self.history[-ON_STAGE_WINDOW:]):
            if cid >= 0 and cid not in excluded and not self._never_speaks(cid):
                return cid
        return None

    def _never_speaks(self, cid: int) -> bool:
        """Every name of this "character" is used as a place ("in New York") or a thing ("the _Lusitania_")."""
        cluster = self.index.clusters[cid]
        return not cluster.cast_name and bool(cluster.forms) and all(
            self.stats.is_place(f) or self.stats.is_thing(f) for f in cluster.forms
        )

    def _reported_speech(self, paragraph: ParagraphContext) -> int | None:
        """Who a short paragraph of narration reports as speaking ("Lucy mumbled that those seemed very odd
        people."): a turn of the conversation, so the next quote is the other one's."""
        if paragraph.words > REPORTED_TURN_WORDS:
            return None
        for pos in paragraph.positions:
            tokens = self.tokens.get(pos, [])
            for k in range(len(tokens) - 1):
                if tokens[k + 1].low in REPORTING_WORDS and speech_verb_end(tokens, k) == k + 1:
                    ref = subject_before(tokens, k)
                    cid = self._resolve(ref, None, paragraph)[0] if ref is not None else None
                    return cid if is_known(cid) and cid >= 0 else None
        return None

    def _last_subject(self, paragraph: ParagraphContext) -> int | None:
        """The character the paragraph's last sentence is about (its subject), if it names one."""
        if not paragraph.subjects:
            return None
        ref = paragraph.subjects[-1]
        return self._resolve(ref, None, paragraph)[0]

    def _narration_after_last_quote(self, paragraph: ParagraphContext) -> int:
        words = 0
        for pos in reversed(paragraph.positions):
            if self.segments[pos].kind != "narration":
                break
            words += sum(t.is_word for t in self.tokens.get(pos, []))
        return words

    def _remember(self, paragraph: ParagraphContext, utterances: list[Utterance]) -> None:
        """Add the paragraph's names, sentence subjects and speakers to the history, in text order."""
        start = self.remembering_from = len(self.history)
        subjects = {ref.position: ref for ref in paragraph.subjects}
        events: list[tuple[int, object]] = [(m.start, m) for m in paragraph.mentions if m.start not in subjects]
        events += [(ref.position, ref) for ref in paragraph.subjects]
        events += [(u.start, u) for u in utterances if is_known(u.speaker)]
        for _, event in sorted(events, key=lambda e: e[0]):
            if isinstance(event, Utterance):
                self.history.append((event.speaker, True))
                self.history += [(cid, False) for cid in self._present_addressee(event)]
            elif isinstance(event, Mention):
                cid = self._pick(event.candidates)
                if cid is not None:
                    self.history.append((cid, False))
            else:  # a sentence's subject; a pronoun looks back through the history built so far
                cid, _ = self._resolve(event, None, None if event.kind == "pronoun" else paragraph)
                if is_known(cid) and cid >= 0:
                    self.history.append((cid, True))
                    self.first_subject.setdefault(paragraph.key, cid)
        self.narration_start = None if utterances else start
        self.remembering_from = None

    def _present_addressee(self, utterance: Utterance) -> list[int]:
        """The one a quote calls by title and name ("How do you do, Mr. Beebe?"), who is there to answer: a "he"
        or "the clergyman" next may be him. Not a first name alone, nor once the narrator has spoken ("said I"):
        the one called is then as often the narrator, whom the narration never calls "he"."""
        if NARRATOR_ID in self.lines:
            return []
        titled = {
            cid for pos in utterance.positions for m in self.dialogue_mentions.get(pos, [])
            if m.form[0] for cid in m.candidates
        }
        return [cid for cid in utterance.addressees[:1] if cid != utterance.speaker and cid in titled]

    # ---- results

    def _name_the_narrator(self) -> None:
        """Give the narrator's quotes to the character narrator_character() finds."""
        narrator = self.narrator_character()
        if narrator is None:
            return
        for utterance in self.utterances:
            if utterance.speaker == NARRATOR_ID:
                utterance.speaker = narrator
                utterance.evidence += f" narrator->{self.index.name(narrator)}"
                self.lines[narrator] += 1
        del self.lines[NARRATOR_ID]

    def narrator_character(self) -> int | None:
        """A first-person narrator is the one the others call by name in the quotes next to "I said"
        ones ("Yes, Watson") or in a quote said to "me", or the name they give themself. (A name said only
        inside quotes is not enough, unless the narrator says it as their own: it is as often a character the
        narration calls by a description.)"""
        votes: Counter = Counter(self._self_named())
        for utterance in self.utterances:
            if utterance.speaker == NARRATOR_ID and utterance.introduced is not None:
                votes[utterance.introduced] += SELF_NAMING_VOTES  # "My name is Pell," I said
        if not any(u.speaker == NARRATOR_ID for u in self.utterances):
            return None
        for k, utterance in enumerate(self.utterances):
            if utterance.speaker < 0:
                continue
            if self._said_to_me(utterance) or any(u.speaker == NARRATOR_ID for u in self.utterances[max(0, k - 1): k + 2]):
                votes.update(a for a in utterance.addressees if a != utterance.speaker)
        for named in {u.speaker for u in self.utterances if u.strength == "tag-name"}:
            del votes[named]  # "said Good": a character the narration tags by name is not its "I"
        if not votes or votes.most_common(1)[0][1] < NARRATOR_NAME_VOTES:
            return None
        return votes.most_common(1)[0][0]

    def _said_to_me(self, utterance: Utterance) -> bool:
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
            if is_known(quote.speaker) or not (follows(quote, answer) and follows(answer, then)):
                continue
            addressed = [a for a in answer.addressees if a != answer.speaker and a not in quote.excluded]
            if is_known(answer.speaker) and addressed:
                self._assign(quote, addressed[0], "turn-taking", "turn-taking")
            elif is_known(then.speaker) and then.speaker != answer.speaker and then.speaker not in quote.excluded:
                # only between two people who talk to each other, not over a crowd's voices
                pair = answer.speaker in then.addressees or then.speaker in answer.addressees
                if pair or answer.speaker in quote.addressees:
                    self._assign(quote, then.speaker, "turn-taking", "turn-taking")

    def _fill_two_back(self) -> None:
        """An untagged quote in a run of quotes, each opening the next paragraph, two turns before or after a
        known speaker's quote with another voice between: that speaker's, the two of a conversation taking turns
        ("Uncle, ..." / "..." / "Surely, uncle, ..." / "...," said Florence: the first and the third are hers)."""
        changed = True
        while changed:
            changed = False
            for k, quote in enumerate(self.utterances):
                if is_known(quote.speaker) or self._overheard(quote):
                    continue
                for step in (+1, -1):
                    if (cid := self._two_back(k, step)) is not None:
                        self._assign(quote, cid, "turn-taking:two-back", "turn-taking")
                        changed = True
                        break

    def _fill_from_what_follows(self) -> None:
        """A quote nothing else attributes, before anyone answers it ("TOM!" / "No answer." / "TOM!" / "No
        answer." / "The old lady pulled her spectacles down ..."): the one the narration that follows is about,
        when it comes within a few paragraphs of narration and before any attributed quote."""
        for utterance in self.utterances:
            if is_known(utterance.speaker) or self._overheard(utterance):
                continue
            if (cid := self._next_subject(utterance)) is not None:
                self._assign(utterance, self.later_named.get(cid, cid), "action:next-paragraph", "focus")

    def _next_subject(self, utterance: Utterance) -> int | None:
        """Whom the first paragraph about someone after the quote is about, passing unattributed quotes and up
        to FOLLOWING_NARRATION paragraphs of narration, in the same chapter."""
        narration = 0
        for paragraph in self.paragraphs[self.paragraph_order[utterance.paragraph] + 1:]:
            quotes = self.by_paragraph.get(paragraph.key, [])
            if paragraph.key[0] != utterance.paragraph[0] or any(is_known(u.speaker) for u in quotes):
                return None
            if (cid := self.first_subject.get(paragraph.key)) is not None:
                return None if cid in utterance.excluded else cid
            narration += not quotes
            if narration >= FOLLOWING_NARRATION:
                return None
        return None

    def _two_back(self, k: int, step: int) -> int | None:
        """The speaker two turns from quote `k` (after it for step +1, before it for -1), when the run holds."""
        if not 0 <= k + 2 * step < len(self.utterances):
            return None
        quote, between, other = (self.utterances[k + i * step] for i in range(3))
        first, last = (quote, other) if step > 0 else (other, quote)
        if not (follows(first, between) and follows(between, last)) or not is_known(other.speaker):
            return None
        return None if other.speaker in (between.speaker, *quote.excluded) else other.speaker

    def _name_the_described(self) -> None:
        """Give a described speaker's quotes to the name the narration gives them soon after (latenames.py)."""
        first_named: dict[int, tuple[int, int]] = {}
        for paragraph in self.paragraphs:
            for mention in paragraph.mentions:
                if len(mention.candidates) == 1:
                    first_named.setdefault(mention.candidates[0], paragraph.key)
        heads = {cid: self.index.name(cid).split()[-1].lower() for cid in self.index.described}
        links = self.later_named = late_names(
            self.utterances, self.paragraph_order, first_named, heads, self.index.gender_of
        )
        for utterance in self.utterances:
            if (named := links.get(utterance.speaker)) is not None:
                self.lines[utterance.speaker] -= 1
                self.lines[named] += 1
                utterance.speaker = named
                utterance.evidence += f" later-named->{self.index.name(named)}"
        if links:
            self.lines = +self.lines  # a described speaker whose quotes all went to the name is no character

    def results(self) -> tuple[list[Segment], list[Character]]:
        """The segments with their speakers, and the characters who speak (the narrator named first)."""
        if self.first_person == NARRATOR:
            self._name_the_narrator()
        out = list(self.segments)
        for utterance in self.utterances:
            name = self.speaker_name(utterance.speaker)
            for pos in utterance.positions:
                out[pos] = replace(
                    out[pos], speaker=name, evidence=utterance.evidence, confidence=round(utterance.confidence, 2)
                )
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


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b
