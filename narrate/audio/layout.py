"""Clips -> chapter audio: the pauses chosen from the script's structure, and the chapter cut into units at its
longer pauses; clips and silences streamed as PCM (memory stays flat) into the encoders (produce.py).

Units are encoded separately and joined as encoded frames, so that a rebuild encodes only the units whose clips
changed. For that, every unit is a whole number of MP3 and AAC frames (UNIT_FRAMES) and has silence on both
sides of each cut: a unit's pauses are lengthened or shortened together so that it ends on the frame nearest to
where the script puts its end (within half a unit frame, ±0.21 s at 22.05 kHz, unless its pauses are too
short to shrink that far); the plan holds the pauses as adjusted, so subtitles and chapter marks follow them."""
from __future__ import annotations

import audioop  # C speed for scaling samples; pydub relies on it too (audioop-lts from Python 3.13)
import re
import unicodedata
import wave
from array import array
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence, Union

from narrate.casting.config import Pauses
from narrate.errors import AudioError
from narrate.model import BOOK_SAMPLE_RATE, NARRATOR, Clip, Segment, Voice
from narrate.state import CorruptEntry, atomic_path, read_clip_samples

EDGE_FADE = 0.005  # seconds ramped in and out at each clip's edges
HEAD_SILENCE = 0.75  # room tone before the chapter title (ACX: 0.5-1 s)
# 16 MP3 frames of 576 samples (or 8 of 1152 at twice the rate) and 9 AAC frames of 1024: a unit of a whole
# number of these ends on a frame boundary in both codecs
UNIT_FRAMES = 9216
LAST_UNIT_FRAMES = 1024  # one AAC frame: the .m4b holds each chapter's samples exactly; MP3 pads the last frame
GUARD_FRAMES = 2048  # silence either side of a cut: more than an MP3 or AAC frame's window reaches
MIN_BREAK_SECONDS = 0.4  # a shorter pause (less than half a unit frame plus both guards) is not cut at
Piece = Union[Clip, float]  # a clip, or seconds of silence


class UnitBreak(float):
    """A pause (seconds) where the chapter is cut into units: one of MIN_BREAK_SECONDS or more (by default a
    speaker change, paragraph, scene or chapter pause). The cut falls GUARD_FRAMES before the pause ends; the
    last one of a plan ends the last unit."""

_NOT_IN_FILE_NAMES = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
_LINE_BREAKS = re.compile("[\u2028\u2029\x85]")
# File names are at most 255 bytes (NAME_MAX) on most file systems. A title gets this many bytes of UTF-8, so
# that "NN - ", an extension, " (2)" and atomic_path's temporary name around it still fit.
NAME_BYTES = 200
_CUT = "\u2026"  # … ends a title that was cut


def file_safe(title: str, fallback: str = "Untitled", budget: int = NAME_BYTES) -> str:
    """`title` as a file name: characters no file system accepts become '-'; invisible format characters (bidi
    controls such as U+202E, which can make "x\u202egpj.3pm" show as "xmp3.jpg", zero-width spaces and joiners,
    soft hyphens) are dropped; at most `budget` bytes of UTF-8, cut at a character with an ellipsis; `fallback`
    when nothing is left. Only names: the spoken text and the tags keep the title as written."""
    visible = "".join(c for c in _LINE_BREAKS.sub(" ", title) if unicodedata.category(c) != "Cf")
    name = " ".join(_NOT_IN_FILE_NAMES.sub("-", unicodedata.normalize("NFC", visible)).split())
    name = name.strip().strip(".").strip()
    if len(name.encode("utf-8")) > budget:
        cut = name.encode("utf-8")[:budget - len(_CUT.encode("utf-8"))].decode("utf-8", errors="ignore")
        name = cut.rstrip(" .-") + _CUT
    return name or fallback


def chapter_file_name(index: int, total: int, title: str, extension: str) -> str:
    """`NN - Title.ext`: NN 1-based, at least two digits (so names stay unique whatever their titles); the title
    made safe and short enough (file_safe)."""
    width = max(2, len(str(total)))
    return f"{index:0{width}d} - {file_safe(title, f'Chapter {index}')}.{extension}"


def _speaker(segment: Segment) -> str:
    return segment.speaker if segment.kind == "dialogue" else NARRATOR


def by_segment(clips: Iterable[Clip]) -> dict[int, list[Clip]]:
    """Segment.index -> its clips in order: one, or a clip per sentence of a long segment (casting.lines_for)."""
    grouped: dict[int, list[Clip]] = {}
    for clip in clips:
        grouped.setdefault(clip.line.segment.index, []).append(clip)
    return grouped


