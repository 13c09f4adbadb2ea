"""Every voice at one level: engines differ by several dB raw (espeak ~-22, piper ~-25, hibari ~-26 LUFS), and
variants shift them further. Each voice is measured once over a sample of its clips in the book (the
measurement is kept, named by those clips' keys, so recasting one speaker measures only that voice again), and
the gain that brings the voice to the reference is applied to its clips as the chapter is written: speakers sit
together before the chapter is mastered.

The sample is the voice's clips in the order of their keys (a fixed shuffle of the book) up to SAMPLE_SECONDS:
espeak speech varies by ~0.1 LU between samples that long, and editing a paragraph rarely touches the sample,
so the gains, and the units encoded with them, stay as they were.

A voice can be measured while the book is still being synthesized (measure_while_made, on a thread): its sample
is streamed into the meter in key order as the clips appear, so the level is known moments after the last of
them is made. For that the likely sample clips are synthesized first (sample_first)."""
from __future__ import annotations

import hashlib
import json
import math
import threading
import wave
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from narrate.audio import loudness
from narrate.errors import NarrateError
from narrate.model import BOOK_SAMPLE_RATE, Clip, Line, Voice
from narrate.state import (
    ClipCache,
    ClipInfo,
    CorruptEntry,
    cache_miss,
    read_clip_samples,
    read_record,
    store_root,
    write_record,
)

REFERENCE_LUFS = -22.0
MAX_GAIN_DB = 12.0  # a voice measured absurdly quiet (a whisper variant) is not blown up past this
SAMPLE_SECONDS = 180.0
LIKELY_SAMPLE_MARGIN = 1.5  # sample_first puts this many times SAMPLE_SECONDS of estimated speech first
WAIT_SECONDS = 0.005  # how often measure_while_made looks for the next clip of a sample


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
    record = _record([clip.line.key for clip in sample])
    digests = [clip.digest for clip in sample]
    kept = _kept(record, digests)
    if kept is not None:
        return kept
    lufs = _measure(_frames(sample), clips[0].line.voice)
    _keep(record, lufs, digests)
    return lufs


def _record(sample_keys: Sequence[str]) -> Path:
    """Where the level of the sample made of these clips is kept."""
    return store_root() / "levels" / f"{hashlib.sha256(' '.join(sample_keys).encode()).hexdigest()}.json"


def _kept(record: Path, digests: Sequence[str]) -> float | None:
    """The level kept for the sample whose clips have these `digests` (a sample remade since is measured
    again); a record that is not a finite level is a logged miss."""
    body = read_record(record)
    if body is None:
        return None
    try:
        data = json.loads(body)
        lufs, clips = data["lufs"], data["clips"]
        if isinstance(lufs, (int, float)) and not isinstance(lufs, bool) and math.isfinite(lufs):
            return float(lufs) if clips == list(digests) else None
    except (ValueError, KeyError, TypeError, RecursionError):
        pass
    cache_miss(record, "not a level")
    return None


def _keep(record: Path, lufs: float, digests: Sequence[str]) -> None:
    if math.isfinite(lufs):
        write_record(record, json.dumps({"lufs": lufs, "clips": list(digests)}).encode())


def _measure(pcm: Iterable[bytes], voice: Voice) -> float:
    return loudness.measure_pcm(pcm, BOOK_SAMPLE_RATE, subject=f"the clips of {voice.voice}",
                                true_peak=False).integrated_lufs


def sample_first(lines: Sequence[Line]) -> list[int]:
    """An order to synthesize `lines` in (indexes): first the lines likely to be in their voice's sample (its
    first keys, up to LIKELY_SAMPLE_MARGIN times SAMPLE_SECONDS of speech estimated from words and rate), then
    the rest, each in book order; so that measure_while_made measures voices early."""
    by_voice: dict[Voice, dict[str, float]] = defaultdict(dict)
    for line in lines:
        by_voice[line.voice][line.key] = 60 * len(line.text_to_speak.split()) / max(line.voice.rate, 1)
    likely = set()
    for estimates in by_voice.values():
        seconds = 0.0
        for key in sorted(estimates):
            if seconds >= LIKELY_SAMPLE_MARGIN * SAMPLE_SECONDS:
                break
            likely.add(key)
            seconds += estimates[key]
    first = [i for i, line in enumerate(lines) if line.key in likely]
    return first + [i for i, line in enumerate(lines) if line.key not in likely]


class _Abandoned(Exception):
    """Synthesis ended without making a clip a sample waits for."""


