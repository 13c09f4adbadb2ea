"""Clips -> chapter audio: clips and pauses streamed as PCM into one ffmpeg per chapter (memory stays flat)."""
from __future__ import annotations

import re
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence, Union

from .cache import atomic_path
from .config import Pauses
from .errors import AudioError
from .model import NARRATOR, Clip, Segment

HEAD_SILENCE = 0.5  # room tone before the chapter title
Piece = Union[Clip, float]  # a clip, or seconds of silence

_ENCODERS = {"mp3": ["-c:a", "libmp3lame", "-f", "mp3", "-id3v2_version", "3"],
             "wav": ["-c:a", "pcm_s16le", "-f", "wav"]}
_NOT_IN_FILE_NAMES = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


@dataclass(frozen=True)
class Tags:
    title: str
    album: str
    artist: str | None
    track: int
    tracks: int


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
    if title_clip is not None:
        plan += [title_clip, pauses.scene]
    previous: Segment | None = None
    pending = 0.0  # a pause owed to skipped material (scene break) before the next spoken segment
    for segment in segments:
        if segment.kind == "skipped":
            if segment.evidence == "skipped:scene_break":
                pending = max(pending, pauses.scene)
            continue
        clip = clips.get(segment.index)
        if clip is None:
            continue
        if previous is not None:
            if segment.paragraph != previous.paragraph:
                gap = pauses.paragraph
            elif _speaker(segment) != _speaker(previous):
                gap = pauses.speaker_change
            else:
                gap = pauses.sentence
            plan.append(max(gap, pending))
        pending = 0.0
        plan.append(clip)
        previous = segment
    plan.append(pauses.chapter)
    return plan


def plan_sample_rate(plan: Iterable[Piece]) -> int:
    rates = {piece.sample_rate for piece in plan if isinstance(piece, Clip)}
    if len(rates) > 1:
        raise AudioError(f"clips of one chapter have different sample rates {sorted(rates)}; "
                         f"use voices of one engine per chapter.")
    return rates.pop() if rates else 22050


def write_audio(plan: Sequence[Piece], out_path: Path, fmt: str, bitrate: str, tags: Tags) -> float:
    """Encode the plan to `out_path` (atomically). Returns the duration in seconds."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise AudioError("ffmpeg is not installed. Install it (Debian: apt-get install ffmpeg) "
                         "or run ./setup.sh, which does.")
    rate = plan_sample_rate(plan)
    metadata = {"title": tags.title, "album": tags.album, "artist": tags.artist, "track": f"{tags.track}/{tags.tracks}"}
    meta_args = [arg for key, value in metadata.items() if value for arg in ("-metadata", f"{key}={value}")]
    bitrate_args = ["-b:a", bitrate] if fmt == "mp3" else []
    with atomic_path(out_path) as tmp:
        command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                   "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                   *_ENCODERS[fmt], *bitrate_args, *meta_args, str(tmp)]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        frames = 0
        try:
            for piece in plan:
                frames += _stream(piece, rate, process.stdin)
        except BrokenPipeError:
            pass  # ffmpeg died; its stderr below says why
        finally:
            process.stdin.close()
        error = process.stderr.read().decode("utf-8", "replace").strip()
        if process.wait() != 0:
            raise AudioError(f"{out_path}: ffmpeg failed: {error[-500:] or 'no message'}")
    return frames / rate


def _stream(piece: Piece, rate: int, sink) -> int:
    if not isinstance(piece, Clip):
        frames = int(round(piece * rate))
        sink.write(b"\x00\x00" * frames)
        return frames
    try:
        with wave.open(piece.path, "rb") as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                raise wave.Error("not mono 16-bit")
            total = 0
            while chunk := wav.readframes(65536):
                sink.write(chunk)
                total += len(chunk) // 2
            return total
    except (OSError, EOFError, wave.Error) as err:
        if isinstance(err, BrokenPipeError):
            raise
        raise AudioError(f"{piece.path}: unreadable clip ({err}). Delete it (it is only a cache) and build again.") from None
