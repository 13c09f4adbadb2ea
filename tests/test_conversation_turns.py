"""Per-quote choice inside a conversation (issue 15): whom a pronoun tag means once the scene has moved on, who
takes the next turn. Each test is a short scene written for it, segmented by test_speakers' tiny splitter."""
from __future__ import annotations

from test_speakers import speakers


def test_a_pronoun_tag_after_a_quote_paragraph_means_the_subject_of_its_closing_narration():
    # the narration after Nell's quote is about Owen ("Owen frowned. He looked ..."); Mr. Brand is only
    # mentioned in it, so the "he" of the next paragraph is Owen, as after a paragraph of narration alone
    text = (
        "Mr. Brand had gone ahead to the village with the bags. Nell and Owen followed on foot.\n\n"
        '"Where is the inn?" asked Nell. Owen frowned. He looked down the road, and wished that Mr. Brand were '
        "with them.\n\n"
        '"Ten miles on," he said.\n\n'
        '"So far!" said Nell.\n'
    )
    assert speakers(text) == ["Nell", "Owen", "Nell"]


def test_a_tag_names_its_speaker_through_an_epithet_before_the_name():
    text = (
        '"The fire is out," said Jo.\n\n'
        '"Then light it," sighed Meg.\n\n'
        '"I will not touch the coal," added little Amy, with a sniff.\n\n'
        '"I will," said Beth.\n'
    )
    assert speakers(text) == ["Jo", "Meg", "Amy", "Beth"]
