"""Synthesized parts -> the files of the book, doing only what changed since the last build.

Each part (a chapter, or the credits) is fingerprinted by everything its audio depends on: the clips (their
keys name voice and words), the pauses, the loudness settings. Its mastered WAV is kept in the cache under that
fingerprint, and the manifest records the fingerprint its files were made from, so a rebuild re-encodes only
the parts whose fingerprint changed, and the .m4b only when some part did.
"""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from . import assemble, export, loudness, subtitles
from .cache import atomic_path
from .model import Clip, Voice

ACX_SAMPLE_RATE = 44100
ACX_BITRATE = "192k"
ACX_LOUDNESS = -19.0  # LUFS: puts speech with its pauses inside ACX's RMS window of -23 to -18 dB
LIMITER_LOSS_DB = 0.7  # loudness the peak limiter typically takes off espeak speech (measured: 0.5-0.9 LU)
LOUDNESS_TOLERANCE_LU = 0.4  # a mastered part further than this from the target is corrected once more


@dataclass(frozen=True)
class Finish:
    """How the files are finished: formats, encoding, loudness, cover."""

    formats: tuple[str, ...]
    bitrate: str
    loudness: float
    true_peak: float
    acx: bool = False
    cover: export.Cover | None = None
    gains: tuple[tuple[Voice, float], ...] = ()  # per voice, dB: every speaker at one level (levels.py)

    @property
    def target(self) -> float:
        return ACX_LOUDNESS if self.acx else self.loudness

    def key(self) -> dict:
        cover = hashlib.sha256(self.cover.data).hexdigest() if self.cover else None
        return {"formats": self.formats, "bitrate": self.bitrate, "target": self.target,
                "true_peak": self.true_peak, "acx": self.acx, "cover": cover}


@dataclass(frozen=True)
class PartAudio:
    """One file's worth of the book, planned: its number (NN), title, tags and pieces."""

    number: int
    title: str
    plan: list
    tags: dict


@dataclass
class Made:
    part: PartAudio
    master: Path  # the part at its finished level: every format and the book are encoded from it as it is
    seconds: float
    fingerprint: str
    files: list[Path] = field(default_factory=list)
    encoded: bool = False  # False: its files were already up to date


