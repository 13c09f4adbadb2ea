"""Measure a voice once: its median pitch, timbre and word recall, saying the standard passage (recall.PASSAGE).

The voice speaks the passage through its real engine (a variant: the engine's take shifted by ffmpeg, as a
build shapes it); voiceprint.py reads the pitch and timbre from the samples and recall.py the recogniser's
word recall (measured only when asked: it costs seconds, the rest a fraction of one). Measurements are kept in
one small JSON file (MEASUREMENTS in the voices folder, beside the voices, which no cache cap or `cache clear`
removes), keyed by what decides the audio: engine, its version and the voice file's digest, the voice's
settings, the variant maker's version, and MEASURE_VERSION for the passage and the measures themselves. The rate and volume a
speaker is cast at are not part of the key: a voice is measured at the engine's nominal rate.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Self

from narrate import state, voicelib
from narrate.casting import recall, voiceprint
from narrate.engines import get_engine, variants
from narrate.model import Voice

MEASURE_VERSION = 1  # bump when PASSAGE or a measure changes: older entries are then never read
MEASUREMENTS = "voice-measurements.json"


@dataclass(frozen=True)
class Measurement:
    pitch: float  # median pitch of the voiced frames, MIDI semitones (69 = 440 Hz)
    timbre: tuple[float, ...]  # mean MFCC 1-12
    recall: float | None = None  # word recall of the passage; None: not measured yet

    @property
    def hertz(self) -> float:
        return 440.0 * 2 ** ((self.pitch - 69) / 12)


class Measurer:
    """Measures voices, each once: from the JSON file when it has them, else from real audio (then kept).

    Use as a context manager: the engines' takes of the passage are kept in a scratch folder meanwhile, so that
    a voice's variants are shifted from one take. `on_measure(voice)` is called before each voice measured
    from audio (the CLI says what it is doing: a first measurement takes seconds a voice)."""

    def __init__(self, path: Path | None = None, on_measure: Callable[[Voice], None] | None = None):
        self.path = path or voicelib.voices_root() / MEASUREMENTS
        self.on_measure = on_measure
        self._entries: dict[str, dict] = _read(self.path)
        self._scratch: tempfile.TemporaryDirectory | None = None
        self._takes: dict[Voice, Path] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_) -> None:
        if self._scratch:
            self._scratch.cleanup()

    def measure(self, voice: Voice, with_recall: bool = False) -> Measurement:
        """The voice's pitch and timbre, and its recall too when `with_recall`. Raises EngineError when its
        engine cannot say it (or pocketsphinx is missing for a recall)."""
        voice = nominal(voice)
        key = measurement_key(voice)
        entry = self._entries.get(key)
        if entry is None or (with_recall and entry.get("recall") is None):
            if self.on_measure:
                self.on_measure(voice)
            wav = self._audio(voice)
            if entry is None:
                samples, rate = _samples(wav)
                entry = {"voice": describe(voice), "pitch": round(voiceprint.median_pitch(samples, rate), 3),
                         "timbre": voiceprint.timbre(samples, rate), "recall": None}
            if with_recall:
                entry["recall"] = round(recall.recall(wav), 4)
            self._entries[key] = entry
            self._save()
        return Measurement(pitch=entry["pitch"], timbre=tuple(entry["timbre"]), recall=entry.get("recall"))

    def _audio(self, voice: Voice) -> Path:
        """The voice saying the passage: the engine's take of the unshifted voice, shifted for a variant."""
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="narrate-measure-")
        folder = Path(self._scratch.name)
        base = replace(voice, semitones=0.0, tempo=1.0)
        if base not in self._takes:
            path = folder / f"take{len(self._takes)}.wav"
            get_engine(base.engine).synthesize(recall.PASSAGE, base, str(path))
            self._takes[base] = path
        if not voice.is_variant:
            return self._takes[base]
        shifted = folder / "variant.wav"
        variants.apply_variant(self._takes[base], shifted, voice.semitones, voice.tempo)
        return shifted

    def _save(self) -> None:
        try:
            with state.atomic_path(self.path) as tmp:
                tmp.write_text(json.dumps(self._entries, indent=1, sort_keys=True), encoding="utf-8")
        except OSError:
            pass  # a cache that cannot be written only costs measuring again


def nominal(voice: Voice) -> Voice:
    """The voice as it is measured: at the engine's nominal rate and full volume."""
    return replace(voice, rate=Voice.rate, volume=Voice.volume)


def measurement_key(voice: Voice) -> str:
    """What decides the measurement: the engine and its version, the voice file's digest (Engine.voice_version:
    a downloaded voice's; bundled ones are named by the engine's version), the voice, the variant maker."""
    engine = get_engine(voice.engine)
    version = engine.version() + engine.voice_version(voice.voice)
    if voice.is_variant:
        version += " / " + variants.variant_version()
    payload = {"measure": MEASURE_VERSION, "engine": voice.engine, "version": version, "voice": asdict(nominal(voice))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def describe(voice: Voice) -> str:
    """A voice as a person reads it: engine:voice, and the variant or espeak pitch."""
    text = voice.voice if voice.engine == "espeak" else f"{voice.engine}:{voice.voice}"
    if voice.engine == "espeak" and voice.pitch != Voice.pitch:
        text += f" pitch {voice.pitch}"
    if voice.semitones:
        text += f" {voice.semitones:+g} st"
    if voice.tempo != 1:
        text += f" x{voice.tempo:g}"
    return text


def _read(path: Path) -> dict[str, dict]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: measured again
    if not isinstance(entries, dict):
        return {}
    return {key: e for key, e in entries.items()
            if isinstance(e, dict) and isinstance(e.get("pitch"), (int, float)) and isinstance(e.get("timbre"), list)}


def _samples(wav: Path):
    import soundfile

    samples, rate = soundfile.read(str(wav), dtype="float32", always_2d=False)
    return samples, rate
