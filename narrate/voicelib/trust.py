"""Checking a voice file before it is loaded: against the catalogue's SHA-256 when it has one, else against the
size and SHA-256 recorded the first time narrate used the file (trust on first use: piper's catalogue online
has no SHA-256 narrate could ship). A file that no longer matches is refused with the way out.

A file is hashed once per process for each (inode, size, mtime): loading a model in every worker does not read
it twice."""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from narrate.errors import EngineError
from narrate.state import atomic_path, file_digest
from narrate.voicelib import folder
from narrate.voicelib.catalogues import VoiceFile

_hashed: dict[tuple, str] = {}
_lock = threading.Lock()


class VoiceFileChanged(EngineError):
    """A voice file is not the file the catalogue names, or not the one first used."""


def digest(path: Path) -> str:
    """The file's SHA-256, computed once per process for each version of the file."""
    status = path.stat()
    key = (str(path), status.st_ino, status.st_size, status.st_mtime_ns)
    with _lock:
        known = _hashed.get(key)
    if known is None:
        known = file_digest(path)
        with _lock:
            _hashed[key] = known
    return known


def verify(engine: str, what: str, file: VoiceFile, path: Path, source: str) -> str:
    """The file's SHA-256 once it is found to be the right file: the catalogue's, or the one recorded at its
    first use (recorded now when there is none). Raises VoiceFileChanged naming the file and the fix."""
    found = digest(path)
    if file.sha256:
        if found != file.sha256:
            raise VoiceFileChanged(
                f"{what}: {path} is not the voice file the catalogue names (SHA-256 {found[:16]}..., expected "
                f"{file.sha256[:16]}...). Delete it and run `narrate voices --download {what}` to fetch it again "
                f"from {source}")
        return found
    record = recorded(engine, file.name)
    if record is None:
        _record(engine, file.name, path, found, source)
        return found
    if record.get("sha256") != found:
        raise VoiceFileChanged(
            f"{what}: {path} has changed since narrate first used it (SHA-256 {found[:16]}..., recorded "
            f"{str(record.get('sha256'))[:16]}... in {folder.record_path(engine, file.name)}). If you replaced it "
            f"on purpose, delete that record; otherwise delete the file and run `narrate voices --download "
            f"{what}` to fetch it again from {source}")
    return found


def recorded(engine: str, file_name: str) -> dict | None:
    """What was recorded at the file's first use: size, sha256, source, when; None if nothing (or unreadable)."""
    try:
        record = json.loads(folder.record_path(engine, file_name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _record(engine: str, file_name: str, path: Path, sha256: str, source: str) -> None:
    body = {"file": file_name, "size": path.stat().st_size, "sha256": sha256, "source": source,
            "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "pid": os.getpid()}
    with atomic_path(folder.record_path(engine, file_name), publish="first") as tmp:
        tmp.write_text(json.dumps(body, indent=1), encoding="utf-8")
    # another process may have recorded first: its record stands, and must agree
    if (recorded(engine, file_name) or {}).get("sha256") != sha256:
        raise VoiceFileChanged(f"{path}: two different files were first used under one name at once; delete "
                               f"{folder.record_path(engine, file_name)} and the file, and download it again")
