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


def test_the_one_the_quote_before_called_by_name_answers_with_a_pronoun_tag():
    # Mrs. Hale left the scene long ago; the doctor calls Ivy, and "she said" in the next paragraph is Ivy's answer
    text = (
        "Mrs. Hale went up to bed early, and Dr. Moss sat with Mr. Hale by the stove.\n\n"
        '"A hard winter," said Mr. Hale. Mr. Hale poked the fire.\n\n'
        '"The worst I remember," said Dr. Moss. Dr. Moss rubbed his hands.\n\n'
        '"The roads are bad," said Mr. Hale. Mr. Hale shook his head.\n\n'
        '"I came by the river," said Dr. Moss. Dr. Moss laughed.\n\n'
        '"You will stay the night," said Mr. Hale.\n\n'
        'Dr. Moss got up and opened the door of the little room. "Are you awake, Ivy?" he asked.\n\n'
        'She sat up in bed. "I heard you come in," she said.\n'
    )
    assert speakers(text)[-1] == "Ivy"


def test_a_call_to_a_third_leaves_the_pronoun_to_the_one_who_just_spoke():
    text = (
        "Rhoda was asleep upstairs. Nell and Owen sat by the window.\n\n"
        '"Is it late?" asked Nell.\n\n'
        '"Past ten," said Owen. "Rhoda, bring the lamp!"\n\n'
        '"I will fetch it myself," she said.\n'
    )
    assert speakers(text) == ["Nell", "Owen", "Owen", "Nell"]


def test_a_name_after_a_conjunction_opening_a_clause_is_a_call_and_the_one_called_answers():
    text = (
        "Hal and Tom came in from the yard, and Mrs. Gray looked up from her sewing.\n\n"
        '"There you are," said Mrs. Gray. "That is my good boy!--and Hal, what have you been doing?"\n\n'
        '"Fishing."\n'
    )
    assert speakers(text) == ["Mrs. Gray", "Mrs. Gray", "Hal"]


def test_a_name_joined_to_another_by_and_is_no_call():
    from narrate.annotate.tags import is_vocative

    text = "I saw Tom and Hal, and they were wet."
    assert not is_vocative(text, text.index("Hal"), text.index("Hal") + 3, True)
    text = "Well!--and Hal, where were you?"
    assert is_vocative(text, text.index("Hal"), text.index("Hal") + 3, True)


def test_a_tag_ending_in_a_colon_and_a_dash_tags_the_quote_after_it():
    text = (
        "Ned Ray sat in the kitchen with his pipe, and Dr. Moss came down the stairs.\n\n"
        '"Well?" asked Ned Ray.\n\n'
        "Ned Ray stood up, and Dr. Moss beckoned him into the hall and said sternly:--\n\n"
        '"The child is very sick."\n'
    )
    assert speakers(text) == ["Ned Ray", "Dr. Moss"]


def test_the_one_a_pronoun_tag_acts_on_is_not_the_pronoun():
    text = (
        "Dr. Moss came down the stairs. Ned Ray looked up from the fire.\n\n"
        "He beckoned Ned Ray into the hall and said:\n\n"
        '"The child is very sick."\n'
    )
    assert speakers(text) == ["Dr. Moss"]


def test_thought_and_instructed_tag_a_quote_over_an_action_before_it():
    text = (
        "Ned Ray and Nell Gray sat by the fire.\n\n"
        'Nell closed her eyes. "She is tired," thought Ned, watching her.\n\n'
        'Ned stood up. "Mind the kettle," instructed Nell.\n'
    )
    assert speakers(text) == ["Ned", "Nell"]


def test_the_subject_after_an_opening_phrase_is_whom_the_sentence_is_about():
    text = (
        "Jim and Ned sat by the fire, and Ben had gone out to the horses.\n\n"
        '"Cold night," said Jim.\n\n'
        "At that moment Ben came back. He shook the snow from his hat.\n\n"
        '"There is a rider on the trail," he said.\n'
    )
    assert speakers(text) == ["Jim", "Ben"]


def test_a_name_after_a_preposition_in_the_opening_phrase_is_not_the_subject():
    text = (
        "Jim and Ned sat by the fire, and Ben had gone out to the horses.\n\n"
        '"Cold night," said Ben.\n\n'
        "In front of Ben he paused.\n\n"
        '"There is a rider on the trail," he said.\n'
    )
    assert speakers(text)[-1] != "Ben"


