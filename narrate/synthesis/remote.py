"""Synthesis on any concurrent.futures executor: a Dask cluster's (narrate.synthesis.cluster), or a local one.

Each task runs `render_remote` wherever the executor puts it. The clip comes back as its bytes (FLAC) and the client
writes it into its cache under the line's key, unless the worker sees the client's cache directory itself (a
filesystem every machine mounts): then it writes the clip there and sends back nothing. Whether it sees it is
detected per task, from a probe file with a random token that the client writes into the cache for the run,
never assumed from the path. Retrying a task whose worker was lost is the executor's job (Dask does it).
"""
from __future__ import annotations

import pkgutil
import secrets
import socket
import tempfile
import threading
from concurrent.futures import Executor, Future, as_completed
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from narrate.engines import Engine, get_engine
from narrate.errors import EngineError
from narrate.state import atomic_path
from narrate.synthesis.local import MAX_CHUNK, Task, _render

PROBE_PREFIX = ".narrate-probe-"


@dataclass(frozen=True)
class RemoteTask:
    task: Task
    engine_id: str
    engine_version: str  # the client's: a clip made by another version would be cached under the wrong key
    install_hint: str
    probe: str  # path of the client's probe file in its cache directory
    token: str  # what the probe file holds


class ExecutorPool:
    """A synth.Pool over a concurrent.futures executor. The executor stays the caller's to shut down."""

    def __init__(self, executor: Executor, name: str = "the executor", slots: int | None = None):
        self.executor = executor
        self.name = name  # for messages: "the Dask cluster at tcp://..."
        self.slots = slots  # tasks the executor runs at once, when known (a cluster's threads)

    def close(self) -> None:
        pass

    def rest(self) -> None:
        pass  # the workers are the cluster's, and its memory is not this machine's

    def render(self, tasks: list[Task], jobs: int, attempts: int) -> Iterator[tuple[int, bool]]:
        """Submits every task at once, in chunks, and writes each returned clip into the cache as it arrives;
        `attempts` is the executor's business (Dask retries a lost worker's tasks elsewhere)."""
        engine_ids = {task.voice.engine for task in tasks}
        _check_remote_capable(engine_ids, self.name)
        details = {engine_id: (engine.version(), engine.install_hint)
                   for engine_id, engine in ((e, get_engine(e)) for e in engine_ids)}
        size = chunk_size(len(tasks), self.slots or jobs)
        with _probe(Path(tasks[0].out_path).parent) as (probe, token):
            futures: dict[Future, range] = {}
            for first in range(0, len(tasks), size):
                chunk = range(first, min(first + size, len(tasks)))
                jobs_in_chunk = [RemoteTask(tasks[i], tasks[i].voice.engine, *details[tasks[i].voice.engine],
                                            str(probe), token) for i in chunk]
                futures[self.executor.submit(render_remote, jobs_in_chunk)] = chunk
            try:
                for future in as_completed(futures):
                    chunk = futures.pop(future)
                    for index, clip in zip(chunk, future.result()):  # raises the worker's EngineError as it is
                        if clip is not None:
                            with atomic_path(Path(tasks[index].out_path), publish="first") as tmp:
                                tmp.write_bytes(clip)
                        yield index, True
            finally:
                for future in futures:  # an error or an interrupt: nothing more is wanted
                    future.cancel()


def chunk_size(tasks: int, slots: int) -> int:
    """Lines per submitted task. A task costs a cluster a few ms of scheduling and a round trip (measured by
    bench/cluster.py), as much as espeak-ng takes to speak a line; chunks spread that over several lines
    while leaving every slot at least four chunks, so that the slots finish together."""
    return max(1, min(MAX_CHUNK, tasks // (4 * max(slots, 1))))


def _check_remote_capable(engine_ids: set[str], pool_name: str) -> None:
    for engine_id in sorted(engine_ids):
        if not get_engine(engine_id).remote:
            raise EngineError(f"speech engine {engine_id!r} runs only on this machine, not on {pool_name}. "
                              f"Build without --scheduler, or cast its voices to another engine in voices.yaml")


@contextmanager
def _probe(directory: Path) -> Iterator[tuple[Path, str]]:
    """A probe file with a fresh token among the clips, there for as long as the run lasts."""
    token = secrets.token_hex(16)
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / f"{PROBE_PREFIX}{token[:8]}"
    probe.write_text(token)
    try:
        yield probe, token
    finally:
        probe.unlink(missing_ok=True)


# ---- on the worker

# One instance of each engine per worker process, kept between tasks. Engines whose instances are not
# thread-safe (parallel == "processes") speak one line at a time per process, however many threads the
# executor runs there.
_engines: dict[str, Engine] = {}
_engine_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def render_remote(jobs: list[RemoteTask]) -> list[bytes | None]:
    """Runs on a worker: per job, the clip's bytes, or None when it wrote the clip into the shared cache."""
    return [_render_one(job) for job in jobs]


def _render_one(job: RemoteTask) -> bytes | None:
    engine = _engine_here(job)
    shared = _sees(job.probe, job.token)
    with _engine_lock(job.engine_id, engine):
        if shared:
            _render_or_raise(job.task)
            return None
        with tempfile.TemporaryDirectory(prefix="narrate-remote-") as scratch:
            out = Path(scratch) / "clip.flac"
            _render_or_raise(Task(job.task.engine, job.task.text, job.task.voice, str(out), job.task.seconds))
            return out.read_bytes()


def _sees(probe: str, token: str) -> bool:
    try:
        return Path(probe).read_text() == token
    except (OSError, UnicodeDecodeError):
        return False


def _engine_lock(engine_id: str, engine: Engine) -> AbstractContextManager:
    if engine.parallel == "threads":
        return nullcontext()
    with _guard:
        return _engine_locks.setdefault(engine_id, threading.Lock())


def _engine_here(job: RemoteTask) -> Engine:
    """This worker's instance of the job's engine. It must load here, be available, and be the client's
    version (the cache key names it)."""
    path = job.task.engine
    with _guard:
        engine = _engines.get(path)
        if engine is None:
            try:
                engine = pkgutil.resolve_name(path)()
            except (ImportError, AttributeError) as err:
                raise EngineError(f"worker {worker_name()} cannot load speech engine {job.engine_id!r} ({path}: "
                                  f"{err}). Install it on every worker: {job.install_hint}") from None
            if not engine.available():
                raise EngineError(f"worker {worker_name()}: speech engine {job.engine_id!r} is not available "
                                  f"there. Install it on every worker: {job.install_hint}")
            _engines[path] = engine
    version = engine.version()
    if version != job.engine_version:
        raise EngineError(f"worker {worker_name()} has speech engine {job.engine_id!r} at {version}, this "
                          f"machine at {job.engine_version}; install the same version on every worker and here")
    return engine


def _render_or_raise(task: Task) -> None:
    outcome = _render(task, _engines)
    if outcome != "done":
        raise EngineError(f"worker {worker_name()}: {outcome}")


def worker_name() -> str:
    """The Dask worker's address when running in one, else this host's name."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()
