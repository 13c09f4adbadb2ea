#!/usr/bin/env python3
"""A long book built end to end, as a listener gets it: LitBank excerpts joined into volumes and chapters,
with an illustration line and a long letter, built by `narrate build` and checked by `narrate check`.

Prints the parts and their titles (files and .m4b chapter marks: unique and in order, volume pages folded into
the chapter after them), what `narrate script` skipped as apparatus, the subtitles (cues, longest, share of cues up to 8 s), the check's verdicts,
the cache size, the wall time and the peak memory of the build.

usage: bench/novel.py [--works N] [--chapters-per-volume K] [--keep DIR]
LitBank's texts are read from ../shared/attribution-dev/litbank (each work's excerpt becomes one chapter).
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NARRATE = ROOT / ".venv" / "bin" / "narrate"
LITBANK = ROOT.parent / "shared" / "attribution-dev" / "litbank"

LETTER = ("\u201cMy dear Sister, I write in haste, for the coach leaves at noon and I must not miss it. The news "
          "from home is grave; our father has gone to London, and nobody knows where our sister is, or whether "
          "she is married at all, or what will become of us if she is not. " * 6
          + "Pray come home at once. Yours ever, in great haste, L.\u201d")


def novel(works: list[Path], per_volume: int) -> str:
    """The works' excerpts as chapters of numbered volumes, each volume's page with a printer's imprint and its
    end marked; an illustration and a letter in the second."""
    roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
    lines = ["# The Long Novel", "", "By Several Hands", ""]
    for n, work in enumerate(works):
        volume = roman[min(n // per_volume, 9)]
        if n % per_volume == 0:
            if n:
                lines += [f"END OF VOL. {roman[min(n // per_volume - 1, 9)]}.", ""]
            lines += [f"VOLUME {volume}.", "", "LONDON:", "PRINTED FOR THE PROPRIETORS.", "1821.", ""]
        lines += [f"CHAPTER {n % per_volume + 1}.", ""]
        text = work.read_text(encoding="utf-8").strip()
        if n == 1:
            text += "\n\n[Illustration: A VICARAGE HOUSE.]\n\nShe opened the letter and read:\n\n" + LETTER
        lines += [text, ""]
    return "\n".join(lines)


def duration(path: Path) -> float:
    return float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                 str(path)], capture_output=True, text=True, check=True).stdout)


def chapter_marks(book: Path) -> list[str]:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "chapter_tags=title", "-of", "csv=p=0",
                          str(book)], capture_output=True, text=True, check=True).stdout
    return [line.strip().strip('"') for line in out.splitlines() if line.strip()]


def cue_lengths(vtt: Path) -> list[float]:
    def seconds(stamp: str) -> float:
        h, m, s = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    return [seconds(b) - seconds(a) for a, b in re.findall(r"^(\S+) --> (\S+)", vtt.read_text(encoding="utf-8"),
                                                           re.MULTILINE)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=8)
    parser.add_argument("--chapters-per-volume", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="build here (and keep it) instead of a temporary folder")
    args = parser.parse_args()
    works = sorted(LITBANK.glob("*.txt"))[:args.works]
    if not works:
        print(f"no LitBank texts in {LITBANK}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        story = work / "novel.md"
        story.write_text(novel(works, args.chapters_per_volume), encoding="utf-8")
        out, cache = work / "out", work / "cache"
        env = dict(os.environ, NARRATE_CACHE_DIR=str(cache))
        started = time.perf_counter()
        subprocess.run([str(NARRATE), "build", str(story), "-o", str(out), "-q"], check=True, env=env)
        wall = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        mp3s = sorted(out.glob("*.mp3"))
        words = len(re.findall(r"\w+", story.read_text(encoding="utf-8")))
        audio = sum(duration(p) for p in mp3s)
        print(f"{len(works)} works, {words} words: {len(mp3s)} parts, {audio / 3600:.2f} h of audio")
        for p in mp3s:
            print(f"  {p.name}")
        books = sorted(out.glob("*.m4b"))
        marks = chapter_marks(books[0]) if books else []
        print(f".m4b chapter marks: {len(marks)}, {len(set(marks))} distinct; first {marks[:3]}")
        script = subprocess.run([str(NARRATE), "script", str(story)], capture_output=True, text=True, env=env,
                                check=True)
        skipped = script.stderr[script.stderr.find("skipped, not read aloud"):].strip()
        print(skipped or "skipped: nothing")
        cues = [length for vtt in out.glob("*.vtt") for length in cue_lengths(vtt)]
        if cues:
            short = sum(1 for c in cues if c <= 8.0) / len(cues)
            print(f"subtitles: {len(cues)} cues, longest {max(cues):.1f} s, {100 * short:.1f} % up to 8 s, "
                  f"{sum(1 for c in cues if c > 15)} over 15 s")
        started = time.perf_counter()
        check = subprocess.run([str(NARRATE), "check", str(out)], capture_output=True, text=True, env=env,
                               check=False)  # exit 1 when a file fails: the verdicts are printed
        verdicts = re.findall(r"\s(pass|FAIL)\b", check.stdout)
        print(f"check: {verdicts.count('pass')} pass, {verdicts.count('FAIL')} FAIL in "
              f"{time.perf_counter() - started:.1f} s")
        for line in check.stdout.splitlines():
            if "FAIL" in line:
                print(f"  {line.strip()}")
        size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
        print(f"cache {size / 1e6:.0f} MB; build wall time {wall:.0f} s; peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