def chapter_plan(title_clip: Clip | None, segments: Sequence[Segment], clips: Mapping[int, Sequence[Clip]],
                 pauses: Pauses) -> list[Piece]:
    """The chapter as a sequence of clips and silences, pauses chosen from the script's structure.

    `segments` are the chapter's script segments in order (skipped ones included: a scene break is a pause);
    `clips` maps Segment.index to its clips (by_segment): the sentences of a long segment are a sentence pause
    apart, as sentences of one paragraph are. Pauses of MIN_BREAK_SECONDS or more are UnitBreaks; every unit's
    pauses are adjusted so that it is a whole number of UNIT_FRAMES."""
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
        for clip in clips.get(segment.index, ()):
            gap = 0.0
            if previous is not None:
                if segment.paragraph != previous.paragraph:
                    gap = pauses.paragraph
                elif _speaker(segment) != _speaker(previous):
                    gap = pauses.speaker_change
                else:
                    gap = pauses.sentence
            pause = max(gap, pending)
            if pause > 0:
                plan.append(UnitBreak(pause) if pause >= MIN_BREAK_SECONDS else pause)
            pending = 0.0
            plan.append(clip)
            previous = segment
    plan.append(UnitBreak(pauses.chapter))
    return _aligned(plan)


def _aligned(plan: list[Piece]) -> list[Piece]:
    """The plan with each unit's pauses stretched or shrunk together (see _fitted) so that every unit but the
    last is a whole number of UNIT_FRAMES and the last a whole number of LAST_UNIT_FRAMES. Each unit's end is
    rounded where the plan as written would put it (its cumulative end), not its own length: a cut lies within
    half a unit frame of its natural place (unless its unit's pauses are too short to shrink that far) and the
    chapter ends within half an AAC frame of its natural length, so no move adds up (the closing pause once took
    the sum of every unit's rounding: 0.1 s to 9 s on long chapters), and a clip a few milliseconds longer
    (espeak's vary between calls) moves the end of the chapter by as much, never by a unit frame. The plan ends
    with a UnitBreak."""
    rate = plan_sample_rate(plan)
    aligned: list[Piece] = []
    unit: list[Piece] = []
    lead = 0  # frames of the unit that the previous UnitBreak holds
    natural = placed = 0  # where the units end: as written, and as aligned
    for n, piece in enumerate(plan):
        unit.append(piece)
        if isinstance(piece, UnitBreak):  # the next unit begins with the last GUARD_FRAMES of this pause
            last = n == len(plan) - 1
            step, kept = (LAST_UNIT_FRAMES, 0) if last else (UNIT_FRAMES, GUARD_FRAMES)
            length = lead + sum(_frames(p, rate) for p in unit) - kept
            natural += length
            wanted = max(step, round(natural / step) * step - placed)
            fitted = _fitted(unit, wanted - length, kept, step, rate)
            aligned += fitted
            placed += lead + sum(_frames(p, rate) for p in fitted) - kept
            unit, lead = [], GUARD_FRAMES
    return aligned


