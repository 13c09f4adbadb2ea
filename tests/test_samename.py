"""samename.py: a given name and a surname the text never writes together, found to be one person."""
from __future__ import annotations

from test_speakers import dialogue

# Ivo is called "Rook" by the others and never "Ivo Rook"; the narration calls him Ivo.
ONE_MAN = (
    'Ivo ran along the quay, his coat open to the rain.\n\n'
    '"Rook, where are you?" Hester called over the radio.\n\n'
    '"By the cranes," he said. "Where is the boat?"\n\n'
    '"Gone out," she said. "Stay there, Rook."\n\n'
    '"I will," he said.\n\n'
    'Rook wiped the rain from his eyes and waited.\n\n'
    '"Is it coming back?" he asked.\n\n'
    '"Soon," she said.\n\n'
    '"Good," Ivo said. "I am wet through."'
)


def test_a_surname_called_beside_the_given_names_quotes_is_the_same_man():
    quotes = dialogue(ONE_MAN)
    assert {q.speaker for q in quotes} == {"Ivo", "Hester"}


def test_two_men_who_answer_each_other_stay_two():
    text = ONE_MAN + '\n\n"You were slow," said Rook.\n\n"Not as slow as you," said Ivo.'
    assert {q.speaker for q in dialogue(text)} == {"Ivo", "Hester", "Rook"}


def test_gone_without_a_cast_has_every_speaker(gone_story):
    import json
    from pathlib import Path

    from narrate.annotate import annotate
    from narrate.ingest.text import load_book

    quotes = [s for s in annotate(load_book(gone_story)).segments if s.kind == "dialogue"]
    gold = json.loads((Path(__file__).parent / "gone" / "gold.json").read_text())["quotes"]
    assert [(q.start, q.speaker) for q in quotes] == [(g["start"], g["speaker"]) for g in gold]
