"""The stages chained: what the CLI and library users call. Returns data and reports progress; never prints."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from narrate import __version__, cache_limit
from narrate.audio import encoding, levels
from narrate.audio.book import BookFiles, Part, write_book
from narrate.audio.cover import prepare_cover, read_cover
from narrate.audio.subtitles import segment_times
from narrate.casting import cast_book
from narrate.casting.cast import announcement
from narrate.casting.config import Config
from narrate.casting.credits import CLOSING_TITLE, OPENING_TITLE, credit_texts
from narrate.errors import EngineError, InputError
from narrate.model import NARRATOR, Clip, Line, Script, Segment
from narrate.pipeline.loading import load, parse_chapter_range, script_warnings
from narrate.request import (
    MANIFEST_NAME,
    BuildRequest,
    engine_versions,
    file_stamps,
    voice_stamps,
)
from narrate.state import (
    ClipCache,
    atomic_path,
    check_cache_folder,
    check_cache_room,
    check_output_folder,
    drop_output_temp,
    sweep_output_temp,
    sweep_scratch,
)
from narrate.synthesis import Pool, SynthProgress, default_jobs, synthesize

Event = object  # Stage | TextWarnings | SynthProgress | ChapterWritten
OnEvent = Callable[[Event], None]


@dataclass(frozen=True)
class Stage:
    name: str  # "annotate", "synthesize", "assemble"


@dataclass(frozen=True)
class TextWarnings:
    """What reading the story found (unclosed quotes, an override matching nothing...): sent before synthesis,
    so a user sees it at once rather than after a long build. The report repeats them."""

    messages: tuple[str, ...]


@dataclass(frozen=True)
class ChapterWritten:
    path: Path
    duration: float


@dataclass(frozen=True)
class BuildReport:
    chapters: list[ChapterWritten]  # the files written, in book order
    segments: int
    speakers: list[str]
    audio_seconds: float
    wall_seconds: float
    clips: int
    cached_clips: int
    parts: int = 0  # files per format: chapters plus credits
    parts_encoded: int = 0  # parts whose files were (re)written; the rest were current
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _PartText:
    """One output file's worth of the script: a chapter, or the opening or closing credits."""

    number: int  # the NN of its file name: chapter number; 0 and last+1 for the credits
    title: str
    segments: list  # the script segments read in it (the credits have none)
    announce: Segment  # spoken first: the chapter title, or the credits text


def build(request: BuildRequest, on_event: OnEvent | None = None, pool: Pool | None = None) -> BuildReport:
    """Story -> chapter files (+ credits), the .m4b book, subtitles and a manifest in `request.outdir`. The clips
    not yet cached are made on `pool` (e.g. a Dask cluster's, or one shared by several books), else locally.
    Nothing the build uses leaves the cache while it runs; after it, the cache is kept under its cap."""
    with cache_limit.build_lease() as lease:
        return _build(request, on_event, pool, lease)


