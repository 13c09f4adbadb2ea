#!/usr/bin/env python3
"""How long `narrate check` takes to measure every file of a built book, against plainly decoding the same
files in the same run.

Baseline: `ffmpeg -i FILE -f null -` for each file, one after another (decoding and nothing else). Measured:
`narrate check FOLDER`, start-up included, as a user runs it (it measures files side by side, one per core).
Rounds alternate the two; medians are compared. Also printed, for what the files cost whatever the cores: the
CPU seconds of each (all processes), and the baseline decoding the files side by side as check does.

usage: bench/check_speed.py [FOLDER] [--rounds 3]
Without FOLDER, the sample story is built (into a temporary folder, its own cache) and checked.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NARRATE = ROOT / ".venv" / "bin" / "narrate"
AUDIO = (".mp3", ".m4b", ".wav", ".flac", ".opus")


def timed(run) -> tuple[float, float]:
    """Wall and CPU seconds (children included) of run()."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def decode(path: Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "null", "-"], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        folder = args.folder
        if folder is None:
            folder = Path(work) / "out"
            subprocess.run([str(NARRATE), "build", str(ROOT / "stories" / "the-signal-keepers.md"), "--voices",
                            str(ROOT / "voices.yaml"), "-o", str(folder), "-q"], check=True,
                           env=dict(os.environ, NARRATE_CACHE_DIR=f"{work}/cache"))
        files = sorted(p for p in folder.iterdir() if p.suffix in AUDIO)
        audio = sum(float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                          "csv=p=0", str(p)], capture_output=True, text=True, check=True).stdout)
                    for p in files)
        results: dict[str, list[tuple[float, float]]] = {"decode": [], "decode side by side": [], "check": []}
        for _ in range(args.rounds):
            results["decode"].append(timed(lambda: [decode(p) for p in files]))
            results["check"].append(timed(lambda: subprocess.run([str(NARRATE), "check", str(folder)],
                                                                 stdout=subprocess.DEVNULL, check=False)))
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                results["decode side by side"].append(timed(lambda: list(pool.map(decode, files))))
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in results.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in results.items()}
    print(f"{len(files)} files, {audio / 60:.1f} min of audio, {os.cpu_count()} cores, median of {args.rounds}")
    print(f"{'what':34} {'wall s':>7} {'ratio':>6} {'CPU s':>7} {'ratio':>6}")
    for name in ("decode", "decode side by side", "check"):
        label = {"decode": "ffmpeg -i FILE -f null - (baseline)", "check": "narrate check"}.get(name, name)
        print(f"{label:34} {wall[name]:7.2f} {wall[name] / wall['decode']:6.2f} {cpu[name]:7.2f} "
              f"{cpu[name] / cpu['decode']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
