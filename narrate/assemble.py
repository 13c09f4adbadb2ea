"""Clips -> chapter audio: the pauses chosen from the script's structure, clips and silences streamed into one
WAV master per chapter (memory stays flat), from which export.py encodes every format."""
from __future__ import annotations

import audioop  # C speed for scaling samples; pydub relies on it too (audioop-lts from Python 3.13)
import re
import wave
from array import array
from pathlib import Path
from typing import Iterable, Mapping, Sequence, Union

from .cache import atomic_path
from .config import Pauses
from .errors import AudioError
from .model import BOOK_SAMPLE_RATE, NARRATOR, Clip, Segment, Voice

EDGE_FADE = 0.005  # seconds ramped in and out at each clip's edges
HEAD_SILENCE = 0.75  # room tone before the chapter title (ACX: 0.5-1 s)
Piece = Union[Clip, float]  # a clip, or seconds of silence

_NOT_IN_FILE_NAMES = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def chapter_file_name(index: int, total: int, title: str, extension: str) -> str:
    """`NN - Title.ext`: NN 1-based, at least two digits; characters no file system accepts become '-'."""
    width = max(2, len(str(total)))
    safe = _NOT_IN_FILE_NAMES.sub("-", title).strip().strip(".") or f"Chapter {index}"
    return f"{index:0{width}d} - {safe}.{extension}"


def _speaker(segment: Segment) -> str:
    return segment.speaker if segment.kind == "dialogue" else NARRATOR


def chapter_plan(title_clip: Clip | None, segments: Sequence[Segment], clips: dict[int, Clip],
                 pauses: Pauses) -> list[Piece]:
    """The chapter as a sequence of clips and silences, pauses chosen from the script's structure.

    `segments` are the chapter's script segments in order (skipped ones included: a scene break is a pause);
    `clips` maps Segment.index to its clip."""
    plan: list[Piece] = [HEAD_SILENCE]
    previous: Segment | None = None
    pending = 0.0  # a pause owed before the next spoken segment: after the title, or for a scene break
    if title_clip is not None:
        plan.append(title_clip)
        pending = pauses.scene
    for segment in segments:
        if segment.kind == "skipped":
            if segment.evidence == "skipped:scene_break":
                pending = max(pending, pauses.scene)
            continue
        clip = clips.get(segment.index)
        if clip is None:
            continue
        gap = 0.0
        if previous is not None:
            if segment.paragraph != previous.paragraph:
                gap = pauses.paragraph
            elif _speaker(segment) != _speaker(previous):
                gap = pauses.speaker_change
            else:
                gap = pauses.sentence
        if max(gap, pending) > 0:
            plan.append(max(gap, pending))
        pending = 0.0
        plan.append(clip)
        previous = segment
    plan.append(pauses.chapter)
    return plan


def _faded(frames: bytes, rate: int) -> bytes:
    """The clip with its first and last few milliseconds ramped from and to silence: a clip that an engine
    started or ended away from zero would otherwise click where it meets the pause beside it."""
    samples = array("h", frames)
    ramp = min(int(rate * EDGE_FADE), len(samples) // 2)
    for i in range(ramp):
        scale = i / ramp
        samples[i] = int(samples[i] * scale)
        samples[-1 - i] = int(samples[-1 - i] * scale)
    return samples.tobytes()


def plan_frames(plan: Sequence[Piece]) -> int:
    """How many frames write_master will write for `plan`: known before the audio is."""
    rate = plan_sample_rate(plan)
    return sum(p.frames if isinstance(p, Clip) else int(round(p * rate)) for p in plan)


def plan_sample_rate(plan: Iterable[Piece]) -> int:
    rates = {piece.sample_rate for piece in plan if isinstance(piece, Clip)}
    if len(rates) > 1:
        raise AudioError(f"clips of one chapter have different sample rates {sorted(rates)}; "
                         f"use voices of one engine per chapter.")
    return rates.pop() if rates else BOOK_SAMPLE_RATE


def write_master(plan: Sequence[Piece], out_path: Path, gains: Mapping[Voice, float] | None = None) -> int:
    """The chapter as one mono 16-bit WAV (atomically): the master every format is encoded from.

    Streams clip by clip, so memory stays flat however long the chapter; each clip is scaled by its voice's
    gain in `gains` (dB, from levels.py) so that every speaker sits at one level. Returns the frame count."""
    rate = plan_sample_rate(plan)
    factors = {voice: 10 ** (db / 20) for voice, db in (gains or {}).items() if abs(db) >= 0.1}
    with atomic_path(out_path) as tmp, wave.open(str(tmp), "wb") as master:
        master.setnchannels(1)
        master.setsampwidth(2)
        master.setframerate(rate)
        return sum(_stream(piece, rate, master, factors) for piece in plan)


def _stream(piece: Piece, rate: int, master: wave.Wave_write, factors: Mapping[Voice, float]) -> int:
    if not isinstance(piece, Clip):
        frames = int(round(piece * rate))
        master.writeframesraw(b"\x00\x00" * frames)
        return frames
    try:
        with wave.open(piece.path, "rb") as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                raise wave.Error("not mono 16-bit")
            samples = _faded(wav.readframes(wav.getnframes()), rate)  # a clip is a line: small enough to hold
            factor = factors.get(piece.line.voice)
            master.writeframesraw(audioop.mul(samples, 2, factor) if factor else samples)  # saturates, never wraps
            return len(samples) // 2
    except (EOFError, wave.Error, FileNotFoundError) as err:
        raise AudioError(f"{piece.path}: unreadable clip ({err}). Delete it (it is only a cache) and build again.") from None
