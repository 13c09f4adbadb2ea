"""Running ffmpeg and ffprobe, failures turned into AudioError naming the file and quoting ffmpeg.

Long-running processes keep their stderr in a temporary file, so a chatty ffmpeg can never block on a full
pipe while we write to it or read from it."""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

from narrate.errors import AudioError


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
    result = subprocess.run([tool(), "-hide_banner", "-nostdin", "-nostats", "-y", *args],
                            capture_output=True, text=True, errors="replace")
    if result.returncode != 0:
        raise _failure(subject, result.stderr)
    return result.stdout, result.stderr


def probe(path: str | Path) -> dict:
    """ffprobe's view of the file's format and first audio stream: {"format": {...}, "stream": {...}}."""
    result = subprocess.run([tool("ffprobe"), "-v", "error", "-select_streams", "a:0", "-show_format",
                             "-show_streams", "-of", "json", str(path)], capture_output=True, text=True, errors="replace")
    info = json.loads(result.stdout or "{}")
    if result.returncode != 0 or not info.get("streams"):
        raise AudioError(f"{path}: not a readable audio file ({result.stderr.strip()[-300:] or 'no audio stream'}).")
    return {"format": info.get("format", {}), "stream": info["streams"][0]}


class Feed:
    """An ffmpeg process reading raw PCM (or anything) on stdin. Use as a context manager; `finish()` returns
    ffmpeg's log once it has exited cleanly."""

    def __init__(self, args: Sequence[str], subject: str | Path):
        self.subject = subject
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen([tool(), "-hide_banner", "-nostats", "-y", *args],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)

    def write(self, data: bytes) -> None:
        try:
            self._process.stdin.write(data)
        except BrokenPipeError:
            pass  # ffmpeg stopped early; finish() reports why

    def finish(self) -> str:
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        code = self._process.wait()
        self._log.seek(0)
        log = self._log.read().decode("utf-8", "replace")
        if code != 0:
            raise _failure(self.subject, log)
        return log

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._log.close()


class Reader:
    """An ffmpeg process writing raw PCM (or anything) on stdout, read in chunks. Use as a context manager:
    leaving it checks that ffmpeg exited cleanly (AudioError with its log otherwise)."""

    def __init__(self, args: Sequence[str], subject: str | Path):
        self.subject = subject
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen([tool(), "-hide_banner", "-nostdin", "-nostats", "-v", "error", *args],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log)
        try:  # a pipe of 1 MB (Linux; 64 KB else): ffmpeg decodes ahead while the reader works on a chunk
            import fcntl

            fcntl.fcntl(self._process.stdout.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except (ImportError, OSError):
            pass

    def chunks(self, size: int):
        """The output in chunks of `size` bytes (the last one shorter)."""
        while data := self._process.stdout.read(size):
            yield data

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        if exc_type is not None and self._process.poll() is None:
            self._process.kill()
        self._process.stdout.close()
        code = self._process.wait()
        self._log.seek(0)
        log = self._log.read().decode("utf-8", "replace")
        self._log.close()
        if code != 0 and exc_type is None:
            raise _failure(self.subject, log)
