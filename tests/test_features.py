"""Candidates and features per quote (features.py), each on a short text written for these tests."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from narrate.annotate import features as F
from narrate.annotate.conversation import NARRATOR_ID, UNKNOWN_ID
from narrate.annotate.segments import book_segments, quote_style
from narrate.annotate.speakers import _Attributor
from narrate.ingest import load_book


@pytest.fixture
def read(tmp_path):
    """read(text) -> (the attributor after the rules, its chains, {quote text: (chain, t)})."""
    def run(text: str):
        path = tmp_path / "story.txt"
        path.write_text(text, encoding="utf-8")
        book = load_book(path)
        book = replace(book, quote_style=quote_style(book))
        segments, _ = book_segments(book, book.quote_style, False)
        att = _Attributor(book, segments, (), "narrator")
        att.read()
        chains = F.build_chains(att)
        where = {}
        for chain, members in chains:
            for t, k in enumerate(members):
                where[att.segments[att.utterances[k].positions[0]].text] = (chain, t)
        return att, chains, where
    return run


def feature(att, where, quote: str, name: str, speaker: str) -> float:
    chain, t = where[quote]
    names = [att.speaker_name(c) for c in chain.candidates[t]]
    return float(chain.emissions[t][names.index(speaker)][F.E[name]])


def candidates(att, where, quote: str) -> list[str]:
    chain, t = where[quote]
    return [att.speaker_name(c) for c in chain.candidates[t]]


def test_the_rules_pick_is_a_feature_named_by_how_it_was_made(read):
    att, _, where = read('By the stove sat Hester and Ivo.\n\n"The pass is closed," said Hester.\n')
    assert feature(att, where, "The pass is closed,", "rule:tag-name", "Hester") == 1
    assert feature(att, where, "The pass is closed,", "rule-other-known", "Ivo") == 1


def test_the_one_a_quote_calls_by_name_is_no_candidate(read):
    att, _, where = read('By the stove sat Hester and Ivo.\n\n"Ivo, bring the lamp," said Hester.\n\n"Coming."\n')
    assert "Ivo" not in candidates(att, where, "Ivo, bring the lamp,")
    assert feature(att, where, "Coming.", "called-before", "Ivo") == 1


def test_a_subject_before_the_quote_in_its_paragraph_counts_a_pronoun_one_too(read):
    att, _, where = read('By the stove sat Hester and Ivo.\n\nHester set down her cup. "It is cold."\n\n'
                         'Later Ivo came in from the yard. He shook the snow off. "Colder outside."\n')
    assert feature(att, where, "It is cold.", "paragraph-before", "Hester") == 1
    assert feature(att, where, "Colder outside.", "paragraph-before", "Ivo") == 1
    assert feature(att, where, "Colder outside.", "paragraph-before", "Hester") == 0


def test_a_pronoun_tag_weighs_the_candidates_gender(read):
    att, _, where = read('By the stove sat Mrs. Hester Marsh and Mr. Ivo Brandt.\n\n"Hester," said Ivo.\n\n'
                         '"Go to sleep," she said.\n')
    assert feature(att, where, "Go to sleep,", "pronoun-gender-agrees", "Mrs. Hester Marsh") == 1
    assert feature(att, where, "Go to sleep,", "pronoun-gender-differs", "Mr. Ivo Brandt") == 1


def test_i_said_is_the_narrators(read):
    att, _, where = read('I sat by the stove with Hester.\n\n"Cold," said Hester.\n\n"It will pass," I said.\n')
    chain, t = where["It will pass,"]
    assert NARRATOR_ID in chain.candidates[t]
    assert feature(att, where, "It will pass,", "tag-i-narrator", "narrator") == 1
    assert feature(att, where, "It will pass,", "tag-i-other", "Hester") == 1


def test_a_snippet_of_chatter_nobody_claims_has_only_unknown(read):
    att, _, where = read('Hester keyed the radio.\n\n"Ivo, where are you?" said Hester.\n\n'
                         'Voices broke in over each other.\n\n"... north of the ridge, I think ..."\n')
    chain, t = where["... north of the ridge, I think ..."]
    assert chain.candidates[t] == [UNKNOWN_ID]


def test_transitions_say_same_speaker_where_and_answering_a_call(read):
    att, _, where = read('By the stove sat Hester and Ivo.\n\n"Ivo, the lamp," said Hester.\n\n"Which lamp?"\n\n'
                         '"The brass one," said Hester. "Quickly."\n')
    def link(quote: str, before: str, after: str, name: str) -> float:
        chain, t = where[quote]
        first, second = candidates(att, where, list(where)[list(where).index(quote) - 1]), candidates(att, where, quote)
        return float(chain.transitions[t][first.index(before), second.index(after), F.T[name]])

    assert link("Which lamp?", "Hester", "Ivo", "answers-call") == 1
    assert link("Which lamp?", "Hester", "Hester", "same-next-paragraph") == 1
    assert link("Quickly.", "Hester", "Hester", "same-paragraph") == 1


def test_a_b_a_is_alternation_and_a_long_stretch_of_narration_ends_the_chain(read):
    narration = " ".join(["The wind rose and the shutters rattled in their frames."] * 20)
    att, chains, where = read('By the stove sat Hester and Ivo.\n\n"Tea?" asked Hester.\n\n"Please," said Ivo.\n\n'
                              f'"Sugar?" asked Hester.\n\n{narration}\n\n"Is it late?" asked Ivo.\n')
    chain, t = where["Sugar?"]
    a = [att.speaker_name(c) for c in chain.candidates[t - 2]]
    b = [att.speaker_name(c) for c in chain.candidates[t - 1]]
    c = [att.speaker_name(x) for x in chain.candidates[t]]
    assert chain.seconds[t][a.index("Hester"), b.index("Ivo"), c.index("Hester"), 0] == 1
    late, _ = where["Is it late?"]
    assert late is not chain and len(chains) == 2


def test_style_prefers_the_speaker_whose_confident_quotes_share_the_words():
    texts = ["aye the boat is aye ready", "aye aye we sail", "aye the nets aye", "I shall fetch the kettle",
             "the kettle is quite hot", "I shall wait here", "aye the tide turns aye"]
    speakers = [1, 1, 1, 2, 2, 2, None]
    style = F.StyleModel(texts, speakers)
    assert style.score(6, 1) > style.score(6, 2) + 0.1
    assert style.score(6, 3) == 0  # nobody knows how 3 talks
    assert style.score(0, 1) == pytest.approx(F.StyleModel(texts[1:], speakers[1:]).score(5, 1), abs=1)


def test_every_candidate_row_has_every_feature(read):
    att, chains, _ = read('By the stove sat Hester and Ivo.\n\n"Tea?" asked Hester.\n\n"Please."\n')
    for chain, _ in chains:
        assert all(e.shape == (len(c), len(F.EMISSION)) for c, e in zip(chain.candidates, chain.emissions))
        assert all(np.isfinite(e).all() for e in chain.emissions)


def test_scene_features_say_who_was_named_lately_who_acts_after_and_who_spoke_around(read):
    att, _, where = read('In came Ivo and Hester with old Bram. Bram shut the door behind them.\n\n'
                         '"Is the pass open?" asked Hester.\n\n"No."\n\n"Then we wait," said Hester. Bram nodded.\n')
    # Bram was the subject of the narration just read, and the latest named
    assert feature(att, where, "Is the pass open?", "scene-subject", "Bram") == 1
    assert feature(att, where, "Is the pass open?", "scene-rank", "Bram") == 1.0
    assert 0 < feature(att, where, "Is the pass open?", "scene-rank", "Ivo") < 1
    # the untagged answer: Hester spoke the quotes before and after it
    assert feature(att, where, "No.", "previous-rule", "Hester") == 1
    assert feature(att, where, "No.", "next-rule", "Hester") == 1
    # "Bram nodded." after the quote in its paragraph
    assert feature(att, where, "Then we wait,", "paragraph-after", "Bram") == 1
    assert feature(att, where, "Then we wait,", "prominence", "Bram") > feature(att, where, "Then we wait,",
                                                                                "prominence", "Ivo")


def test_a_b_a_by_the_rules_and_a_name_said_in_the_quote(read):
    att, _, where = read('By the stove sat Hester and Ivo.\n\n"Tea?" asked Hester.\n\n"Please," said Ivo.\n\n'
                         '"Sugar?"\n\n"Two," said Ivo. "Bram takes none."\n')
    assert feature(att, where, "Sugar?", "alternation-before", "Hester") == 1
    assert feature(att, where, "Tea?", "alternation-after", "Hester") == 1
    # named, not called: Bram is no addressee, and when offered he carries the mark of a name said in the quote
    if "Bram" in candidates(att, where, "Bram takes none."):
        assert feature(att, where, "Bram takes none.", "named-in-quote", "Bram") == 1
