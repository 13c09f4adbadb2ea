"""Synthesis: Lines -> Clips, each a FLAC file in the clip store named by its line's key.

In: the Lines of casting/. Out: one Clip per Line, in order, every clip cached (state.ClipCache), so a rebuild
makes only what changed. Where the work runs is a Pool: local worker processes (local.py, the default), or any
concurrent.futures executor (remote.py), such as a Dask cluster's (cluster.py). The engines (engines/) turn one
line into audio; this package schedules them, retries a stalled or dead worker, and keeps the order.

Entry point: `synthesize(lines, cache, jobs, on_progress, pool)`."""
from narrate.synthesis.local import (
    LocalPool,
    Pool,
    SynthProgress,
    default_jobs,
    synthesize,
)

__all__ = ["LocalPool", "Pool", "SynthProgress", "default_jobs", "synthesize"]
