#!/usr/bin/env python3
"""The cache's bytes per hour of audio, and the time of an incremental rebuild, before and after clips were
kept as FLAC (issue 17, item 19), on the same book in the same run.

BASE is a checkout of narrate from before (`git worktree add /tmp/wt-base <commit>`: WAV clips); NEW is one
with FLAC clips (default: this repository). Each builds the same book (LitBank excerpts, one per chapter, read
from ../shared/attribution-dev/litbank) into a cache of its own, with the venv of this repository (`python -m
narrate`, run in the checkout). Then, --repeat times, one sentence of the book is edited (the same edit for
both) and each rebuilds, alternating which goes first; the load average is printed before each rebuild, and the
medians compared. Last, the cost of the clip format itself over NEW's clips: sealing (FLAC encoding), the
lookup's check (a digest of the file) and decoding, per hour of speech, beside what WAV clips cost (a digest
of the samples, as the lookup did; reading them).

usage: bench/cache_size.py [--base DIR] [--new DIR] [--works N (8)] [--repeat N (6)] [-j N]
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
PYTHON = ROOT / ".venv" / "bin" / "python"
LITBANK = ROOT.parent / "shared" / "attribution-dev" / "litbank"


def book(works: list[Path]) -> str:
    lines = ["# A Shelf of Excerpts", "", "By Several Hands", ""]
    for n, work in enumerate(works, 1):
        lines += [f"## Chapter {n}", "", work.read_text(encoding="utf-8").strip(), ""]
    return "\n".join(lines)


def edited(text: str, repeat: int) -> str:
    """The book with one sentence changed: the first paragraph of the middle chapter gets a sentence of its own."""
    chapters = text.split("\n## Chapter ")
    middle = len(chapters) // 2
    head, _, rest = chapters[middle].partition("\n\n")
    paragraph, _, tail = rest.partition("\n\n")
    chapters[middle] = f"{head}\n\n{paragraph} The clock in the hall struck {repeat + 2} times.\n\n{tail}"
    return "\n## Chapter ".join(chapters)


def build(checkout: Path, work: Path, jobs: int) -> float:
    """Wall seconds of `narrate build` of work/story.md in `checkout`'s code, into work/out with work/cache."""
    env = dict(os.environ, NARRATE_CACHE_DIR=str(work / "cache"), NARRATE_CACHE_MAX="none")
    started = time.perf_counter()
    result = subprocess.run([str(PYTHON), "-m", "narrate", "build", str(work / "story.md"), "-o", str(work / "out"),
                             "-j", str(jobs), "-q"], cwd=checkout, env=env, capture_output=True, text=True,
                            check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{checkout}: build failed ({result.returncode}): {result.stderr[-2000:]}")
    return wall


def audio_hours(out: Path) -> float:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return sum(chapter["duration"] for chapter in manifest["chapters"]) / 3600


def cache_bytes(cache: Path) -> dict[str, int]:
    """Bytes on disk per store: clips, encoded units (masters), and the rest (records)."""
    sizes = {"clips": 0, "masters": 0, "rest": 0}
    for path in cache.rglob("*"):
        if path.is_file() and "words" not in path.relative_to(cache).parts:  # the word list: one per cache
            store = next((part for part in path.relative_to(cache).parts if part in sizes), "rest")
            sizes[store] += path.stat().st_size
    return sizes


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def codec_costs(cache: Path) -> None:
    """Seconds per hour of speech that the FLAC clips cost to seal, check and decode, beside WAV's costs."""
    import hashlib
    import io
    import wave

    sys.path.insert(0, str(ROOT))
    from narrate.state import clip_info, clip_samples, sealed_clip

    clips = [p.read_bytes() for p in cache.rglob("*.flac")]
    decoded = [clip_samples(data) for data in clips]
    hours = sum(info.frames / info.sample_rate for info, _ in decoded) / 3600

    def per_hour(action) -> float:
        started = time.perf_counter()
        action()
        return (time.perf_counter() - started) / hours

    def as_wavs() -> list[bytes]:
        out = []
        for info, samples in decoded:
            buffer = io.BytesIO()
            with wave.open(buffer, "wb") as wav:
                wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(info.sample_rate)
                wav.writeframes(samples)
            out.append(buffer.getvalue())
        return out

    def read_wav(data: bytes) -> bytes:
        with wave.open(io.BytesIO(data)) as wav:
            return wav.readframes(wav.getnframes())

    wavs = as_wavs()
    rows = [("seal (encode)", per_hour(lambda: [sealed_clip(i.sample_rate, s) for i, s in decoded]),
             per_hour(as_wavs)),
            ("lookup check", per_hour(lambda: [clip_info(d) for d in clips]),
             per_hour(lambda: [hashlib.sha256(w).digest() for w in wavs])),
            ("decode (read samples)", per_hour(lambda: [clip_samples(d) for d in clips]),
             per_hour(lambda: [read_wav(w) for w in wavs]))]
    print(f"\nclip format cost over {len(clips)} clips ({hours:.2f} h of speech), seconds per hour of speech:")
    print(f"  {'':24}{'FLAC':>8}{'WAV':>8}")
    for name, flac, wav in rows:
        print(f"  {name:24}{flac:8.2f}{wav:8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=Path("/tmp/wt-base"), help="narrate with WAV clips")
    parser.add_argument("--new", type=Path, default=ROOT, help="narrate with FLAC clips")
    parser.add_argument("--works", type=int, default=8, help="LitBank excerpts, one per chapter")
    parser.add_argument("--repeat", type=int, default=6, help="incremental rebuilds of each")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    works = sorted(LITBANK.glob("*.txt"))[:args.works]
    if not works:
        sys.exit(f"no LitBank texts in {LITBANK}")
    if not (args.base / "narrate").is_dir():
        sys.exit(f"{args.base}: no narrate checkout there; make one with `git worktree add {args.base} <commit>`")
    variants = {"base (WAV)": args.base, "new (FLAC)": args.new}
    text = book(works)
    with tempfile.TemporaryDirectory(prefix="narrate-cache-size-") as tmp:
        works_dir = {name: Path(tmp) / str(n) for n, name in enumerate(variants)}
        print(f"{len(works)} LitBank excerpts, {len(text.split())} words; -j {args.jobs}")
        sizes = {}
        for name, checkout in variants.items():
            work = works_dir[name]
            work.mkdir()
            (work / "story.md").write_text(text, encoding="utf-8")
            print(f"cold build, {name}: {load()}", flush=True)
            wall = build(checkout, work, args.jobs)
            hours = audio_hours(work / "out")
            sizes[name] = {store: size / hours for store, size in cache_bytes(work / "cache").items()}
            print(f"  {wall:.1f} s, {hours:.2f} h of audio")
        print("\ncache bytes per hour of audio (MB/h):")
        print(f"  {'':12}{'clips':>8}{'units':>8}{'rest':>8}{'total':>8}")
        for name, per in sizes.items():
            print(f"  {name:12}{per['clips'] / 1e6:8.1f}{per['masters'] / 1e6:8.1f}{per['rest'] / 1e6:8.2f}"
                  f"{sum(per.values()) / 1e6:8.1f}")
        base, new = sizes.values()
        print(f"  new / base: clips {new['clips'] / base['clips']:.3f}, whole cache "
              f"{sum(new.values()) / sum(base.values()):.3f}")

        times: dict[str, list[float]] = {name: [] for name in variants}
        print(f"\nincremental rebuilds (one sentence edited), {args.repeat} of each, alternating:")
        for repeat in range(args.repeat):
            order = list(variants) if repeat % 2 == 0 else list(reversed(variants))
            for name in order:
                (works_dir[name] / "story.md").write_text(edited(text, repeat), encoding="utf-8")
                before = load()
                times[name].append(build(variants[name], works_dir[name], args.jobs))
                print(f"  {repeat + 1} {name:12}{times[name][-1]:7.2f} s   ({before})", flush=True)
        medians = {name: statistics.median(t) for name, t in times.items()}
        for name, median in medians.items():
            print(f"  median {name:12}{median:7.2f} s  (min {min(times[name]):.2f}, max {max(times[name]):.2f})")
        base_time, new_time = medians.values()
        print(f"  new / base: {new_time / base_time:.3f}")
        codec_costs(works_dir["new (FLAC)"] / "cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
