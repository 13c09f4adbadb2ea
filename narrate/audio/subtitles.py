"""Subtitles that say who speaks: WebVTT with voice spans for the book, SRT with a name prefix per chapter.

Cue times are counted in samples from the chapter plan (the clips' real frame counts and the pauses exactly as
the layout writes them), so they are where the words are in the audio. A clip of several sentences (a long
speech, a letter) is cut into cues to follow along by: a sentence each, a long sentence cut at its commas or
between words, at most two lines of MAX_LINE characters and MAX_CUE_SECONDS; the cuts are timed at the pauses
the voice makes in the clip's audio, or in proportion to the characters where it makes none. Every cue has one
speaker; markup (`*very*`, `_so_`, `~~x~~`) is left out.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from narrate.audio import pauses
from narrate.audio.layout import Piece, pcm, plan_sample_rate
from narrate.casting.normalize import decoded_entities
from narrate.casting.sentences import cut, sentences
from narrate.model import NARRATOR, UNKNOWN, Clip
from narrate.state import atomic_path, read_clip

NARRATOR_VOICE = "Narrator"
UNKNOWN_VOICE = "Unknown"
_VTT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
MAX_LINE = 42  # characters a subtitle line holds (the usual broadcast limit); a cue has at most two
MAX_CUE_SECONDS = 8.0  # a cue longer than this is cut further where the text allows
_MARKUP = re.compile(r"(\*{1,3}|_{1,3}|~~)(?=\S)(.+?)(?<=\S)\1")


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
    """The cues of a chapter plan, timed from the start of the chapter plus `offset` (the chapter's start in the
    book): one per clip, or several (see the module) for a clip whose text is longer than one cue holds. The
    pauses between clips have none."""
    rate = plan_sample_rate(plan)
    cues = []
    position = 0  # in frames, as the layout streams them: no rounding drift however long the chapter
    for piece in plan:
        if not isinstance(piece, Clip):
            position += int(round(piece * rate))
            continue
        if piece.frames > 0:
            start = offset + position / rate
            pieces = cue_texts(piece.line.segment.text)
            times = _cut_times(piece, tuple(pieces)) if len(pieces) > 1 else []
            bounds = [0.0, *times, piece.frames / rate]
            cues += [Cue(start=start + begin, end=start + end, speaker=speaker_of(piece), text=text)
                     for text, begin, end in zip(pieces, bounds, bounds[1:])]
        position += piece.frames
    return cues


def cue_texts(text: str, seconds_per_char: float = 0.07) -> list[str]:
    """The text as cues: its markup left out and its HTML entities read (a .txt's "&lt;" shows as "<"), a
    sentence a cue, a sentence longer than two lines (or than MAX_CUE_SECONDS at about `seconds_per_char`) cut
    at its commas, else between words, into near-equal parts (casting/sentences.py, which cuts a long segment
    into clips the same way)."""
    plain = _MARKUP.sub(r"\2", " ".join(decoded_entities(text).split()))
    limit = min(2 * MAX_LINE, int(MAX_CUE_SECONDS / seconds_per_char))
    cues = [cue for sentence in sentences(plain) for cue in cut(sentence, limit)]
    return [cue for cue in cues if cue] or [plain]


@functools.lru_cache(maxsize=256)
def _cut_times(clip: Clip, pieces: tuple[str, ...]) -> list[float]:
    """Seconds into the clip where each piece after the first begins: the middle of the pause in the clip's
    audio nearest to where the characters put it (within half the shorter piece beside it), else there."""
    rate = clip.sample_rate
    length = clip.frames / rate
    sizes = [len(piece) + 1 for piece in pieces]
    total = sum(sizes)
    estimates, done = [], 0
    for size in sizes[:-1]:
        done += size
        estimates.append(length * done / total)
    gaps = _pauses(clip)
    times, previous = [], 0.0
    for n, estimate in enumerate(estimates):
        reach = 0.5 * length * min(sizes[n], sizes[n + 1]) / total
        near = [g for g in gaps if abs(g - estimate) <= reach and g > previous]
        chosen = min(near, key=lambda g: abs(g - estimate)) if near else max(estimate, previous)
        times.append(chosen)
        previous = chosen
    return times


def _pauses(clip: Clip) -> list[float]:
    """The middles (seconds) of the clip's inner pauses (audio.pauses): as the record of a clip of the store says
    (found when it was made: no decoding), else found in its samples."""
    if clip.digest:
        info = read_clip(Path(clip.path))
        if info.pauses is not None and info.pause_params == pauses.PARAMS:
            return list(info.pauses)
    return pauses.inner_pauses(b"".join(pcm([clip])), clip.sample_rate)


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


def _two_lines(text: str, room: int = MAX_LINE) -> str:
    """The cue's text on one line, or on two of about equal length when it is longer than `room`."""
    text = _one_line(text)
    if len(text) <= room:
        return text
    spaces = [i for i, c in enumerate(text) if c == " "]
    if not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return f"{text[:cut]}\n{text[cut + 1:]}"


def vtt_text(cues: Iterable[Cue]) -> str:
    """A WebVTT file: each cue's text in a voice span, `<v Natasha>Not with you here.</v>`."""
    blocks = ["WEBVTT"]
    for cue in cues:
        voice = _one_line(cue.speaker).translate(_VTT_ESCAPES)
        text = _two_lines(cue.text).translate(_VTT_ESCAPES)
        blocks.append(f"{vtt_timestamp(cue.start)} --> {vtt_timestamp(cue.end)}\n<v {voice}>{text}</v>")
    return "\n\n".join(blocks) + "\n"


def srt_text(cues: Iterable[Cue]) -> str:
    """An SubRip file: numbered cues, the speaker's name before the words, `Natasha: Not with you here.`"""
    blocks = [f"{number}\n{srt_timestamp(cue.start)} --> {srt_timestamp(cue.end)}\n"
              f"{_one_line(cue.speaker)}: {_two_lines(cue.text)}"
              for number, cue in enumerate(cues, start=1)]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def write_vtt(path: Path, cues: Iterable[Cue]) -> None:
    _write(path, vtt_text(cues))


def write_srt(path: Path, cues: Iterable[Cue]) -> None:
    _write(path, srt_text(cues))


def _write(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def segment_times(plan: Sequence[Piece]) -> list[list]:
    """[segment number, start, end] (seconds from the chapter's start, to the millisecond) of each clip of a
    chapter plan: the per-segment timing, kept in the manifest now that a cue may be a part of a segment. The
    number counts from 1, as `narrate script` prints it; null for the words that are no segment of the script
    (the chapter's title, the credits). A long segment said as a clip per sentence has one row, from its first
    clip's start to its last one's end."""
    rate = plan_sample_rate(plan)
    times, position = [], 0
    previous = None  # the segment index of the last clip
    for piece in plan:
        if isinstance(piece, Clip):
            index = piece.line.segment.index
            end = round((position + piece.frames) / rate, 3)
            if previous is not None and index >= 0 and index == previous:
                times[-1][2] = end
            else:
                times.append([index + 1 if index >= 0 else None, round(position / rate, 3), end])
            previous = index
            position += piece.frames
        else:
            position += int(round(piece * rate))
    return times
