"""Auditions: one short clip per voice, saying who it is, so that a user can choose voices by ear.

`engine_auditions` lists an engine's voices for a language (each of its voices, then the variants on the
language's default voice); `cast_auditions` lists a story's cast (each speaker introducing themselves in
their own voice, pronunciation entries applied). `write_auditions` speaks them through the real engine and
the clip cache, and writes one file per audition.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from narrate.audio import containers
from narrate.casting.cast import (
    PRESET_VOICES,
    Casting,
    clip_key,
    preset_variants,
    pronounce,
)
from narrate.casting.castfile import CastRow
from narrate.casting.config import builtin_config
from narrate.casting.normalize import speakable
from narrate.engines import get_engine
from narrate.errors import InputError
from narrate.model import NARRATOR, UNKNOWN, Line, Segment, Voice
from narrate.state import ClipCache
from narrate.synthesis.local import SynthProgress, default_jobs, synthesize

# espeak's numbered variants: the male and female timbres m1-m8 and f1-f5. The other ninety (named ones such as
# +Alex, +whisper, +klatt) are heard with all_variants.
_MAIN_VARIANT = re.compile(r"\+[mf]\d+")
_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_WHO = {NARRATOR: "the narrator", UNKNOWN: "the voice of lines nobody is credited with"}


@dataclass(frozen=True)
class Audition:
    label: str  # names the clip's file: a voice id, or a speaker
    voice: Voice
    text: str  # what the clip says, as the engine receives it


def engine_auditions(language: str = "en", engine_id: str = "espeak", all_variants: bool = False) -> list[Audition]:
    """Each voice of the engine whose language starts with `language`, then each variant (the main ones,
    or every one with `all_variants`) on the voice the built-in pools use (`en` for en, as in en+m1)."""
    listed = get_engine(engine_id).voices()
    voices = [info.id for info in listed if info.language != "variant" and info.language.startswith(language)]
    if engine_id in PRESET_VOICES:  # one bundled neural voice: audition the variants a preset casts from it
        return variant_auditions(engine_id) + library_auditions(engine_id, language)
    if not voices:
        raise InputError(f"--lang {language}: no voice of engine '{engine_id}' speaks it. "
                         f"`narrate voices` lists the voices and their languages.")
    variants = [info.id for info in listed if info.language == "variant"
                and (all_variants or _MAIN_VARIANT.fullmatch(info.id))]
    # the variants on the voice auto-casting puts them on ("en+m1", not the narrator's "en-us"): hear what a cast gets
    base = builtin_config(language.split("-")[0]).pools["male"][0].split("+")[0]
    return [Audition(voice_id, Voice(engine=engine_id, voice=voice_id), _introduction(voice_id, language))
            for voice_id in voices + [base + variant for variant in variants]]


def library_auditions(engine_id: str, language: str = "en") -> list[Audition]:
    """The voices of the engine's library that are here already (downloaded, or placed by hand): auditions never
    download (`narrate voices --download NAME` fetches one to hear it)."""
    from narrate import voicelib

    return [Audition(entry.name, Voice(engine=engine_id, voice=entry.name),
                     _introduction(entry.name.split("-")[1] if entry.name.count("-") == 2 else entry.name, language))
            for entry in voicelib.catalogue(engine_id)
            if not entry.bundled and entry.language.startswith(language) and voicelib.is_downloaded(engine_id, entry.name)]


def variant_auditions(engine_id: str) -> list[Audition]:
    """The bundled voice of a neural engine in each variant `cast --engine` may give a speaker."""
    voice_id, _ = PRESET_VOICES[engine_id]
    auditions = []
    for semitones, tempo in preset_variants():
        label = f"{voice_id} {semitones:+g} st x{tempo:g}"
        text = (f"This is {voice_id}, shifted {abs(semitones):g} semitones {'up' if semitones >= 0 else 'down'}, "
                f"at {tempo:g} times the speed.")
        auditions.append(Audition(label, Voice(engine=engine_id, voice=voice_id, semitones=semitones, tempo=tempo),
                                  text))
    return auditions


def _introduction(voice_id: str, language: str) -> str:
    spoken_id = voice_id.replace("+", " plus ")
    return f"This is {spoken_id}." if language.split("-")[0] == "en" else f"{spoken_id}."


def cast_auditions(rows: Sequence[CastRow], casting: Casting, language: str = "en") -> list[Audition]:
    """One per row of the cast table that has lines, and the narrator: each speaker says who they are and
    which voice is theirs, in it ("I am Natasha, voiced by en plus f1."), saying names as voices.yaml's
    `pronounce:` entries do."""
    auditions = []
    for row in rows:
        if row.lines == 0 and row.speaker != NARRATOR:
            continue
        voice = casting.voice_for(row.speaker)
        who = _WHO.get(row.speaker, row.speaker)
        pitch = f", at pitch {voice.pitch}" if voice.pitch != Voice.pitch else ""
        text = f"I am {who}, voiced by {voice.voice.replace('+', ' plus ')}{pitch}."
        spoken = pronounce.apply(speakable(text, language), casting.pronunciations_for(row.speaker))
        auditions.append(Audition(row.speaker, voice, spoken))
    return auditions


def write_auditions(out_dir: str | Path, auditions: Sequence[Audition], fmt: str = "mp3", jobs: int | None = None,
                    on_progress: Callable[[SynthProgress], None] | None = None) -> list[Path]:
    """Speak every audition (through the clip cache: a second run only copies) and write each as
    `out_dir/<label>.<fmt>` (mp3, wav, flac or opus); returns the files, in the order of `auditions`."""
    versions = {engine_id: get_engine(engine_id).version() for engine_id in {a.voice.engine for a in auditions}}
    lines = [Line(segment=_segment(a), voice=a.voice, text_to_speak=a.text,
                  key=clip_key(a.voice, versions[a.voice.engine], a.text)) for a in auditions]
    clips = synthesize(lines, ClipCache(), jobs, on_progress)
    out = Path(out_dir)
    paths = [out / f"{_file_name(a.label)}.{fmt}" for a in auditions]
    with ThreadPoolExecutor(jobs or default_jobs()) as pool:  # each encode is an ffmpeg process
        list(pool.map(lambda clip, path, a: containers.encode(clip.path, path, fmt, metadata={"title": a.label}),
                      clips, paths, auditions))
    return paths


def _segment(audition: Audition) -> Segment:
    """The stand-in segment a Line needs: an audition is no part of any script."""
    return Segment(chapter=0, index=-1, kind="narration", text=audition.text, start=-1, end=-1, paragraph=-1,
                   evidence="audition")


def _file_name(label: str) -> str:
    return _UNSAFE_IN_FILE_NAMES.sub("_", label).strip(". ") or "_"
