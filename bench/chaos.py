#!/usr/bin/env python3
"""Kill narrate at random moments and rebuild: the same book, nothing left behind (issue 16: the chaos run).

(a) The story is built once, uninterrupted, on an empty cache: the reference, and the length of each phase
    (synthesis, encoding, packaging) that the kills are spread over.
(b) --kills times: a build on an empty cache of its own is SIGKILLed (narrate alone, as the OOM killer would:
    its children must die with it) at a random moment of a phase (seeded; the phases taken in turn), then the
    same command is run again to completion on the same cache and into the same folder. The result is compared
    file by file with an uninterrupted build made from the very clips the round ended with (espeak's takes differ
    by a few frames from run to run, so two cold builds are not the same bytes; the same clips must give the same
    book): the same file names, every file the same bytes (so the same durations and the same .m4b chapter marks),
    the manifests equal apart from the files' times. Each round is also set against the cold reference (a): the
    same names and chapters, and how far the durations are from it (espeak's own spread, for information).
    Listed after each round: leftovers (hidden temporary files or `.narrate-tmp/` in the output folder, `.run.*`
    scratch or hidden temporary files in the cache) and orphans (a process of the killed build still running
    2 s after the kill, found by an environment marker).
(c) Two builds started at once on one empty cache, into two folders: both must exit 0 and give the same book as
    an uninterrupted build from the clips they shared.
Ends with a one-line verdict.

usage: bench/chaos.py [--kills N] [--seed N] [--story PATH] [--jobs N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from process_tools import a_clip_in, marked, marked_env

from narrate.state import store_root

PHASES = ("synthesis", "encoding", "packaging")
DURATION_TOLERANCE = 0.0005  # 0.05 %
ORPHAN_GRACE_SECONDS = 2.0


def build_command(story: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "narrate", "build", str(story), "-o", str(out), "-j", str(jobs), "-q"]


def start(story: Path, out: Path, cache: Path, jobs: int, mark: str) -> subprocess.Popen:
    env = marked_env(mark, {**os.environ, "NARRATE_CACHE_DIR": str(cache)})
    return subprocess.Popen(build_command(story, out, jobs), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, err = process.communicate()
    return process.returncode, err


def build(story: Path, out: Path, cache: Path, jobs: int) -> tuple[int, str]:
    return finish(start(story, out, cache, jobs, os.urandom(8).hex()))


def phase_now(out: Path, cache: Path) -> str | None:
    """Which phase a build has reached, from what it has written: a chapter file (in the output folder or its
    temporary folder) means packaging, a run of units being encoded means encoding, a clip means synthesis."""
    if out.is_dir() and any(p.is_file() for p in [*out.glob("*.*"), *out.glob(".narrate-tmp/*")]):
        return "packaging"
    if any((store_root(cache) / "masters").glob(".run.*")):
        return "encoding"
    if a_clip_in(cache):
        return "synthesis"
    return None


def timed_reference(story: Path, out: Path, cache: Path, jobs: int) -> dict[str, float]:
    """Builds the reference, noting when each phase began: {phase: seconds it lasted}."""
    process = start(story, out, cache, jobs, os.urandom(8).hex())
    began: dict[str, float] = {}
    started = time.monotonic()
    while process.poll() is None:
        phase = phase_now(out, cache)
        if phase is not None and phase not in began:
            began[phase] = time.monotonic() - started
        time.sleep(0.02)
    code, err = finish(process)
    if code != 0:
        sys.exit(f"the reference build failed ({code}): {err}")
    ended = time.monotonic() - started
    marks = sorted(began.items(), key=lambda item: item[1])
    return {phase: (marks[i + 1][1] if i + 1 < len(marks) else ended) - at for i, (phase, at) in enumerate(marks)}


def kill_during(story: Path, out: Path, cache: Path, jobs: int, phase: str, delay: float) -> tuple[str, list[str]]:
    """Starts a build, SIGKILLs narrate `delay` s into `phase`; (when it was killed, the orphans' commands)."""
    mark = os.urandom(8).hex()
    process = start(story, out, cache, jobs, mark)
    order = PHASES.index(phase)
    while process.poll() is None:
        reached = phase_now(out, cache)
        if reached is not None and PHASES.index(reached) >= order:
            break
        time.sleep(0.01)
    time.sleep(delay)
    if process.poll() is not None:
        finish(process)
        return "after the end", []
    killed_in = phase_now(out, cache) or "start-up"
    process.kill()
    process.communicate()
    deadline = time.monotonic() + ORPHAN_GRACE_SECONDS
    while marked(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    orphans = marked(mark)
    for pid in orphans:  # ours: ended so that they do not disturb the next rounds
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    return killed_in, list(orphans.values())


def leftovers(out: Path, cache: Path) -> tuple[list[str], list[str]]:
    """What a finished build should not have left: (hidden files or folders in the output folder and hidden
    temporary files in the cache, the masters' scratch folders of killed builds). A scratch folder is swept by a
    build only once it is a minute old (state.RUN_SWEEP_AGE), so one a kill left just before the rebuild is still
    there: listed apart. The store's lock file (.lock) is the store's own."""
    found = [f"out/{p.name}" for p in out.iterdir() if p.name.startswith(".")] if out.is_dir() else []
    store = store_root(cache)
    scratch = [str(p.relative_to(cache)) for p in (store / "masters").glob(".run.*")]
    found += [str(p.relative_to(cache)) for p in store.rglob(".*")
              if p != store / ".lock" and ".run." not in str(p.relative_to(store))]
    return found, scratch


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chapter_marks(m4b: Path) -> list[tuple[str, str]]:
    probed = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(m4b)],
                            capture_output=True, text=True, check=True)
    return [(c.get("tags", {}).get("title", ""), c["start_time"]) for c in json.loads(probed.stdout)["chapters"]]


