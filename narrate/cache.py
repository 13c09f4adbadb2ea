"""Content-addressed clip store: a clip's file name is its Line.key, so a rebuild reuses every unchanged clip."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import platformdirs

ENV_VAR = "NARRATE_CACHE_DIR"


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


@contextmanager
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
