"""Hear a passage in seconds: pick segments of the script (or take a string), cast and synthesize them through the
clip cache, and write one short audio file with the book's pauses."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from narrate.audio import containers, layout, levels
from narrate.casting.cast import build_casting, check_voice_ids, lines_for
from narrate.casting.config import Config, load_config
from narrate.errors import ConfigError, InputError
from narrate.model import NARRATOR, Script, Segment, Voice
from narrate.pipeline.book import load, parse_chapter_range
from narrate.state import ClipCache
from narrate.synthesis.local import Pool, synthesize

DEFAULT_LINES = 5
MAX_SPEAKER_LINES = 8
PLAYERS = (["ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"], ["paplay"], ["aplay", "-q"], ["afplay"])
PREVIEW_JOBS = 1  # a handful of lines: starting worker processes would cost more than it saves


@dataclass(frozen=True)
class Passage:
    segments: list[Segment]
    seconds: float
    path: Path


def select(script: Script, chapters: str | None = None, lines: str | None = None, find: str | None = None,
           speaker: str | None = None) -> list[Segment]:
    """The segments a preview reads: by chapter range, by segment numbers, around some words, or one speaker's."""
    segments = list(script.segments)
    if chapters:
        wanted = set(parse_chapter_range(chapters, len(script.book.chapters), "--chapter"))
        segments = [s for s in segments if s.chapter in wanted]
    if lines:
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", lines)
        if not match:
            raise InputError(f"--lines {lines!r}: write a segment number or a range such as 12-16 "
                             f"(numbers as `narrate script` prints them).")
        first, last = int(match[1]), int(match[2] or match[1])
        segments = [s for s in segments if first <= s.index + 1 <= last]
    elif find:
        words = _plain(find)
        hit = next((s for s in segments if s.kind != "skipped" and words in _plain(s.text)), None)
        if hit is None:
            raise InputError(f"--find {find!r}: no passage has those words. Check the spelling against "
                             f"`narrate script`.")
        segments = [s for s in segments if s.chapter == hit.chapter and s.paragraph == hit.paragraph]
    elif speaker:
        segments = [s for s in segments if s.kind == "dialogue" and s.speaker.lower() == speaker.lower()]
        if not segments:
            known = sorted({s.speaker for s in script.segments if s.kind == "dialogue"})
            raise InputError(f"--speaker {speaker!r}: nobody of that name speaks here. Speakers: {', '.join(known)}.")
        segments = segments[:MAX_SPEAKER_LINES]
    else:
        segments = [s for s in segments if s.kind != "skipped"][:DEFAULT_LINES]
    spoken = [s for s in segments if s.kind != "skipped"]
    if not spoken:
        raise InputError("that selection holds nothing to read aloud. Widen it (see `narrate script`).")
    return segments


def _plain(text: str) -> str:
    """Lower case, one kind of apostrophe, single spaces: what a user types matches what the book prints."""
    return " ".join(text.lower().replace("\u2019", "'").replace("\u2018", "'").split())


def preview_story(story: str | Path, out: Path, voices: str | Path | None = None, chapters: str | None = None,
                  lines: str | None = None, find: str | None = None, speaker: str | None = None) -> Passage:
    config, script = load(story, voices)
    check_voice_ids(config)
    segments = select(script, chapters, lines, find, speaker)
    return _render(segments, config, build_casting(config, script.characters), out)


def preview_text(text: str, out: Path, voices: str | Path | None = None, voice_id: str | None = None,
                 character: str | None = None) -> Passage:
    """Speak a string: with the narrator's voice, a given voice id, or a character's voice from voices.yaml."""
    config = load_config(Path(voices) if voices else None)
    check_voice_ids(config)
    casting = build_casting(config, [])
    speaker = NARRATOR
    if character:
        names = {name.lower(): name for name in casting.characters}
        if character.lower() not in names:
            raise ConfigError(f"--as {character!r}: {config.path} casts no such character. "
                              f"Cast: {', '.join(casting.characters) or 'nobody yet'}.")
        speaker = names[character.lower()]
    if voice_id:
        casting = replace(casting, narrator=_checked_voice(replace(casting.narrator, voice=voice_id)))
    segment = Segment(chapter=1, index=0, kind="dialogue" if speaker != NARRATOR else "narration", text=text,
                      start=0, end=len(text), paragraph=0, speaker=speaker)
    return _render([segment], config, casting, out)


def _checked_voice(voice: Voice) -> Voice:
    from narrate.engines import get_engine

    suggestions = get_engine(voice.engine).suggest_voices(voice.voice)
    if suggestions is not None:
        raise ConfigError(f"--voice {voice.voice!r}: no such voice. Nearest: {', '.join(suggestions) or 'none'}; "
                          f"`narrate voices` lists them all.")
    return voice


def _render(segments: list[Segment], config: Config, casting, out: Path, pool: Pool | None = None) -> Passage:
    """The segments' audio at `out`; their lines not in the cache synthesized on `pool` when given (the studio's
    warm worker, kept for the session), else on a worker started for this call."""
    clips = synthesize(lines_for(segments, casting, config.data.language), ClipCache(), PREVIEW_JOBS, pool=pool)
    gains = levels.voice_gains(clips)
    plan = layout.chapter_plan(None, segments, layout.by_segment(clips), config.data.pauses)
    plan = [layout.HEAD_SILENCE / 2, *plan[1:-1], config.data.pauses.paragraph]  # short head and tail
    fmt = out.suffix.lower().lstrip(".") or "wav"
    if fmt == "wav":
        frames = layout.write_master(plan, out, gains)
    else:
        if fmt not in ("mp3", "flac", "opus"):
            raise InputError(f"--out {out}: write .wav, .mp3, .flac or .opus.")
        with tempfile.TemporaryDirectory() as work:
            master = Path(work) / "preview.wav"
            frames = layout.write_master(plan, master, gains)
            containers.encode(master, out, fmt, config.data.output.bitrate)
    return Passage(segments=[s for s in segments if s.kind != "skipped"], seconds=frames / layout.plan_sample_rate(plan),
                   path=out)


def find_player() -> list[str] | None:
    for command in PLAYERS:
        if shutil.which(command[0]):
            return command
    return None


def play(path: Path) -> bool:
    """Play through the first player found; False when there is none or it cannot play (no sound device)."""
    command = find_player()
    if command is None:
        return False
    return subprocess.run([*command, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False).returncode == 0


def is_story(argument: str) -> bool:
    return Path(argument).is_file()