def durations(out: Path) -> dict[str, float]:
    manifest = json.loads((out / "manifest.json").read_text())
    found = {chapter["title"]: chapter["duration"] for chapter in manifest["chapters"]}
    if manifest.get("book_file"):
        found[manifest["book_file"]["file"]] = manifest["book_file"]["duration"]
    return found


def audio_seconds(path: Path) -> float:
    probed = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                             str(path)], capture_output=True, text=True, check=True)
    return float(probed.stdout.strip())


def manifest_without_bytes(out: Path) -> dict:
    """The manifest but for what the files' bytes decide (their sizes, times and digests): an MP3 unit encoded in
    another run of units has other bytes for the same sound (the encoder's state carries over between units)."""
    manifest = json.loads((out / "manifest.json").read_text())
    manifest.pop("outputs", None)
    manifest.pop("digests", None)
    return manifest


def differences(got: Path, want: Path) -> tuple[list[str], int, int]:
    """How `got` differs from `want`, file by file (no difference: the same book), and how many of its audio
    files are the same bytes, of how many."""
    names = sorted(p.name for p in got.iterdir() if not p.name.startswith("."))
    wanted = sorted(p.name for p in want.iterdir() if not p.name.startswith("."))
    if names != wanted:
        return [f"file names differ: {sorted(set(names) ^ set(wanted))}"], 0, 0
    found, same_bytes, audio = [], 0, 0
    for name in names:
        if name == "manifest.json":
            continue
        if Path(name).suffix in (".srt", ".vtt"):  # timings from the clips: the same clips, the same text
            if digest(got / name) != digest(want / name):
                found.append(f"{name}: other subtitles")
            continue
        audio += 1
        same_bytes += digest(got / name) == digest(want / name)
        seconds, wanted_seconds = audio_seconds(got / name), audio_seconds(want / name)
        if abs(seconds - wanted_seconds) > DURATION_TOLERANCE * wanted_seconds:
            found.append(f"{name}: {seconds} s against {wanted_seconds} s")
        if name.endswith(".m4b") and chapter_marks(got / name) != chapter_marks(want / name):
            found.append(f"{name}: other chapter marks")
    if manifest_without_bytes(got) != manifest_without_bytes(want):
        found.append("manifest.json differs beyond the files' bytes and times")
    return found, same_bytes, audio


def from_same_clips(story: Path, cache: Path, work: Path, jobs: int, name: str) -> Path:
    """An uninterrupted build from a copy of `cache`'s clips alone (nothing else of the cache)."""
    clean = work / f"{name}-clean-cache"
    shutil.copytree(store_root(cache) / "clips", store_root(clean) / "clips")
    out = work / f"{name}-clean"
    code, err = build(story, out, clean, jobs)
    if code != 0:
        sys.exit(f"the uninterrupted build from {name}'s clips failed ({code}): {err}")
    return out


def against_cold(got: Path, cold: Path) -> tuple[bool, float]:
    """(same names and chapters as the cold reference, the largest duration difference from it in %)."""
    same = sorted(p.name for p in got.iterdir() if not p.name.startswith(".")) == \
        sorted(p.name for p in cold.iterdir() if not p.name.startswith("."))
    got_d, cold_d = durations(got), durations(cold)
    same = same and list(got_d) == list(cold_d)
    spread = max((abs(got_d.get(k, 0.0) - v) / v * 100 for k, v in cold_d.items() if v), default=0.0)
    return same, spread


