"""Running ffmpeg and ffprobe, failures turned into AudioError naming the file and quoting ffmpeg.

Long-running processes keep their stderr in a temporary file, so a chatty ffmpeg can never block on a full
pipe while we write to it or read from it. Every process started here dies with narrate (children.py), and
stop_all() ends the running ones at once: an interrupted build does not wait for its encoders to finish.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Sequence

from narrate.children import tied
from narrate.errors import AudioError


class Stopped(AudioError):
    """ffmpeg was stopped by stop_all(): the build is being interrupted, and this thread's work is void."""

    def __init__(self) -> None:
        super().__init__("ffmpeg was stopped: narrate is being interrupted")


_running: set[subprocess.Popen] = set()  # every ffmpeg/ffprobe of this process that has not been waited for
_running_lock = threading.Lock()
_stopping = threading.Event()


def stop_all() -> None:
    """Kill every running ffmpeg and refuse new ones until resume(): for the signal handler of an interrupt,
    so that the threads feeding encoders stop within a chunk instead of encoding what is left (seconds)."""
    _stopping.set()
    with _running_lock:
        processes = list(_running)
    for process in processes:
        try:
            process.kill()
        except OSError:  # it has just exited
            pass


def resume() -> None:
    """ffmpeg may run again (the interrupted command is over; a test or an embedding program goes on)."""
    _stopping.clear()


def _start(argv: list[str], **streams) -> subprocess.Popen:
    if _stopping.is_set():
        raise Stopped()
    process = subprocess.Popen(tied(argv), **streams)
    with _running_lock:
        _running.add(process)
    if _stopping.is_set():  # stop_all ran between the check and the registration
        process.kill()
    return process


def _reap(process: subprocess.Popen) -> int:
    """Waits for `process` and forgets it; raises Stopped if stop_all killed it."""
    code = process.wait()
    with _running_lock:
        _running.discard(process)
    if code != 0 and _stopping.is_set():
        raise Stopped()
    return code


def tool(name: str = "ffmpeg") -> str:
    found = shutil.which(name)
    if found is None:
        raise AudioError(f"{name} is not installed. Install ffmpeg (Debian: apt-get install ffmpeg) "
                         f"or run ./setup.sh, which does.")
    return found


def _failure(subject: str | Path, log: str) -> AudioError:
    return AudioError(f"{subject}: ffmpeg failed: {log.strip()[-500:] or 'no message'}")


def run(args: Sequence[str], subject: str | Path) -> tuple[str, str]:
    """ffmpeg with `args` (inputs, filters, outputs); returns (stdout, stderr) as text."""
    stdout, stderr, code = _communicate([tool(), "-hide_banner", "-nostdin", "-nostats", "-y", *args])
    if code != 0:
        raise _failure(subject, stderr)
    return stdout, stderr


def _communicate(argv: list[str]) -> tuple[str, str, int]:
    """(stdout, stderr, exit code) of a process run to its end, as subprocess.run would give them."""
    process = _start(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                     errors="replace")
    try:
        stdout, stderr = process.communicate()
    except BaseException:  # interrupted while waiting: it must not outlive us
        _forget(process)
        raise
    return stdout, stderr, _reap(process)


def _forget(process: subprocess.Popen) -> None:
    """Kills `process` if it still runs, and waits for it: the caller is unwinding from an error already."""
    if process.poll() is None:
        process.kill()
    process.wait()
    with _running_lock:
        _running.discard(process)


def probe(path: str | Path) -> dict:
    """ffprobe's view of the file's format and first audio stream: {"format": {...}, "stream": {...}}."""
    stdout, stderr, code = _communicate([tool("ffprobe"), "-v", "error", "-select_streams", "a:0", "-show_format",
                                         "-show_streams", "-of", "json", str(path)])
    info = json.loads(stdout or "{}")
    if code != 0 or not info.get("streams"):
        raise AudioError(f"{path}: not a readable audio file ({stderr.strip()[-300:] or 'no audio stream'}).")
    return {"format": info.get("format", {}), "stream": info["streams"][0]}


class Feed:
    """An ffmpeg process reading raw PCM (or anything) on stdin. Use as a context manager; `finish()` returns
    ffmpeg's log once it has exited cleanly."""

    def __init__(self, args: Sequence[str], subject: str | Path):
        self.subject = subject
        self._log = tempfile.TemporaryFile()
        try:
            self._process = _start([tool(), "-hide_banner", "-nostats", "-y", *args],
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        except BaseException:
            self._log.close()
            raise

    def write(self, data: bytes) -> None:
        if _stopping.is_set():
            raise Stopped()
        try:
            self._process.stdin.write(data)
        except BrokenPipeError:
            pass  # ffmpeg stopped early; finish() reports why

    def finish(self) -> str:
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        code = _reap(self._process)
        self._log.seek(0)
        log = self._log.read().decode("utf-8", "replace")
        if code != 0:
            raise _failure(self.subject, log)
        return log

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *exc_info) -> None:
        _forget(self._process)
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        self._log.close()


class Reader:
    """An ffmpeg process writing raw PCM (or anything) on stdout, read in chunks. Use as a context manager:
    leaving it checks that ffmpeg exited cleanly (AudioError with its log otherwise)."""

    def __init__(self, args: Sequence[str], subject: str | Path):
        self.subject = subject
        self._log = tempfile.TemporaryFile()
        try:
            self._process = _start([tool(), "-hide_banner", "-nostdin", "-nostats", "-v", "error", *args],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log)
        except BaseException:
            self._log.close()
            raise
        try:  # a pipe of 1 MB (Linux; 64 KB else): ffmpeg decodes ahead while the reader works on a chunk
            import fcntl

            fcntl.fcntl(self._process.stdout.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except (ImportError, OSError):
            pass

    def chunks(self, size: int):
        """The output in chunks of `size` bytes (the last one shorter)."""
        while data := self._process.stdout.read(size):
            if _stopping.is_set():
                raise Stopped()
            yield data

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        if exc_type is not None and self._process.poll() is None:
            self._process.kill()
        self._process.stdout.close()
        try:
            code = _reap(self._process)
        except Stopped:
            self._log.close()
            if exc_type is None:
                raise
            return
        self._log.seek(0)
        log = self._log.read().decode("utf-8", "replace")
        self._log.close()
        if code != 0 and exc_type is None:
            raise _failure(self.subject, log)
