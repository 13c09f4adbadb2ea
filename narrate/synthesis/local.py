"""Lines -> Clips: look each line up in the cache, synthesize the misses on a pool, keep the order.

The pool is local worker processes by default (LocalPool), or any concurrent.futures executor, such as a Dask
cluster's (narrate.synthesis.remote.ExecutorPool). The local pool is our own over multiprocessing, because a stalled
worker must be killed on its own and concurrent.futures cannot do that. Each worker is fed chunks of lines over
its own pipe, writes every clip into the cache (atomically) as soon as it is made and reports it, so an
interrupted build keeps each finished clip. A worker that gives no result for a line in time (StallLimits), or
dies, is killed and replaced, and the line is tried again, a bounded number of times. A pool outlives one call
of synthesize(), so several books can share its workers (`narrate build-many`). Workers start as the work pays
for them: all at once for many lines, and for a few only while the ready ones would take longer than a start-up.
"""
from __future__ import annotations

import multiprocessing
import os
import pkgutil
import signal
import sys
import textwrap
import time
import wave
from collections import Counter, deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

from narrate import children, ffmpeg
from narrate.audio import pauses
from narrate.engines import Engine, get_engine, variants
from narrate.errors import EngineError
from narrate.model import BOOK_SAMPLE_RATE, Clip, Line, Voice
from narrate.state import (
    ClipCache,
    CorruptEntry,
    atomic_path,
    load_clip_codec,
    read_clip,
    seal_clip,
)

# Lines sent to a worker at once: they spare it a round trip to the parent per line, and shrink near the end
# so that all workers finish together. With espeak-ng a sentence takes a worker ~18 ms and the round trip
# ~0.2 ms of the parent's time: 500 sentences on 2 workers ran as fast with chunks of 1, 4, 8 or 16.
MAX_CHUNK = 8


@dataclass(frozen=True)
class SynthProgress:
    done: int  # lines whose clip is ready (cached or made)
    total: int
    cached: int  # of `done`, how many came from the cache
    retries: int = 0  # lines started again because their worker stalled or died


@dataclass(frozen=True)
class StallLimits:
    """How long a worker may spend on one line before it counts as stalled, and how often a line is tried.

    The allowance follows the line's expected speech duration so that engines much slower than espeak-ng
    (neural engines on a CPU run near real time) are never taken for stalled; espeak-ng needs ~0.1 % of it.
    """

    min_seconds: float = 30.0
    speech_factor: float = 20.0  # times the line's expected speech duration at its voice's rate
    attempts: int = 3

    def seconds_for(self, line: Line) -> float:
        speech_seconds = 60 * len(line.text_to_speak.split()) / max(line.voice.rate, 1)
        return max(self.min_seconds, self.speech_factor * speech_seconds)


def default_jobs() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Pool(Protocol):
    """Where the cache misses are synthesized: LocalPool, or remote.ExecutorPool over any executor."""

    def render(self, tasks: list[Task], jobs: int, attempts: int) -> Iterator[tuple[int, bool]]:
        """Makes every task's clip at its out_path. Yields (task index, True) as each is finished, in any order,
        and (task index, False) whenever one is set back to be tried again."""

    def rest(self) -> None:
        """No synthesis for a while (the book is being encoded): let go of what holds memory here; the next
        render starts afresh."""

    def close(self) -> None: ...


def synthesize(lines: Sequence[Line], cache: ClipCache, jobs: int | None = None,
               on_progress: Callable[[SynthProgress], None] | None = None, *,
               limits: StallLimits = StallLimits(), pool: Pool | None = None) -> list[Clip]:
    """One Clip per line, in order. Identical lines (same key) are synthesized once. The misses go to `pool`
    when one is given (it stays open), else to local workers started for this call.

    Raises EngineError when the engine fails on a line, or when a line stalled or killed its worker
    `limits.attempts` times; every clip finished before that stays in the cache.
    """
    report = on_progress or (lambda _progress: None)
    copies = Counter(line.key for line in lines)  # progress counts lines, not keys
    unique: dict[str, Line] = {}
    for line in lines:
        unique.setdefault(line.key, line)
    found = cache.lookup_all(unique)  # each clip read whole and checked, and marked used
    misses = [line for line, info in zip(unique.values(), found) if info is None]  # a corrupt clip too
    cached = len(lines) - sum(copies[line.key] for line in misses)
    done, retries = cached, 0
    report(SynthProgress(done, len(lines), cached))
    if misses:
        tasks = [Task.for_line(line, cache.path_for(line.key), limits) for line in misses]
        own_pool = LocalPool() if pool is None else None
        try:
            for batch, workers in _batches(misses, jobs or default_jobs()):
                for position, finished in (pool or own_pool).render([tasks[i] for i in batch], workers,
                                                                    limits.attempts):
                    if finished:
                        done += copies[misses[batch[position]].key]
                    else:
                        retries += 1
                    report(SynthProgress(done, len(lines), cached, retries))
        finally:
            if own_pool is not None:
                own_pool.close()
    return [_clip(line, cache.path_for(line.key)) for line in lines]