@dataclass
class Round:
    phase: str
    delay: float
    killed_in: str = ""
    orphans: list[str] = field(default_factory=list)
    rebuilt: int = -1
    problems: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    scratch: list[str] = field(default_factory=list)
    same_bytes: str = ""
    cold_same: bool = False
    cold_spread: float = 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--story", type=Path, default=ROOT / "stories" / "the-signal-keepers.md")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    story = args.story.resolve()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; story {story.name}, "
          f"{args.kills} kills, seed {args.seed}")
    with tempfile.TemporaryDirectory(prefix="narrate-chaos-") as tmp:
        work = Path(tmp)
        started = time.monotonic()
        lasted = timed_reference(story, work / "reference", work / "reference-cache", args.jobs)
        print(f"(a) reference built in {time.monotonic() - started:.1f} s; phases: "
              + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in lasted.items()))

        rounds = []
        phases = [PHASES[i % len(PHASES)] for i in range(args.kills)]
        rng.shuffle(phases)
        for number, phase in enumerate(phases, 1):
            one = Round(phase, rng.uniform(0, max(0.05, lasted.get(phase, 0.5))))
            out, cache = work / f"round{number}", work / f"round{number}-cache"
            one.killed_in, one.orphans = kill_during(story, out, cache, args.jobs, phase, one.delay)
            one.rebuilt, err = build(story, out, cache, args.jobs)
            if one.rebuilt != 0:
                one.problems.append(f"rebuild exit {one.rebuilt}: {err.strip()[-300:]}")
            else:
                found, same, audio = differences(out, from_same_clips(story, cache, work, args.jobs,
                                                                      f"round{number}"))
                one.problems += found
                one.same_bytes = f"{same}/{audio} audio files the same bytes"
                one.cold_same, one.cold_spread = against_cold(out, work / "reference")
            one.left, one.scratch = leftovers(out, cache)
            rounds.append(one)
            print(f"(b) kill {number:>2}: aimed {phase:<9} +{one.delay:5.2f} s, killed in {one.killed_in:<13} "
                  f"rebuild exit {one.rebuilt}; {'identical' if not one.problems else '; '.join(one.problems)} "
                  f"({one.same_bytes}); vs the cold reference: {'same files' if one.cold_same else 'OTHER FILES'}, "
                  f"durations within {one.cold_spread:.3f} %; leftovers {one.left or 'none'}; scratch awaiting its "
                  f"sweep {len(one.scratch)}; orphans {one.orphans or 'none'}")
            shutil.rmtree(cache, ignore_errors=True)

        shared = work / "shared-cache"
        pair = [start(story, work / f"twin{n}", shared, args.jobs, os.urandom(8).hex()) for n in (1, 2)]
        exits = [finish(process) for process in pair]
        twins_ok = all(code == 0 for code, _ in exits)
        twin_problems = [f"twin {n} exit {code}: {err.strip()[-300:]}" for n, (code, err) in enumerate(exits, 1)
                         if code != 0]
        if twins_ok:
            clean = from_same_clips(story, shared, work, args.jobs, "twins")
            for n in (1, 2):
                twin_problems += [f"twin {n}: {d}" for d in differences(work / f"twin{n}", clean)[0]]
        twin_left = [*leftovers(work / "twin1", shared)[0], *leftovers(work / "twin2", shared)[0]]
        print(f"(c) two builds one cache: exits {[code for code, _ in exits]}; "
              f"{'both the same book as from their clips' if not twin_problems else '; '.join(twin_problems)}; "
              f"leftovers {twin_left or 'none'}")

    identical = sum(1 for r in rounds if r.rebuilt == 0 and not r.problems)
    left = sum(len(r.left) for r in rounds) + len(twin_left)
    orphans = sum(len(r.orphans) for r in rounds)
    scratch = sum(len(r.scratch) for r in rounds)
    twins = "both ok" if twins_ok and not twin_problems else "FAILED"
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"chaos: {identical}/{len(rounds)} kills rebuilt identical, {left} leftovers, {orphans} orphans; "
          f"two builds one cache: {twins} ({scratch} scratch folders of killed builds awaiting the next build "
          f"a minute on)")
    return 0 if identical == len(rounds) and not left and not orphans and twins == "both ok" else 1


if __name__ == "__main__":
    sys.exit(main())
