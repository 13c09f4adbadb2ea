"""A given cast (voices.yaml `characters:`) guides attribution: castguide.py, on texts written for these tests."""
from __future__ import annotations

from test_speakers import dialogue, speakers

from narrate.annotate.castguide import bare_name, guided, has_name
from narrate.model import CastEntry

FIRESIDE = ('Ada and Tom sat by the fire while Mr. Pike read his paper.\n\n"Snow by morning," said Ada.\n\n'
            '"Then we stay in," said Tom.\n\nMr. Pike turned a page. "We shall see."')


def test_bare_name_drops_the_epithet_before_a_proper_name():
    assert bare_name("old Pellow") == "Pellow"
    assert bare_name("the kindly Miss Ada Vane") == "Miss Ada Vane"
    assert bare_name("dear Mr. Orme") == "Mr. Orme"
    assert bare_name("young Herr") is None  # only a title is left
    assert bare_name("the old man") is None
    assert bare_name("Pellow") is None  # no epithet at all


def test_an_entry_with_an_epithet_also_answers_to_the_bare_name():
    cast = guided([CastEntry("old Pellow", ("Mr Pellow",)), CastEntry("Rowan")])
    assert cast[0].aliases == ("Mr Pellow", "Pellow")
    assert has_name(cast[0]) and has_name(cast[1])
    assert not has_name(CastEntry("my mother", ("mamma",)))  # how she is addressed is no name


def test_an_entry_named_with_an_epithet_keeps_the_surname_and_its_titled_form():
    text = ('Old Pellow sat by the grate and Rowan stood at the door.\n\n'
            '"The frost will hold till Sunday," said Pellow.\n\n'
            '"You always say so," said Rowan.\n\n'
            '"And I am always right," said Mr Pellow.')
    cast = (CastEntry("old Pellow", ("Mr Pellow",)), CastEntry("Rowan"))
    assert [s.speaker for s in dialogue(text, cast)] == ["old Pellow", "Rowan", "old Pellow"]


def test_a_cast_description_takes_the_name_the_text_sets_beside_it():
    text = ('I was mending the net when my old shipmate, Captain Ezra Tolley, came down the shingle.\n\n'
            '"Still at it?" asked Tolley.\n\n'
            '"Always," said Wren.\n\n'
            '"Then I will sit and watch," said Captain Tolley.')
    cast = (CastEntry("my old shipmate"), CastEntry("Wren"))
    assert [s.speaker for s in dialogue(text, cast)] == ["my old shipmate", "Wren", "my old shipmate"]
    reversed_text = text.replace("my old shipmate, Captain Ezra Tolley,", "Captain Ezra Tolley, my old shipmate,")
    assert [s.speaker for s in dialogue(reversed_text, cast)] == ["my old shipmate", "Wren", "my old shipmate"]


def test_a_name_another_entry_claims_stays_that_entrys():
    text = ('My old shipmate, Captain Ezra Tolley, came down the shingle.\n\n'
            '"Still at it?" asked Tolley.')
    cast = (CastEntry("my old shipmate"), CastEntry("Ezra Tolley"))
    assert [s.speaker for s in dialogue(text, cast)] == ["Ezra Tolley"]


def test_given_a_cast_a_beat_by_a_name_no_entry_claims_goes_to_a_cast_member_in_the_scene():
    text = FIRESIDE
    assert speakers(text) == ["Ada", "Tom", "Mr. Pike"]  # no cast: the beat's subject
    assert speakers(text, (CastEntry("Ada"), CastEntry("Tom"))) == ["Ada", "Tom", "Ada"]


def test_a_tag_that_names_someone_the_cast_left_out_keeps_them():
    text = ('Ada and Tom walked to the gate, where Mr. Pike waited.\n\n"You are late," said Ada.\n\n'
            '"The road was bad," said Mr. Pike.')
    assert speakers(text, (CastEntry("Ada"), CastEntry("Tom"))) == ["Ada", "Mr. Pike"]


def test_a_description_no_entry_claims_keeps_its_own_voice():
    text = ('Ada and Tom waited on the pier.\n\n"Is this the boat?" asked Ada.\n\n'
            '"Not yet," said a boatman behind them.')
    assert speakers(text, (CastEntry("Ada"), CastEntry("Tom")))[-1] == "a boatman"


def test_given_a_cast_a_passing_voice_is_one_of_the_scene():
    text = ('Ada and Tom waited on the pier in the fog.\n\n"Is this the boat?" asked Ada.\n\n'
            '"Not yet," said a voice.\n\n"Then we wait," said Ada.')
    assert speakers(text) == ["Ada", "a voice", "Ada"]
    assert speakers(text, (CastEntry("Ada"), CastEntry("Tom"))) == ["Ada", "Tom", "Ada"]


def test_the_narration_using_an_entrys_description_puts_that_entry_on_stage():
    text = ('Wren asked the ferryman, a silent fellow with a long pole, about the far shore.\n\n'
            'He told her there was an island--"low island, many birds."\n\n'
            '"Can we land there?" asked Wren.\n\n'
            'The ferryman shook his head. "Too much mud."')
    cast = (CastEntry("the ferryman", ("that ferryman", "our ferryman")), CastEntry("Wren"))
    assert speakers(text, cast) == ["the ferryman", "Wren", "the ferryman"]  # "He told her": the ferryman


def test_described_mentions_find_an_entrys_definite_descriptions_but_not_inside_a_name():
    from narrate.annotate.castguide import DescribedMentions
    from narrate.annotate.characters import CharacterIndex
    from narrate.annotate.names import Mention

    cast = (CastEntry("the ferryman", ("that  old ferryman", "our ferryman", "a boatman")),)
    index = CharacterIndex(cast)
    mentions = DescribedMentions(index, cast)
    text = ("That old\nferryman waved; the ferryman's boat; our ferryman and a boatman (someone's, anyone's) rowed. "
            "The Ferryman Inn stood by.")
    inn = Mention(text.index("Ferryman Inn"), text.index(" stood"), ("", ("Ferryman", "Inn")), False, ())
    found = mentions(text, 0, len(text), [inn])
    assert [(text[m.start: m.end], m.possessive) for m in found] == [("That old\nferryman", False),
                                                                    ("the ferryman", True)]
    assert {m.candidates for m in found} == {(index.labelled("the ferryman"),)}


def test_a_cast_of_descriptions_alone_leaves_the_named_people_their_lines():
    text = FIRESIDE
    assert speakers(text, (CastEntry("the lodger"),)) == ["Ada", "Tom", "Mr. Pike"]


def test_a_newcomer_a_tag_names_elsewhere_stays_a_candidate_everywhere():
    text = FIRESIDE + '\n\n"Goodnight, then," said Mr. Pike, and went up.'
    assert speakers(text, (CastEntry("Ada"), CastEntry("Tom"))) == ["Ada", "Tom", "Mr. Pike", "Mr. Pike"]
