#!/usr/bin/env python3
"""The same text through every speech engine, in one run: real-time factor, peak memory, raw level.

Each engine runs in a fresh subprocess (so its peak RSS is its own), speaks the text one sentence per line as
a build does, with `-j` workers in the way the engine declares (`Engine.parallel`: threads in that process, or
worker processes), after one warm-up line. Printed per engine:

  load     seconds to the first line (imports, model load, warm-up)
  wpm      words per minute of the result (every engine at its speed for rate 170, pauses within lines included)
  RTF      seconds of speech per second of wall time, warm, with -j workers
  RSS      peak resident memory of each process that held the engine, in MB
  RMS      raw level of the speech (dBFS, over the whole text) and its integrated loudness (LUFS): the gain
           that matches the engines is the difference

usage: bench/engines.py [ENGINE ...] [-j N] [--mode threads|processes] [--text FILE] [--words N]
Default engines: espeak, piper, hibari, kokoro (those installed). The default text is our own prose below.
Kokoro runs on its real model when the voices folder holds it; otherwise on the stand-in that
tools/make_tiny_kokoro.py makes (a tone, not speech), marked so in the table: then its figures are those of
everything around the weights (phonemes, batching, trimming, the WAV), not Kokoro's speed.
"""
from __future__ import annotations

import argparse
import array
import contextlib
import json
import math
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import wave
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrate import voicelib  # noqa: E402 - after the path set-up, so the checkout's narrate is the one used
from narrate.audio import loudness  # noqa: E402
from narrate.engines import base, get_engine  # noqa: E402
from narrate.model import Voice  # noqa: E402

VOICES = {"espeak": "en-us", "piper": "joe", "hibari": "heart", "kokoro": "af_bella"}
TEXT = (
    "The lighthouse keeper wound the clock before dawn, as he had done every morning for thirty years. "
    "Nobody thanked him for it. The gulls, at least, seemed to approve of the routine, and they said so loudly. "
    "When the supply boat was late, he rationed the coffee and read the same three books again. "
    "\"You could leave,\" his sister wrote in every letter, \"there are towns with roads and doctors.\" "
    "He always answered that the lamp would not light itself, which was no longer true: it had been automatic "
    "since the spring. On the first calm evening of October he climbed the stairs, counted the steps as usual, "
    "and found a stranger sitting on the gallery with a thermos and a notebook. "
    "\"I'm from the survey,\" she said, before he could ask. \"They told me you'd be friendly.\" "
    "\"They were wrong,\" he said, and then he sat down beside her, because the light was good and the sea was flat."
)
_SENTENCE = re.compile(r"(?<=[.!?])[\"”]?\s+(?=[\"“A-Z])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


# ---- in the engine's subprocess ---------------------------------------------------------------------------

def _speak(engine_id: str, text: str, path: str) -> tuple[str, int, int]:
    """One line into `path`; returns (path, this process's id, its peak RSS so far in kB)."""
    get_engine(engine_id).synthesize(text, Voice(engine=engine_id, voice=VOICES[engine_id]), path)
    return path, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _executor(mode: str, jobs: int) -> Executor:
    if mode == "threads":
        return ThreadPoolExecutor(jobs)
    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("forkserver"))


def run_engine(engine_id: str, lines: list[str], jobs: int, mode: str | None, workdir: Path) -> dict:
    """Speak `lines` with `engine_id`; the figures for one row of the table."""
    mode = mode or get_engine(engine_id).parallel
    started = time.perf_counter()
    with _executor(mode, jobs) as pool:
        # one warm-up line per worker: model loads are not part of the real-time factor
        list(pool.map(_speak, [engine_id] * jobs, ["Warm up."] * jobs,
                      [str(workdir / f"warm-{i}.wav") for i in range(jobs)]))
        loaded = time.perf_counter()
        paths = [str(workdir / f"{i:03}.wav") for i in range(len(lines))]
        results = list(pool.map(_speak, [engine_id] * len(lines), lines, paths))
        finished = time.perf_counter()
    rss: dict[int, int] = {}
    for _, pid, kb in results:  # peak RSS only grows: each process's last answer is its peak
        rss[pid] = max(kb, rss.get(pid, 0))
    joined = workdir / "all.wav"
    rate, audio_seconds = _join([path for path, _, _ in results], joined)
    return {
        "engine": engine_id, "version": get_engine(engine_id).version(), "mode": mode, "jobs": jobs,
        "rate": rate, "words": sum(len(line.split()) for line in lines), "load": loaded - started, "audio": audio_seconds, "wall": finished - loaded,
        "rss_mb": sorted(round(kb / 1024) for kb in rss.values()), "rms_dbfs": _rms_dbfs(joined),
        "lufs": loudness.measure(joined).integrated_lufs,
    }


