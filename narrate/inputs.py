"""Reading the files a user names (the story, the cover, voices.yaml, an edited script): only regular files, and
only up to a size limit, so that a FIFO never hangs a build, a link to /dev/zero never fills the memory and a
link loop is a message, not a crash.

Each kind of file has its limit in MB, far above any real one and configurable by an environment variable:

    story   NARRATE_MAX_STORY_MB   50   (an EPUB may be 4x that: its images count)
    cover   NARRATE_MAX_COVER_MB   20
    voices  NARRATE_MAX_VOICES_MB   1
    script  NARRATE_MAX_SCRIPT_MB 500   (`narrate script --format json` of a long book is many times the book)

Light on purpose (the up-to-date check hashes the inputs through it before anything heavy is imported)."""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from narrate.errors import InputError, NarrateError


@dataclass(frozen=True)
class Kind:
    """A kind of input file: what the messages call it, its size limit and the variable that changes it."""

    name: str  # "story file", "cover image", ...
    variable: str
    default_mb: float

    def limit(self, factor: float = 1.0) -> int:
        """The limit in bytes: the variable's MB if set to a positive number, else the default; times `factor`."""
        raw = os.environ.get(self.variable, "")
        try:
            megabytes = float(raw) if raw.strip() else self.default_mb
        except ValueError:
            megabytes = self.default_mb
        if not megabytes > 0:
            megabytes = self.default_mb
        return int(megabytes * factor * 1024 * 1024)


STORY = Kind("story file", "NARRATE_MAX_STORY_MB", 50)
COVER = Kind("cover image", "NARRATE_MAX_COVER_MB", 20)
VOICES = Kind("voices file", "NARRATE_MAX_VOICES_MB", 1)
SCRIPT = Kind("script file", "NARRATE_MAX_SCRIPT_MB", 500)


def read_input(path: str | Path, kind: Kind, error: type[NarrateError] = InputError, factor: float = 1.0) -> bytes:
    """The bytes of the regular file at `path` (symbolic links followed), or `error` naming the file and the fix:
    when it is missing, a folder, a FIFO, a device, a link loop, unreadable, or larger than the kind's limit.

    Opened without blocking and checked on the open file, so what is read is what was checked."""
    path = Path(path)
    limit = kind.limit(factor)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise error(_open_problem(path, kind, err)) from None
    try:
        info = os.fstat(fd)
        _check_stat(path, kind, info, limit, error)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # the file may grow after fstat: never read more than the limit and a byte
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise error(f"{path}: cannot read the {kind.name} ({err.strerror}). Check the file's permissions.") from None
    finally:
        os.close(fd)
    if size > limit:
        raise error(_too_large(path, kind, limit))
    return b"".join(chunks)


def check_input(path: str | Path, kind: Kind, error: type[NarrateError] = InputError, factor: float = 1.0) -> None:
    """Raises `error` (see read_input) unless `path` is a regular file within the kind's limit; reads nothing
    (for files a library opens itself, like an EPUB's zip archive)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise error(_open_problem(path, kind, err)) from None
    try:
        _check_stat(path, kind, os.fstat(fd), kind.limit(factor), error)
    finally:
        os.close(fd)


def _check_stat(path: Path, kind: Kind, info: os.stat_result, limit: int, error: type[NarrateError]) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{path}: is a folder, not a {kind.name}. Give the path of the file itself.")
    if not stat.S_ISREG(info.st_mode):
        what = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise error(f"{path}: is {what}, not a regular file; narrate reads a {kind.name} only from a regular "
                    f"file. Save it to a file and give that file's path.")
    if info.st_size > limit:
        raise error(_too_large(path, kind, limit))


def _too_large(path: Path, kind: Kind, limit: int) -> str:
    return (f"{path}: larger than the {_mb(limit)} MB a {kind.name} may be. Check that this is the right file; "
            f"if it is, raise the limit with {kind.variable}=<MB>.")


def _open_problem(path: Path, kind: Kind, err: OSError) -> str:
    if err.errno == errno.ENOENT:
        return f"{path}: cannot read the {kind.name}: file not found. Check the path (and the current folder)."
    if err.errno == errno.ELOOP:
        return (f"{path}: is a symbolic link that loops (or one of too many links in a row), so there is no "
                f"{kind.name} to read. Point the link at the real file, or give the file's own path.")
    if err.errno == errno.EISDIR:
        return f"{path}: is a folder, not a {kind.name}. Give the path of the file itself."
    if err.errno == errno.ENOTDIR:
        return f"{path}: a part of this path is a file, not a folder. Check the path."
    if err.errno in (errno.EACCES, errno.EPERM):
        return f"{path}: cannot read the {kind.name} (permission denied). Check the file's permissions."
    return f"{path}: cannot read the {kind.name} ({err.strerror}). Check the path and the file."


def _mb(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}"