def _build(request: BuildRequest, on_event: OnEvent | None, pool: Pool | None,
           lease: cache_limit.Lease) -> BuildReport:
    emit = on_event or (lambda _event: None)
    started = time.monotonic()
    if not 0.5 <= request.speed <= 3.0:
        raise InputError(f"--speed {request.speed}: choose a factor between 0.5 and 3.0.")
    check_cache_folder()
    if not callable(request.outdir):
        check_output_folder(Path(request.outdir))
    sweep_scratch()  # what builds killed while encoding left in the cache
    cache_limit.sweep_temp_files(lease)  # and the half-written clips of workers killed mid-line
    emit(Stage("annotate"))
    config, script = load(request.story, request.voices, request.script_file, request.include_front_matter)
    if script_warnings(script):
        emit(TextWarnings(tuple(script_warnings(script))))
    book = script.book
    out = Path(request.outdir(book) if callable(request.outdir) else request.outdir)
    check_output_folder(out)  # again: a folder named after the book, or one changed since
    output = config.data.output
    wanted_formats = list(dict.fromkeys(request.formats or output.format))
    cover_art = read_cover(request.cover) if request.cover else (  # decoded once, before any synthesis
        prepare_cover(book.cover, f"{book.path} (the e-book's cover image)") if book.cover else None)
    wanted = parse_chapter_range(request.chapters, len(book.chapters))
    parts = _parts(book, script, config, wanted, whole_book=request.chapters is None)

    emit(Stage("synthesize"))
    lines = cast_book(config, script.characters, [p.announce for p in parts],
                      [s for p in parts for s in p.segments], request.speed)
    progress: list[SynthProgress] = []

    def on_progress(p: SynthProgress) -> None:
        progress.append(p)
        emit(p)

    jobs = request.jobs or default_jobs()
    try:
        clips = _synthesize_and_measure(lines, request.jobs, on_progress, pool)
    except EngineError as err:
        check_cache_room(err)  # a full disk under the cache is no engine's fault: name the folder instead
        raise
    if pool is not None:
        pool.rest()  # its workers' memory is ffmpeg's from here on

    emit(Stage("assemble"))
    out.mkdir(parents=True, exist_ok=True)
    temp = sweep_output_temp(out)  # what killed builds left; this build's temporary files go there too
    manifest = out / MANIFEST_NAME
    previous = _previous_manifest(manifest)  # read once: what files it made, and under which names
    written: list[ChapterWritten] = []

    def on_file(path: Path, seconds: float) -> None:
        written.append(ChapterWritten(path, seconds))
        emit(written[-1])

    audio_parts = [Part(p.number, p.title, p.segments, clip) for p, clip in zip(parts, clips)]
    body_clips = clips[len(parts):]  # a segment's clip, or a long one's clip per sentence
    try:
        files = write_book(out, book, audio_parts, body_clips, config.data.pauses, output, wanted_formats,
                           encoding.previous_files(previous), on_file, request.acx, cover_art, jobs,
                           chapters=None if request.chapters is None else wanted)
        _remove_renamed(out, previous, files)
        engines = engine_versions({line.voice.engine for line in lines},
                                  any(line.voice.is_variant for line in lines))
        write_manifest(manifest, book, config, parts, files,
                       {"inputs": request.inputs, "engines": engines, "outputs": file_stamps(files.files),
                        "voice_files": voice_stamps(f"{line.voice.engine}:{line.voice.voice}" for line in lines),
                        "digests": files.digests})
        cache_limit.record_book(lease, out, book.title, str(request.story), (line.key for line in lines),
                                (path for m in files.made for unit in m.units for path in unit.paths.values()),
                                partial=request.chapters is not None)
    finally:
        drop_output_temp(out, temp)  # empty unless the build was killed: then the next one sweeps it
    book_order = {path: n for n, path in enumerate(files.files)}  # written in the order encoding finished
    written.sort(key=lambda w: book_order.get(w.path, len(book_order)))

    spoken = [s for p in parts for s in p.segments if s.kind != "skipped"]
    speakers = sorted({s.speaker for s in spoken if s.kind == "dialogue"} | {NARRATOR})
    return BuildReport(chapters=written, segments=len(spoken), speakers=speakers,
                       audio_seconds=sum(m.seconds for m in files.made), parts=len(files.made),
                       parts_encoded=sum(m.encoded for m in files.made),
                       wall_seconds=time.monotonic() - started, clips=len(clips),
                       cached_clips=progress[-1].cached if progress else 0, warnings=script_warnings(script))


def _previous_manifest(manifest: Path) -> dict:
    if not manifest.is_file():  # never read a FIFO
        return {}
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _remove_renamed(out: Path, previous: dict, files: BookFiles) -> None:
    """Removes the files the last build listed for a chapter (or the credits) that this build wrote under other
    names (its heading changed): a player would play both. Chapters this build did not make (a `--chapters`
    build) keep theirs."""
    built = {m.part.number for m in files.made}
    kept = {path.name for path in files.files}
    chapters = previous.get("chapters")
    for chapter in chapters if isinstance(chapters, list) else []:
        number = chapter.get("number") if isinstance(chapter, dict) else None
        names = chapter.get("files") if isinstance(chapter, dict) else None
        if number not in built or not isinstance(names, list):
            continue
        for name in names:
            if isinstance(name, str) and name not in kept and _plain_name(name):
                (out / name).unlink(missing_ok=True)


def _plain_name(name: str) -> bool:
    """A file name of the output folder itself: no folder in it, not hidden, not the manifest."""
    return bool(name) and name == Path(name).name and not name.startswith(".") and name != MANIFEST_NAME


def _parts(book, script: Script, config: Config, wanted: list[int], whole_book: bool) -> list[_PartText]:
    parts = [_PartText(n, book.chapters[n - 1].title, [s for s in script.segments if s.chapter == n],
                       announcement(n, book.chapters[n - 1].title, "chapter-title")) for n in wanted]
    if whole_book and config.data.credits.enabled:
        opening, closing = credit_texts(book, config)
        last = len(book.chapters) + 1
        parts = [_PartText(0, OPENING_TITLE, [], announcement(0, opening, "credits")), *parts,
                 _PartText(last, CLOSING_TITLE, [], announcement(last, closing, "credits"))]
    return parts


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


def write_manifest(path: Path, book, config: Config, parts: list[_PartText], files: BookFiles,
                   freshness: dict) -> None:
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
                      "files": [f.name for f in m.files], "fingerprint": m.fingerprint,
                      "timing": segment_times(m.part.plan)}
                     for p, m in zip(parts, files.made)],
    }
    if files.book_file is not None:
        manifest["book_file"] = {"file": files.book_file.name,
                                 "duration": round(sum(m.seconds for m in files.made), 3),
                                 "fingerprint": files.book_fingerprint}
    manifest.update(freshness)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
