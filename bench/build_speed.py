#!/usr/bin/env python3
"""`narrate build` against the raw tool chain, on generated stories of 2k, 20k and 50k words, in one run.

(a) the raw chain on the same text with narrate's default encoder settings, one step after the other:
    `espeak-ng -f story.txt -w all.wav`, ffmpeg to one 64k MP3 (no bit reservoir, as narrate's units), ffmpeg
    to one 64k AAC M4B (-aac_coder fast);
(b) `narrate build` (mp3 chapters + m4b, loudness normalisation on) with a cold clip cache;
(c) the same build again, nothing changed;
(c) is answered from the manifest: the CLI finds the last build current and does nothing;
(d) after recasting the busiest non-narrator character (~10 % of the lines): everyone is auto-cast at first,
    then voices.yaml gives that one a voice and pitch of its own (the others keep theirs: auto-casting is
    stable, so only that character's lines are synthesized again and only units holding them re-encoded).
Prints wall times, the ratios to (a), the peak RSS of narrate's whole process tree, audio hours, cache hits and
the load average before each row (other jobs on the machine slow every figure but the ratios less).

With --repeat N every size is measured N times, each from a fresh directory and cache, and the table shows the
median of each time (and the largest peak RSS): on a shared virtual machine one run in a few is slowed by its
neighbours, and the 2k-word builds last a second or less.

usage: bench/build_speed.py [--sizes 2000,20000,50000] [-j N] [--repeat N]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NARRATE = ROOT / ".venv" / "bin" / "narrate"
CAST = [("Mara", "she"), ("Tomas", "he"), ("Ines", "she"), ("Bram", "he"), ("Odile", "she"), ("Piet", "he")]
RECAST_VOICE = {"she": "en-us+f2", "he": "en-us+m3"}  # voices the auto-cast pools do not use
VERBS = ["said", "asked", "answered", "replied", "whispered", "muttered", "called"]
NOUNS = ["lamp", "harbour", "radio", "logbook", "tide", "gull", "rope", "lantern", "storm", "kettle", "map", "door"]
ADJECTIVES = ["grey", "cold", "bright", "old", "quiet", "heavy", "salt-stained", "narrow", "distant", "warm"]


def sentence(rng: random.Random) -> str:
    noun, other = rng.sample(NOUNS, 2)
    return (f"The {rng.choice(ADJECTIVES)} {noun} {rng.choice(['stood', 'waited', 'shook', 'shone', 'creaked'])} "
            f"by the {rng.choice(ADJECTIVES)} {other}.")


def story(words: int, seed: int = 7) -> str:
    """A story of about `words` words: chapters of narration and dialogue among six characters."""
    rng = random.Random(seed)
    out, count, chapter = ["# A Generated Night", "", "by Bench Writer", ""], 0, 0
    while count < words:
        if count >= chapter * 2500:
            chapter += 1
            out += [f"## Chapter {chapter}", ""]
        name, pronoun = rng.choice(CAST)
        narration = " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))
        line = " ".join(sentence(rng) for _ in range(rng.randint(1, 2)))
        verb = rng.choice(VERBS)
        paragraph = rng.choice([f"{narration} “{line}” {name} {verb}.",
                                f"“{line}” {name} {verb}. {narration}",
                                f"{name} looked up. “{line}”",
                                narration])
        out += [paragraph, ""]
        count += len(paragraph.split())
    return "\n".join(out)


def tree_rss_kb(root: int) -> int:
    """Resident memory of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as f:
                rss[int(entry)] = int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run(command: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak tree RSS (kB), stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{command[0]} failed ({process.returncode})")
    return time.perf_counter() - started, peak, out


def raw_chain(text_file: Path, work: Path) -> float:
    wav, started = work / "all.wav", time.perf_counter()
    subprocess.run(["espeak-ng", "-f", str(text_file), "-w", str(wav)], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "64k",
                    "-reservoir", "0", str(work / "all.mp3")], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-aac_coder", "fast", "-b:a", "64k",
                    "-f", "ipod", str(work / "all.m4b")], check=True)
    return time.perf_counter() - started


def cast_file(recast: tuple[str, str] | None = None) -> str:
    """voices.yaml: everyone auto-cast; with `recast` (name, pronoun), that one given a voice of its own."""
    lines = ["output: {format: [mp3, m4b]}"]
    if recast:
        lines += ["characters:", f"  {recast[0]}: {{voice: {RECAST_VOICE[recast[1]]}, pitch: 80}}"]
    return "\n".join(lines) + "\n"


def bench(words: int, jobs: int | None, work: Path) -> dict:
    text = story(words)
    source = work / "story.md"
    source.write_text(text, encoding="utf-8")
    plain = work / "story.txt"
    plain.write_text(re.sub(r"^#+ ", "", text, flags=re.M), encoding="utf-8")
    raw = raw_chain(plain, work)
    env = dict(os.environ, NARRATE_CACHE_DIR=str(work / "cache"))
    voices = work / "voices.yaml"
    busiest = max(CAST, key=lambda c: text.count(f"{c[0]} "))
    voices.write_text(cast_file(), encoding="utf-8")
    build = [str(NARRATE), "build", str(source), "-o", str(work / "out"), "--voices", str(voices)]
    build += ["-j", str(jobs)] if jobs else []
    cold, cold_rss, summary = run(build, env)
    again, _, _ = run(build, env)
    voices.write_text(cast_file(recast=busiest), encoding="utf-8")
    recast, _, recast_summary = run(build, env)
    hours = sum(float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                      str(p)], capture_output=True, text=True).stdout)
                for p in (work / "out").glob("*.mp3")) / 3600
    hits = re.search(r"\((\d+)/(\d+) clips from cache\)", recast_summary)
    return {"words": words, "hours": hours, "raw": raw, "cold": cold, "again": again, "recast": recast,
            "rss": cold_rss / 1024, "recast_hits": f"{hits[1]}/{hits[2]}" if hits else "?"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,50000")
    parser.add_argument("-j", "--jobs", type=int)
    parser.add_argument("--repeat", type=int, default=1, help="measure each size this many times; print medians")
    args = parser.parse_args()
    print(f"{'words':>6} {'audio h':>7} {'raw s':>7} {'cold s':>7} {'cold/raw':>8} {'peak RSS MB':>11} "
          f"{'nothing s':>9} {'/cold':>6} {'recast s':>8} {'/cold':>6} {'recast hits':>11} {'load':>5}")
    for size in (int(s) for s in args.sizes.split(",")):
        load = os.getloadavg()[0]
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as work:
                runs.append(bench(size, args.jobs, Path(work)))
        r = {**runs[-1], **{key: statistics.median(run[key] for run in runs) for key in ("raw", "cold", "again", "recast")},
             "rss": max(run["rss"] for run in runs)}
        print(f"{r['words']:6d} {r['hours']:7.2f} {r['raw']:7.1f} {r['cold']:7.1f} {r['cold'] / r['raw']:8.2f} "
              f"{r['rss']:11.0f} {r['again']:9.2f} {r['again'] / r['cold']:6.1%} {r['recast']:8.1f} "
              f"{r['recast'] / r['cold']:6.1%} {r['recast_hits']:>11} {load:5.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