@dataclass(frozen=True)
class Task:
    """One clip to make: what to say, with which engine and voice, and where the clip goes."""

    engine: str  # "module:Class", imported in the worker: built-ins, plugins and test doubles alike
    text: str
    voice: Voice
    out_path: str
    seconds: float  # how long the worker may take before it counts as stalled

    @classmethod
    def for_line(cls, line: Line, out_path: Path, limits: StallLimits) -> Task:
        return cls(engine_path(line.voice.engine), line.text_to_speak, line.voice, str(out_path),
                   limits.seconds_for(line))


def _batches(misses: Sequence[Line], jobs: int) -> list[tuple[list[int], int]]:
    """(indexes into misses, worker processes) per batch, honouring how each engine parallelises: engines that
    spread over cores by processes get `jobs` workers; engines that use threads inside one process (and hold a
    large model) get one worker, which then uses its threads, rather than one copy of the model per core."""
    by_kind: dict[str, list[int]] = {}
    for index, line in enumerate(misses):
        by_kind.setdefault(type(get_engine(line.voice.engine)).parallel, []).append(index)
    return [(indexes, 1 if kind == "threads" else min(jobs, len(indexes))) for kind, indexes in by_kind.items()]


def engine_path(engine_id: str) -> str:
    """"module:Class" of the engine, as workers import it."""
    engine_class = type(get_engine(engine_id))  # checked here, in the parent, so a missing engine fails early
    return f"{engine_class.__module__}:{engine_class.__qualname__}"


class _Worker:
    """One worker process and the tasks it holds: the first is being spoken, the others wait their turn."""

    def __init__(self, context: multiprocessing.context.BaseContext, engine: str | None = None):
        self.conn, child_end = context.Pipe()
        # tied to this process (killed when it dies) when the main thread starts it: see narrate/children.py
        tie = os.getpid() if children.tied_from_here() else None
        self.process = context.Process(target=_serve, args=(child_end, sys.path, engine, tie),
                                       name="narrate-synth", daemon=True)
        self.process.start()
        child_end.close()
        self.ready = False  # set by its first message: its start-up time is not charged to any line
        self.born = time.monotonic()
        self.boot_seconds = 0.0  # from its start to its "ready"
        self.held: deque[int] = deque()
        self.allowed = 0.0  # seconds for the first task held, from when it was started
        self.started = 0.0  # when the first task held was started
        self.took = 0.0  # seconds the last task finished took
        self.deadline = float("inf")

    def give(self, chunk: list[int], tasks: list[Task]) -> None:
        self.conn.send([tasks[index] for index in chunk])
        self.held.extend(chunk)
        self._start_clock(tasks)

    def _start_clock(self, tasks: list[Task]) -> None:
        self.started = time.monotonic()
        self.allowed = tasks[self.held[0]].seconds if self.held else 0.0
        self.deadline = self.started + self.allowed if self.held else float("inf")

    def receive(self, tasks: list[Task]) -> Iterator[int]:
        """Each task the worker has finished since the last call; raises EngineError on a failed one."""
        try:
            while self.conn.poll():
                message = self.conn.recv()
                if message == "ready":
                    self.ready = True
                    self.boot_seconds = time.monotonic() - self.born
                    continue
                index = self.held.popleft()
                if message != "done":
                    raise EngineError(message)
                self.took = time.monotonic() - self.started
                self._start_clock(tasks)
                yield index
        except EOFError:  # it died: the caller finds out from its exit code
            return

    def trouble(self) -> str | None:
        """Why the worker must be replaced, if it must: it died, or the line it is on ran out of time."""
        if not self.process.is_alive():
            return f"its worker process died ({_exit_reason(self.process.exitcode)})"
        if self.held and time.monotonic() >= self.deadline:
            return f"its worker process gave no result for it within {self.allowed:.0f} s"
        return None

    def stop(self) -> None:
        self.process.kill()  # idle or stuck: nothing half-written is ever under a clip's final name
        self.process.join()
        self.conn.close()


