"""Subtitles that say who speaks: WebVTT with voice spans for the book, SRT with a name prefix per chapter.

Cue times are counted in samples from the chapter plan (the clips' real frame counts and the pauses exactly as
assemble writes them), so they are where the words are in the audio, not an estimate.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from narrate.audio.layout import Piece, plan_sample_rate
from narrate.model import NARRATOR, UNKNOWN, Clip
from narrate.state import atomic_path

NARRATOR_VOICE = "Narrator"
UNKNOWN_VOICE = "Unknown"
_VTT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    speaker: str  # shown as the voice: a character name, "Narrator" or "Unknown"
    text: str


def speaker_of(clip: Clip) -> str:
    segment = clip.line.segment
    if segment.kind != "dialogue" or segment.speaker == NARRATOR:
        return NARRATOR_VOICE
    return UNKNOWN_VOICE if segment.speaker == UNKNOWN else segment.speaker


def cues_from_plan(plan: Sequence[Piece], offset: float = 0.0) -> list[Cue]:
    """One cue per clip of a chapter plan, timed from the start of the chapter plus `offset` (the chapter's
    start in the book). A cue lasts as long as its clip; the pauses between clips have none."""
    rate = plan_sample_rate(plan)
    cues = []
    position = 0  # in frames, as assemble streams them: no rounding drift however long the chapter
    for piece in plan:
        if not isinstance(piece, Clip):
            position += int(round(piece * rate))
            continue
        if piece.frames > 0:
            cues.append(Cue(start=offset + position / rate, end=offset + (position + piece.frames) / rate,
                            speaker=speaker_of(piece), text=piece.line.segment.text))
        position += piece.frames
    return cues


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def vtt_timestamp(seconds: float) -> str:
    """00:00:01.250"""
    return _timestamp(seconds, ".")


def srt_timestamp(seconds: float) -> str:
    """00:00:01,250"""
    return _timestamp(seconds, ",")


def _one_line(text: str) -> str:
    # a blank line would end the cue early in both formats
    return " ".join(text.split())


def vtt_text(cues: Iterable[Cue]) -> str:
    """A WebVTT file: each cue's text in a voice span, `<v Natasha>Not with you here.</v>`."""
    blocks = ["WEBVTT"]
    for cue in cues:
        voice = _one_line(cue.speaker).translate(_VTT_ESCAPES)
        text = _one_line(cue.text).translate(_VTT_ESCAPES)
        blocks.append(f"{vtt_timestamp(cue.start)} --> {vtt_timestamp(cue.end)}\n<v {voice}>{text}</v>")
    return "\n\n".join(blocks) + "\n"


def srt_text(cues: Iterable[Cue]) -> str:
    """An SubRip file: numbered cues, the speaker's name before the words, `Natasha: Not with you here.`"""
    blocks = [f"{number}\n{srt_timestamp(cue.start)} --> {srt_timestamp(cue.end)}\n"
              f"{_one_line(cue.speaker)}: {_one_line(cue.text)}"
              for number, cue in enumerate(cues, start=1)]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def write_vtt(path: Path, cues: Iterable[Cue]) -> None:
    _write(path, vtt_text(cues))


def write_srt(path: Path, cues: Iterable[Cue]) -> None:
    _write(path, srt_text(cues))


def _write(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
