"""Novel-length stories of our own words for the whole-book character model: chapters of narration and talk,
varied by a seeded generator, in which the cast is called the way a novel calls people (full names, titles,
pronouns, untagged turns) and one kind of trouble recurs throughout (a house's name, two men of one surname, a
narrator called by name, a letter's date lines). A LitBank excerpt is ~2,000 words: these run to many thousand,
where a defect of the character model shows."""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SAID = """
I cannot think why the post is so late this week
You should have told me before the rain began
There is nothing to be done about it tonight
We shall have to wait and see what the morning brings
I never said anything of the kind
The road is very bad after the storm
Nobody asked my opinion, and I shall not give it
It is the strangest thing I ever heard
I was only trying to help
You may laugh, but I mean every word
Tell me again, slowly this time
Perhaps we ought to send for the doctor after all
I have been waiting here above an hour
That is exactly what worries me
Let us talk of something else
You are very good to say so
I saw the lamp in the window last night
The horses will not be ready before noon
I do not believe a word of it
We must be home before dark
Have you read the letter yet
It is far too cold to stand about outside
I would rather walk than wait for the carriage
Then there is no more to be said
You always think the worst of people
I shall write to him this very evening
Who told you that
It was kind of you to come so far
Nothing would persuade me to go back there
I suppose you are right, as usual
""".strip().splitlines()

BUSY = """
looked out at the grey garden
set down the cup with care
turned the letter over in the lamplight
crossed to the fire and warmed their hands
watched the rain on the glass
folded the newspaper and put it aside
walked slowly to the end of the terrace
stood a long while at the gate
pulled the curtain against the dusk
counted the coins in the little purse
""".strip().splitlines()

WEATHER = """
The wind had risen in the night and the elms along the lane were bending.
A thin rain came over the hills at noon and did not stop until evening.
The house was very quiet; only the clock in the hall could be heard.
The afternoon was warm, and the bees were loud among the roses.
Frost lay white on the lawn and the pond had a skin of ice.
The carriage came round to the door a little after ten.
Dinner was late, and the candles had burned low before anyone spoke of leaving.
The morning post brought two letters and a parcel tied with string.
""".strip().splitlines()


@dataclass
class Person:
    """A character and the ways the narration calls them: `forms` are weighted names ("Mr. Harcourt": 3)."""

    name: str  # who they are, as a test names them
    forms: dict[str, int]
    pronoun: str  # "he" or "she"

    def form(self, rng: random.Random) -> str:
        names = list(self.forms)
        return rng.choices(names, weights=[self.forms[n] for n in names])[0]


@dataclass(frozen=True)
class Said:
    """A paragraph with one quote, and who says it."""

    text: str
    speaker: str


Paragraph = str | Said


def line(rng: random.Random) -> str:
    return rng.choice(SAID)


def quote(text: str, end: str = ",") -> str:
    return f"\u201c{text}{end}\u201d"


def opening(name: str) -> str:
    """A name or a description as it opens a sentence ("her aunt" -> "Her aunt")."""
    return name[:1].upper() + name[1:]


def exchange(rng: random.Random, one: Person, other: Person, turns: int,
             name_of: Callable[[Person, random.Random], str] | None = None) -> list[Said]:
    """A conversation between two people: the first turn tagged with a name, then tags by pronoun or name,
    untagged answers and action beats, as a novel writes them."""
    name_of = name_of or (lambda p, r: p.form(r))
    paragraphs: list[Said] = []
    speakers = [one, other]
    for k in range(turns):
        who = speakers[k % 2]
        said = line(rng)
        style = "name" if k < 2 else rng.choice(["name", "pronoun", "bare", "bare", "beat"])
        if style == "name":
            name = name_of(who, rng)
            text = rng.choice([f"{quote(said)} said {name}.", f"{opening(name)} said, {quote(said, '.')}"])
        elif style == "pronoun":
            text = f"{quote(said)} {who.pronoun} said."
        elif style == "beat":
            name = name_of(who, rng)
            text = f"{opening(name)} {rng.choice(BUSY)}. {quote(said, '.')}"
        else:
            text = quote(said, ".")
        paragraphs.append(Said(text, who.name))
    return paragraphs


@dataclass(frozen=True)
class Novel:
    text: str
    speakers: list[str]  # who says each quote, in order (one quote to a paragraph that has one)

    def words(self) -> int:
        return len(self.text.split())


def chapters(rng: random.Random, count: int, scene: Callable[[random.Random, int], list[Paragraph]],
             title: str, scenes: int = 3) -> Novel:
    """A book: a title and `count` chapters, each a few scenes `scene(rng, chapter)` gives."""
    parts: list[Paragraph] = [title]
    for number in range(1, count + 1):
        parts.append(f"Chapter {number}")
        for _ in range(scenes):
            parts.append(rng.choice(WEATHER))
            parts.extend(scene(rng, number))
    text = "\n\n".join(p.text if isinstance(p, Said) else p for p in parts) + "\n"
    return Novel(text, [p.speaker for p in parts if isinstance(p, Said)])


def pairs_talking(people: Sequence[Person], openings: Sequence[str], title: str, seed: int = 3,
                  count: int = 20) -> Novel:
    """A book of `count` chapters in which two of `people` at a time talk, each scene opening with two of the
    `openings` (narration that names them)."""
    def scene(rng: random.Random, _chapter: int) -> list[Paragraph]:
        paragraphs: list[Paragraph] = [rng.choice(openings) + " " + rng.choice(openings)]
        return paragraphs + exchange(rng, *rng.sample(list(people), 2), rng.randint(5, 9))
    return chapters(random.Random(seed), count, scene, title)