class LocalPool:
    """Worker processes on this machine, started as needed and kept until close()."""

    def __init__(self) -> None:
        # spawn: fresh workers, so no engine is inherited across a fork and no fork server stays running
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers.clear()

    def warm(self, count: int, engine_id: str) -> None:
        """Start up to `count` workers now, before there is work for them, each loading engine `engine_id`
        meanwhile: a worker takes ~0.1 s to boot, and the engine may take as long again to load."""
        try:
            engine = engine_path(engine_id)
        except EngineError:  # not installed here: the workers boot all the same; a voice that needs it fails
            engine = None
        while len(self._workers) < count:
            self._workers.append(_Worker(self._context, engine))

    def _another_pays(self, jobs: int, pending: deque[int], task_seconds: float | None) -> bool:
        """Whether to start one more worker: there is work it could take, and either plenty of it, or more than
        the ready workers would finish, at the speed their lines show, in the time a worker takes to start (a
        rebuild's few espeak lines: one warm worker makes them before a second one could say "ready")."""
        waiting = len(pending) + sum(len(w.held) for w in self._workers)
        if len(self._workers) >= min(jobs, waiting):
            return False
        if not self._workers or waiting >= 2 * MAX_CHUNK * jobs:
            return True
        ready = [w for w in self._workers if w.ready]
        if not ready or task_seconds is None:
            return False  # until a worker has shown the engine's speed on a line
        return len(pending) * task_seconds / len(ready) > max(w.boot_seconds for w in ready)

    rest = close  # idle workers hold ~30 MB each while ffmpeg encodes; new ones start in ~0.1 s when needed

    def render(self, tasks: list[Task], jobs: int, attempts: int) -> Iterator[tuple[int, bool]]:
        """Runs every task on up to `jobs` workers (see Pool.render). A worker that stalls or dies is replaced."""
        pending = deque(range(len(tasks)))
        failures = Counter()
        try:
            for worker in self._workers:  # notice the workers ready already (a warmed one)
                list(worker.receive(tasks))
            task_seconds: float | None = None  # a line's synthesis, as the workers show it (moving average)
            while pending or any(worker.held for worker in self._workers):
                while self._another_pays(jobs, pending, task_seconds):
                    self._workers.append(_Worker(self._context))
                for worker in self._workers[:jobs]:
                    if worker.ready and not worker.held and pending:
                        size = max(1, min(MAX_CHUNK, len(pending) // (2 * jobs)))
                        worker.give([pending.popleft() for _ in range(size)], tasks)
                _wait_for_news(self._workers)
                for worker in list(self._workers):
                    for index in worker.receive(tasks):
                        task_seconds = worker.took if task_seconds is None else (3 * task_seconds + worker.took) / 4
                        yield index, True
                    reason = worker.trouble()
                    if reason is None:
                        continue
                    self._workers.remove(worker)
                    worker.stop()
                    if not worker.ready:
                        raise EngineError(f"a synthesis worker could not start: {reason}; run the build again")
                    if not worker.held:  # killed from outside while idle: it is simply replaced
                        continue
                    culprit = worker.held[0]
                    failures[culprit] += 1
                    if failures[culprit] >= attempts:
                        raise EngineError(_gave_up(tasks[culprit], attempts, reason))
                    pending.extendleft(reversed(worker.held))
                    yield culprit, False
        except BaseException:  # a failed line or an interrupt: what the workers hold now is unknown
            self.close()
            raise


def _wait_for_news(workers: list[_Worker]) -> None:
    """Until a worker sends something or exits, or the earliest deadline passes."""
    timeout = max(0.0, min(worker.deadline for worker in workers) - time.monotonic())
    wait([worker.conn for worker in workers] + [worker.process.sentinel for worker in workers],
         None if timeout == float("inf") else timeout)


def _gave_up(task: Task, attempts: int, reason: str) -> str:
    return (f"speech engine {task.voice.engine!r} failed {attempts} times on {textwrap.shorten(task.text, 60)!r} "
            f"(voice {task.voice.voice}); the last time {reason}. Run the build again; if it keeps failing, "
            f"reword that passage or give its speaker another voice in voices.yaml")


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


def _serve(conn: Connection, parent_sys_path: list[str], warm_engine: str | None = None,
           tied_to: int | None = None) -> None:
    """A worker process: loads `warm_engine` ("module:Class") if given, says "ready", then speaks each chunk
    of tasks it is sent, answering each task with "done" once its clip is in the cache, or with what went wrong.
    With `tied_to` (the parent's pid) it dies with that parent even in the middle of a line (a SIGKILLed narrate
    must not leave a worker writing a clip for an hour)."""
    if tied_to is not None:
        children.die_with_parent(tied_to)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    sys.path[:] = parent_sys_path  # so engines (plugins, test doubles) import in the worker as in the parent
    engines: dict[str, Engine] = {}
    if warm_engine is not None:
        try:
            engines[warm_engine] = pkgutil.resolve_name(warm_engine)()
            engines[warm_engine].warm_up()
        except Exception:  # the same failure comes back, and is reported with its line, on the first task
            engines.pop(warm_engine, None)
    load_clip_codec()  # while booting, not on the first line
    try:
        conn.send("ready")
        while True:
            for task in conn.recv():
                conn.send(_render(task, engines))
    except (EOFError, OSError):  # the parent is gone (engines' errors are caught in _render)
        pass


def _render(task: Task, engines: dict[str, Engine]) -> str:
    """"done", or what went wrong as a user-ready message."""
    try:
        if task.engine not in engines:
            engines[task.engine] = pkgutil.resolve_name(task.engine)()
        # a clip published is never replaced; the engine writes a WAV, which seal_clip makes the clip (FLAC)
        with atomic_path(Path(task.out_path), suffix=".wav", publish="first") as tmp:
            engines[task.engine].synthesize(task.text, task.voice, str(tmp))
            _shape(tmp, task.voice)
            seal_clip(tmp, _pauses_found)  # with its inner pauses, where subtitles cut its cues
    except EngineError as err:
        return str(err)
    except Exception as err:  # an engine's bug: name the line so the user can work around it
        return (f"speech engine {task.voice.engine!r} failed on {textwrap.shorten(task.text, 60)!r} "
                f"(voice {task.voice.voice}): {type(err).__name__}: {err}")
    return "done"


def _pauses_found(samples: bytes, rate: int) -> tuple[tuple[int, int], list[float]]:
    return pauses.PARAMS, pauses.inner_pauses(samples, rate)


def _shape(path: Path, voice: Voice) -> None:
    """Apply the voice's variant (pitch, tempo) and bring the clip to the book's rate, in one ffmpeg pass;
    a clip that needs neither (espeak's, unvaried) is left as the engine wrote it."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
    if rate == BOOK_SAMPLE_RATE and not voice.is_variant:
        return
    filters = variants.variant_filters(voice.semitones, voice.tempo, rate) if voice.is_variant else []
    filters.append(f"aresample={BOOK_SAMPLE_RATE}:resampler=soxr")  # a real resampler, not linear
    shaped = path.with_name(path.stem + ".shaped.wav")
    try:
        ffmpeg.run(["-i", str(path), "-af", ",".join(filters), "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav",
                    str(shaped)], path)
        shaped.replace(path)
    finally:
        shaped.unlink(missing_ok=True)


def _clip(line: Line, path: Path) -> Clip:
    """The clip as the store holds it: its length and digest from the bytes read (another build on this cache
    may have published the clip first; its take is the one every build then uses)."""
    try:
        info = read_clip(path)
    except (OSError, CorruptEntry) as err:
        raise EngineError(f"{path}: the clip just made is unreadable ({err}); build again.") from None
    return Clip(line=line, path=str(path), frames=info.frames, sample_rate=info.sample_rate, digest=info.digest)
