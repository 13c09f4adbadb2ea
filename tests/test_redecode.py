"""annotate.redecode: a new set of pins re-decodes only the conversations it changes, and gives exactly what
annotating the book again with those pins gives (segment by segment, characters and warnings too); the kept
Redecoder gives what annotate_kept gives."""
from __future__ import annotations

import random

import pytest

from narrate.annotate import annotate, annotation, redecode
from narrate.annotate.kept import Redecoder, annotate_kept
from narrate.annotate.overrides import Override
from narrate.ingest import load_book
from narrate.model import UNKNOWN, CastEntry

# Our own: a first-person narrator, untagged turns that a pin re-decodes, three chapters of conversations.
LANTERN = """The Lantern Keepers

Chapter 1

My name is Odile, and the winter I turned nineteen I kept the lantern at Ferris Point with my uncle Bram.

"The oil is low," Bram said, tapping the drum.

"I filled it on Sunday," I said.

"Then something drinks it."

"Rats?"

"Rats do not climb ladders, Odile."

He went down to the store and I followed with the lamp. Marit, the ferryman's daughter, was waiting at the door.

"You are late," Marit said.

"We are always late."

"Not tonight. The boat from Harl is overdue."

"How long?"

"Three hours."

"Then light the second lamp."

Chapter 2

The boat came in at midnight. Pieter Vos climbed onto the jetty with a sack on his shoulder.

"Who keeps this light?" he asked.

"We do," said Bram.

"It was dark for an hour."

"It was not."

"I counted."

"Count again, then."

Marit laughed. "He counts everything, that one."

"And you?"

"I count nothing. It is restful."

Chapter 3

In the morning Pieter came to the store. He looked at the drum for a long time.

"There is a crack," he said.

"Where?"

"Here, under the rim."

"I never saw it."

"You were not looking, Odile."

"Can it be mended?" Bram asked.

"Anything can be mended."

"By tonight?"

"By tonight, if the girl fetches the solder."

"I will fetch it," I said.
"""


def quotes(script):
    return [s for s in script.segments if s.kind == "dialogue"]


def same(incremental, full) -> None:
    assert incremental.segments == full.segments  # speaker, evidence, confidence, every field
    assert incremental.characters == full.characters
    assert incremental.warnings == full.warnings


def random_pins(script, rng, count: int) -> list[Override]:
    said = quotes(script)
    names = sorted({s.speaker for s in said} | {"Somebody Else", UNKNOWN})
    return [Override(speaker=rng.choice(names), start=s.start, end=s.end) for s in rng.sample(said, count)]


def check_random_pins(book, cast, seed: int, rounds: int) -> None:
    rng = random.Random(seed)
    kept = annotation(book, cast)
    assert kept.script == annotate(book, cast)
    pins: list[Override] = []
    for _ in range(rounds):
        pins = pins + random_pins(kept.script, rng, rng.randint(1, 2))
        if rng.random() < 0.3:
            pins = pins[1:]  # an undone fix
        before = kept.script
        kept, changed = redecode(kept, pins)
        same(kept.script, annotate(book, cast, pins=pins))
        assert changed == [new.index for old, new in zip(before.segments, kept.script.segments)
                           if new.kind == "dialogue" and new.speaker != old.speaker]


@pytest.fixture
def lantern(tmp_path):
    path = tmp_path / "lantern.txt"
    path.write_text(LANTERN, encoding="utf-8")
    return load_book(path)


@pytest.mark.parametrize("seed", range(4))
def test_redecoding_our_story_with_random_pins_equals_annotating_it_again(lantern, seed):
    check_random_pins(lantern, (), seed, rounds=6)


def test_redecoding_with_a_cast_equals_annotating_again(lantern):
    check_random_pins(lantern, (CastEntry("Bram", aliases=("uncle",)), CastEntry("Marit", gender="female")), 7, 4)


@pytest.mark.parametrize("seed", range(3))
def test_redecoding_gone_with_random_pins_equals_annotating_it_again(gone_story, seed):
    check_random_pins(load_book(gone_story), (), seed, rounds=4)


def test_a_pin_changes_the_quotes_of_its_conversation_and_those_are_reported(lantern):
    kept = annotation(lantern)
    said = quotes(kept.script)
    turn = next(s for s in said if "Rats?" in s.text)
    other = "Marit" if turn.speaker != "Marit" else "Bram"
    again, changed = redecode(kept, [Override(speaker=other, start=turn.start, end=turn.end)])
    assert turn.index in changed
    assert again.script.segments[turn.index].speaker == other
    assert again.script.segments[turn.index].evidence == "override"
    chapter_three = [s.index for s in said if s.chapter == 3]
    assert not set(changed) & set(chapter_three)  # another conversation: not decoded again, not changed


def test_the_redecoder_gives_what_annotate_kept_gives(lantern):
    cast = [CastEntry("Bram", aliases=("uncle",)), CastEntry("Marit"), CastEntry("Somebody Else")]
    redecoder = Redecoder()
    rng = random.Random(3)
    pins: list[Override] = []
    for _ in range(4):
        script = redecoder(lantern, cast, False, "narrator", pins)
        assert script == annotate_kept(lantern, cast, False, "narrator", pins)
        pins = pins + random_pins(script, rng, 1)
    other = [CastEntry("Bram", aliases=("uncle", "the keeper"))]
    assert redecoder(lantern, other, False, "narrator", pins) == annotate_kept(lantern, other, False, "narrator", pins)
