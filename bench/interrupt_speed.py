#!/usr/bin/env python3
"""How fast narrate stops on Ctrl-C and SIGTERM, during synthesis and during encoding (issue 16, item 11: target
1 s from the signal to the exit; before ffmpeg.stop_all, Ctrl-C while encoding waited ~10 s for the encoders).

A story of our own words (tests/long_story.py, ~35 min of audio) is built once, so that its clips are cached.
Each case then starts a build, waits for its moment and sends the signal, timing from the signal to the exit:
- during synthesis: a build on an empty cache, signalled once its first clip is made;
- during encoding: a build with the clips cached but no encoded units, signalled 0.3 s after its first run of
  units has started (ffmpeg encoding);
- Ctrl-C is SIGINT to the build's whole process group, as a terminal sends it (ffmpeg gets it too); SIGTERM goes
  to the build alone, as `kill` and `timeout` send it.
Each stop is checked too: the exit code (130, 143) and no process of the build left (found by an environment
marker, tests/process_tools.py).

Baselines from the same run: the time `narrate --help` takes from start to exit (an interpreter that starts and
ends), and a plain ffmpeg encode (the libmp3lame encoder narrate uses, from a pipe) stopped by the same signal.
Prints the median of the repeats, the ratio to the `--help` run, and whether the 1 s target is met.

usage: bench/interrupt_speed.py [--repeats N] [--words N]
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from long_story import write_long_story
from process_tools import a_clip_in, marked, marked_env, wait_for

from narrate.state import store_root

TARGET_SECONDS = 1.0
EXPECTED = {signal.SIGINT: 130, signal.SIGTERM: 143}


def narrate(*args: str, env: dict[str, str], mark: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "narrate", *args], cwd=ROOT, env=marked_env(mark, env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def stop(process: subprocess.Popen, signum: int, group: bool) -> float:
    """Sends the signal (to the process group, or to the process alone); seconds until the process exited."""
    started = time.perf_counter()
    if group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    process.wait()
    return time.perf_counter() - started


def one_stop(story: Path, work: Path, cache: Path, phase: str, signum: int, group: bool) -> tuple[float, str]:
    """(seconds from the signal to the exit, what was wrong: '' when the exit code and the processes are right)."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "NARRATE_CACHE_DIR": str(cache)}
    masters = store_root(cache) / "masters"
    if phase == "encoding":
        shutil.rmtree(masters, ignore_errors=True)
    mark = os.urandom(8).hex()
    build = narrate("build", str(story), "-o", str(out), "-q", env=env, mark=mark)
    try:
        if phase == "synthesis":
            wait_for(lambda: a_clip_in(cache) or build.poll() is not None, "the first clip")
        else:
            wait_for(lambda: any(masters.glob(".run.*")) or build.poll() is not None, "the first run of units")
            time.sleep(0.3)
        if build.poll() is not None:
            return float("nan"), f"ended before the signal ({build.returncode})"
        seconds = stop(build, signum, group)
    finally:
        if build.poll() is None:
            build.kill()
    err = build.stderr.read()
    build.stderr.close()
    wrong = [] if build.returncode == EXPECTED[signum] else [f"exit {build.returncode}: {err.strip()[-200:]}"]
    time.sleep(0.2)  # a child tied to narrate gets its SIGKILL at once; give the kernel a moment to reap it
    if left := marked(mark):
        wrong.append(f"{len(left)} process(es) left: {list(left.values())[:2]}")
    return seconds, "; ".join(wrong)


def help_seconds(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "narrate", "--help"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - started


def ffmpeg_stop_seconds(signum: int, group: bool) -> float:
    """A plain ffmpeg encoding MP3 from a pipe (fed by a tone generator ffmpeg), stopped by `signum`."""
    source = subprocess.Popen(["ffmpeg", "-v", "error", "-re", "-f", "lavfi", "-i", "sine=duration=600", "-f", "s16le",
                               "-"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    encoder = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ar", "44100", "-ac", "1", "-i",
                                "pipe:0", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3", os.devnull],
                               stdin=source.stdout, start_new_session=True)
    source.stdout.close()
    time.sleep(0.5)
    seconds = stop(encoder, signum, group)
    source.kill()
    source.wait()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--words", type=int, default=6000, help="story length (6000: ~35 min of audio)")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="narrate-interrupt-") as tmp:
        work = Path(tmp)
        story = write_long_story(work / "story.md", args.words, chapters=4)
        cached = work / "cache"
        env = {**os.environ, "NARRATE_CACHE_DIR": str(cached)}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "narrate", "build", str(story), "-o", str(work / "whole"), "-q"],
                       cwd=ROOT, env=env, check=True)
        print(f"story: {args.words} words, built once in {time.perf_counter() - started:.1f} s (clips cached)")

        helps = [help_seconds(env) for _ in range(args.repeats)]
        baseline = statistics.median(helps)
        print(f"baseline: `narrate --help` start to exit, median {baseline:.3f} s")
        for signum, group, name in [(signal.SIGINT, True, "Ctrl-C"), (signal.SIGTERM, False, "SIGTERM")]:
            plain = statistics.median(ffmpeg_stop_seconds(signum, group) for _ in range(args.repeats))
            print(f"baseline: a plain ffmpeg MP3 encode stopped by {name}, median {plain:.3f} s")

        print(f"\n{'case':<28} {'median s':>9} {'max s':>7} {'x --help':>9}  target <= {TARGET_SECONDS:.0f} s")
        verdicts = []
        for phase in ("synthesis", "encoding"):
            for signum, group, name in [(signal.SIGINT, True, "Ctrl-C"), (signal.SIGTERM, False, "SIGTERM")]:
                times, problems = [], []
                for repeat in range(args.repeats):
                    cache = cached if phase == "encoding" else work / f"empty-{phase}-{name}-{repeat}"
                    seconds, wrong = one_stop(story, work, cache, phase, signum, group)
                    times.append(seconds)
                    if wrong:
                        problems.append(wrong)
                    if cache != cached:
                        shutil.rmtree(cache, ignore_errors=True)
                median = statistics.median(times)
                met = median <= TARGET_SECONDS and not problems
                verdicts.append(met)
                print(f"{name + ' during ' + phase:<28} {median:>9.3f} {max(times):>7.3f} {median / baseline:>9.1f}  "
                      f"{'met' if met else 'NOT met'}")
                for wrong in problems:
                    print(f"    {wrong}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"interrupt speed: {sum(verdicts)}/{len(verdicts)} cases stop within {TARGET_SECONDS:.0f} s "
          f"with the right exit code and no process left")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
