"""The voice catalogues narrate ships as data (`data/<engine>.json`, written by tools/voice_catalogues.py), so
that listing and casting work offline: each voice's name, language and accent, gender, quality, speakers, size,
licence, and its files with their source, size and SHA-256 (null where it could not be had: such a file is
trusted on first use, see trust.py).

A file comes from `url` when the catalogue gives one, else from the Hugging Face hub: `<endpoint>/<repo>/resolve/
<revision>/<path>`, where the endpoint is HF_ENDPOINT (as huggingface_hub reads it) or https://huggingface.co.
A bundled voice's files are inside an installed package (`package`, `path`)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath

from narrate.errors import EngineError

HUB_ENDPOINT_ENV = "HF_ENDPOINT"
DEFAULT_HUB = "https://huggingface.co"
SPEAKER_MARK = "#"  # piper:en_US-libritts_r-medium#123: speaker 123 of a multi-speaker model


@dataclass(frozen=True)
class VoiceFile:
    path: str  # in the hub repository (or the package, for a bundled voice)
    size: int | None  # bytes, when the catalogue knows them exactly
    sha256: str | None  # None: trusted on first use
    approx_size: int | None = None  # bytes to expect when `size` is unknown (for listings)
    url: str | None = None  # overrides the hub's address
    repo: str | None = None
    revision: str = "main"
    package: str | None = None  # a bundled voice's distribution module

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def source(self) -> str:
        """Where the file is downloaded from (HF_ENDPOINT moves the hub, e.g. to a mirror or a test server)."""
        if self.url:
            return self.url
        if not self.repo:
            raise EngineError(f"voice file {self.path} has no source in its catalogue; reinstall narrate")
        endpoint = os.environ.get(HUB_ENDPOINT_ENV) or DEFAULT_HUB
        return f"{endpoint.rstrip('/')}/{self.repo}/resolve/{self.revision}/{self.path}"

    def packaged(self) -> Path:
        """A bundled file's place inside its package."""
        return Path(str(resources.files(self.package).joinpath(*PurePosixPath(self.path).parts)))


@dataclass(frozen=True)
class CatalogueEntry:
    engine: str
    name: str
    language: str  # BCP 47, e.g. en-GB
    accent: str  # e.g. British, American, Scottish
    gender: str  # female, male, mixed (a multi-speaker model), unknown
    quality: str  # piper's x_low/low/medium/high; "standard" where an engine has one
    files: tuple[VoiceFile, ...]  # the model first
    speakers: int = 1
    gender_source: str | None = None  # where the gender comes from
    speaker_genders: tuple[tuple[int, str], ...] = ()  # speaker id -> gender, only from a published source
    speaker_genders_source: str | None = None
    licence: str | None = None
    bundled: bool = False
    notes: str = ""

    @property
    def id(self) -> str:
        return f"{self.engine}:{self.name}"

    @property
    def verified(self) -> bool:
        """Every file has a published SHA-256 (else the files are trusted on first use)."""
        return all(f.sha256 for f in self.files)

    @property
    def size(self) -> int | None:
        """Bytes to download, exact or approximate; None when unknown."""
        sizes = [f.size or f.approx_size for f in self.files]
        return None if None in sizes else sum(sizes)

    def speaker_gender(self, speaker: int) -> str:
        return dict(self.speaker_genders).get(speaker, "unknown")


def split_speaker(voice_id: str) -> tuple[str, int | None]:
    """`en_US-libritts_r-medium#123` -> (`en_US-libritts_r-medium`, 123); no mark -> (id, None).

    Raises EngineError when the speaker is not a whole number."""
    name, mark, speaker = voice_id.partition(SPEAKER_MARK)
    if not mark:
        return voice_id, None
    if not speaker.isdigit():
        raise EngineError(f"voice {voice_id!r}: the speaker after {SPEAKER_MARK!r} must be a whole number, "
                          f"e.g. {name}{SPEAKER_MARK}0")
    return name, int(speaker)


def engines() -> list[str]:
    """The engines narrate ships a catalogue for."""
    return sorted(PurePosixPath(p.name).stem for p in resources.files(__package__).joinpath("data").iterdir()
                  if p.name.endswith(".json"))


def catalogue(engine: str) -> list[CatalogueEntry]:
    """The voices of `engine`'s catalogue, in its order; [] for an engine without one."""
    return list(_load(engine).values())


def entry(engine: str, name: str) -> CatalogueEntry | None:
    """The catalogue's entry for voice `name` (without a speaker mark), or None."""
    return _load(engine).get(name)


@cache
def _load(engine: str) -> dict[str, CatalogueEntry]:
    data = resources.files(__package__).joinpath("data", f"{engine}.json")
    if not data.is_file():
        return {}
    raw = json.loads(data.read_text(encoding="utf-8"))
    hub = raw.get("hub", {})
    return {voice["name"]: _entry(engine, voice, hub) for voice in raw["voices"]}


def _entry(engine: str, voice: dict, hub: dict) -> CatalogueEntry:
    files = tuple(
        VoiceFile(path=f["path"], size=f.get("size"), sha256=f.get("sha256"), approx_size=f.get("approx_size"),
                  url=f.get("url"), repo=f.get("repo", hub.get("repo")), revision=f.get("revision", hub.get("revision", "main")),
                  package=f.get("package"))
        for f in voice["files"]
    )
    genders = voice.get("speaker_genders") or {}
    return CatalogueEntry(
        engine=engine, name=voice["name"], language=voice["language"], accent=voice.get("accent", ""),
        gender=voice.get("gender", "unknown"), quality=voice.get("quality", "standard"), files=files,
        speakers=voice.get("speakers", 1), gender_source=voice.get("gender_source"),
        speaker_genders=tuple(sorted((int(k), v) for k, v in genders.items())),
        speaker_genders_source=voice.get("speaker_genders_source"), licence=voice.get("licence"),
        bundled=bool(voice.get("bundled")), notes=voice.get("notes", ""),
    )
