#!/usr/bin/env python3
"""How long the local worker pool takes to get past a worker that stalls, and to report a failing engine.

The engine is tests/fake_engine.py's TroubleEngine (a tone per line; "HANG" in a text hangs its worker, "FAIL"
raises EngineError), in real worker processes, with a stall noticed after --stall seconds. Baseline, measured
in the same run: the same lines with nothing marked. Each case prints its wall time, what it cost beyond the
baseline, and that cost over what the stall allowance itself makes it wait:
- stall once: one line hangs the first time only; its worker is replaced and the line retried (waits 1 allowance);
- always stalls: one line hangs every time, 2 attempts, then EngineError (waits 2 allowances);
- engine error: one line raises EngineError, reported at once without a retry (waits none).
The targets (once timed asserts in tests/test_synth.py): within 4 s of the allowances, and an engine error
before one allowance has passed.

usage: bench/stall_recovery.py [--stall SECONDS] [--lines N]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the fakes live with the tests; workers get this sys.path too

from fake_engine import TroubleEngine  # noqa: E402

from narrate.casting.cast import clip_key  # noqa: E402
from narrate.engines import base  # noqa: E402
from narrate.errors import EngineError  # noqa: E402
from narrate.model import Line, Segment, Voice  # noqa: E402
from narrate.state import ClipCache  # noqa: E402
from narrate.synthesis.local import StallLimits, synthesize  # noqa: E402

SLACK_SECONDS = 4.0


def lines_of(texts: list[str], once: Path | None) -> list[Line]:
    options = (("once", str(once)),) if once else ()
    voice = Voice(engine="trouble", voice="mid", options=options)
    return [Line(segment=Segment(chapter=1, index=i, kind="narration", text=t, start=0, end=len(t), paragraph=0),
                 voice=voice, text_to_speak=t, key=clip_key(voice, "fake 1", t)) for i, t in enumerate(texts)]


def timed(texts: list[str], limits: StallLimits, jobs: int, once: bool = False) -> float:
    """Seconds to synthesize `texts` into an empty cache; an EngineError ends the clock too."""
    with tempfile.TemporaryDirectory() as tmp:
        marks = Path(tmp) / "once"
        marks.mkdir()
        lines = lines_of(texts, marks if once else None)
        started = time.perf_counter()
        try:
            synthesize(lines, ClipCache(Path(tmp) / "cache"), jobs=jobs, limits=limits)
        except EngineError:
            pass
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stall", type=float, default=1.0, help="seconds before a line counts as stalled")
    parser.add_argument("--lines", type=int, default=16)
    args = parser.parse_args()
    base._engines["trouble"] = TroubleEngine()
    fine = [f"Line {i}." for i in range(1, args.lines)]
    cases = [  # name, texts, attempts, jobs, hangs only once, allowances it must wait
        ("stall once", ["It will HANG here, first of its chunk."] + fine, 3, 2, True, 1),
        ("always stalls", ["Fine first.", "It will HANG for ever.", "Fine last."], 2, 1, False, 2),
        ("engine error", ["Fine.", "Please FAIL this one."], 3, 1, False, 0),
    ]
    missed = False
    print(f"stall allowance {args.stall:g} s; slack allowed {SLACK_SECONDS:g} s")
    for name, texts, attempts, jobs, once, allowances in cases:
        limits = StallLimits(min_seconds=args.stall, speech_factor=0.0, attempts=attempts)
        baseline = timed([t.replace("HANG", "hang").replace("FAIL", "fail") for t in texts], limits, jobs)
        seconds = timed(texts, limits, jobs, once=once)
        waited = allowances * args.stall
        extra = seconds - baseline - waited
        ok = (waited <= seconds < waited + SLACK_SECONDS) if allowances else seconds < args.stall
        missed |= not ok
        ratio = f"{seconds / waited:.2f}x the allowances" if waited else f"{seconds / args.stall:.2f}x one allowance"
        print(f"{name:14s} {seconds:6.2f} s  baseline {baseline:5.2f} s  beyond baseline and allowances "
              f"{extra:+.2f} s  ({ratio}): {'met' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
