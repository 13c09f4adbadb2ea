"""Whom a reference in the narration means (speakers.py's rules): a name, a pronoun ("she", looking back through
the paragraph and the text before it for the latest fitting character, never the one spoken to; or the one the
quote before called by name, answering, when that character has left the scene), or a
description ("the doctor", "her mother", "the old man", linked to a named character when the text allows).

A mixin of speakers._Attributor: it reads the attributor's history, paragraphs, index and conversation."""
from __future__ import annotations

import bisect
import math
from collections.abc import Collection

from narrate.annotate.clauses import DEFINITE, PLURAL_NOUNS, Ref, describe
from narrate.annotate.conversation import (
    NARRATOR_ID,
    ParagraphContext,
    Utterance,
    follows,
    is_known,
)
from narrate.annotate.speechverbs import (
    FEMALE_NOUNS,
    MALE_NOUNS,
    SUBJECT_PRONOUNS,
    TITLES,
)

# "his wife" is Mrs. <his surname>, "her father" Mr. <her surname>.
# Kin a book names by a title before a name ("Aunt Bell", "Uncle Job"): "her aunt" is the one Aunt Bell (not "his
# father": "Father Brown" is a priest), and the words that make them someone's.
NAMED_KIN = frozenset(("aunt", "uncle"))
KIN_POSSESSIVES = frozenset(("his", "her", "my", "their", "our", "your"))
KIN_TITLES = {"wife": "mrs", "husband": "mr", "lady": "mrs", "mother": "mrs", "father": "mr"}
# How far back (names, subjects, speakers) a character still counts as present in the scene.
ON_STAGE_WINDOW = 12
# How many paragraphs back a description in the narration still introduces the one a tag describes so.
DESCRIPTION_LOOKBACK = 3
# Who a possessive in a description points to: "her cousin" is someone with a woman, not the woman.
POSSESSOR_GENDER = {"his": "male", "her": "female"}
# Nouns that say only who someone is to look at ("the old man", "the girl"), not a part they play ("the waiter"):
# given a cast, such a description no entry claims is one of the cast; a waiter may be nobody the cast names.
PLAIN_PERSON_NOUNS = frozenset(("man", "woman", "boy", "girl", "gentleman", "lady", "fellow", "lad", "lass", "youth"))
# The nouns a narration brings on a man or a woman by ("One girl stood apart", "a tall man came in").
GENDER_NOUNS = {"male": MALE_NOUNS, "female": FEMALE_NOUNS}
# How far back in the history a pronoun or a name looks for whom it means.
HISTORY_LOOKBACK = 60
# The quotes before a pronoun tag whose speakers keep the pronoun when the quote before called someone else.
CALLED_LOOKBACK = 4


