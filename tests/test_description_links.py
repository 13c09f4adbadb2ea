"""Described speakers ("the ferryman", "the girl", "my father") and how they link, or do not link, to a name:
short texts written for these tests."""
from __future__ import annotations

from test_speakers import dialogue, speakers


def test_a_pronoun_tag_is_this_paragraphs_described_subject_not_a_man_named_before():
    text = (
        '"Is she asleep?" asked John.\n\nJohn set the lamp down by the bed and went out.\n\n'
        '"Let her sleep," said the surgeon.\n\n'
        'The surgeon leaned over the bed and raised the sleeper\'s hand. "She will mend," he said.'
    )
    assert speakers(text) == ["John", "the surgeon", "the surgeon"]


def test_a_pronoun_nobody_named_so_far_fits_is_not_given_to_a_woman_named_later():
    text = (
        'The ferry was late and the quay was crowded. One girl stood apart from the rest. She did not seem afraid.'
        '\n\n"Is this the night boat?" she asked.\n\n"It is," said the porter.\n\n'
        'The girl smiled. "Then I shall wait."\n\n'
        'The boat came in at last.\n\nThe crossing was rough.\n\nNobody slept.\n\nThe gulls cried.\n\n'
        'The rain stopped.\n\nThe morning came grey and cold.'
        '\n\nHester Vane came down to breakfast at nine. Hester liked her eggs soft, and Hester said so.'
        '\n\n"Soft, please," said Hester.'
    )
    assert speakers(text) == ["the girl", "the porter", "the girl", "Hester"]


SICKROOM = (
    'The doctor came in from the rain and set his bag on the table.\n\n"Is the fever down?" said the doctor.\n\n'
    '"Not yet, sir," said the nurse. "She has been talking in her sleep."\n\n'
    '"That will be all for tonight, Mrs. Budd," said the doctor.\n\n"Very good, sir," said the nurse.\n\n'
    'A thin gentleman put his head round the door.\n\n"Is the doctor here?" asked a thin gentleman.\n\n'
    '"Here I am, Mr. Lowe," said the doctor.\n\n"They want you at the mill," said a thin gentleman.'
)


def test_a_newcomer_who_answers_a_call_by_name_keeps_the_description():
    assert speakers(SICKROOM)[5:] == ["a thin gentleman", "the doctor", "a thin gentleman"]


def test_a_trade_named_as_the_subject_of_a_beat_is_the_speaker_after_it():
    text = (
        'Ada and Tom stood at the back of the hall. Tom had come for the desk.\n\n'
        'The auctioneer raised his hammer and looked round the room.\n\n"Who will start me at ten pounds?"\n\n'
        '"Ten pounds," said Tom.\n\n"Eleven, anywhere?"'
    )
    assert speakers(text) == ["the auctioneer", "Tom", "the auctioneer"]


def test_a_description_takes_the_name_the_narration_gives_it_outright_not_the_first_name_after_it():
    text = (
        'Hester kept the inn by the ford.\n\n"Is there a bed for the night?" asked a young soldier.\n\n'
        '"There is," said Hester.\n\nThe soldier asked after Captain Marlowe, who had ridden through at noon.\n\n'
        'The soldier, whose name was Dunstan, went up to bed without his supper.'
    )
    assert speakers(text) == ["Dunstan", "Hester"]


def test_a_speech_verb_that_reports_what_was_said_is_not_the_tag():
    text = (
        'I found Mrs. Orme at the gate.\n\n"You are late," she said.\n\n'
        'When I told her that the coach had broken down, she asked again:\n\n'
        '"But why so late?" I answered that the road was flooded.'
    )
    assert speakers(text) == ["Mrs. Orme", "Mrs. Orme"]


def test_the_one_heard_saying_a_quote_speaks_it_not_the_one_who_hears():
    text = (
        'Mrs. Orme and Ivo stood talking in the hall. Mary waited on the stair.\n\n'
        '"Is it so very bad?" Mary heard her say.\n\n'
        'Mary crept down two steps. "Who is there?" she heard a man say.'
    )
    quotes = dialogue(text)
    assert [q.speaker for q in quotes] == ["Mrs. Orme", "a man"]
    assert quotes[0].evidence.startswith("tag:heard-say")


def test_a_speech_verb_in_an_as_clause_before_the_tag_is_not_the_tag():
    text = (
        'Hester and Ivo sat by the fire.\n\n'
        'As the old nurse spoke, Ivo rose from his chair and said, "Not tonight."\n\n'
        'When Hester turned away she said, "Then tomorrow."'
    )
    assert speakers(text) == ["Ivo", "Hester"]