def _join(paths: list[str], out: Path) -> tuple[int, float]:
    frames = 0
    with wave.open(str(out), "wb") as joined:
        for i, path in enumerate(paths):
            with wave.open(path, "rb") as clip:
                if i == 0:
                    joined.setparams(clip.getparams())
                joined.writeframes(clip.readframes(clip.getnframes()))
                frames += clip.getnframes()
            rate = clip.getframerate()
    return rate, frames / rate


def _rms_dbfs(path: Path) -> float:
    """RMS level over the frames that carry speech (10 ms frames above -50 dBFS), so padding does not count."""
    with wave.open(str(path), "rb") as clip:
        samples = array.array("h", clip.readframes(clip.getnframes()))
        frame = clip.getframerate() // 100
    powers = [sum(s * s for s in samples[i:i + frame]) / frame for i in range(0, len(samples) - frame, frame)]
    floor = 32768 ** 2 * 10 ** (-50 / 10)
    voiced = [p for p in powers if p > floor]
    return 10 * math.log10(sum(voiced) / len(voiced) / 32768 ** 2)


# ---- in the parent ----------------------------------------------------------------------------------------

def measure(engine_id: str, args: argparse.Namespace) -> dict:
    """One engine's row, measured in a subprocess of its own that reads the lines as JSON on stdin."""
    command = [sys.executable, __file__, "--worker", engine_id, "-j", str(args.jobs)]
    command += ["--mode", args.mode] if args.mode else []
    with contextlib.ExitStack() as stack:
        env = _stand_in_env(stack) if engine_id == "kokoro" and not _kokoro_here() else None
        done = subprocess.run(command, input=json.dumps(args.lines), capture_output=True, text=True, env=env,
                              check=False)
    if done.returncode != 0:
        return {"engine": engine_id, "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return {**json.loads(done.stdout), "stand_in": env is not None}


def _kokoro_here() -> bool:
    return voicelib.is_downloaded("kokoro", VOICES["kokoro"])


def _stand_in_env(stack: contextlib.ExitStack) -> dict[str, str]:
    """An environment whose voices folder holds the stand-in Kokoro files (removed when `stack` closes)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import make_tiny_kokoro

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="narrate-kokoro-")))
    make_tiny_kokoro.write(folder / "kokoro")
    return {**os.environ, voicelib.ENV_VAR: str(folder)}


def print_table(rows: list[dict]) -> None:
    print(f"{'engine':8} {'mode':>13} {'rate':>6} {'load s':>7} {'audio s':>8} {'wpm':>4} {'RTF':>7} {'RSS MB per worker':>18} "
          f"{'RMS dBFS':>9} {'LUFS':>6}")
    for row in rows:
        if "error" in row:
            print(f"{row['engine']:8} not run: {row['error']}")
            continue
        rss = "+".join(str(mb) for mb in row["rss_mb"])
        name = row["engine"] + ("*" if row.get("stand_in") else "")
        print(f"{name:8} {row['mode'] + ' x' + str(row['jobs']):>13} {row['rate']:>6} {row['load']:>7.2f} "
              f"{row['audio']:>8.1f} {60 * row['words'] / row['audio']:>4.0f} {row['audio'] / row['wall']:>6.1f}x {rss:>18} {row['rms_dbfs']:>9.1f} "
              f"{row['lufs']:>6.1f}")
    for row in rows:
        if "error" not in row:
            print(f"  {row['engine']}: {row['version']}")
    if any(row.get("stand_in") for row in rows):
        print("  * on the stand-in model of tools/make_tiny_kokoro.py (a tone as long as the phonemes, not speech): "
              "everything around Kokoro's weights, not their speed; the real files are not in the voices folder")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engines", nargs="*", default=None)
    parser.add_argument("-j", "--jobs", type=int, default=1, help="workers per engine (default 1)")
    parser.add_argument("--mode", choices=["threads", "processes"], help="override each engine's declared mode")
    parser.add_argument("--text", type=Path, help="speak this file instead of the built-in passage")
    parser.add_argument("--words", type=int, default=0, help="only the first N words of the text")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        with tempfile.TemporaryDirectory(prefix="narrate-bench-") as workdir:
            row = run_engine(args.worker, json.load(sys.stdin), args.jobs, args.mode, Path(workdir))
        print(json.dumps(row))
        return 0

    text = args.text.read_text(encoding="utf-8-sig") if args.text else TEXT
    if args.words:
        text = " ".join(text.split()[: args.words])
    args.lines = sentences(text)
    engines = args.engines or [e for e in VOICES if e in base.BUILTIN_ENGINES]
    print(f"{len(text.split())} words, {len(args.lines)} lines, -j {args.jobs}", flush=True)
    print_table([measure(engine_id, args) for engine_id in engines])
    return 0


if __name__ == "__main__":
    sys.exit(main())
