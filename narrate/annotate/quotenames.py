"""Names said inside a quote (a mixin of speakers._Attributor): never the quote's speaker by inference, the
addressees when called ("Barton, do we need medics?"), the speaker's own when given ("My name is Ada.", or the
answer to "What name?"), and neither when only echoed ("Dorian Gray? Is that his name?")."""
from __future__ import annotations

import re

from narrate.annotate.conversation import Utterance, follows
from narrate.annotate.tags import is_vocative
from narrate.annotate.turns import KIN_VOCATIVE, KIN_VOCATIVE_TITLES, SELF_NAMING

# A quote that asks for the other's name ("What name?"): the answer opening with a name gives the speaker's own.
NAME_QUESTION = re.compile(r"\b(?:your name|what name|who are you)\W*$", re.IGNORECASE)


class QuoteNames:
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
