#!/usr/bin/env python3
"""How fast `narrate preview` answers: a five-line passage, start-up included, against raw espeak-ng on the
same words in the same run.

usage: bench/preview_latency.py [STORY] [--lines 12-16] [--voices FILE] [--runs 5]
Prints cold (empty clip cache) and warm (cached) wall times, the baseline, and the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NARRATE = ROOT / ".venv" / "bin" / "narrate"


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("story", nargs="?", type=Path, default=ROOT / "stories" / "the-signal-keepers.md")
    parser.add_argument("--lines", default="12-16")
    parser.add_argument("--voices", type=Path, default=ROOT / "voices.yaml")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    script = json.loads(subprocess.run([str(NARRATE), "script", str(args.story), "--format", "json", "--voices",
                                        str(args.voices)], capture_output=True, text=True, check=True).stdout)
    first, last = map(int, args.lines.split("-"))
    words = " ".join(s["text"] for s in script["segments"] if first <= s["index"] <= last)
    cold, warm, raw = [], [], []
    with tempfile.TemporaryDirectory() as work:
        for run in range(args.runs):
            env = dict(os.environ, NARRATE_CACHE_DIR=f"{work}/cache{run}")
            command = [str(NARRATE), "preview", str(args.story), "--lines", args.lines, "--voices", str(args.voices),
                       "--out", f"{work}/p.wav"]
            cold.append(timed(command, env))
            warm.append(timed(command, env))
            raw.append(timed(["espeak-ng", "-w", f"{work}/raw.wav", words], env))
    base = statistics.median(raw)
    print(f"passage: segments {args.lines} of {args.story.name}, {len(words.split())} words, median of {args.runs}")
    print(f"{'what':28} {'seconds':>8} {'ratio':>6}")
    print(f"{'raw espeak-ng (baseline)':28} {base:8.3f} {1:6.2f}")
    print(f"{'narrate preview, cold cache':28} {statistics.median(cold):8.3f} {statistics.median(cold) / base:6.2f}")
    print(f"{'narrate preview, warm cache':28} {statistics.median(warm):8.3f} {statistics.median(warm) / base:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
