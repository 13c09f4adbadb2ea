"""narrate's state on disk: where it lives (cache_root), files written whole or not at all (atomic_path), the
content-addressed clip store (a clip's file name is its Line.key, so a rebuild reuses every unchanged clip), the
store of encoded units (masters_root), and the stamp of narrate's own code that kept results are named by."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterator

import platformdirs

from narrate import __version__

ENV_VAR = "NARRATE_CACHE_DIR"
_PACKAGE = Path(__file__).resolve().parent
_CLIP_NAME = re.compile(r"[0-9a-f]{64}\.wav")  # the Line.key
_TEMP_NAME = re.compile(r"\.[0-9a-f]{40}\.[a-z0-9_]+\.wav")  # atomic_path's, left behind by a killed build


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes 0600 files; finished files get the permissions an ordinary open() would give them
_FILE_MODE = 0o666 & ~_current_umask()


def cache_root() -> Path:
    """NARRATE_CACHE_DIR relocates all state; else the platform's user cache directory."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else Path(platformdirs.user_cache_dir("narrate"))


class ClipCache:
    def __init__(self, root: Path | None = None):
        self.root = (root or cache_root()) / "clips"

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def has(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def files(self) -> Iterator[tuple[Path, bool]]:
        """(path, is_clip) for every file of the store: finished clips, and the temporary files that a
        killed build leaves behind (never under a clip's name). Files it did not name are not its own."""
        for path in self.root.glob("[0-9a-f][0-9a-f]/*.wav"):
            is_clip = bool(_CLIP_NAME.fullmatch(path.name))
            if is_clip or _TEMP_NAME.fullmatch(path.name):
                yield path, is_clip


def masters_root(root: Path | None = None) -> Path:
    """Where encoded units of chapters are kept by fingerprint (produce.py), so a rebuild encodes only changes."""
    return (root or cache_root()) / "masters"


_MASTER_NAME = re.compile(r"\.?[0-9a-f]{64}[.\w]*\.(wav|json|mp3|aac)")
_RUN_DIR = re.compile(r"\.run\.\w+")  # produce.py's scratch directory, left behind by a killed build


def _master_files(root: Path | None) -> Iterator[Path]:
    """The files of the masters store, those inside scratch directories of killed builds included."""
    for path in masters_root(root).glob("*"):
        if path.is_dir() and _RUN_DIR.fullmatch(path.name):
            yield from (p for p in path.rglob("*") if p.is_file())
        elif _MASTER_NAME.fullmatch(path.name):
            yield path


def _run_dirs(root: Path | None) -> Iterator[Path]:
    return (p for p in masters_root(root).glob(".run.*") if p.is_dir() and _RUN_DIR.fullmatch(p.name))


@dataclass(frozen=True)
class CacheInfo:
    path: Path  # the clip store
    clips: int
    bytes: int  # on disk, leftovers of killed builds included
    master_bytes: int = 0  # mastered chapters kept for incremental rebuilds


def cache_info(root: Path | None = None) -> CacheInfo:
    """How many clips the cache under `root` (default: cache_root()) holds, and the bytes it takes."""
    cache = ClipCache(root)
    clips = size = 0
    for path, is_clip in cache.files():
        with contextlib.suppress(FileNotFoundError):  # a running build just renamed its temporary file
            size += path.stat().st_size
            clips += is_clip
    masters = 0
    for path in _master_files(root):
        with contextlib.suppress(FileNotFoundError):
            masters += path.stat().st_size
    return CacheInfo(path=cache.root, clips=clips, bytes=size, master_bytes=masters)


def clear_cache(root: Path | None = None) -> int:
    """Deletes every clip (and leftover temporary file) of the cache under `root`; returns the clips deleted.

    Only files the store names itself are touched, so a NARRATE_CACHE_DIR pointed at a folder that holds
    anything else loses nothing else."""
    cache = ClipCache(root)
    removed = 0
    for path, is_clip in cache.files():
        path.unlink(missing_ok=True)
        removed += is_clip
    for shard in cache.root.glob("[0-9a-f][0-9a-f]"):
        with contextlib.suppress(OSError):  # not empty: something that is not ours lives there
            shard.rmdir()
    for path in _master_files(root):
        path.unlink(missing_ok=True)
    for scratch in _run_dirs(root):
        shutil.rmtree(scratch, ignore_errors=True)
    return removed


@contextlib.contextmanager
def atomic_path(final: Path, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside `final`, renamed onto it only if the block succeeds.

    No reader ever sees a partial file under the final name, whatever happens mid-write."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.stem[:40]}.", suffix=suffix or final.suffix)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _FILE_MODE)
        os.replace(tmp_path, final)
    finally:
        tmp_path.unlink(missing_ok=True)


@cache  # one build asks three times (the CLI's check, the manifest, the kept annotation); the code is as loaded
def code_stamp() -> str:
    """narrate's version and how its source files are now: an edited or upgraded narrate is a change."""
    listing = [(str(f.relative_to(_PACKAGE)), stat.st_size, stat.st_mtime_ns)
               for f in sorted(_PACKAGE.rglob("*.py")) for stat in [f.stat()]]
    return hashlib.sha256(json.dumps([__version__, listing]).encode()).hexdigest()
