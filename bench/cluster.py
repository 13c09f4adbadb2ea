#!/usr/bin/env python3
"""Local worker processes vs a Dask LocalCluster on the same lines of the same story: what a segment costs
to send to a cluster, and from that, how many machines each engine needs before a cluster pays.

Per engine, in one run, with the engine already loaded on every worker (start-up is not counted):
  local    wall seconds of synth.synthesize on this machine's pool (as `narrate build` runs it)
  cluster  the same lines on a distributed.LocalCluster with as many worker slots (clips sent back to the
           client as bytes over TCP, as to a client whose cache the workers do not mount)
  work     slot-seconds one segment takes on this machine: local wall x slots / segments
  overhead extra slot-seconds per segment on the cluster: (cluster - local) x slots / segments
  floor    the scheduler's own cost per submitted task (no-op tasks through the same client); lines go in
           chunks (remote.chunk_size), so its throughput cap is chunk / floor lines per second
  break-even  machines like this one a cluster needs to beat this machine alone: (work + overhead) / work
  x10      projected speed-up on 10 machines like this one: min(10 work / (work + overhead),
           work x chunk / (slots x floor))

Slots: engines that run in worker processes get one per core; engines that use threads (piper) get one
process per machine (Engine.parallel), as narrate's own pool does.

usage: bench/cluster.py [--story FILE] [--engines espeak,piper,hibari] [--segments N] [-j N]
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrate import pipeline  # noqa: E402 - after the path set-up, so the checkout's narrate is used
from narrate.casting.cast import clip_key  # noqa: E402
from narrate.engines import get_engine  # noqa: E402
from narrate.errors import NarrateError  # noqa: E402
from narrate.model import Line, Voice  # noqa: E402
from narrate.state import ClipCache  # noqa: E402
from narrate.synthesis import remote  # noqa: E402
from narrate.synthesis.local import LocalPool, default_jobs, synthesize  # noqa: E402
from narrate.synthesis.remote import ExecutorPool  # noqa: E402

VOICES = {"espeak": "en-us", "piper": "joe", "hibari": "heart"}
DEFAULT_SEGMENTS = {"espeak": 600, "piper": 60, "hibari": 150}  # ~20-40 s of local work each


def story_lines(story: Path, engine_id: str, count: int, take: str) -> list[Line]:
    """`count` lines of the story's spoken segments in one voice, repeated with a numbered take when the story
    is shorter; `take` makes this run's keys its own, so every line is a cache miss."""
    _config, script = pipeline.load(story)
    segments = [s for s in script.segments if s.kind != "skipped" and s.text.strip()]
    voice = Voice(engine=engine_id, voice=VOICES[engine_id])
    version = get_engine(engine_id).version()
    lines = []
    for n in range(count):
        segment = segments[n % len(segments)]
        text = " ".join(segment.text.split()) + (f" Take {n // len(segments)}." if n >= len(segments) else "")
        lines.append(Line(segment, voice, text, clip_key(voice, version, f"{take}:{text}")))
    return lines


def timed(lines: list[Line], pool, slots: int, work: Path) -> float:
    cache = ClipCache(work)
    synthesize(lines[:2 * slots], cache, slots, pool=pool)  # warm: every worker has loaded the engine
    started = time.perf_counter()
    synthesize(lines[2 * slots:], cache, slots, pool=pool)
    return time.perf_counter() - started


@contextlib.contextmanager
def clips_sent_back():
    """The workers are told the client's cache is not theirs to write: each clip comes back as bytes."""
    real = remote._probe
    remote._probe = lambda directory: contextlib.nullcontext((directory / ".narrate-probe-unseen", "unseen"))
    try:
        yield
    finally:
        remote._probe = real


def scheduler_floor(executor, tasks: int = 2000) -> float:
    started = time.perf_counter()
    for future in [executor.submit(int) for _ in range(tasks)]:
        future.result()
    return (time.perf_counter() - started) / tasks


def measure(engine_id: str, story: Path, segments: int, jobs: int, take: str) -> dict:
    from distributed import Client, LocalCluster

    slots = 1 if get_engine(engine_id).parallel == "threads" else jobs
    lines = story_lines(story, engine_id, segments + 2 * slots, take)
    n = len(lines) - 2 * slots
    with tempfile.TemporaryDirectory(prefix="narrate-bench-cluster-") as scratch:
        work = Path(scratch)
        with LocalPool() as pool:
            local = timed(lines, pool, slots, work / "local")
        with LocalCluster(n_workers=slots, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client, clips_sent_back():
            executor = client.get_executor(pure=False)
            cluster_seconds = timed(lines, ExecutorPool(executor, "the LocalCluster", slots), slots, work / "cluster")
            floor = scheduler_floor(executor)
    per_segment = local * slots / n
    overhead = (cluster_seconds - local) * slots / n
    return {"engine": engine_id, "segments": n, "slots": slots, "local": local, "cluster": cluster_seconds,
            "work_ms": 1000 * per_segment, "overhead_ms": 1000 * overhead, "floor_ms": 1000 * floor,
            "break_even": (per_segment + overhead) / per_segment,
            "x10": min(10 * per_segment / (per_segment + overhead),
                       per_segment * remote.chunk_size(10 * n, 10 * slots) / (slots * floor))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--story", type=Path, default=ROOT / "stories" / "the-signal-keepers.md")
    parser.add_argument("--engines", default="espeak,piper,hibari")
    parser.add_argument("--segments", type=int, help="lines per engine (default: per engine, ~20-40 s of work)")
    parser.add_argument("-j", "--jobs", type=int, default=default_jobs(), help="slots for process engines")
    args = parser.parse_args()
    take = f"bench-{time.time_ns()}"
    print(f"{'engine':8} {'segs':>5} {'slots':>5} {'local s':>8} {'cluster s':>9} {'work ms':>8} "
          f"{'overhead ms':>11} {'floor ms':>8} {'break-even':>10} {'x10':>5}")
    for engine_id in args.engines.split(","):
        try:
            row = measure(engine_id, args.story, args.segments or DEFAULT_SEGMENTS[engine_id], args.jobs, take)
        except NarrateError as err:
            print(f"{engine_id:8} skipped: {err}")
            continue
        print(f"{row['engine']:8} {row['segments']:5d} {row['slots']:5d} {row['local']:8.2f} {row['cluster']:9.2f} "
              f"{row['work_ms']:8.1f} {row['overhead_ms']:11.1f} {row['floor_ms']:8.2f} "
              f"{row['break_even']:10.2f} {row['x10']:5.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
