#!/usr/bin/env python3
"""How well a listener can follow each voice: an offline recogniser's word accuracy on the same sentences.

Every voice the default pools, the sample cast (voices.yaml) and the built-in narrator use speaks the same
plain sentences (narrate/casting/recall.py, which auto-casting also measures with) through narrate's real
espeak engine (rate and pitch as cast); pocketsphinx (its English model ships inside its PyPI wheel)
transcribes each; the score is the share of the sentences' words it got right
(aligned with difflib, so an inserted word costs nothing and a dropped or wrong word costs one). The baseline is
plain `en-us` at rate 170, measured in the same run: every voice is printed with its ratio to it.

A recogniser is a harsher listener than a person, but the ranking agrees with listening: a voice that scores
far below en-us is one a listener strains to follow (issue 17: the sample cast's Tomas on en-029+m2 scored 0.32
and Bram on en-gb-scotland+m7 at pitch 15 0.44 against 0.95 for en-us).

usage: bench/intelligibility.py [--voices FILE] [--voice ID ...] [--takes N] [--min RATIO]
  --takes N    average N takes of each voice (default 3): espeak's takes differ a little from run to run and
               the recogniser is sensitive to it (one take of the same voice scored 0.11 to 0.17)
  --min RATIO  exit 1 when a pool or sample-cast voice scores below RATIO × the baseline (default 0.75)
Needs: .venv/bin/pip install pocketsphinx (in the `bench` extra).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrate.casting.config import builtin_config, load_config
from narrate.casting.recall import PASSAGE, SENTENCES, transcribe, word_accuracy
from narrate.engines import get_engine
from narrate.model import Voice


def score(voice: Voice, scratch: Path, takes: int = 1) -> float:
    """Word accuracy on the whole passage, spoken as one clip (the recogniser's language model needs context),
    averaged over `takes`."""
    wav = scratch / "passage.wav"
    total = 0.0
    for _ in range(takes):
        get_engine(voice.engine).synthesize(PASSAGE, voice, str(wav))
        total += word_accuracy(PASSAGE, transcribe(wav))
    return total / takes


def voices_to_score(voices_file: Path | None) -> list[tuple[str, Voice]]:
    """(where the voice is used, the voice): the built-in pools, the narrator, and the file's cast."""
    found: list[tuple[str, Voice]] = []
    builtin = builtin_config("en")
    found.append(("built-in narrator", Voice(voice=builtin.narrator_voice)))
    for gender, pool in builtin.pools.items():
        found += [(f"built-in {gender} pool", Voice(voice=voice_id)) for voice_id in pool]
    if voices_file:
        config = load_config(voices_file)
        for gender, pool in config.pools.items():
            found += [(f"{voices_file.name} {gender} pool", Voice(voice=voice_id)) for voice_id in pool]
        for name, spec in config.data.characters.items():
            if spec.voice:
                found.append((f"{voices_file.name} {name}", Voice(voice=spec.voice, rate=spec.rate or 170,
                                                                   pitch=50 if spec.pitch is None else spec.pitch)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voices", type=Path, default=ROOT / "voices.yaml")
    parser.add_argument("--voice", action="append", default=[], help="score only these espeak voice ids")
    parser.add_argument("--takes", type=int, default=3)
    parser.add_argument("--min", type=float, default=0.75)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; {len(SENTENCES)} sentences per voice, {args.takes} takes each")
    with tempfile.TemporaryDirectory() as scratch:
        baseline = score(Voice(voice="en-us"), Path(scratch), args.takes)
        print(f"{'baseline: plain en-us, rate 170':44} {baseline:5.2f}")
        targets = ([(f"--voice {v}", Voice(voice=v)) for v in args.voice] if args.voice
                   else voices_to_score(args.voices))
        failing = []
        for where, voice in targets:
            accuracy = score(voice, Path(scratch), args.takes)
            ratio = accuracy / baseline
            flag = "" if ratio >= args.min else "  <- hard to follow"
            print(f"{where + ': ' + voice.voice + f' r{voice.rate} p{voice.pitch}':44} {accuracy:5.2f}  "
                  f"x{ratio:4.2f}{flag}")
            if flag:
                failing.append(where)
    print(f"verdict: {len(targets) - len(failing)}/{len(targets)} voices at >= {args.min:g} x baseline"
          + (f"; hard to follow: {', '.join(failing)}" if failing else ""))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
