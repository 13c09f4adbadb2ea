"""The stages chained: what the CLI and library users call. Returns data and reports progress; never prints."""
from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import __version__, assemble, export, levels, produce, subtitles
from .annotate.kept import annotate_kept
from .annotate.overrides import Override, apply_overrides, with_speakers
from .cache import ClipCache, atomic_path, masters_root
from .casting import announcement, build_casting, cast_entries, check_voice_ids, lines_for, unused_characters
from .config import Config, load_config, where
from .errors import InputError
from .freshness import MANIFEST_NAME, build_inputs, engine_versions, file_stamps, find_voices_file
from .ingest import load_book
from .credits import CLOSING_TITLE, OPENING_TITLE, credit_texts
from .model import NARRATOR, Book, Clip, Line, Script, Segment
from .scriptio import read_script_speakers
from .synth import Pool, SynthProgress, default_jobs, synthesize

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
    parts: int = 0  # files per format: chapters plus credits
    parts_encoded: int = 0  # parts whose files were (re)written; the rest were current
    warnings: list[str] = field(default_factory=list)


def load(story: str | Path, voices: str | Path | None = None, script_file: str | Path | None = None,
         include_front_matter: bool = False, voices_may_be_new: bool = False) -> tuple[Config, Script]:
    """Read voices.yaml (looked up per find_voices_file), annotate the story with its cast, then apply the
    manual fixes: voices.yaml `overrides:`, and the speakers of an edited script file when one is given.
    With `voices_may_be_new`, a `voices` path that does not exist yet means the built-in defaults."""
    new_file = voices_may_be_new and voices is not None and not Path(voices).exists()  # `cast --write` makes it
    config = load_config(None if new_file else find_voices_file(story, voices))
    book = load_book(story, include_front_matter=include_front_matter)
    data = config.data
    script = annotate_kept(book, cast_entries(config), data.author_notes, data.first_person)
    rules = [Override(speaker=o.speaker, quote=o.quote, chapter=o.chapter, paragraph=o.paragraph,
                      where=where(config, f"overrides.{n}")) for n, o in enumerate(data.overrides)]
    script = apply_overrides(script, rules)
    if script_file is not None:
        script = _with_edited_speakers(script, Path(script_file))
    return config, replace(script, warnings=(*script.warnings, *unused_characters(script, config)))


def _with_edited_speakers(script: Script, script_file: Path) -> Script:
    edited = read_script_speakers(script_file)
    fixed = with_speakers(script, lambda s: edited.get((s.start, s.end)), "override:script")
    found = {(s.start, s.end) for s in script.segments if s.kind == "dialogue"}
    stale = [span for span in edited if span not in found]
    if stale:
        warning = (f"{script_file}: {len(stale)} dialogue segment(s) no longer match the story (it changed since "
                   f"the script was written); their speakers were not used. "
                   f"Write the script again and redo those edits.")
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


@dataclass(frozen=True)
class _Part:
    """One output file's worth of audio: a chapter, or the opening or closing credits."""

    number: int  # the NN of its file name: chapter number; 0 and last+1 for the credits
    title: str
    segments: list  # the script segments read in it (the credits have none)
    announce: Segment  # spoken first: the chapter title, or the credits text


