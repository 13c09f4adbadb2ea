"""A long story of our own words, as long as a test or a bench needs: chapters of narration and dialogue
between two speakers, sentences varied by a seeded generator so that few lines repeat."""
from __future__ import annotations

import random
from pathlib import Path

WHO = ["the keeper", "the ferryman", "an old woman", "the boy", "a tired clerk", "the harbour master"]
DID = ["walked along", "looked over", "counted the boats on", "sang quietly beside", "waited by", "swept"]
WHERE = ["the grey shore", "the long pier", "the cold water", "the tower stairs", "the empty market",
         "the narrow bridge", "the fish sheds", "the lamp room"]
WHEN = ["before the rain came", "while the gulls cried", "as the tide turned", "long after dark",
        "when the bell rang twice", "in the first light"]
SAID = ["The lamp will hold until morning", "Nobody comes this way in winter", "Bring the rope and the lantern",
        "I heard the signal from the north", "We should have left an hour ago", "Count them again, slowly"]


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(WHO).capitalize()} {rng.choice(DID)} {rng.choice(WHERE)} {rng.choice(WHEN)}."


def write_long_story(path: Path, words: int, chapters: int = 3, seed: int = 7) -> Path:
    """A story of about `words` words in `chapters` chapters (Mara and Tomas talk between the narration)."""
    rng = random.Random(seed)
    per_chapter = max(1, words // chapters)
    parts = ["# The Harbour Nights"]
    for number in range(1, chapters + 1):
        parts.append(f"## Night {number}")
        count = 0
        while count < per_chapter:
            speaker = rng.choice(["Mara", "Tomas"])
            paragraph = " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))
            if rng.random() < 0.4:
                paragraph += f" \u201c{rng.choice(SAID)},\u201d {speaker} said. \u201c{rng.choice(SAID)}.\u201d"
            parts.append(paragraph)
            count += len(paragraph.split())
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path
