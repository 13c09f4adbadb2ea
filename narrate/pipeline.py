"""The stages chained: what the CLI and library users call. Returns data and reports progress; never prints."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import assemble
from .annotate import annotate
from .annotate.overrides import Override, apply_overrides, with_speakers
from .cache import ClipCache
from .casting import build_casting, cast_entries, check_voice_ids, lines_for, title_segment
from .config import Config, find_voices_file, load_config, where
from .errors import InputError
from .ingest import load_book
from .model import NARRATOR, Script
from .scriptio import read_script_speakers
from .synth import SynthProgress, synthesize

Event = object  # Stage | SynthProgress | ChapterWritten
OnEvent = Callable[[Event], None]


@dataclass(frozen=True)
class Stage:
    name: str  # "annotate", "synthesize", "assemble"


@dataclass(frozen=True)
class ChapterWritten:
    path: Path
    duration: float


@dataclass(frozen=True)
class BuildReport:
    chapters: list[ChapterWritten]
    segments: int
    speakers: list[str]
    audio_seconds: float
    wall_seconds: float
    clips: int
    cached_clips: int
    warnings: list[str] = field(default_factory=list)


def load(story: str | Path, voices: str | Path | None = None,
         script_file: str | Path | None = None) -> tuple[Config, Script]:
    """Read voices.yaml (looked up per find_voices_file), annotate the story with its cast, then apply the
    manual fixes: voices.yaml `overrides:`, and the speakers of an edited script file when one is given."""
    config = load_config(find_voices_file(story, voices))
    book = load_book(story)
    data = config.data
    script = annotate(book, cast=cast_entries(config), author_notes=data.author_notes,
                      first_person=data.first_person)
    rules = [Override(speaker=o.speaker, quote=o.quote, chapter=o.chapter, paragraph=o.paragraph,
                      where=where(config, f"overrides.{n}")) for n, o in enumerate(data.overrides)]
    script = apply_overrides(script, rules)
    if script_file is not None:
        script = _with_edited_speakers(script, Path(script_file))
    return config, script


def _with_edited_speakers(script: Script, script_file: Path) -> Script:
    edited = read_script_speakers(script_file)
    fixed = with_speakers(script, lambda s: edited.get((s.start, s.end)), "override:script")
    found = {(s.start, s.end) for s in script.segments if s.kind == "dialogue"}
    stale = [span for span in edited if span not in found]
    if stale:
        warning = (f"{script_file}: {len(stale)} dialogue segment(s) no longer match the story (it changed since "
                   f"the script was written); their speakers were not used. Write the script again and redo those edits.")
        fixed = replace(fixed, warnings=(*fixed.warnings, warning))
    return fixed


def script_warnings(script: Script) -> list[str]:
    notes = list(script.warnings)
    if script.book.encoding == "cp1252":
        notes.insert(0, f"{script.book.path}: not UTF-8 or UTF-16; read it as cp1252 (Windows Latin-1). "
                        f"Save it as UTF-8 if any characters look wrong.")
    return notes


def parse_chapter_range(spec: str | None, count: int) -> list[int]:
    """'2-4', '3', '1,3-5' -> 1-based chapter numbers; None -> all."""
    if not spec:
        return list(range(1, count + 1))
    chosen: list[int] = []
    for part in spec.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise InputError(f"--chapters {spec!r}: write a number or a range such as 2-4 (or 1,3-5).")
        first, last = int(match[1]), int(match[2] or match[1])
        if not 1 <= first <= last <= count:
            raise InputError(f"--chapters {spec!r}: the story has chapters 1-{count}.")
        chosen += [n for n in range(first, last + 1) if n not in chosen]
    return chosen


def build(story: str | Path, outdir: str | Path = "out", voices: str | Path | None = None,
          jobs: int | None = None, chapters: str | None = None, speed: float = 1.0,
          on_event: OnEvent | None = None, script_file: str | Path | None = None) -> BuildReport:
    emit = on_event or (lambda _event: None)
    started = time.monotonic()
    if not 0.5 <= speed <= 3.0:
        raise InputError(f"--speed {speed}: choose a factor between 0.5 and 3.0.")
    emit(Stage("annotate"))
    config, script = load(story, voices, script_file)
    check_voice_ids(config)
    book = script.book
    wanted = parse_chapter_range(chapters, len(book.chapters))
    casting = build_casting(config, script.characters, speed)

    segments_of = {n: [s for s in script.segments if s.chapter == n] for n in wanted}
    titles = [title_segment(n, book.chapters[n - 1].title) for n in wanted]
    lines = lines_for(titles, casting) + lines_for([s for n in wanted for s in segments_of[n]], casting)

    emit(Stage("synthesize"))
    cache = ClipCache()
    progress: list[SynthProgress] = []

    def on_progress(p: SynthProgress) -> None:
        progress.append(p)
        emit(p)

    clips = synthesize(lines, cache, jobs, on_progress)
    title_clips = {clip.line.segment.chapter: clip for clip in clips[:len(titles)]}
    body_clips = {clip.line.segment.index: clip for clip in clips[len(titles):]}

    emit(Stage("assemble"))
    out = Path(outdir)
    written = []
    for n in wanted:
        plan = assemble.chapter_plan(title_clips.get(n), segments_of[n], body_clips, config.data.pauses)
        tags = assemble.Tags(title=book.chapters[n - 1].title, album=book.title, artist=book.author,
                             track=n, tracks=len(book.chapters))
        for fmt in config.data.output.format:
            path = out / assemble.chapter_file_name(n, len(book.chapters), book.chapters[n - 1].title, fmt)
            duration = assemble.write_audio(plan, path, fmt, config.data.output.bitrate, tags)
            chapter = ChapterWritten(path=path, duration=duration)
            written.append(chapter)
            emit(chapter)

    spoken = [s for n in wanted for s in segments_of[n] if s.kind != "skipped"]
    speakers = sorted({s.speaker for s in spoken if s.kind == "dialogue"} | {NARRATOR})
    first_format = config.data.output.format[0]
    audio = sum(c.duration for c in written if c.path.suffix == f".{first_format}")
    return BuildReport(chapters=written, segments=len(spoken), speakers=speakers, audio_seconds=audio,
                       wall_seconds=time.monotonic() - started, clips=len(clips),
                       cached_clips=progress[-1].cached if progress else 0, warnings=script_warnings(script))


