#!/usr/bin/env python3
"""How long `narrate check` takes to measure every file of a built book, against plainly decoding the same
files in the same run; and whether it still measures what it measured before.

Baselines: `ffmpeg -i FILE -f null -` for each file (decoding and nothing else), run two ways: one file after
another, and side by side with as many at a time as check runs (one per core) in the order check takes them
(the largest first). Measured: `narrate check FOLDER`, start-up included, as a user runs it. Each round runs
the three in a different order (the VM is shared: whatever else runs falls on all three alike); medians of the
rounds are compared, in wall time and in CPU time (all processes). The load average is printed with each round.
With --against, the meter alone (check_dir in this process) is also timed as it is and as it was then.

The fair comparison is against the plain decode side by side (the same parallelism); against the decode one
file after another is what a user who checks a book with ffmpeg by hand would wait.

Then the figures: each file is measured by this checkout's check and by check.py as it was at --against (a git
revision; default the last one before the meter was rewritten for speed), and the largest difference of each
figure is printed, against 0.1 (LU, dB, s).

usage: bench/check_speed.py [FOLDER] [--rounds 5] [--against REV]
Without FOLDER, the sample story is built (into a temporary folder, its own cache) and checked.
"""
from __future__ import annotations

import argparse
import importlib.util
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
sys.path.insert(0, str(ROOT))
NARRATE = ROOT / ".venv" / "bin" / "narrate"
AUDIO = (".mp3", ".m4b", ".wav", ".flac", ".opus")
BEFORE = "17647dc"  # check.py before it decoded MP3s in-process and K-weighted in numpy (ffmpeg's biquads)
FIGURES = {  # name: (how to read it from Measurements, unit)
    "loudness": (lambda m: m.loudness.integrated_lufs, "LU"),
    "loudness range": (lambda m: m.loudness.lra, "LU"),
    "true peak": (lambda m: m.loudness.true_peak_dbtp, "dB"),
    "sample peak": (lambda m: m.peak_db, "dB"),
    "RMS level": (lambda m: m.rms_db, "dB"),
    "noise floor": (lambda m: m.noise_floor_db, "dB"),
    "head silence": (lambda m: m.head_silence, "s"),
    "tail silence": (lambda m: m.tail_silence, "s"),
    "duration": (lambda m: m.duration, "s"),
}


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def timed(run) -> tuple[float, float]:
    """Wall and CPU seconds (this process and its children) of run()."""
    cpu = cpu_seconds()
    started = time.perf_counter()
    run()
    return time.perf_counter() - started, cpu_seconds() - cpu


def decode(path: Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "null", "-"], check=True)


def decode_side_by_side(files: list[Path]) -> None:
    order = sorted(files, key=lambda p: p.stat().st_size, reverse=True)  # as check_dir takes them
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(decode, order))


def speed(folder: Path, files: list[Path], rounds: int, before) -> None:
    from narrate.audio import check

    runs = {
        "decode": lambda: [decode(p) for p in files],
        "decode side by side": lambda: decode_side_by_side(files),
        "check": lambda: subprocess.run([str(NARRATE), "check", str(folder)], stdout=subprocess.DEVNULL,
                                        check=False),
    }
    if before is not None:  # the meter alone, in this process: no start-up either side
        runs["meter now"] = lambda: check.check_dir(folder)
        runs["meter before"] = lambda: before.check_dir(folder)
    names = list(runs)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    loads = []
    for n in range(rounds):
        order = names[n % len(names):] + names[:n % len(names)]  # each takes each place in turn
        loads.append(os.getloadavg()[0])
        for name in order:
            results[name].append(timed(runs[name]))
        check_run, decode_run = results["check"][-1], results["decode side by side"][-1]
        print(f"round {n + 1}: load {loads[-1]:.1f}; " + ", ".join(
            f"{name} {results[name][-1][0]:.2f} s ({results[name][-1][1]:.2f} CPU)" for name in names)
            + f"; check / side by side: wall {check_run[0] / decode_run[0]:.2f}x, CPU {check_run[1] / decode_run[1]:.2f}x",
            flush=True)
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in results.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in results.items()}
    print(f"median of {rounds} rounds, {os.cpu_count()} cores, load average {statistics.median(loads):.1f} "
          f"(min {min(loads):.1f}, max {max(loads):.1f})")
    print(f"{'what':38} {'wall s':>7} {'CPU s':>7}")
    labels = {"decode": "ffmpeg -i FILE -f null -, one by one", "decode side by side":
              f"the same, {os.cpu_count()} side by side", "check": "narrate check",
              "meter now": "check_dir() in-process, this checkout", "meter before": "check_dir() in-process, before"}
    for name in names:
        print(f"{labels[name]:38} {wall[name]:7.2f} {cpu[name]:7.2f}")
    print(f"check / decode side by side (same parallelism): wall {wall['check'] / wall['decode side by side']:.2f}x, "
          f"CPU {cpu['check'] / cpu['decode side by side']:.2f}x")
    for unit, at in (("wall", 0), ("CPU", 1)):  # the spread of the rounds' own ratios
        ratios = [c[at] / d[at] for c, d in zip(results["check"], results["decode side by side"])]
        print(f"  per round, {unit:4}: median {statistics.median(ratios):.2f}x, "
              f"min {min(ratios):.2f}x, max {max(ratios):.2f}x")
    print(f"check / decode one by one:                      wall {wall['check'] / wall['decode']:.2f}x, "
          f"CPU {cpu['check'] / cpu['decode']:.2f}x")
    if before is not None:
        print(f"meter now / before:                             wall {wall['meter now'] / wall['meter before']:.2f}x, "
              f"CPU {cpu['meter now'] / cpu['meter before']:.2f}x")


def module_at(revision: str, work: Path):
    """check.py as it was at `revision`, imported beside this checkout's."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:narrate/audio/check.py"],
                            capture_output=True, text=True, check=True).stdout
    path = work / "check_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("check_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_before"] = module
    spec.loader.exec_module(module)
    return module


def figures(folder: Path, files: list[Path], before, revision: str) -> None:
    from narrate.audio import check

    now = {r.path.name: r.measurements for r in check.check_dir(folder)}
    then = {p.name: before.measure_file(p) for p in files}
    print(f"figures against check.py at {revision} (largest difference over the {len(files)} files):")
    worst = 0.0
    for name, (read, unit) in FIGURES.items():
        differences = []
        for file, measured in now.items():
            a, b = read(measured), read(then[file])
            differences.append(0.0 if a == b else abs(a - b))  # both -inf (digital silence) is no difference
        largest = max(differences)
        worst = max(worst, largest if unit != "s" else 0.0)
        print(f"  {name:14} {largest:.4f} {unit}{'' if largest <= 0.1 else '  OVER 0.1'}")
    print("same figures (within 0.1 LU / dB)" if worst <= 0.1 else "DIFFERENT figures")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", default=BEFORE, help=f"git revision whose check.py to compare figures with "
                                                          f"(default {BEFORE}); 'none' to skip")
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
        print(f"{folder}: {len(files)} files, {audio / 60:.1f} min of audio", flush=True)
        before = module_at(args.against, Path(work)) if args.against != "none" else None
        speed(folder, files, args.rounds, before)
        if before is not None:
            figures(folder, files, before, args.against)
    return 0


if __name__ == "__main__":
    sys.exit(main())
