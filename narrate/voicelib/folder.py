"""Where downloaded voices live: one folder shared by every book (NARRATE_VOICES_DIR, else `voices/` in the cache
folder, beside the versioned layout that the cache cap trims and `narrate cache clear` empties, and never inside
it: a voice is fetched once, not again after each clear).

Layout: `<voices>/<engine>/<file>` (e.g. `piper/en_GB-alba-medium.onnx`, `hibari/bf_emma.int8.onnx`), the
records of files trusted on first use in `<voices>/.records/<engine>/<file>.json`. A folder of voices a user
already has may also hold the files directly (`<voices>/<file>`, as piper's own downloader leaves them)."""
from __future__ import annotations

import os
from pathlib import Path

from narrate.state import cache_root

ENV_VAR = "NARRATE_VOICES_DIR"
RECORDS = ".records"


def voices_root() -> Path:
    """NARRATE_VOICES_DIR, else `voices/` in the cache folder (NARRATE_CACHE_DIR or the platform's)."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured).expanduser() if configured else cache_root() / "voices"


def place_for(engine: str, file_name: str) -> Path:
    """Where a download of `file_name` goes, and where a user may put it by hand."""
    return voices_root() / engine / file_name


def find(engine: str, file_name: str) -> Path | None:
    """The file where it is, in the engine's folder or directly in the voices folder; None when absent."""
    for path in (place_for(engine, file_name), voices_root() / file_name):
        if path.is_file():
            return path
    return None


def record_path(engine: str, file_name: str) -> Path:
    """Where the size and SHA-256 a file had when first used are kept (trust on first use)."""
    return voices_root() / RECORDS / engine / f"{file_name}.json"