def fingerprint(part: PartAudio, finish: Finish) -> str:
    pieces = [p.line.key if isinstance(p, Clip) else round(p, 4) for p in part.plan]
    voices = {p.line.voice for p in part.plan if isinstance(p, Clip)}
    gains = sorted((repr(voice), round(db, 2)) for voice, db in finish.gains if voice in voices)  # its own only
    payload = {"title": part.title, "tags": part.tags, "plan": pieces, "finish": finish.key(), "gains": gains}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def previous_fingerprints(manifest: Path) -> dict[str, str]:
    """File name -> the fingerprint it was made from, per the last build's manifest (empty if none/unreadable)."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        made = {name: chapter["fingerprint"] for chapter in data["chapters"] for name in chapter["files"]}
        if "book_file" in data:
            made[data["book_file"]["file"]] = data["book_file"]["fingerprint"]
        return made
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def make_parts(parts: Sequence[PartAudio], finish: Finish, out: Path, names: Callable[[PartAudio, str], str],
               masters: Path, previous: dict[str, str], jobs: int, on_file: Callable[[Path, float], None],
               book: Callable[[Iterable[Made]], None] | None = None) -> list[Made]:
    """Master and encode every part, skipping what is current, and (if `book` is given) hand the mastered parts,
    in order and each as soon as it is ready, to `book`, which runs alongside: the work is in ffmpeg processes,
    so threads keep every core busy."""
    def encode(made_future: Future) -> Made:
        made = made_future.result()
        for fmt in [f for f in finish.formats if f != "m4b"] + ["srt"]:
            path = out / names(made.part, fmt)
            made.files.append(path)
            if previous.get(path.name) == made.fingerprint and path.is_file():
                continue
            made.encoded = True
            _encode(made, fmt, path, finish)
            if fmt != "srt":
                on_file(path, made.seconds)
        return made

    # the book's encoder keeps one core busy: the parts share the others (more ffmpegs at once than cores
    # only adds memory, not speed)
    workers = max(1, jobs - 1) if book else max(1, jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool, ThreadPoolExecutor(max_workers=1) as book_pool:
        mastered = [pool.submit(_master, part, finish, masters) for part in parts]  # queued first: run first
        writing = book_pool.submit(book, (f.result() for f in mastered)) if book else None
        made = [f.result() for f in [pool.submit(encode, m) for m in mastered]]
        if writing is not None:
            writing.result()
    return made


def _master(part: PartAudio, finish: Finish, masters: Path) -> Made:
    """The part at its finished level, from the cache when its fingerprint is there.

    Made once: the clips and pauses written out, measured (sample peak: a fifth of the cost of true peak), and
    the gain (and limiter, where peaks demand it) applied in one ffmpeg pass."""
    print_ = fingerprint(part, finish)
    wav, meta = masters / f"{print_}.wav", masters / f"{print_}.json"
    try:
        known = json.loads(meta.read_text(encoding="utf-8"))
        if wav.is_file():
            return Made(part, wav, known["seconds"], print_)
    except (OSError, ValueError, KeyError):
        pass
    raw = masters / f".{print_}.raw.wav"
    try:
        frames = assemble.write_master(part.plan, raw, dict(finish.gains))
        rate = assemble.plan_sample_rate(part.plan)
        gain = loudness.gain_for(loudness.measure(raw, true_peak=False), finish.target, finish.true_peak,
                                 loudness.CODEC_HEADROOM_DB + loudness.SAMPLE_PEAK_MARGIN_DB)
        if gain.needs_limiter:  # predict the loudness the limiter takes off; checked below
            gain = replace(gain, db=gain.db + LIMITER_LOSS_DB)
        filters = _level(raw, wav, gain, rate)
        if filters:
            error = finish.target - loudness.measure(wav, true_peak=False).integrated_lufs
            if abs(error) > LOUDNESS_TOLERANCE_LU:  # the prediction missed: correct once, from the raw master
                filters = _level(raw, wav, replace(gain, db=gain.db + error), rate)
    finally:
        raw.unlink(missing_ok=True)
    made = Made(part, wav, frames / rate, print_)
    with atomic_path(meta) as tmp:
        tmp.write_text(json.dumps({"seconds": made.seconds, "filters": filters}), encoding="utf-8")
    return made


def _level(raw: Path, wav: Path, gain: loudness.Gain, rate: int) -> list[str]:
    """`raw` brought to its level as `wav`: the filters applied (none: the same audio)."""
    filters = loudness.filters(gain, rate)
    if filters:
        export.encode(raw, wav, "wav", filters=filters)
    else:
        raw.replace(wav)
    return filters


def _encode(made: Made, fmt: str, path: Path, finish: Finish) -> None:
    if fmt == "srt":
        subtitles.write_srt(path, subtitles.cues_from_plan(made.part.plan))
    elif finish.acx and fmt == "mp3":
        export.encode(made.master, path, fmt, ACX_BITRATE, made.part.tags, sample_rate=ACX_SAMPLE_RATE)
    else:
        export.encode(made.master, path, fmt, finish.bitrate, made.part.tags)
    if finish.cover and fmt == "mp3":
        export.embed_cover_mp3(path, finish.cover)


def book_fingerprint(part_prints: Sequence[str], tags: export.BookTags) -> str:
    payload = {"parts": list(part_prints), "title": tags.title, "author": tags.author,
               "year": tags.year, "cover": hashlib.sha256(tags.cover.data).hexdigest() if tags.cover else None}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def write_book(made: Iterable[Made], parts: Sequence[PartAudio], path: Path, tags: export.BookTags,
               bitrate: str) -> list[export.ChapterMark]:
    """The .m4b, its chapter marks from the parts' plans, its audio from each part as it is mastered."""
    rate = assemble.plan_sample_rate(parts[0].plan)
    marks, start = [], 0
    for part in parts:
        end = start + assemble.plan_frames(part.plan)
        marks.append(export.ChapterMark(part.title, start / rate, end / rate))
        start = end
    return export.write_m4b((export.ChapterAudio(m.part.title, m.master) for m in made), path, tags, bitrate,
                            rate, planned=marks)
