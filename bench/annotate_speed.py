#!/usr/bin/env python3
"""How fast `load_book` + `annotate` (quotes, segments, speakers) get through a novel-length text.

The text (~150,000 words by default) is generated here from templates written for this benchmark: chapters of
narration, tagged and untagged dialogue, pronoun tags, action beats and split quotes among a rotating cast, so
every attribution rule gets work. Baseline, measured in the same run over the same file: one regex pass that
finds the double-quoted spans, the least any quote finder must do. Prints words/s for both and the ratio.
The issue's target: a 150,000-word novel annotated in at most 10 s. With --scene, the text is that file's scene
repeated to the word count instead (tests/inputs/speakers/harbour.txt at --words 100000 is what a timed assert in
tests/test_speakers.py used to check).

usage: bench/annotate_speed.py [--words N] [--seed S] [--scene FILE]
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrate.annotate import annotate  # noqa: E402
from narrate.ingest.text import load_book  # noqa: E402

CAST = [("Hester Marsh", "she"), ("Ivo Brandt", "he"), ("Mr. Tallis", "he"), ("Ruth", "she"), ("Anselm", "he")]
NARRATION = [
    "The wind came down off the ridge and rattled the shutters of the inn.",
    "{a} crossed the room and set the lamp on the table beside the map.",
    "Nobody spoke for a while; the fire settled and the kettle began to tick.",
    "{a} looked at {b} for a long moment, then turned back to the window.",
    "Outside, the road ran white under the moon as far as the broken bridge.",
]
EXCHANGES = [
    '"Is the pass open?" asked {a}.\n\n"Not since the thaw," {b} said. "The river took the bridge."',
    '{a} frowned. "Then we wait for the ferry."\n\n"It will not come before Thursday."\n\n"Then we wait."',
    '"{B}, bring the rope," {a} whispered.\n\n"Which one?" {bp} asked.\n\n"The long one."',
    '"I heard something," said the old carter, standing in the doorway.\n\n"Only the shutters," {a} told him.',
    '"You should sleep," {ap} said gently, "before the light fails."\n\n{b} shook the rain from the cloak.',
]


def novel(words: int, seed: int) -> str:
    """Chapters of narration and dialogue, about `words` words long."""
    rng = random.Random(seed)
    parts: list[str] = ["The Winter Road\n\nby A. Bench\n"]
    chapter, count = 0, 0
    while count < words:
        if count >= chapter * 5000:
            chapter += 1
            parts.append(f"Chapter {chapter}")
        (a, ap), (b, bp) = rng.sample(CAST, 2)
        names = {"a": a, "b": b, "ap": ap.capitalize(), "bp": bp, "B": b.split()[-1]}
        piece = rng.choice(NARRATION + EXCHANGES).format(**names)
        parts.append(piece)
        count += len(piece.split())
    return "\n\n".join(parts) + "\n"


def repeated(scene: Path, words: int) -> str:
    """The scene, again and again, paragraphs apart, until the text has about `words` words."""
    text = scene.read_text(encoding="utf-8").strip()
    return "\n\n".join([text] * max(1, round(words / len(text.split())))) + "\n"


def regex_baseline(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    return sum(1 for _ in re.finditer(r'"[^"]*"', text))


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scene", type=Path, help="a scene to repeat to --words words instead of the generated novel")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "winter-road.txt"
        path.write_text(repeated(args.scene, args.words) if args.scene else novel(args.words, args.seed),
                        encoding="utf-8")
        words = len(path.read_text(encoding="utf-8").split())
        quotes, base_seconds = timed(lambda: regex_baseline(path))
        script, seconds = timed(lambda: annotate(load_book(path)))
    dialogue = sum(1 for s in script.segments if s.kind == "dialogue")
    unknown = sum(1 for s in script.segments if s.kind == "dialogue" and s.speaker == "unknown")
    print(f"text: {words} words, {quotes} quoted spans (regex), {dialogue} dialogue segments, {unknown} unknown")
    print(f"baseline regex quote pass: {base_seconds:.3f} s  ({words / base_seconds:,.0f} words/s)")
    print(f"load_book + annotate:      {seconds:.3f} s  ({words / seconds:,.0f} words/s)")
    print(f"ratio annotate/baseline: {seconds / base_seconds:.0f}x; target <= 10 s: {'met' if seconds <= 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
