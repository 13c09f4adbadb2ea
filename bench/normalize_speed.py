#!/usr/bin/env python3
"""How fast `speakable` (numbers, money, times, abbreviations, shouting) gets through a novel's worth of text.

The text is one paragraph dense in everything the rules rewrite, repeated to ~100,000 words, one segment per
paragraph as casting passes them. num2words and the word list are loaded before the clock starts, as the first
segment of a book does. Baseline, measured in the same run over the same segments: one regex pass that finds the
digits and the capitalised words, the least any normaliser must do. Prints both times and the ratio.
The target (once a timed assert in tests/test_normalize.py): a novel normalised in under 2 s.

usage: bench/normalize_speed.py [--words N]
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrate.casting.normalize import speakable  # noqa: E402

PARAGRAPH = ("At 10:30 Dr. Okafor paid $5.50 for the 3rd edition of a 1999 atlas, 50% off. \u201cDO IT NOW,\u201d "
             "said Capt. Reyes\u2014and Mr. Hale, who lived on Quill St., laughed. The light faded over the "
             "harbour, and the boats came in one by one while the gulls wheeled and cried above the water.")
TARGET_SECONDS = 2.0


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=100_000)
    args = parser.parse_args()
    segments = [PARAGRAPH] * (args.words // len(PARAGRAPH.split()) + 1)
    words = len(segments) * len(PARAGRAPH.split())
    speakable(PARAGRAPH)  # loads num2words and the word list, as the first segment of a book does
    pattern = re.compile(r"\d+|\b[A-Z][A-Za-z]*\b")
    base_seconds = timed(lambda: [pattern.findall(segment) for segment in segments])
    seconds = timed(lambda: [speakable(segment) for segment in segments])
    met = seconds < TARGET_SECONDS
    print(f"text: {words} words in {len(segments)} segments")
    print(f"baseline regex pass: {base_seconds:.3f} s  ({words / base_seconds:,.0f} words/s)")
    print(f"speakable:           {seconds:.3f} s  ({words / seconds:,.0f} words/s)")
    print(f"ratio speakable/baseline: {seconds / base_seconds:.0f}x; "
          f"target < {TARGET_SECONDS:g} s: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
