"""Every voice at one level: engines differ by several dB raw (espeak ~-22, piper ~-25, hibari ~-26 LUFS),
variants and espeak's own variants shift it further. Each voice speaks one calibration sentence (cached like
any clip), its loudness is measured once, and the gain that brings it to the reference is applied to every
clip of that voice as the chapter is written, so speakers sit together before the chapter is mastered."""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from . import loudness
from .cache import ClipCache, atomic_path, cache_root
from .casting import clip_key
from .engines import get_engine
from .model import Line, Segment, Voice
from .synth import synthesize

CALIBRATION_TEXT = ("The old keeper climbed the stairs at dusk, lit the lamp, and watched the boats come home "
                    "across the quiet water.")
REFERENCE_LUFS = -22.0
MAX_GAIN_DB = 12.0  # a voice measured absurdly quiet (a whisper variant) is not blown up past this


def voice_gains(voices: Iterable[Voice], cache: ClipCache, jobs: int | None = None) -> dict[Voice, float]:
    """dB to add to each voice's clips so that all of them sit at REFERENCE_LUFS."""
    voices = sorted(set(voices), key=repr)
    versions = {engine: get_engine(engine).version() for engine in {v.engine for v in voices}}
    segment = Segment(chapter=0, index=-1, kind="narration", text=CALIBRATION_TEXT, start=-1, end=-1, paragraph=-1,
                      evidence="calibration")
    lines = [Line(segment=segment, voice=v, text_to_speak=CALIBRATION_TEXT,
                  key=clip_key(v, versions[v.engine], CALIBRATION_TEXT)) for v in voices]
    clips = synthesize(lines, cache, jobs)
    return {line.voice: _gain(Path(clip.path), line.key) for line, clip in zip(lines, clips)}


def _gain(clip: Path, key: str) -> float:
    record = cache_root() / "levels" / f"{key}.json"
    try:
        measured = json.loads(record.read_text(encoding="utf-8"))["lufs"]
    except (OSError, ValueError, KeyError):
        measured = loudness.measure(clip, true_peak=False).integrated_lufs
        with atomic_path(record) as tmp:
            tmp.write_text(json.dumps({"lufs": measured}), encoding="utf-8")
    if measured <= loudness.SILENT_LUFS:
        return 0.0
    return max(-MAX_GAIN_DB, min(MAX_GAIN_DB, REFERENCE_LUFS - measured))