def build(story: str | Path, outdir: str | Path | Callable[[Book], Path] = "out", voices: str | Path | None = None,
          jobs: int | None = None, chapters: str | None = None, speed: float = 1.0,
          on_event: OnEvent | None = None, script_file: str | Path | None = None,
          formats: list[str] | None = None, cover: str | Path | None = None, acx: bool = False,
          include_front_matter: bool = False, pool: Pool | None = None) -> BuildReport:
    """Story -> chapter files (+ credits), the .m4b book, subtitles and a manifest in `outdir`. The clips not
    yet cached are made on `pool` (e.g. a Dask cluster's, or one shared by several books), else locally.
    `outdir` may be a function of the book read (build-many names each book's folder by its title)."""
    emit = on_event or (lambda _event: None)
    started = time.monotonic()
    if not 0.5 <= speed <= 3.0:
        raise InputError(f"--speed {speed}: choose a factor between 0.5 and 3.0.")
    emit(Stage("annotate"))
    inputs = build_inputs(story, voices, script_file, cover, chapters, speed, formats, acx, include_front_matter)
    config, script = load(story, voices, script_file, include_front_matter)
    check_voice_ids(config)
    book = script.book
    output = config.data.output
    wanted_formats = list(dict.fromkeys(formats or output.format))
    cover_art = export.read_cover(cover) if cover else (
        export.cover_from_bytes(book.cover, book.path) if book.cover else None)
    wanted = parse_chapter_range(chapters, len(book.chapters))
    casting = build_casting(config, script.characters, speed)
    parts = _parts(book, script, config, wanted, whole_book=chapters is None)

    emit(Stage("synthesize"))
    language = config.data.language
    lines = lines_for([p.announce for p in parts], casting, language)
    lines += lines_for([s for p in parts for s in p.segments], casting, language)
    progress: list[SynthProgress] = []

    def on_progress(p: SynthProgress) -> None:
        progress.append(p)
        emit(p)

    clips = _synthesize_and_measure(lines, jobs, on_progress, pool)
    if pool is not None:
        pool.rest()  # its workers' memory is ffmpeg's from here on
    gains = levels.voice_gains(clips, jobs or default_jobs())  # the levels measured meanwhile are kept
    announce_clips = clips[:len(parts)]
    body_clips = {clip.line.segment.index: clip for clip in clips[len(parts):]}

    emit(Stage("assemble"))
    out = Path(outdir(book) if callable(outdir) else outdir)
    out.mkdir(parents=True, exist_ok=True)
    finish = produce.Finish(formats=tuple(wanted_formats), bitrate=output.bitrate, loudness=output.loudness,
                            true_peak=output.true_peak, acx=acx, cover=cover_art, gains=tuple(gains.items()))
    audio = [produce.PartAudio(p.number, p.title,
                               assemble.chapter_plan(clip, p.segments, body_clips, config.data.pauses),
                               {"title": p.title, "album": book.title, "artist": book.author, "date": book.year,
                                "track": f"{n}/{len(parts)}", "genre": "Audiobook"})
             for n, (p, clip) in enumerate(zip(parts, announce_clips), 1)]
    last_number = len(book.chapters) + 1
    manifest = out / MANIFEST_NAME
    previous = produce.previous_fingerprints(manifest)
    written: list[ChapterWritten] = []

    def on_file(path: Path, seconds: float) -> None:
        written.append(ChapterWritten(path, seconds))
        emit(written[-1])

    book_file = out / f"{safe_name(book.title)}.m4b" if "m4b" in wanted_formats else None
    book_tags = export.BookTags(title=book.title, author=book.author, year=book.year, cover=cover_art)
    made = produce.plan_parts(audio, finish, masters_root())
    book_print = produce.book_fingerprint([m.fingerprint for m in made], book_tags)

    def write_book() -> None:
        marks = produce.write_book(made, audio, book_file, book_tags)
        on_file(book_file, marks[-1].end)

    book_current = book_file is None or (previous.get(book_file.name) == book_print and book_file.is_file())
    produce.make_parts(made, finish, out,
                       lambda part, fmt: assemble.chapter_file_name(part.number, last_number, part.title, fmt),
                       previous, jobs or default_jobs(), on_file, None if book_current else write_book)
    starts = itertools.accumulate((m.seconds for m in made[:-1]), initial=0.0)
    vtt = out / f"{safe_name(book.title)}.vtt"
    subtitles.write_vtt(vtt, [cue for m, start in zip(made, starts) for cue in subtitles.cues_from_plan(m.part.plan, start)])
    engines = engine_versions({line.voice.engine for line in lines}, any(line.voice.is_variant for line in lines))
    outputs = [f for m in made for f in m.files] + ([book_file] if book_file else []) + [vtt]
    write_manifest(manifest, book, config, parts, made, book_file, book_print if book_file else None,
                   {"inputs": inputs, "engines": engines, "outputs": file_stamps(outputs)})

    spoken = [s for p in parts for s in p.segments if s.kind != "skipped"]
    speakers = sorted({s.speaker for s in spoken if s.kind == "dialogue"} | {NARRATOR})
    return BuildReport(chapters=written, segments=len(spoken), speakers=speakers,
                       audio_seconds=sum(m.seconds for m in made), parts=len(made),
                       parts_encoded=sum(m.encoded for m in made),
                       wall_seconds=time.monotonic() - started, clips=len(clips),
                       cached_clips=progress[-1].cached if progress else 0, warnings=script_warnings(script))