def measure_while_made(lines: Sequence[Line], cache: ClipCache, synthesis_over: threading.Event) -> None:
    """For a thread beside the synthesis of `lines` into `cache`: measures each voice whose level is not kept,
    one voice at a time (one ffmpeg beside the workers), streaming its sample in key order as its clips appear;
    voice_gains then finds the levels kept. Stops starting voices once `synthesis_over` is set (voice_gains
    measures what is left, in parallel), and gives up a voice whose clip is still missing then (a failed
    synthesis). The sample is exactly the one voice_gains takes, so either measures the same."""
    by_voice: dict[Voice, set[str]] = defaultdict(set)
    for line in lines:
        by_voice[line.voice].add(line.key)
    for voice, keys in by_voice.items():
        if synthesis_over.is_set():
            return
        try:
            _measure_as_made(voice, sorted(keys), cache, synthesis_over)
        except _Abandoned:
            return
        except (NarrateError, OSError, EOFError, wave.Error, CorruptEntry):
            return  # a clip or the meter failed: voice_gains measures again and reports it properly


def _measure_as_made(voice: Voice, keys: list[str], cache: ClipCache, synthesis_over: threading.Event) -> None:
    infos: dict[str, ClipInfo] = {}
    made = _sample_if_made(keys, cache, infos)
    if made is not None:  # no clip to wait for: measured only if not kept
        digests = [infos[key].digest for key in made]
        if _kept(_record(made), digests) is None:
            sample: list[tuple[str, str]] = []
            lufs = _measure(_pcm(made, cache, synthesis_over, sample), voice)
            _keep(_record([key for key, _ in sample]), lufs, [digest for _, digest in sample])
        return
    sample = []  # the meter starts now; the sample is known once its last clip is made
    lufs = _measure(_pcm(keys, cache, synthesis_over, sample), voice)
    _keep(_record([key for key, _ in sample]), lufs, [digest for _, digest in sample])


def _sample_if_made(keys: Sequence[str], cache: ClipCache, infos: dict[str, ClipInfo]) -> list[str] | None:
    """The sample's keys when all its clips are in the cache already (their `infos` kept), else None."""
    def frames_of(key: str) -> int | None:
        info = cache.lookup(key)
        if info is None:
            return None
        infos[key] = info
        return info.frames
    return _sample_keys(keys, frames_of)


def _sample_keys(keys: Sequence[str], frames_of: Callable[[str], int | None]) -> list[str] | None:
    """The keys of a voice's sample: its keys in order up to SAMPLE_SECONDS of audio (`frames_of` each), or
    None when `frames_of` cannot tell for a key the sample needs."""
    sample, frames = [], 0
    for key in keys:
        if frames >= SAMPLE_SECONDS * BOOK_SAMPLE_RATE:
            break
        count = frames_of(key)
        if count is None:
            return None
        sample.append(key)
        frames += count
    return sample


def _pcm(keys: Sequence[str], cache: ClipCache, synthesis_over: threading.Event,
         sample: list[tuple[str, str]]) -> Iterator[bytes]:
    """The clips of `keys` in order, each as soon as it is made (whole: a clip found corrupt is waited for
    until synthesis has made it again), up to SAMPLE_SECONDS; `sample` gets their keys and digests."""
    frames = 0
    for key in keys:
        if frames >= SAMPLE_SECONDS * BOOK_SAMPLE_RATE:
            return
        path = cache.path_for(key)
        while (found := _whole(path)) is None:
            if synthesis_over.wait(WAIT_SECONDS) and (found := _whole(path)) is None:
                raise _Abandoned
        info, samples = found
        frames += info.frames
        sample.append((key, info.digest))
        yield samples


def _whole(path: Path) -> tuple[ClipInfo, bytes] | None:
    try:
        return read_clip_samples(path)
    except (OSError, CorruptEntry):
        return None


def _sample(clips: Sequence[Clip]) -> list[Clip]:
    """The voice's distinct clips in key order, up to SAMPLE_SECONDS of them (every clip is at the book's rate)."""
    by_key = {clip.line.key: clip for clip in clips}
    return [by_key[key] for key in _sample_keys(sorted(by_key), lambda key: by_key[key].frames)]


def _frames(clips: Iterable[Clip]) -> Iterator[bytes]:
    for clip in clips:
        if clip.digest:  # from the store: the very samples the Clip was read as
            info, samples = read_clip_samples(clip.path)
            if info.digest != clip.digest:
                raise CorruptEntry(f"{clip.path} changed during the build")
            yield samples
            continue
        with wave.open(clip.path, "rb") as wav:
            while chunk := wav.readframes(65536):
                yield chunk
