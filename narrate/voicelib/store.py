"""A catalogue voice made usable here: `ensure(engine, name)` finds its files in the voices folder (or its
package, for a bundled voice), downloads what is missing, checks every file (trust.py) and returns where they
are with the digest that names them in cache keys."""
from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from narrate.download_progress import current_reporter, reporting  # noqa: F401  (reporting: re-exported)
from narrate.errors import EngineError
from narrate.state import ENV_VAR as CACHE_ENV_VAR
from narrate.voicelib import folder, trust
from narrate.voicelib.catalogues import CatalogueEntry, catalogue, entry, split_speaker
from narrate.voicelib.download import OnProgress, fetch


@dataclass(frozen=True)
class LocalVoice:
    entry: CatalogueEntry
    paths: tuple[Path, ...]  # in the catalogue's order: the model first
    sha256: str  # of the files' digests together: changes when any file does (it goes into clip keys)

    @property
    def path(self) -> Path:
        return self.paths[0]


def lookup(engine: str, name: str) -> CatalogueEntry:
    """The catalogue entry, or EngineError naming the nearest names."""
    found = entry(engine, name)
    if found is None:
        near = difflib.get_close_matches(name, [e.name for e in catalogue(engine)], n=3, cutoff=0.5)
        hint = f"nearest: {', '.join(near)}; " if near else ""
        raise EngineError(f"no {engine} voice {name!r} in narrate's catalogue; {hint}`narrate voices --engine "
                          f"{engine}` lists them")
    return found


def is_downloaded(engine: str, name: str) -> bool:
    """Every file of the voice is here (bundled, downloaded or placed by hand); nothing is read or checked."""
    voice = lookup(engine, name)
    return voice.bundled or all(folder.find(engine, f.name) for f in voice.files)


def status(engine: str, name: str) -> str:
    """For listings: "bundled", "downloaded", "unverified" (here, but with no published SHA-256 to check it
    against: trusted on first use) or "not downloaded"."""
    voice = lookup(engine, name)
    if voice.bundled:
        return "bundled"
    if not is_downloaded(engine, name):
        return "not downloaded"
    return "downloaded" if voice.verified else "unverified"


def file_stamps(voices: Iterable[str]) -> dict[str, list]:
    """`engine:name` -> [[file, size, mtime in ns], ...] for each library voice among `voices` (`engine:name`,
    a speaker mark allowed; bundled voices and voices of no library are left out), a file not here as
    [file, None, None]: what a build used, so that a re-downloaded voice makes the book out of date, for a stat
    per file (its digest, in the clip keys, decides which clips are made again)."""
    stamps = {}
    for voice_id in sorted(set(voices)):
        engine, _, voice = voice_id.partition(":")
        found = entry(engine, split_speaker(voice)[0])
        if found is None or found.bundled:
            continue
        rows = []
        for file in found.files:
            path = folder.find(engine, file.name)
            status = path.stat() if path else None
            rows.append([file.name, status and status.st_size, status and status.st_mtime_ns])
        stamps[f"{engine}:{found.name}"] = rows
    return stamps


_known: dict[tuple[str, str, str], tuple[tuple[Path, ...], tuple, str]] = {}


def digest_of(engine: str, name: str) -> str:
    """`ensure(engine, name).sha256`, remembered in this process while the voice's files keep their inode, size
    and mtime (a stat per file per call: clip keys ask it once per line)."""
    key = (os.environ.get(folder.ENV_VAR), os.environ.get(CACHE_ENV_VAR), engine, name)  # what decides the folder
    known = _known.get(key)
    if known is not None:
        paths, stats, sha256 = known
        with contextlib.suppress(OSError):
            if tuple(_stamp(path) for path in paths) == stats:
                return sha256
    local = ensure(engine, name)
    _known[key] = (local.paths, tuple(_stamp(path) for path in local.paths), local.sha256)
    return local.sha256


def _stamp(path: Path) -> tuple[int, int, int]:
    status = path.stat()
    return status.st_ino, status.st_size, status.st_mtime_ns


def ensure(engine: str, name: str, on_progress: OnProgress | None = None) -> LocalVoice:
    """The voice's files, downloaded first when missing, each checked. Raises EngineError (a DownloadError
    or VoiceFileChanged among them) naming the voice, the URL and the fix."""
    voice = lookup(engine, name)
    report = on_progress or current_reporter()
    paths, digests = [], []
    for file in voice.files:
        if voice.bundled:
            path = file.packaged()
            if not path.is_file():
                raise EngineError(f"{voice.id}: {path} is missing from its package; reinstall {file.package}")
            source = str(path)
        else:
            source = file.source()
            path = folder.find(engine, file.name) or fetch(
                source, folder.place_for(engine, file.name), file.sha256, file.size, voice.id, report).path
        digests.append(trust.verify(engine, voice.id, file, path, source))
        paths.append(path)
    combined = digests[0] if len(digests) == 1 else hashlib.sha256(" ".join(digests).encode()).hexdigest()
    return LocalVoice(voice, tuple(paths), combined)
