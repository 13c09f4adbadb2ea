"""The rules of a conversation (speakers.py): whose turn an untagged quote is (the one called by name answers, the
one addressed or spoken with before, someone the narration since is about), reported speech as a turn, and the
passes over the whole book once every paragraph is read: turn-taking backwards and two turns back, the subject
of the narration that follows, a described speaker named later, and the name of a first-person narrator.

A mixin of speakers._Attributor: it reads the attributor's history, utterances, index and conversation."""
from __future__ import annotations

import re
from collections import Counter

from narrate.annotate.references import HISTORY_LOOKBACK, ON_STAGE_WINDOW

from narrate.annotate.characters import Mention
from narrate.annotate.clauses import Ref, acting_subject, speech_verb_end, split_sentences
from narrate.annotate.conversation import (
    NARRATOR_ID,
    ParagraphContext,
    Utterance,
    follows,
    is_known,
)
from narrate.annotate.latenames import late_names, named_outright
from narrate.annotate.tags import subject_before

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
# How many times the others must call the first-person narrator by a name before it is taken as theirs.
NARRATOR_NAME_VOTES = 1
# How the narrator names themself, and how much that counts against the others' vocatives.
SELF_NAMING = ("my name is", "my name was", "call me", "called myself", "i am")
SELF_NAMING_VOTES = 3
# A paragraph of narration this short that reports speech ("Lucy mumbled that ...") is a turn of the conversation.
REPORTED_TURN_WORDS = 30
REPORTING_WORDS = frozenset(["that", "how", "whether"])
# Narration words since the last quote within which its speaker may speak again to the one the narration was
# about (a little longer than a conversation's gap: the narration is about the one called).
REACTING_GAP_WORDS = 50
# How many paragraphs of narration after an unattributed quote may still say who spoke it.
FOLLOWING_NARRATION = 4


class Turns:
    def _from_conversation(self, utterance: Utterance) -> None:
        conversation = self.conversation
        if (kin := self._kin_answering(utterance)) is not None:
            self._assign(utterance, kin, "turn-taking:kin-called", "turn-taking")
        elif (called := self._called_before(utterance)) is not None:
            self._assign(utterance, called, "turn-taking", "turn-taking")
        elif (called := self._called_in_answer(utterance)) is not None:
            self._assign(utterance, called, "turn-taking:called-in-answer", "turn-taking")
        elif conversation.active() and (focus := self._someone_else_acted(utterance)) is not None:
            self._assign(utterance, focus, "action:previous-paragraph", "focus")
        elif (cid := self._reacting(utterance)) is not None:
            self._assign(utterance, cid, "turn-taking", "turn-taking")
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

    def _called_before(self, utterance: Utterance) -> int | None:
        """The one the quote before (in the paragraph before) called by name answers it ("Trafalgar or the
        Armada, Katharine?" her mother demanded. / "Trafalgar, mother."), whoever this quote's answer calls."""
        k = self.utterance_index[id(utterance)]
        call = self.utterances[k - 1] if k > 0 else None
        if call is None or not follows(call, utterance) or not is_known(call.speaker):
            return None
        return next((a for a in call.addressees if a != call.speaker and a not in utterance.excluded), None)

    def _called_in_answer(self, utterance: Utterance) -> int | None:
        """The one the next paragraph's quote calls by name ("So I did, Beth."): it answers this quote, so
        this quote is theirs, when the narration has brought them on stage (a name only ever said in quotes may
        be a character the narration calls otherwise)."""
        k = self.utterance_index[id(utterance)]
        answer = self.utterances[k + 1] if k + 1 < len(self.utterances) else None
        if answer is None or not follows(utterance, answer):
            return None
        recent = [cid for cid, _ in reversed(self.history[-HISTORY_LOOKBACK:])]
        # not the one who spoke the quote before, in the paragraph before: this quote answers them, and the next
        # speaker turns to them ("Why do you ask?" said Good. / "I ask because ..." / "How odd, eh, Good?")
        before = self.utterances[k - 1] if k > 0 and follows(self.utterances[k - 1], utterance) else None
        excluded = utterance.excluded | ({before.speaker} if before is not None and is_known(before.speaker) else set())
        called = next((cid for cid in answer.addressees if cid not in excluded and cid in recent), None)
        return called if called is not None else self._kin_called(answer, excluded)

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

    def _reacting(self, utterance: Utterance) -> int | None:
        """The narration since the last quote was about someone this quote calls by name: the last speaker
        speaks again, to them ("Jo does use slang!" said Amy. / Jo began to whistle. / "Don't, Jo."), not the one
        whose turn it was."""
        focus, speaker = self.conversation.focus, self.conversation.speaker
        if self.conversation.gap >= REACTING_GAP_WORDS or focus is None or focus == speaker or focus not in utterance.addressees or not is_known(speaker):
            return None
        return None if speaker in utterance.excluded else speaker

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
        later = self._last_clause_subject(paragraph, ref)
        cid = self._resolve(later, None, paragraph)[0] if later is not None else None
        if cid is not None and cid >= 0 and not self._never_speaks(cid) and cid not in self.groups:
            return cid
        return self._resolve(ref, None, paragraph)[0]

    def _last_clause_subject(self, paragraph: ParagraphContext, ref: Ref) -> Ref | None:
        """The subject of a later clause of the sentence `ref` opens, when one names someone else ("Meg lit the
        lamp, Amy left the chair, and Jo sat up." is about Jo last)."""
        for pos in paragraph.positions:
            for sentence in split_sentences(self.tokens.get(pos, [])):
                if any(tok.start == ref.position for tok in sentence):
                    later = [Ref("name", tok.start, tok.mention) for i, tok in enumerate(sentence)
                             if tok.start > ref.position and tok.kind == "name" and acting_subject(sentence, i)]
                    return later[-1] if later else None  # a name: a pronoun here would teach a wrong gender
        return None

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
        trailing = start
        for _, event in sorted(events, key=lambda e: e[0]):
            if isinstance(event, Utterance):
                self.history.append((event.speaker, True))
                self.history += [(cid, False) for cid in self._present_addressee(event)]
                trailing = len(self.history)
            elif isinstance(event, Mention):
                cid = self._pick(event.candidates)
                if cid is not None:
                    self.history.append((cid, False))
            else:  # a sentence's subject; a pronoun looks back through the history built so far
                cid, _ = self._resolve(event, None, None if event.kind == "pronoun" else paragraph)
                if is_known(cid) and cid >= 0:
                    self.history.append((cid, True))
                    self.first_subject.setdefault(paragraph.key, cid)
        # where the narration a pronoun tag of the next paragraph looks at first begins: the whole paragraph when
        # it has no quote, else the narration after its last quote ("'Is it far?' asked Nell. Owen frowned." /
        # "'Ten miles,' he said.": Owen), none when a quote closes it
        self.narration_start = start if not utterances else trailing if trailing < len(self.history) else None
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
        outright = {found for tokens in self.tokens.values() for found in named_outright(tokens)}
        links = self.later_named = late_names(
            self.utterances, self.paragraph_order, first_named, heads, self.index.gender_of, outright
        )
        for utterance in self.utterances:
            if (named := links.get(utterance.speaker)) is not None:
                self.lines[utterance.speaker] -= 1
                self.lines[named] += 1
                utterance.speaker = named
                utterance.evidence += f" later-named->{self.index.name(named)}"
        if links:
            self.lines = +self.lines  # a described speaker whose quotes all went to the name is no character
