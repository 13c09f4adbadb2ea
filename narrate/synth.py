"""Lines -> Clips: look each line up in the cache, synthesize the misses on a worker pool, keep the order."""
from __future__ import annotations

import multiprocessing
import os
import wave
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .cache import ClipCache, atomic_path
from .engines import get_engine
from .errors import EngineError
from .model import Clip, Line, Voice


@dataclass(frozen=True)
class SynthProgress:
    done: int  # lines whose clip is ready (cached or made)
    total: int
    cached: int  # of `done`, how many came from the cache


def default_jobs() -> int:
    return os.cpu_count() or 1


def synthesize(lines: Sequence[Line], cache: ClipCache, jobs: int | None = None,
               on_progress: Callable[[SynthProgress], None] | None = None) -> list[Clip]:
    """One Clip per line, in order. Identical lines (same key) are synthesized once."""
    report = on_progress or (lambda _progress: None)
    unique: dict[str, Line] = {}
    for line in lines:
        unique.setdefault(line.key, line)
    misses = [line for key, line in unique.items() if not cache.has(key)]
    copies: dict[str, int] = {}  # key -> lines sharing it, so progress counts lines, not keys
    for line in lines:
        copies[line.key] = copies.get(line.key, 0) + 1
    cached = len(lines) - sum(copies[line.key] for line in misses)
    done = cached
    report(SynthProgress(done, len(lines), cached))
    tasks = [(line.voice.engine, line.text_to_speak, line.voice, str(cache.path_for(line.key))) for line in misses]
    for line, _ in zip(misses, _run(tasks, jobs or default_jobs())):
        done += copies[line.key]
        report(SynthProgress(done, len(lines), cached))
    return [_clip(line, cache.path_for(line.key)) for line in lines]


def _run(tasks: list[tuple[str, str, Voice, str]], jobs: int):
    """Yields as each task finishes, in task order."""
    if jobs <= 1 or len(tasks) < 2:
        for task in tasks:
            yield _render(task)
        return
    # The engine must not be created before a fork (pyttsx3 hangs): workers start fresh with forkserver.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        yield from pool.map(_render, tasks, chunksize=max(1, min(8, len(tasks) // (jobs * 8))))


def _render(task: tuple[str, str, Voice, str]) -> str:
    engine_id, text, voice, out = task
    final = Path(out)
    with atomic_path(final) as tmp:
        get_engine(engine_id).synthesize(text, voice, str(tmp))
    return out


def _clip(line: Line, path: Path) -> Clip:
    try:
        with wave.open(str(path), "rb") as wav:
            return Clip(line=line, path=str(path), frames=wav.getnframes(), sample_rate=wav.getframerate())
    except (OSError, wave.Error, EOFError) as err:
        raise EngineError(f"{path}: cached clip is unreadable ({err}). Delete that file "
                          f"(it is only a cache), then build again.") from None
