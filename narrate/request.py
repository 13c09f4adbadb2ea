"""What a build is asked for (BuildRequest), and whether the last build in a folder already answered it.

The CLI fills one BuildRequest; the up-to-date check hashes it and the build reads it. Whether a build is current
is decided from its manifest before the story is even read.

A build's output depends on its inputs (the story, voices.yaml, an edited script, a cover, the options), on
narrate's own code and on the speech engines' versions. The manifest records all of them and the size and
modification time of every file the build left; when none has changed, the build is current and a rebuild
costs a few hashes instead of the pipeline. This module is light on purpose: the CLI consults it before it
imports anything heavy."""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from narrate.errors import ConfigError, NarrateError
from narrate.inputs import SCRIPT, read_input
from narrate.state import code_stamp

if TYPE_CHECKING:
    from narrate.model import Book

DEFAULT_VOICES_FILE = "voices.yaml"
_DIGESTED = SCRIPT  # the largest limit of the inputs hashed: each is checked against its own when it is read
MANIFEST_NAME = "manifest.json"


def find_voices_file(story: str | Path, explicit: str | Path | None) -> Path | None:
    """--voices, else voices.yaml beside the story, else None (built-in defaults).

    Never a voices.yaml that merely happens to be in the working directory."""
    if explicit is not None:
        path = Path(explicit)
        if not path.exists() and not path.is_symlink():
            raise ConfigError(f"{path}: no such voices file. Check the path given to --voices.")
        return path  # not a regular file (a folder, a FIFO, a link loop): reading it says so
    beside = story_folder(story) / DEFAULT_VOICES_FILE
    return beside if beside.is_file() else None


def story_folder(story: str | Path) -> Path:
    """The folder the story file is in, links followed; a link that loops stays as written (reading the story
    then says what is wrong with it)."""
    try:
        return Path(story).resolve().parent
    except (RuntimeError, OSError):  # a symbolic link loop: RuntimeError before Python 3.13, OSError after
        return Path(os.path.abspath(story)).parent


@dataclass(frozen=True)
class BuildRequest:
    """One build, as asked: the story, where the book goes, and every option that shapes it."""

    story: Path
    outdir: Path | Callable[[Book], Path] = Path("out")  # a function of the book read: build-many names folders
    voices: Path | None = None  # --voices; else voices.yaml beside the story (find_voices_file)
    script_file: Path | None = None  # an edited script whose speakers to use
    cover: Path | None = None
    chapters: str | None = None  # "2-4"; None: the whole book, with credits
    speed: float = 1.0
    formats: tuple[str, ...] | None = None  # None: voices.yaml's output.format
    acx: bool = False
    include_front_matter: bool = False
    jobs: int | None = None  # synthesis workers; shapes nothing but the wall time

    @cached_property  # hashed once per build: by the CLI's up-to-date check, then by the manifest
    def inputs(self) -> dict:
        """Everything but the engines that decides the output, files as digests: equal inputs make the same
        book."""
        return {"narrate": code_stamp(), "story": _digest(self.story),
                "voices": _digest(find_voices_file(self.story, self.voices)),
                "script": _digest(self.script_file), "cover": _digest(self.cover),
                "options": {"chapters": self.chapters, "speed": self.speed,
                            "formats": list(self.formats) if self.formats else None, "acx": self.acx,
                            "front_matter": self.include_front_matter}}


def engine_versions(engine_ids: set[str], variants: bool) -> dict[str, str]:
    """The version of each engine used (and of the variant maker, when a voice is varied): they are in the
    clips' cache keys, so an upgrade changes the book."""
    from narrate.engines import get_engine  # imported only here: loads the engines
    from narrate.engines import variants as variant_maker

    versions = {engine_id: get_engine(engine_id).version() for engine_id in sorted(engine_ids)}
    if variants:
        versions["variants"] = variant_maker.variant_version()
    return versions


def voice_stamps(voice_ids) -> dict[str, list]:
    """The size and mtime of each downloaded voice's files among `voice_ids` (`engine:name`): a voice fetched
    again makes the book out of date."""
    from narrate.voicelib import file_stamps as voice_file_stamps

    return voice_file_stamps(voice_ids)


def file_stamps(paths: list[Path]) -> dict[str, list[int]]:
    """File name -> [size, modification time in ns]: how each output was left."""
    stamps = {}
    for path in paths:
        stat = path.stat()
        stamps[path.name] = [stat.st_size, stat.st_mtime_ns]
    return stamps


def current_build(outdir: str | Path, inputs: dict) -> dict | None:
    """The manifest of the build in `outdir` when it is current for `inputs`: same inputs, same engine
    versions, and every output file as that build left it. None when anything differs or cannot be read
    (a first build, a killed one, a manifest from an older narrate)."""
    folder = Path(outdir)
    try:
        manifest = json.loads(read_input(folder / MANIFEST_NAME, _DIGESTED).decode("utf-8"))
        if manifest.get("inputs") != inputs:
            return None
        outputs = manifest["outputs"]
        if file_stamps([folder / name for name in outputs]) != outputs:
            return None
        engines = manifest["engines"]
        used = set(engines) - {"variants"}
        voices = manifest.get("voice_files", {})  # a library voice's files as the build found them (voicelib)
        if voices and voice_stamps(voices) != voices:  # voicelib imported only for a book that used one
            return None
    except (NarrateError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # RecursionError: JSON nested thousands deep, which no narrate wrote
    try:
        if engine_versions(used, "variants" in engines) != engines:
            return None
    except Exception:  # an engine gone or broken: the real build says what is wrong and how to fix it
        return None
    return manifest


def _digest(path: str | Path | None) -> str | None:
    if path is None:
        return None
    try:  # a regular file within a generous bound: a FIFO or a device is never read here
        return hashlib.sha256(read_input(path, _DIGESTED)).hexdigest()
    except NarrateError:  # missing, unreadable, not a file: never current; the build reports the problem properly
        return f"unreadable {path}"
