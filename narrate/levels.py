"""Every voice at one level: engines differ by several dB raw (espeak ~-22, piper ~-25, hibari ~-26 LUFS), and
variants shift them further. Each voice is measured once over a sample of its clips in the book (the
measurement is kept, named by those clips' keys, so recasting one speaker measures only that voice again), and
the gain that brings the voice to the reference is applied to its clips as the chapter is written: speakers sit
together before the chapter is mastered.

The sample is the voice's clips in the order of their keys (a fixed shuffle of the book) up to SAMPLE_SECONDS:
espeak speech varies by ~0.1 LU between samples that long, and editing a paragraph rarely touches the sample,
so the gains, and the units encoded with them, stay as they were."""
from __future__ import annotations

import hashlib
import json
import wave
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from . import loudness
from .cache import atomic_path, cache_root
from .model import BOOK_SAMPLE_RATE, Clip, Voice

REFERENCE_LUFS = -22.0
MAX_GAIN_DB = 12.0  # a voice measured absurdly quiet (a whisper variant) is not blown up past this
SAMPLE_SECONDS = 180.0


def voice_gains(clips: Iterable[Clip], jobs: int = 1) -> dict[Voice, float]:
    """dB to add to each voice's clips so that every voice sits at REFERENCE_LUFS."""
    by_voice: dict[Voice, list[Clip]] = defaultdict(list)
    for clip in clips:
        by_voice[clip.line.voice].append(clip)
    voices = list(by_voice)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:  # the work is in ffmpeg processes
        measured = list(pool.map(lambda v: _loudness(by_voice[v]), voices))
    return {voice: _gain(lufs) for voice, lufs in zip(voices, measured)}


def _gain(lufs: float) -> float:
    if lufs <= loudness.SILENT_LUFS:
        return 0.0
    return max(-MAX_GAIN_DB, min(MAX_GAIN_DB, REFERENCE_LUFS - lufs))


def _loudness(clips: Sequence[Clip]) -> float:
    sample = _sample(clips)
    keys = [clip.line.key for clip in sample]
    record = cache_root() / "levels" / f"{hashlib.sha256(' '.join(keys).encode()).hexdigest()}.json"
    try:
        return json.loads(record.read_text(encoding="utf-8"))["lufs"]
    except (OSError, ValueError, KeyError):
        pass
    lufs = loudness.measure_pcm(_frames(sample), BOOK_SAMPLE_RATE, subject=f"the clips of {clips[0].line.voice.voice}",
                                true_peak=False).integrated_lufs
    with atomic_path(record) as tmp:
        tmp.write_text(json.dumps({"lufs": lufs}), encoding="utf-8")
    return lufs


def _sample(clips: Sequence[Clip]) -> list[Clip]:
    """The voice's distinct clips in key order, up to SAMPLE_SECONDS of them."""
    sample, frames = [], 0
    for clip in sorted({clip.line.key: clip for clip in clips}.values(), key=lambda clip: clip.line.key):
        if frames >= SAMPLE_SECONDS * clip.sample_rate:
            break
        sample.append(clip)
        frames += clip.frames
    return sample


def _frames(clips: Iterable[Clip]) -> Iterator[bytes]:
    for clip in clips:
        with wave.open(clip.path, "rb") as wav:
            while chunk := wav.readframes(65536):
                yield chunk
