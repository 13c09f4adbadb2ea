"""Voice variants: one voice made into several characters by a pitch shift (semitones) and a tempo factor.

Neural engines have no pitch control, and a whole cast from two voices needs more than two voices. A variant
is applied to any engine's WAV after synthesis, with ffmpeg:

- `rubberband` (ffmpeg built with librubberband, as Debian's is): pitch and tempo changed independently, with
  rubberband's formant preservation. On Debian 12's librubberband (its R2 engine) that is partial: a +4
  semitone shift moved a vowel's first formant +12 % against +27 % for asetrate; downward shifts are hardly
  helped (-3 semitones: -14 % against -16 %). So it keeps raised voices from sounding sped-up, not more.
- `asetrate` otherwise: the samples are replayed at a scaled rate (pitch and formants move together, the
  "chipmunk" effect), resampled back, and `atempo` sets the duration. Not formant-aware: keep shifts within a
  few semitones on such an ffmpeg.

Cost, measured on 2 busy cores with ffmpeg 5.1: ~0.2 s for a 4 s line with rubberband (~20x real time; ~0.07 s
of it is ffmpeg's start-up), ~0.085 s with asetrate. A hibari line costs less to synthesize than its variant.
"""
from __future__ import annotations

import math
import re
import shutil
import subprocess
import wave
from functools import cache
from pathlib import Path
from typing import Literal

from narrate import ffmpeg
from narrate.errors import EngineError

Method = Literal["rubberband", "asetrate"]

MIN_SEMITONES, MAX_SEMITONES = -12.0, 12.0
MIN_TEMPO, MAX_TEMPO = 0.5, 2.0
_ATEMPO_MAX = 2.0  # atempo takes 0.5-2.0 in older ffmpeg: larger changes are chained


def best_method() -> Method:
    """rubberband when this ffmpeg has the filter, else asetrate."""
    return "rubberband" if "rubberband" in _ffmpeg_filters() else "asetrate"


def variant_version() -> str:
    """What decides a variant's samples besides its settings (ffmpeg's version and the method): for cache keys."""
    return f"ffmpeg {_ffmpeg_version()} {best_method()}"


def check_variant(semitones: float, tempo: float) -> None:
    """Raises EngineError, naming the limits, when the settings are out of range."""
    if not MIN_SEMITONES <= semitones <= MAX_SEMITONES:
        raise EngineError(
            f"semitones must be from {MIN_SEMITONES:g} to {MAX_SEMITONES:g}, got {semitones:g}; change the voice's semitones"
        )
    if not MIN_TEMPO <= tempo <= MAX_TEMPO:
        raise EngineError(f"tempo must be from {MIN_TEMPO:g} to {MAX_TEMPO:g}, got {tempo:g}; change the voice's tempo")


def variant_filters(semitones: float, tempo: float, sample_rate: int, method: Method | None = None) -> list[str]:
    """The ffmpeg audio filters (-af) that shift the pitch by `semitones` and speed the speech up by `tempo`
    (2.0: twice as fast, half as long) at `sample_rate`, which they keep."""
    check_variant(semitones, tempo)
    pitch = 2 ** (semitones / 12)
    if (method or best_method()) == "rubberband":
        return [f"rubberband=pitch={pitch:.6f}:tempo={tempo:.6f}:formant=preserved:pitchq=quality"]
    # replaying at pitch * rate raises the pitch and shortens the sound by `pitch`; atempo restores the rest
    return [f"asetrate={sample_rate * pitch:.3f}", f"aresample={sample_rate}", *_atempo_chain(tempo / pitch)]


def apply_variant(wav_in: str | Path, wav_out: str | Path, semitones: float, tempo: float,
                  method: Method | None = None) -> None:
    """`wav_in` shifted by `semitones` and sped up by `tempo`, written to `wav_out` as mono 16-bit PCM WAV at
    the input's sample rate. `method` defaults to the best this ffmpeg offers (best_method()).

    Raises EngineError for settings out of range, AudioError when ffmpeg fails.
    """
    check_variant(semitones, tempo)
    if semitones == 0 and tempo == 1:
        shutil.copyfile(wav_in, wav_out)
        return
    with wave.open(str(wav_in), "rb") as wav:  # engines write WAV; its header is cheaper than an ffprobe run
        rate = wav.getframerate()
    filters = variant_filters(semitones, tempo, rate, method)
    ffmpeg.run(["-i", str(wav_in), "-af", ",".join(filters), "-ac", "1", "-ar", str(rate), "-c:a", "pcm_s16le",
                "-f", "wav", str(wav_out)], wav_in)


def _atempo_chain(factor: float) -> list[str]:
    """atempo filters whose product is `factor`, each within atempo's range."""
    steps = max(1, math.ceil(abs(math.log(factor)) / math.log(_ATEMPO_MAX)))
    return [f"atempo={factor ** (1 / steps):.6f}"] * steps


@cache
def _ffmpeg_filters() -> frozenset[str]:
    listing = subprocess.run([ffmpeg.tool(), "-hide_banner", "-filters"], capture_output=True, text=True).stdout
    return frozenset(match[1] for match in re.finditer(r"^\s*\S+\s+(\w+)\s+\S+->\S+", listing, re.MULTILINE))


@cache
def _ffmpeg_version() -> str:
    banner = subprocess.run([ffmpeg.tool(), "-version"], capture_output=True, text=True).stdout
    found = re.match(r"ffmpeg version (\S+)", banner)
    return found[1] if found else "unknown"