def test_the_one_called_answers_even_when_the_answer_to_them_calls_someone_else():
    text = (
        "Mrs. Gray and Nell sat at tea with Mr. Hale. Mr. Hale talked of the war.\n\n"
        '"Was it Tuesday or Wednesday, Nell?" asked Mrs. Gray.\n\n'
        '"Tuesday, mother."\n\n'
        '"Tuesday, of course! More tea, Mr. Hale?"\n'
    )
    assert speakers(text) == ["Mrs. Gray", "Nell", "Mrs. Gray"]


def test_the_one_the_answer_calls_did_not_say_the_quote_that_answered_them():
    text = (
        "Ned, Hal and Tom sat by the fire.\n\n"
        '"How long is it since we came home?" asked Ned.\n\n'
        '"Three years," said Hal. "Why do you ask?"\n\n'
        '"Because I mean to go back."\n\n'
        'Tom laughed. "How odd," said Tom, "eh, Hal?"\n'
    )
    assert speakers(text)[3] == "Ned"


def test_a_quote_calling_the_narrator_by_name_is_not_the_narrators():
    text = (
        "Holm sat at the breakfast table. I stood by the fire and picked up the stick from the rug.\n\n"
        '"Well, Pell, what do you make of it?"\n\n'
        "Holm sat with his back to me.\n\n"
        '"How did you know what I was doing?" I asked.\n\n'
        '"I have a coffee-pot in front of me, Pell," said Holm.\n'
    )
    assert speakers(text) == ["Holm", "Pell", "Holm"]


def test_a_colon_tag_after_a_described_subject_and_a_possessive_name_is_the_described_ones():
    from narrate.annotate.characters import Mention
    from narrate.annotate.clauses import lex
    from narrate.annotate.tags import tag_before
    from narrate.model import Segment

    text = "The old lady reached out her hand and felt Tom's shirt, and said:"
    start = text.index("Tom's")
    tom = Mention(start, start + len("Tom's"), ("", ("Tom",)), True, (0,))
    tokens = lex(text, Segment(1, 0, "narration", text, 0, len(text), 0), [tom])
    finding = tag_before(tokens)
    assert (finding.ref.kind, finding.ref.word) == ("phrase", "the old lady")


def test_after_narration_about_the_one_a_quote_calls_the_last_speaker_speaks_again():
    text = (
        "Meg, Amy and Tom sat by the fire.\n\n"
        '"It is cold tonight," said Meg.\n\n'
        '"Tom does use such slang words!" said Amy, with a cross look at the long figure stretched on the rug.\n\n'
        "Tom sat up at once, put his hands in his pockets, and began to whistle.\n\n"
        '"Don\'t, Tom. It is so rude!"\n\n'
        '"That is why I do it."\n'
    )
    assert speakers(text) == ["Meg", "Amy", "Amy", "Tom"]


def test_he_after_a_described_newcomer_is_the_newcomer_not_an_older_man():
    text = (
        "Jim and Ned sat by the fire in the cabin. Ned lit his pipe.\n\n"
        '"Cold night," said Jim.\n\n'
        "The newcomer came in out of the rain. He was a large man in a wet slicker.\n\n"
        '"Hullo, Jim!" he said.\n'
    )
    assert speakers(text) == ["Jim", "the newcomer"]


def test_he_after_a_named_subject_of_unknown_gender_is_that_one_not_an_older_man():
    text = (
        "Jim and Ned sat in the cabin. Jim lit his pipe, and Ned cleaned his gun.\n\n"
        '"Where is Moze?" asked Jim.\n\n'
        "Moze came back from the spring.\n\n"
        '"I heard a horse on the trail," he said.\n'
    )
    assert speakers(text) == ["Jim", "Moze"]


def test_the_focus_after_a_sentence_of_several_clauses_is_the_subject_of_the_last():
    from test_speakers import segment

    from narrate.annotate.speakers import attribute

    text = (
        "Meg, Amy and Jo waited by the fire for their mother.\n\n"
        '"It is six o\'clock," said Amy.\n\n'
        "Meg lit the lamp, Amy got out of the easy chair, and Jo sat up to hold the slippers nearer to the fire.\n\n"
        '"They are quite worn out."\n'
    )
    book, segments = segment(text)
    rules = [s for s in attribute(book, segments, decoded=False)[0] if s.kind == "dialogue"]  # the rules' picks
    assert [(s.speaker, s.evidence) for s in rules] == [("Amy", "tag:said-after"), ("Jo", "action:previous-paragraph")]
