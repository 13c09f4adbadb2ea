"""The inner pauses of a clip: where its speaker stops between sentences. Subtitles cut a clip's cues there; a clip
of the store carries them in its record (worked out once, when the worker seals it), so a rebuild times every
cue without decoding the book's clips again."""
from __future__ import annotations

QUIET = 400  # a sample under this (about -38 dBFS) is quiet
GAP_MS = 80  # a pause between sentences in a clip lasts at least this
PARAMS = (QUIET, GAP_MS)  # what a clip's record states its pauses were found with


def inner_pauses(samples: bytes, rate: int) -> list[float]:
    """The middles (seconds) of the inner pauses of mono 16-bit `samples`: runs of 10 ms windows whose loudest
    sample is quiet, GAP_MS or longer, that touch neither edge."""
    import numpy as np

    levels = np.abs(np.frombuffer(samples, "<i2").astype(np.int32))
    window = max(1, rate // 100)  # 10 ms
    whole = len(levels) // window * window
    quiet = list(levels[:whole].reshape(-1, window).max(axis=1) < QUIET) if whole else []
    middles, run = [], 0
    for n, still in enumerate(quiet + [False]):
        if still:
            run += 1
            continue
        if run * window >= GAP_MS / 1000 * rate and n - run > 0 and n < len(quiet):  # inside, not at an edge
            middles.append((n - run / 2) * window / rate)
        run = 0
    return middles