def _fitted(unit: list[Piece], change: int, kept: int, step: int, rate: int) -> list[Piece]:
    """The unit's pieces, its pauses changed by `change` frames in all, in proportion to their lengths (so by
    little each); its UnitBreak lengthened by `step` frames at a time if less than a guard of silence would be
    left either side of the cut (`kept` frames of it start the next unit)."""
    frames = [_frames(piece, rate) for piece in unit]
    silence = sum(f for f, piece in zip(frames, unit) if not isinstance(piece, Clip))
    fitted = [f if isinstance(piece, Clip) else f + change * f // silence for f, piece in zip(frames, unit)]
    fitted[-1] += sum(frames) + change - sum(fitted)  # what rounding left, to the UnitBreak
    while fitted[-1] < kept + GUARD_FRAMES:
        fitted[-1] += step
    return [piece if isinstance(piece, Clip) else type(piece)(f / rate) for f, piece in zip(fitted, unit)]


def units(plan: Sequence[Piece]) -> list[list[Piece]]:
    """The plan cut at its UnitBreaks (see UnitBreak), each unit's silences in seconds as in a plan."""
    rate = plan_sample_rate(plan)
    cut: list[list[Piece]] = [[]]
    for n, piece in enumerate(plan):
        if isinstance(piece, UnitBreak) and n < len(plan) - 1:
            cut[-1].append((_frames(piece, rate) - GUARD_FRAMES) / rate)
            cut.append([GUARD_FRAMES / rate])
        else:
            cut[-1].append(piece)
    if any(plan_frames(unit) % UNIT_FRAMES for unit in cut[:-1]) or plan_frames(cut[-1]) % LAST_UNIT_FRAMES:
        raise ValueError("the plan's units are not whole codec frames: the plan was not made by chapter_plan")
    return cut


def _frames(piece: Piece, rate: int) -> int:
    return piece.frames if isinstance(piece, Clip) else int(round(piece * rate))


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
    """How many frames `pcm` gives for `plan`: known before the audio is."""
    rate = plan_sample_rate(plan)
    return sum(_frames(p, rate) for p in plan)


def plan_sample_rate(plan: Iterable[Piece]) -> int:
    rates = {piece.sample_rate for piece in plan if isinstance(piece, Clip)}
    if len(rates) > 1:
        raise AudioError(f"clips of one chapter have different sample rates {sorted(rates)}; "
                         f"use voices of one engine per chapter.")
    return rates.pop() if rates else BOOK_SAMPLE_RATE


def write_master(plan: Sequence[Piece], out_path: Path, gains: Mapping[Voice, float] | None = None) -> int:
    """The plan as one mono 16-bit WAV (atomically), as `pcm` gives it. Returns the frame count."""
    written = 0
    with atomic_path(out_path) as tmp, wave.open(str(tmp), "wb") as master:
        master.setnchannels(1)
        master.setsampwidth(2)
        master.setframerate(plan_sample_rate(plan))
        for chunk in pcm(plan, gains):
            master.writeframesraw(chunk)
            written += len(chunk) // 2
    return written


def pcm(plan: Sequence[Piece], gains: Mapping[Voice, float] | None = None,
        room_tone: float | None = None) -> Iterator[bytes]:
    """The plan as mono s16le PCM, a clip or a silence at a time; each clip faded at its edges and scaled by
    its voice's gain in `gains` (dB, from levels.py) so that every speaker sits at one level. With `room_tone`
    (dBFS RMS), a faint steady noise lies under all of it, pauses and speech alike, instead of digital silence
    (the same noise for the same plan: units stay reproducible)."""
    rate = plan_sample_rate(plan)
    factors = {voice: 10 ** (db / 20) for voice, db in (gains or {}).items() if abs(db) >= 0.1}
    tone = _room_tone(rate, room_tone) if room_tone is not None else None
    position = 0
    for piece in plan:
        if isinstance(piece, Clip):
            samples = _clip_pcm(piece, rate, factors)
        else:
            samples = bytes(2 * int(round(piece * rate)))
        if tone is not None:
            samples = audioop.add(samples, _tone_for(tone, position, len(samples)), 2)  # saturates, never wraps
        position += len(samples)
        yield samples


_ROOM_TONES: dict[tuple[int, float], bytes] = {}


def _room_tone(rate: int, dbfs: float) -> bytes:
    """One second of gaussian noise at `dbfs` RMS (from a fixed seed), to be repeated: at -75 dBFS nobody
    hears it loop."""
    key = (rate, round(dbfs, 2))
    if key not in _ROOM_TONES:
        import random

        noise = random.Random(75)
        sigma = 32768 * 10 ** (dbfs / 20)
        _ROOM_TONES[key] = array("h", (max(-32768, min(32767, round(noise.gauss(0.0, sigma))))
                                       for _ in range(rate))).tobytes()
    return _ROOM_TONES[key]


def _tone_for(tone: bytes, position: int, size: int) -> bytes:
    """`size` bytes of the looped room tone, from byte `position` of the plan."""
    start = position % len(tone)
    repeats = (start + size) // len(tone) + 1
    return (tone * repeats)[start:start + size]


def _clip_pcm(clip: Clip, rate: int, factors: Mapping[Voice, float]) -> bytes:
    try:
        if clip.digest:  # from the store: exactly the samples the plan was made from, or nothing
            samples = _stored_samples(clip)
        else:
            with wave.open(clip.path, "rb") as wav:
                if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                    raise wave.Error("not mono 16-bit")
                samples = wav.readframes(wav.getnframes())
    except (EOFError, wave.Error, OSError, CorruptEntry) as err:
        raise AudioError(f"{clip.path}: unreadable clip ({err}). Build again: it is made again.") from None
    samples = _faded(samples, rate)  # a clip is a line: small enough to hold
    factor = factors.get(clip.line.voice)
    return audioop.mul(samples, 2, factor) if factor else samples  # saturates, never wraps


def _stored_samples(clip: Clip) -> bytes:
    """The samples of a clip of the store, checked against the digest its Clip was made with."""
    info, samples = read_clip_samples(clip.path)
    if info.digest != clip.digest or info.frames != clip.frames:
        raise CorruptEntry("it changed since the build planned the chapter around it")
    return samples