def _parts(book, script: Script, config: Config, wanted: list[int], whole_book: bool) -> list[_Part]:
    parts = [_Part(n, book.chapters[n - 1].title, [s for s in script.segments if s.chapter == n],
                   announcement(n, book.chapters[n - 1].title, "chapter-title")) for n in wanted]
    if whole_book and config.data.credits.enabled:
        opening, closing = credit_texts(book, config)
        last = len(book.chapters) + 1
        parts = [_Part(0, OPENING_TITLE, [], announcement(0, opening, "credits")), *parts,
                 _Part(last, CLOSING_TITLE, [], announcement(last, closing, "credits"))]
    return parts


def safe_name(title: str) -> str:
    return assemble.chapter_file_name(0, 1, title, "x")[5:-2]


def _synthesize_and_measure(lines: list[Line], jobs: int | None, on_progress: Callable[[SynthProgress], None],
                            pool: Pool | None) -> list[Clip]:
    """The lines' clips, in order. The likely sample clips of each voice are made first, and each voice's level
    is measured on a thread as they appear (levels.measure_while_made), not after the last clip of the book."""
    cache = ClipCache()
    order = levels.sample_first(lines)
    synthesis_over = threading.Event()
    meter = threading.Thread(target=levels.measure_while_made, args=(lines, cache, synthesis_over),
                             name="narrate-levels", daemon=True)
    meter.start()
    try:
        made = synthesize([lines[i] for i in order], cache, jobs, on_progress, pool=pool)
    finally:
        synthesis_over.set()
        meter.join()
    clip_of = dict(zip(order, made))
    return [clip_of[index] for index in range(len(lines))]


def write_manifest(path: Path, book, config: Config, parts: list[_Part], made: list[produce.Made],
                   book_file: Path | None, book_print: str | None, freshness: dict) -> None:
    """What was built, and from what: the next build compares fingerprints to skip what is current, and
    `freshness` (inputs, engine versions, the outputs as left) lets the CLI skip a build that is current."""
    manifest = {
        "narrate": __version__,
        "voices": {"path": config.path, "sha256": freshness["inputs"]["voices"]},  # hashed once, with the inputs
        "book": {"title": book.title, "author": book.author, "source": book.path},
        "chapters": [{"number": m.part.number, "title": m.part.title, "duration": round(m.seconds, 3),
                      "segments": sum(1 for s in p.segments if s.kind != "skipped"),
                      "speakers": sorted({s.speaker if s.kind == "dialogue" else NARRATOR
                                          for s in p.segments if s.kind != "skipped"} | {NARRATOR}),
                      "files": [f.name for f in m.files], "fingerprint": m.fingerprint}
                     for p, m in zip(parts, made)],
    }
    if book_file is not None:
        manifest["book_file"] = {"file": book_file.name, "duration": round(sum(m.seconds for m in made), 3),
                                 "fingerprint": book_print}
    manifest.update(freshness)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
