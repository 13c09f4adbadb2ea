#!/usr/bin/env python3
"""How long `narrate build` takes against the raw tool chain on the same text, in the same run.

Baseline (a): `espeak-ng -f story.txt -w all.wav`, then ffmpeg to one 64k MP3 — the cheapest way to turn the
words into one MP3 with one voice. Measured (b): `narrate build` with a cold clip cache, then (c) again with the
cache warm (what a rebuild after a small casting change costs). Prints one row per story with the ratios.

usage: bench/build_time.py [STORY ...] [--voices FILE] [-j N]
Default stories: the sample story, and ../shared/stories/gone.txt when present (with tests/gone/voices.yaml).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NARRATE = ROOT / ".venv" / "bin" / "narrate"


def timed(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def audio_seconds(folder: Path) -> float:
    total = 0.0
    for mp3 in folder.glob("*.mp3"):
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                              str(mp3)], capture_output=True, text=True, check=True).stdout
        total += float(out)
    return total


def bench(story: Path, voices: Path | None, jobs: int | None, work: Path) -> dict:
    text = story.read_text(encoding="utf-8-sig")
    plain = work / "story.txt"
    plain.write_text(text, encoding="utf-8")
    raw = timed(["espeak-ng", "-f", str(plain), "-w", str(work / "all.wav")])
    raw += timed(["ffmpeg", "-y", "-loglevel", "error", "-i", str(work / "all.wav"), "-c:a", "libmp3lame",
                  "-b:a", "64k", str(work / "all.mp3")])
    env = dict(os.environ, NARRATE_CACHE_DIR=str(work / "cache"))
    command = [str(NARRATE), "build", str(story), "-o", str(work / "out"), "-q"]
    command += ["--voices", str(voices)] if voices else []
    command += ["-j", str(jobs)] if jobs else []
    cold = timed(command, env)
    warm = timed(command, env)
    return {"story": story.name, "words": len(re.findall(r"\w+", text)), "audio": audio_seconds(work / "out"),
            "raw": raw, "cold": cold, "warm": warm}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stories", nargs="*", type=Path)
    parser.add_argument("--voices", type=Path)
    parser.add_argument("-j", "--jobs", type=int)
    args = parser.parse_args()
    runs: list[tuple[Path, Path | None]] = [(s, args.voices) for s in args.stories]
    if not runs:
        runs.append((ROOT / "stories" / "the-signal-keepers.md", ROOT / "voices.yaml"))
        gone = ROOT.parent / "shared" / "stories" / "gone.txt"
        if gone.is_file():
            runs.append((gone, ROOT / "tests" / "gone" / "voices.yaml"))
    print(f"{'story':28} {'words':>6} {'audio s':>8} {'raw s':>6} {'narrate s':>9} {'ratio':>6} "
          f"{'rebuild s':>9} {'ratio':>6}")
    for story, voices in runs:
        with tempfile.TemporaryDirectory() as work:
            r = bench(story, voices, args.jobs, Path(work))
        print(f"{r['story'][:28]:28} {r['words']:6d} {r['audio']:8.1f} {r['raw']:6.2f} {r['cold']:9.2f} "
              f"{r['cold'] / r['raw']:6.2f} {r['warm']:9.2f} {r['warm'] / r['raw']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
