"""Described speakers ("the ferryman", "the girl", "my father") and how they link, or do not link, to a name:
short texts written for these tests."""
from __future__ import annotations

from test_speakers import dialogue


def speakers(text: str) -> list[str]:
    return [q.speaker for q in dialogue(text)]


def test_a_pronoun_tag_is_this_paragraphs_described_subject_not_a_man_named_before():
    text = (
        '"Is she asleep?" asked John.\n\nJohn set the lamp down by the bed and went out.\n\n'
        '"Let her sleep," said the surgeon.\n\n'
        'The surgeon leaned over the bed and raised the sleeper\'s hand. "She will mend," he said.'
    )
    assert speakers(text) == ["John", "the surgeon", "the surgeon"]
