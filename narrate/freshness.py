"""Is the last build in a folder still current? Decided from its manifest before the story is even read.

A build's output depends on its inputs (the story, voices.yaml, an edited script, a cover, the options), on
narrate's own code and on the speech engines' versions. The manifest records all of them and the size and
modification time of every file the build left; when none has changed, the build is current and a rebuild
costs a few hashes instead of the pipeline. This module is light on purpose: the CLI consults it before it
imports anything heavy."""
from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from . import __version__
from .errors import ConfigError

DEFAULT_VOICES_FILE = "voices.yaml"
MANIFEST_NAME = "manifest.json"
_PACKAGE = Path(__file__).resolve().parent


def find_voices_file(story: str | Path, explicit: str | Path | None) -> Path | None:
    """--voices, else voices.yaml beside the story, else None (built-in defaults).

    Never a voices.yaml that merely happens to be in the working directory."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path}: no such voices file. Check the path given to --voices.")
        return path
    beside = Path(story).resolve().parent / DEFAULT_VOICES_FILE
    return beside if beside.is_file() else None


def build_inputs(story: str | Path, voices: str | Path | None, script_file: str | Path | None,
                 cover: str | Path | None, chapters: str | None, speed: float, formats: list[str] | None,
                 acx: bool, include_front_matter: bool) -> dict:
    """Everything but the engines that decides a build's output (as pipeline.build takes it), files as
    digests: equal inputs make the same book."""
    return {"narrate": code_stamp(), "story": _digest(story), "voices": _digest(find_voices_file(story, voices)),
            "script": _digest(script_file), "cover": _digest(cover),
            "options": {"chapters": chapters, "speed": speed, "formats": formats, "acx": acx,
                        "front_matter": include_front_matter}}


def engine_versions(engine_ids: set[str], variants: bool) -> dict[str, str]:
    """The version of each engine used (and of the variant maker, when a voice is varied): they are in the
    clips' cache keys, so an upgrade changes the book."""
    from .engines import get_engine, variants as variant_maker  # imported only here: loads the engines

    versions = {engine_id: get_engine(engine_id).version() for engine_id in sorted(engine_ids)}
    if variants:
        versions["variants"] = variant_maker.variant_version()
    return versions


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
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        if manifest.get("inputs") != inputs:
            return None
        outputs = manifest["outputs"]
        if file_stamps([folder / name for name in outputs]) != outputs:
            return None
        engines = manifest["engines"]
        used = set(engines) - {"variants"}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        if engine_versions(used, "variants" in engines) != engines:
            return None
    except Exception:  # an engine gone or broken: the real build says what is wrong and how to fix it
        return None
    return manifest


def _digest(path: str | Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:  # missing or unreadable: never current; the build reports the problem properly
        return f"unreadable {path}"


@cache  # one build asks three times (the CLI's check, the manifest, the kept annotation); the code is as loaded
def code_stamp() -> str:
    """narrate's version and how its source files are now: an edited or upgraded narrate is a change."""
    listing = [(str(f.relative_to(_PACKAGE)), stat.st_size, stat.st_mtime_ns)
               for f in sorted(_PACKAGE.rglob("*.py")) for stat in [f.stat()]]
    return hashlib.sha256(json.dumps([__version__, listing]).encode()).hexdigest()