class References:
    _first_named: dict[int, int] | None = None  # character -> offset of the narration's first name for it
    _paragraph_starts: list[int] | None = None  # where each paragraph (of self.paragraphs) starts

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
        """The latest character of that gender, where in the pronoun's own paragraph (and, for a tag, in the
        narration just before it: a paragraph of narration, or the narration closing a paragraph after its quote)
        a sentence's subject or a speaker comes before a mere mention ("She noticed ... Millie ... 'Sir?' she
        said" is not Millie; "He turned to Tom's face. / 'No,' he said." is not Tom), and one of unknown gender
        (a described newcomer, a name) who is the subject there before an older character of that gender; failing that, the
        latest of unknown gender, a speaker or a subject before a mention."""
        undecided: tuple[int, bool] | None = None
        undecided_here = False
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
            if known == gender and not here and undecided is not None and undecided[1] and undecided_here:
                return undecided[0]  # "The surgeon rose. '…,' he said": this paragraph's subject, not a man before it
            if known == gender:
                return cid
            if known is None and here and subject and mentioned is None:
                return cid  # "The newcomer entered. He was a large man", "Moze returned." / "...," he said
            if known is None and (undecided is None or (subject and not undecided[1])):
                undecided, undecided_here = (cid, subject), here
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
        if utterance is not None and (called := self._called_answers(utterance, paragraph, cid, gender)) is not None:
            self.index.learn_gender(called, gender)
            return called, f"pronoun:{ref.word}->{self.index.name(called)} called"
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
            if self._introduced_instead(cid, gender, paragraph, ref.position):
                return None, ""
            return cid, f"fallback:pronoun:{ref.word}->{self.index.name(cid)}"
        return None, ""

    def _introduced_instead(self, cid: int, gender: str, paragraph: ParagraphContext | None, position: int) -> bool:
        """The book's busiest man or woman is not yet named here, and the narration just before brought on
        someone of the pronoun's gender by description ("One girl stood apart ... She did not seem afraid"): the
        pronoun is that newcomer, not the heroine of chapter 1."""
        if self._first_named_at(cid) < position:
            return False
        paragraph = paragraph if paragraph is not None else self._paragraph_at(position)
        return paragraph is not None and self._described_in_narration(GENDER_NOUNS[gender], paragraph, position)

    def _first_named_at(self, cid: int) -> float:
        """Where the narration first names this character (infinity: never)."""
        if self._first_named is None:
            self._first_named = {}
            for paragraph in self.paragraphs:
                for mention in paragraph.mentions:
                    for named in mention.candidates:
                        self._first_named.setdefault(named, mention.start)
        return self._first_named.get(cid, math.inf)

    def _paragraph_at(self, position: int) -> ParagraphContext | None:
        """The paragraph whose text holds this offset (a pronoun read while the narration is remembered)."""
        if self._paragraph_starts is None:
            self._paragraph_starts = [self.segments[p.positions[0]].start for p in self.paragraphs]
        k = bisect.bisect_right(self._paragraph_starts, position) - 1
        return self.paragraphs[k] if k >= 0 else None

    def _called_answers(self, utterance: Utterance, paragraph: ParagraphContext | None, cid: int | None,
                        gender: str) -> int | None:
        """The one the quote before called by name ("Feel sick, Thea?" he asked. / She looked at him. "I thought
        you were here," she said.): they answer it, so a pronoun tag of their gender in the next paragraph is
        theirs, rather than an earlier character's, when nothing in this paragraph names anyone before the quote."""
        k = self.utterance_index[id(utterance)]
        call = self.utterances[k - 1] if k > 0 else None
        if call is None or not follows(call, utterance) or not is_known(call.speaker):
            return None
        if cid is not None and (cid in (u.speaker for u in self.utterances[max(0, k - CALLED_LOOKBACK): k])
                                or cid in (c for c, _ in self.history[-ON_STAGE_WINDOW:])):
            return None  # the pronoun means one who has just spoken or acted: a call to another may go unanswered
        calls = [a for u in self.by_paragraph.get(call.paragraph, []) if u.speaker == call.speaker for a in u.addressees]
        called = next((a for a in calls if a != call.speaker), None)
        if called is None or called == cid or called < 0 or called in utterance.excluded or called in self.groups:
            return None
        if paragraph is not None and any(m.start < utterance.start for m in paragraph.mentions):
            return None
        return called if _compatible(gender, self.index.gender_of(called)) else None

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
        named_kin = len(words) == 2 and words[0] in KIN_POSSESSIVES and words[1] in NAMED_KIN  # "her aunt": Aunt Bell
        if len(words) == 2 and (words[0] == "the" or named_kin) and words[1] in TITLES:
            titled = set(self.index.titled(words[1]))
            if titled:
                recent = next((cid for cid, _ in self._recent(ref.position, paragraph) if cid in titled), None)
                if recent is not None or len(titled) == 1:
                    return recent if recent is not None else titled.pop()
        if (named := self.index.named_by_word(words[-1])) is not None:
            return named
        described = self.index.labelled(key)
        if described is not None and (described in self.index.described or self.index.clusters[described].cast_name):
            return described  # "A boy ran down the slipway ... asked the boy"
        if ref.word.split()[0] in DEFINITE and words[-1] not in PLURAL_NOUNS:  # "the ladies" are no one person
            if (cid := self._described_one(key, gender, utterance, paragraph, ref.position)) is not None:
                return cid
        unclaimed = (self.cast and gender and words[-1] in PLAIN_PERSON_NOUNS and ref.word.split()[0] in DEFINITE
                     and self.index.labelled(key) is None)
        if unclaimed and (cid := self._cast_member_described(key, gender, utterance)) is not None:
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
            introduced = paragraph is not None and self._described_in_narration((key.split()[-1],), paragraph, position)
            cid = None if introduced else self._on_stage_of(gender, excluded)
            if cid is None and not introduced and gender is None and key.split()[0] in POSSESSOR_GENDER:
                cid = self._possessors_companion(key.split()[0], excluded, paragraph, position)
        if cid is None:
            return None
        self.descriptions[key] = cid
        return cid

    def _cast_member_described(self, key: str, gender: str | None, utterance: Utterance | None) -> int | None:
        """Given a cast (voices.yaml), the speakers are in it: a definite description of a man or a woman by
        looks alone that no entry claims ("the old man", "the girl"; PLAIN_PERSON_NOUNS) is the named cast member
        of that gender whose turn it is in the conversation, else the one the narration named last; never one
        the quote calls by name."""
        excluded = utterance.excluded if utterance is not None else set()

        def fits(cid: int | None) -> bool:
            return (cid is not None and cid >= 0 and cid not in excluded and cid not in self.groups
                    and self.index.clusters[cid].cast_name is not None and cid not in self.index.described
                    and _compatible(gender, self.index.gender_of(cid)))

        found = None
        if utterance is not None and self.conversation.active():
            found = self.conversation.next_speaker(excluded)
        if not fits(found):
            found = next((cid for cid, _ in reversed(self.history[-ON_STAGE_WINDOW:]) if fits(cid)), None)
        if found is not None:
            self.descriptions[key] = found
        return found

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

    def _described_in_narration(self, nouns: Collection[str], paragraph: ParagraphContext, position: int) -> bool:
        """The narration just before (this paragraph and the ones before it) already calls someone by one of
        these nouns ("The old woman who sold tickets was waiting"): a tag's "the old woman" is that newcomer."""
        k = self.paragraph_order[paragraph.key]
        for earlier in self.paragraphs[max(0, k - DESCRIPTION_LOOKBACK): k + 1]:
            for pos in earlier.positions:
                if any(tok.low in nouns and tok.start < position for tok in self.tokens.get(pos, [])):
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

def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b
