"""The command line: a thin skin over narrate.pipeline.book. The only module that prints or imports click.

Each command imports what it needs when it runs: synthesis workers re-import this module, and `narrate script`
starts faster, when importing it costs little."""
from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import click

from narrate import __version__
from narrate.errors import BooksFailed, CheckFailed, NarrateError
from narrate.request import BuildRequest, current_build, story_folder

INTERNAL_ERROR_EXIT = 70
INTERRUPTED_EXIT = 130  # 128 + SIGINT: Ctrl-C
TERMINATED_EXIT = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended


def console(stderr: bool = False):
    """rich is imported only by the commands that draw with it: `narrate script` starts faster without it."""
    from rich.console import Console

    return Console(stderr=stderr)


@dataclass
class RunOptions:
    """How this command line wants to be answered; one per run, carried by click's context (ctx.obj)."""

    quiet: bool = False  # errors only
    debug: bool = False  # a traceback when something fails
    terminated: bool = False  # SIGTERM arrived: the run unwinds as from Ctrl-C, and says so


def run_options(ctx: click.Context | None = None) -> RunOptions:
    """This run's options: main() gives them to click; a command invoked another way (tests) gets its own."""
    return (ctx or click.get_current_context()).find_root().ensure_object(RunOptions)


def _set_quiet(ctx, _param, value):
    run_options(ctx).quiet |= value  # given to the group or to the command: either counts


def _set_debug(ctx, _param, value):
    run_options(ctx).debug |= value


def common_options(command):
    """--version, --quiet and --debug on every command, not only on the group."""
    command = click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
                           help="Show the full traceback when something fails.")(command)
    command = click.option("-q", "--quiet", is_flag=True, expose_value=False, is_eager=True, callback=_set_quiet,
                           help="Only errors on stderr; no progress or warnings.")(command)
    return click.version_option(__version__, "--version", prog_name="narrate")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def cli():
    """narrate: turn a story into a multi-voice audiobook."""


def warn(messages):
    if not run_options().quiet:
        for message in messages:
            click.echo(click.style("warning: ", fg="yellow") + message, err=True)


def pool_options(command):
    """Where synthesis runs and where the cache is: shared by build and build-many."""
    command = click.option("--cache-dir", metavar="DIR", type=click.Path(path_type=Path), envvar="NARRATE_CACHE_DIR",
                           help="Clip cache directory (default: $NARRATE_CACHE_DIR, else the platform cache). "
                                "On a filesystem every Dask worker mounts, workers write clips there.")(command)
    command = click.option("--scheduler", envvar="NARRATE_SCHEDULER", metavar="tcp://HOST:8786",
                           help="Synthesize on the Dask cluster of this scheduler (default: $NARRATE_SCHEDULER, "
                                "else local worker processes). Needs pip install 'narrate[dask]'.")(command)
    return click.option("-j", "--jobs", type=click.IntRange(1, 64), metavar="N",
                        help="Synthesis worker processes (default: all cores).")(command)


@contextmanager
def synthesis_pool(scheduler: str | None, cache_dir: Path | None):
    """The pool the clips are made on: the cluster's when a scheduler is given, else local worker processes,
    one started at once with the default engine: it boots (~0.1 s) on another core while this process imports
    and reads the story, so a rebuild that makes a few clips does not wait for it."""
    if cache_dir is not None:
        os.environ["NARRATE_CACHE_DIR"] = str(cache_dir)  # one variable relocates all state, workers' too
    if not scheduler:
        from narrate.model import Voice
        from narrate.synthesis.local import LocalPool

        with LocalPool() as pool:
            pool.warm(1, Voice.engine)  # the engine a voice has when voices.yaml names none
            yield pool
        return
    import logging

    from narrate.synthesis.cluster import cluster_pool

    if not run_options().debug:  # Dask logs its own retries (a lost worker, a slow scheduler); we report outcomes
        logging.getLogger("distributed").setLevel(logging.ERROR)
    with cluster_pool(scheduler) as pool:
        yield pool


PROGRESS_SECONDS_ENV = "NARRATE_PROGRESS_SECONDS"  # seconds between plain progress lines (0: none)


class PlainProgress:
    """Stands in for the progress bar where nobody would see one (stderr is a pipe, a log, a service's journal;
    or --quiet): no bar, and rich is not imported (30 ms of every scripted build). Unless quiet, a line every
    NARRATE_PROGRESS_SECONDS (default 10) says where the work is: stage, done/total and the time left, so a
    build under nohup or CI is seen to move. A thread writes them: a long stage sends no events to hang them on."""

    def __init__(self, interval: float):
        self.interval = interval
        self.description = ""
        self.total: int | None = None
        self.completed = 0
        self._origin: tuple[float, int] | None = None  # (time, completed) when this total was first seen
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self):
        if self.interval > 0:
            self._ticker = threading.Thread(target=self._tick, name="narrate-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()

    def add_task(self, description: str = "", total: int | None = None, **_kwargs) -> int:
        self.update(0, description=description, total=total, completed=0)
        return 0

    def update(self, _task, description: str | None = None, total: int | None = None,
               completed: int | None = None, **_kwargs) -> None:
        if description is not None:
            self.description = description
            if total is None:  # a stage without a count (rich's bar would keep the last one and look done)
                self.total, self._origin = None, None
        if total is not None and total != self.total:  # a new count: its time left starts afresh
            self.total, self._origin = total, None
        if completed is not None:
            self.completed = completed
            if self._origin is None and total is not None:
                self._origin = (time.monotonic(), completed)

    def line(self, now: float | None = None) -> str:
        """What the work is doing now: '[0:02:10] synthesizing (12 cached): 340/1200, about 0:06:10 left'."""
        now = time.monotonic() if now is None else now
        text = f"[{_clock(now - self._started)}] {self.description}"
        if self.total:
            text += f": {self.completed}/{self.total}"
            if self._origin is not None and self.completed > self._origin[1]:
                rate = (self.completed - self._origin[1]) / max(now - self._origin[0], 1e-9)
                text += f", about {_clock((self.total - self.completed) / rate)} left"
        return text

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            click.echo(self.line(), err=True)

    @property
    def console(self):
        return self

    def print(self, text, **_style) -> None:
        click.echo(str(text), err=True)


def progress_interval() -> float:
    """NARRATE_PROGRESS_SECONDS: how often a build without a terminal says where it is."""
    value = os.environ.get(PROGRESS_SECONDS_ENV, "10")
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        from narrate.errors import ConfigError

        raise ConfigError(f"{PROGRESS_SECONDS_ENV}={value!r}: give the seconds between progress lines, e.g. 10 "
                          f"(0 for none).")
    return seconds


def progress_bar():
    if run_options().quiet:
        return PlainProgress(0)
    if not sys.stderr.isatty():
        return PlainProgress(progress_interval())
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console(stderr=True), disable=run_options().quiet, transient=True)


def build_event_renderer(bar, task, prefix: str = "", shown: set[str] | None = None):
    """Draws pipeline.build's events on `bar`; `prefix` names the book when there are several. The text's
    warnings are printed as soon as they are found (before synthesis) and added to `shown`, so that the end
    does not repeat them."""
    from narrate import pipeline
    from narrate.synthesis.local import SynthProgress

    quiet = run_options().quiet  # read here: events also come from the encoding threads, outside click's context

    from narrate.voicelib import Progress

    def on_event(event):
        if isinstance(event, pipeline.Stage):
            bar.update(task, description=prefix + event.name)
        elif isinstance(event, Progress):  # a voice fetched on first use, in bytes
            bar.update(task, total=event.total, completed=event.done,
                       description=f"{prefix}fetching {event.what} ({event.file})")
        elif isinstance(event, SynthProgress):
            bar.update(task, total=event.total, completed=event.done,
                       description=f"{prefix}synthesizing ({event.cached} cached)")
        elif isinstance(event, pipeline.TextWarnings) and not quiet:
            for message in event.messages:
                _warn_above(bar, prefix + message)
                if shown is not None:
                    shown.add(message)

    return on_event


def _warn_above(bar, message: str) -> None:
    """A warning printed above the progress bar (or as a plain line where there is none)."""
    if isinstance(bar, PlainProgress):
        click.echo(click.style("warning: ", fg="yellow") + message, err=True)
    else:
        from rich.text import Text

        bar.console.print(Text.assemble(("warning: ", "yellow"), message))


@cli.command(short_help="Build the audiobook: a file per chapter, the .m4b, subtitles.")
@click.argument("story", type=click.Path(path_type=Path))
@click.option("-o", "--out", "outdir", metavar="DIR", default="out", show_default=True, type=click.Path(path_type=Path),
              help="Directory for the chapter files.")
@click.option("--voices", metavar="FILE", type=click.Path(path_type=Path), help="voices.yaml to cast with "
              "(default: voices.yaml beside the story, else built-in voices).")
@pool_options
@click.option("--chapters", metavar="LIST", help="Build only these chapters, e.g. 2-4 or 1,3.")
@click.option("--speed", metavar="FACTOR", type=float, default=1.0, show_default=True, help="Scale every voice's rate.")
@click.option("--script", "script_file", metavar="FILE", type=click.Path(path_type=Path),
              help="An edited `narrate script --format json|yaml` file whose speakers to use.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["mp3", "wav", "flac", "opus", "m4b"]),
              help="Output format; repeat for several (default: output.format in voices.yaml, else mp3 + m4b).")
@click.option("--cover", metavar="IMAGE", type=click.Path(path_type=Path),
              help="Cover image (JPEG, PNG, WebP, GIF or BMP; made a JPEG of at most 3000 px) for the book and MP3s.")
@click.option("--acx", is_flag=True, help="Chapter MP3s as ACX wants them: 44.1 kHz, 192 kbps CBR, -19 LUFS, "
              "room tone at about -75 dBFS instead of digital silence.")
@click.option("--include-front-matter", is_flag=True, help="EPUB: also read the cover page, copyright, contents...")
@common_options
def build(story, outdir, voices, jobs, scheduler, cache_dir, chapters, speed, script_file, formats, cover, acx,
          include_front_matter):
    """Build the audiobook: one audio file per chapter in OUTDIR. Nothing is done when the last build there
    is current (same inputs, narrate, engines and files)."""
    started = time.monotonic()
    request = BuildRequest(story, outdir, voices, script_file, cover, chapters, speed, tuple(formats) or None, acx,
                           include_front_matter, jobs)
    current = current_build(outdir, request.inputs)
    if current is not None:
        if not run_options().quiet:
            click.echo(_current_summary(current, outdir, time.monotonic() - started))
        return
    with synthesis_pool(scheduler, cache_dir) as pool, progress_bar() as bar:
        from narrate import pipeline  # after the pool: its first worker boots meanwhile
        from narrate.voicelib import reporting

        task = bar.add_task("reading", total=None)
        shown: set[str] = set()
        renderer = build_event_renderer(bar, task, shown=shown)
        with reporting(renderer):  # a voice fetched on first use shows on the bar
            report = pipeline.build(request, renderer, pool=pool)
        where = f"{pool.name} ({pool.slots} worker threads)" if scheduler else None
    warn(w for w in report.warnings if w not in shown)
    if not run_options().quiet:
        for written in report.chapters:  # in book order, whichever encoding finished first
            click.echo(f"wrote {written.path} ({written.duration:.1f} s)", err=True)
        made = f"; {report.clips - report.cached_clips} clips made on {where}" if where else ""
        click.echo(f"{_parts_said(report.parts, report.parts_encoded)}, {report.segments} segments, "
                   f"{_speakers_said(report.speakers)}, "
                   f"{_clock(report.audio_seconds)} of audio in {report.wall_seconds:.1f} s wall time "
                   f"({report.cached_clips}/{report.clips} clips from cache{made})")


def _parts_said(parts: int, encoded: int) -> str:
    """'5 parts (5 encoded)', '5 parts (1 encoded, 4 current)', '5 parts (0 encoded: all current)'."""
    rest = parts - encoded
    said = f"{encoded} encoded" + (f", {rest} current" if 0 < rest < parts else ": all current" if rest else "")
    return f"{parts} part{'s' if parts != 1 else ''} ({said})"


def _speakers_said(names) -> str:
    """The speaking characters, counted without the narrator and the unattributed lines (said apart):
    '2 characters besides the narrator (Mara, Tomas; some lines unattributed)'."""
    from narrate.model import NARRATOR, UNKNOWN

    characters = [name for name in names if name not in (NARRATOR, UNKNOWN)]
    listed = ", ".join(characters) + ("; " if characters and UNKNOWN in names else "") + \
        ("some lines unattributed" if UNKNOWN in names else "")
    return (f"{len(characters)} character{'s' if len(characters) != 1 else ''} besides the narrator"
            + (f" ({listed})" if listed else ""))


def _current_summary(manifest: dict, outdir: Path, seconds: float) -> str:
    chapters = manifest["chapters"]
    speakers = sorted({name for chapter in chapters for name in chapter["speakers"]})
    audio = sum(chapter["duration"] for chapter in chapters)
    return (f"{outdir}: nothing changed since the last build there; {len(chapters)} parts current, "
            f"{sum(c['segments'] for c in chapters)} segments, {_speakers_said(speakers)}, "
            f"{_clock(audio)} of audio (checked in {seconds:.2f} s)")


@cli.command("build-many", short_help="Build every story of folders or globs on one synthesis pool.")
@click.argument("books", nargs=-1, required=True, metavar="DIR_OR_GLOB...")
@click.option("-o", "--out", "outroot", metavar="DIR",
              default="out", show_default=True, type=click.Path(path_type=Path),
              help="Output tree: each book goes to OUT/<Book Title>/.")
@click.option("--voices", metavar="FILE", type=click.Path(path_type=Path), help="One voices.yaml for every book "
              "(default: each story's own voices.yaml beside it, else built-in voices).")
@pool_options
@click.option("--format", "formats", multiple=True, type=click.Choice(["mp3", "wav", "flac", "opus", "m4b"]),
              help="Output format; repeat for several (default: each book's voices.yaml, else mp3 + m4b).")
@common_options
def build_many(books, outroot, voices, jobs, scheduler, cache_dir, formats):
    """Build every story in a directory or glob (e.g. 'books/*.epub'), sharing one synthesis pool."""
    from narrate.pipeline.many import BookStarted, find_stories
    from narrate.pipeline.many import build_many as build_all

    stories = find_stories(books)
    with synthesis_pool(scheduler, cache_dir) as pool, progress_bar() as bar:
        task = bar.add_task("reading", total=None)
        renderers = {}
        shown: set[str] = set()

        def on_event(event):
            if isinstance(event, BookStarted):
                prefix = f"[{event.number}/{event.total}] {event.story.name}: "
                renderers["current"] = build_event_renderer(bar, task, prefix, shown)
                bar.update(task, description=prefix + "reading", total=None, completed=0)
            else:
                renderers["current"](event)

        options = BuildRequest(Path(), voices=voices, formats=tuple(formats) or None, jobs=jobs)
        outcomes = build_all(stories, outroot, options, pool, on_event)
        where = f"{pool.name} ({pool.slots} worker threads)" if scheduler else None
    _book_table(outcomes, shown, where)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise BooksFailed(f"{len(failed)} of {len(outcomes)} book(s) failed: "
                          f"{', '.join(str(o.story) for o in failed)} (reasons above)")


def _book_table(outcomes, shown: set[str], where: str | None) -> None:
    from rich.table import Table

    table = Table("book", "result", "parts", "audio", "clips cached", "wall s",
                  title="build-many" + (f": clips made on {where}" if where else ""))
    for o in outcomes:
        if o.ok:
            r = o.report
            table.add_row(str(o.outdir), "built", f"{r.parts_encoded}/{r.parts} encoded", _clock(r.audio_seconds),
                          f"{r.cached_clips}/{r.clips}", f"{r.wall_seconds:.1f}")
        else:
            table.add_row(str(o.story), "[red]failed[/red]", "", "", "", "")
    if not run_options().quiet:
        console(stderr=False).print(table)
    for o in outcomes:
        if not o.ok:
            named = o.error if str(o.story) in o.error else f"{o.story}: {o.error}"  # most errors name it
            click.echo(click.style("error: ", fg="red") + named, err=True)
        else:
            warn(f"{o.story}: {w}" for w in o.report.warnings if w not in shown)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


@cli.command(short_help="Print the annotated script: who says what, and how sure.")
@click.argument("story", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "yaml", "quotes-json"]), default="text",
              show_default=True, help="text: a line per segment; json/yaml: every field, to edit and give to build "
              "--script; quotes-json: the quotes' offsets and speakers.")
@click.option("--voices", metavar="FILE", type=click.Path(path_type=Path),
              help="voices.yaml whose characters guide attribution.")
@click.option("--review", is_flag=True, help="List the least certain quotes first, with their paragraph and the "
              "one before it.")
@click.option("--limit", metavar="N", type=click.IntRange(min=1), default=25, show_default=True,
              help="With --review: how many quotes to list.")
@click.option("--all", "review_all", is_flag=True, help="With --review: list every quote.")
@click.option("--pin", "pin_file", metavar="FILE", type=click.Path(path_type=Path),
              help='JSON {"quotes": [{"start", "end", "speaker"}]}: fix those speakers, decode the rest around them.')
@click.option("--unknown-words", is_flag=True, help="List names and rare words the engine may say wrong.")
@click.option("--include-front-matter", is_flag=True, help="EPUB: also read the cover page, copyright, contents...")
@common_options
def script(story, fmt, voices, review, limit, review_all, pin_file, unknown_words, include_front_matter):
    """Print the annotated script: every passage tagged narration, dialogue (with its speaker) or skipped."""
    from narrate import pipeline
    from narrate.annotate.scriptio import read_pins, render, render_review

    ctx = click.get_current_context()
    if not review and (review_all or ctx.get_parameter_source("limit") is not click.core.ParameterSource.DEFAULT):
        raise click.UsageError("--limit and --all choose how many quotes --review lists: add --review.")
    pins = read_pins(pin_file) if pin_file is not None else ()
    config, result = pipeline.load(story, voices, include_front_matter=include_front_matter, pins=pins)
    warn(pipeline.script_warnings(result))
    if unknown_words:
        from narrate.casting.unknown_words import unknown_words as find_unknown

        data = config.data
        known = {*data.pronounce, *(word for spec in data.characters.values() for word in spec.pronounce)}
        for word, count in find_unknown(result, 50, data.language, known):
            click.echo(f"{count:5d}  {word}")
        click.echo("Add a respelling for any the engine says wrong under `pronounce:` in voices.yaml.", err=True)
        return
    click.echo(render_review(result, None if review_all else limit) if review else render(result, fmt))
    _report_skipped(config, result)


def _report_skipped(config, script) -> None:
    """What `narrate script` left unread as apparatus or by a `skip:` pattern, by rule, with an example each."""
    import textwrap

    from narrate.annotate.segments import skipped_apparatus
    from narrate.casting.config import where

    found = skipped_apparatus(script.segments)
    if run_options().quiet or not found:
        return
    click.echo(f"skipped, not read aloud ({sum(map(len, found.values()))} passages):", err=True)
    for reason, segments in found.items():
        if reason.startswith("skip ") and reason[5:] in config.data.skip:
            reason = f"{reason} ({where(config, f'skip.{config.data.skip.index(reason[5:])}')})"
        example = textwrap.shorten(segments[0].text, 60)
        click.echo(f"  {len(segments):4d}  {reason}: e.g. \u201c{example}\u201d (segment {segments[0].index + 1})",
                   err=True)


@cli.command(short_help="Who speaks how often, with which voice, and why.")
@click.argument("story", type=click.Path(path_type=Path))
@click.option("--voices", metavar="FILE", type=click.Path(path_type=Path),
              help="voices.yaml to read and, with --write, to write (default: voices.yaml beside the story).")
@click.option("--write", is_flag=True, help="Create or merge voices.yaml: every speaker gets an entry.")
@click.option("--engine", type=click.Choice(["espeak", "hibari", "piper", "kokoro"]),
              help="Cast everyone from this engine's voices, each distinct and easy to follow by measurement "
                   "(with --write: into voices.yaml).")
@common_options
def cast(story, voices, write, engine):
    """Who speaks how often, and with which voice (and where that voice came from); the two voices most alike."""
    from rich.table import Column, Table

    from narrate import pipeline
    from narrate.casting.cast import build_casting
    from narrate.casting.castfile import cast_table, write_voices
    from narrate.casting.measure import Measurer

    config, script = pipeline.load(story, voices, voices_may_be_new=write)
    casting = build_casting(config, script.characters)
    with Measurer(on_measure=_measuring_note()) as measurer:
        choices = None
        if engine:
            from narrate.casting.autocast import auto_casting

            casting, choices = auto_casting(casting, script.characters, config, engine, measurer.measure)
        nearest = _nearest_pair(casting, measurer)
    rows = cast_table(script, config, casting)
    warn(script.warnings)  # a voices.yaml character the story never names is among them
    table = Table("speaker", "lines", "words", Column("gender (from)", no_wrap=True), "voice", "pitch", "from",
                  box=None)
    for row in rows:
        voice = row.voice_id if row.engine == "espeak" else f"{row.engine}:{row.voice_id}"
        pitch = str(row.pitch) if row.engine == "espeak" else f"{row.semitones:+g} st"
        pitch += f", x{row.tempo:g}" if row.tempo != 1 else ""  # auto-casting's variants keep the voice's tempo
        source = row.gender_source.removeprefix("text ")  # "pronouns", "title", "name list", "voices.yaml", ...
        gender = f"{row.gender} ({source})" if row.gender and source else row.gender or "?"
        if row.gender == "neutral" and not source:  # the story never showed it: the voice is from the neutral pool
            gender = "unknown (voice a guess)"
        table.add_row(row.speaker, str(row.lines), str(row.words), gender, voice, pitch, row.source)
    console().print(table)
    for row in rows:  # a wrong merge ("Mr. Quill" also called "Mrs. Quill") or a split shows here
        if row.aliases:
            console().print(f"{row.speaker} is also called: {', '.join(row.aliases)}", highlight=False)
    console().print(nearest, highlight=False)
    if choices is not None:
        _auto_cast_notes(choices)
    if write:
        target = Path(voices) if voices else story_folder(story) / "voices.yaml"
        added = write_voices(target, script, config if target.is_file() else None, casting)
        if not run_options().quiet:
            click.echo(f"{target}: {'added ' + ', '.join(added) if added else 'already casts everyone'}", err=True)


def _measuring_note():
    """What the CLI says when auto-casting first measures a voice (once per voice: then it is kept)."""
    said = []

    def note(voice):
        if not said and not run_options().quiet:
            click.echo("measuring voices (pitch, and how well a recogniser follows each; once per voice)...",
                       err=True)
        said.append(voice)
    return note


def _nearest_pair(casting, measurer) -> str:
    """`cast`'s line on the two voices most alike, by measured median pitch."""
    from narrate.casting.autocast import cast_voices, nearest_pair
    from narrate.casting.library import base_voice

    try:
        pair, pitches = nearest_pair(casting, measurer.measure)
    except NarrateError as err:
        return f"nearest pair: not measured ({err})"
    if pair is None:
        return "nearest pair: none (one voice)"
    voices = cast_voices(casting)
    hertz = " and ".join(f"{440 * 2 ** ((pitches[n] - 69) / 12):.0f} Hz" for n in (pair.a, pair.b))
    on = (f"both on {base_voice(voices[pair.a])}" if pair.same_base
          else f"on different voices, {base_voice(voices[pair.a])} and {base_voice(voices[pair.b])}")
    return f"nearest pair: {pair.a} and {pair.b}, {pair.semitones:.1f} semitones apart ({hertz}), {on}"


def _auto_cast_notes(choices) -> None:
    """How `cast --engine` chose: the recall floor, who could not be kept apart, the voices passed over."""
    from narrate.casting.distinct import MIN_APART, MIN_RECALL_RATIO

    out = console()
    out.print(f"every voice followed by the recogniser at >= {choices.threshold:.2f} of the passage's words "
              f"({MIN_RECALL_RATIO:g} x {choices.reference}'s {choices.reference_recall:.2f})", highlight=False)
    if choices.crowded:
        out.print(f"not {MIN_APART:g} semitones from every voice on the same base (no voice left): "
                  f"{', '.join(choices.crowded)}", highlight=False)
    unfetched = sorted(choices.unfetched)
    if unfetched:  # offline, or gone from the host: the cast is what the voices folder and the fetches allowed
        out.print(f"{len(unfetched)} voices could not be fetched and were passed over: {_some(unfetched)}; cast "
                  f"from the voices here (cast again online to choose among them all). The first: "
                  f"{choices.unavailable[unfetched[0]].splitlines()[0]}", highlight=False)
    missing = sorted(set(choices.unavailable) - set(unfetched))
    if missing:
        out.print(f"passed over, not to be had here: {_some(missing)} "
                  f"({choices.unavailable[missing[0]].splitlines()[0]})", highlight=False)


def _some(names: list[str]) -> str:
    """The first three names, and how many more."""
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


@cli.command(short_help="List an engine's voices; --sample writes clips to hear them.")
@click.option("--engine", "engine_id", metavar="ID", default="espeak", show_default=True,
              help="The engine whose voices to list.")
@click.option("--lang", metavar="PREFIX", help="Only voices whose language starts with this, e.g. en.")
@click.option("--sample", is_flag=True, help="Write one short clip per voice (or per character with --cast).")
@click.option("--cast", "cast_story", metavar="STORY", type=click.Path(path_type=Path),
              help="With --sample: one clip per speaker.")
@click.option("--voices", "voices_file", metavar="FILE", type=click.Path(path_type=Path),
              help="With --cast: the voices.yaml.")
@click.option("--out", metavar="DIR", type=click.Path(path_type=Path), default=Path("auditions"), show_default=True,
              help="With --sample: where the clips go.")
@click.option("--download", is_flag=True, help="Fetch the NAMES (ENGINE:NAME, or NAME of --engine) into the voices "
              "folder now ($NARRATE_VOICES_DIR, else voices/ in the cache folder), rather than on first use.")
@click.argument("names", nargs=-1, metavar="[NAMES]...")
@common_options
def voices(engine_id, lang, sample, cast_story, voices_file, out, download, names):
    """List the engine's voices, to copy into voices.yaml; --sample writes clips to choose them by ear. The
    neural engines' catalogues list every voice narrate can fetch, and whether it is here."""
    from rich.table import Table

    if download or names:
        _download_voices(engine_id, names)
        return

    if sample:
        from narrate.pipeline.auditions import (
            cast_auditions,
            engine_auditions,
            write_auditions,
        )

        if cast_story:
            from narrate import pipeline
            from narrate.casting.cast import build_casting
            from narrate.casting.castfile import cast_table

            config, script = pipeline.load(cast_story, voices_file)
            casting = build_casting(config, script.characters)
            auditions = cast_auditions(cast_table(script, config, casting), casting, config.data.language)
        else:
            auditions = engine_auditions(lang or "en", engine_id)
        files = write_auditions(out, auditions)
        click.echo(f"{len(files)} clips in {out}/")
        return

    out = console()
    from narrate import voicelib
    from narrate.engines import get_engine

    if voicelib.catalogue(engine_id):  # a row is ~105 columns wide: not folded into a narrower console's width
        out.width = max(out.width, 120)
        out.print(_catalogue_table(engine_id, lang))
        return
    listed = get_engine(engine_id).voices()
    variants = [v for v in listed if v.id.startswith("+")]
    table = Table("id", "language", "gender", "name", box=None)
    for voice in listed:
        if voice not in variants and (lang is None or voice.language.startswith(lang)):
            table.add_row(voice.id, voice.language, voice.gender, voice.name)
    out.print(table)
    if variants:
        out.print("\nvariants: append one to any voice id, e.g. en-us+f3", highlight=False)
        table = Table("variant", "gender", "name", box=None)
        for voice in variants:
            table.add_row(voice.id, voice.gender, voice.name)
        out.print(table)


def _catalogue_table(engine_id: str, lang: str | None):
    """The engine's catalogue: each voice with what it is, its size, and whether it is here."""
    from rich.table import Column, Table

    from narrate import voicelib
    from narrate.cache_limit import human_size

    table = Table(*(Column(name, no_wrap=True) for name in ("id", "language", "accent", "gender", "quality", "size",
                                                            "status")), box=None,
                  title=f"voice: {engine_id}:ID in voices.yaml (ID#N: voice N of a model of several); "
                        f"downloaded into {voicelib.voices_root()}", title_justify="left")
    entries = voicelib.catalogue(engine_id)
    listed = {entry.name for entry in entries}

    def unspoken(_voice_id: str) -> str | None:  # the engine, when installed, says which voices it cannot speak
        return None

    with contextlib.suppress(NarrateError):  # the engine's own bundled voices (piper's joe), when it is installed
        from narrate.engines import get_engine

        engine = get_engine(engine_id)
        unspoken = engine.unspoken
        for info in engine.voices():
            if info.id not in listed and (lang is None or info.language.startswith(lang)):
                table.add_row(info.id, info.language, "", info.gender, "", "", "bundled")
    # files several voices share (Kokoro's one model and voices file) are counted once, under the table
    sharing = Counter(file.path for entry in entries for file in entry.files)
    shared = {file.path: file for entry in entries for file in entry.files if sharing[file.path] > 1}
    for entry in entries:
        if lang is not None and not entry.language.startswith(lang):
            continue
        own = [f for f in entry.files if f.path not in shared]
        exact = all(f.size for f in own)
        own_size = sum(f.size or f.approx_size or 0 for f in own)
        size = ("" if exact else "~") + human_size(own_size) if own else "shared"
        gender = f"{entry.speakers} voices" if entry.speakers > 1 else entry.gender  # NAME#0 to NAME#<voices - 1>
        why_not = unspoken(entry.name)
        table.add_row(entry.name, entry.language, entry.accent, gender, entry.quality, size,
                      f"not offered ({why_not})" if why_not else voicelib.status(engine_id, entry.name))
    if shared:
        total = sum(f.size or f.approx_size or 0 for f in shared.values())
        exact = all(f.size for f in shared.values())
        table.caption = (f"shared by the voices marked so: {', '.join(PurePosixPath(p).name for p in shared)}, "
                         f"{'' if exact else '~'}{human_size(total)} once")
        table.caption_justify = "left"
    return table


def _download_voices(engine_id: str, names) -> None:
    """`voices --download NAMES`: each voice fetched now (or found here), checked, and said where it is."""
    from narrate import voicelib
    from narrate.errors import ConfigError

    if not names:
        raise ConfigError("voices --download: name the voices to fetch, e.g. narrate voices --download "
                          "piper:en_GB-alba-medium hibari:emma")
    for name in names:
        engine, mark, voice = name.partition(":")
        if not mark:
            engine, voice = engine_id, name
        with _download_bar():
            local = voicelib.ensure(engine, voicelib.split_speaker(voice)[0])
        if not run_options().quiet:
            state = ("checked against the catalogue's SHA-256" if local.entry.verified
                     else "SHA-256 recorded for later checks: none is published")
            click.echo(f"{engine}:{local.entry.name}: {', '.join(str(p) for p in local.paths)}; {state}", err=True)


@contextmanager
def _download_bar():
    """On a terminal, downloads started inside draw a bar of bytes; elsewhere main's plain lines say them."""
    if run_options().quiet or not sys.stderr.isatty():
        yield
        return
    from narrate.voicelib import reporting

    with progress_bar() as bar:
        task = bar.add_task("", total=None)
        with reporting(lambda p: bar.update(task, description=f"fetching {p.what} ({p.file})", total=p.total,
                                            completed=p.done)):
            yield


@cli.command(short_help="Hear a passage of a story, or speak a text, in seconds.")
@click.argument("story_or_text")
@click.option("--voices", metavar="FILE", type=click.Path(path_type=Path), help="voices.yaml to cast with.")
@click.option("--chapter", "chapters", metavar="N[-M]", help="Only this chapter or range, e.g. 3 or 2-4.")
@click.option("--lines", metavar="A-B", help="Segments A-B, numbered as `narrate script` prints them.")
@click.option("--find", metavar="WORDS", help="The paragraph holding these words.")
@click.option("--speaker", metavar="NAME", help="The first lines of this speaker.")
@click.option("--voice", "voice_id", metavar="ID", help="Text only: speak it with this voice id.")
@click.option("--as", "character", metavar="NAME", help="Text only: speak it as this character of voices.yaml.")
@click.option("--out", metavar="FILE", type=click.Path(path_type=Path),
              help="Write the audio here (.wav/.mp3) instead of playing it.")
@common_options
def preview(story_or_text, voices, chapters, lines, find, speaker, voice_id, character, out):
    """Hear a passage of STORY (a file), or speak TEXT, with the real casting, in seconds."""
    from narrate.pipeline import preview as previews

    target = out or Path(tempfile.mkdtemp(prefix="narrate-preview-")) / "preview.wav"
    if previews.is_story(story_or_text):
        passage = previews.preview_story(story_or_text, target, voices, chapters, lines, find, speaker)
    else:
        passage = previews.preview_text(story_or_text, target, voices, voice_id, character)
    if out is None and previews.play(passage.path):
        return
    if out is None and not run_options().quiet:
        click.echo("no audio player could play it here (ffplay, paplay, aplay, afplay); wrote the file instead",
                   err=True)
    click.echo(f"{passage.path} ({len(passage.segments)} segments, {passage.seconds:.1f} s)")


@cli.command(short_help="See, hear and fix a book's cast in the browser.")
@click.argument("story", type=click.Path(path_type=Path))
@click.option("--voices", metavar="FILE", type=click.Path(path_type=Path),
              help="voices.yaml to read and write fixes to (default: voices.yaml beside the story).")
@click.option("--port", metavar="N", type=click.IntRange(0, 65535), default=0,
              help="Port to listen on (default: a free one).")
@click.option("--host", metavar="ADDR", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but this machine lets others on the network in.")
@click.option("--no-browser", is_flag=True, help="Only print the URL; do not open a browser.")
@click.option("-o", "--out", "outdir", metavar="DIR", default="out", show_default=True, type=click.Path(path_type=Path),
              help="Directory the Build button writes the book to (as `narrate build -o`).")
@common_options
def studio(story, voices, port, host, no_browser, outdir):
    """Open STORY in the studio: read the script, hear any quote, fix who speaks (written to voices.yaml)."""
    from narrate.studio.app import LOCAL_HOSTS, create_app
    from narrate.studio.server import listen, serve, url_of
    from narrate.studio.session import Studio

    if host not in LOCAL_HOSTS:
        warn([f"--host {host}: anyone who can reach this address and learns the URL can change voices.yaml."])
    book = Studio(story, voices)
    warn(book.script.warnings)
    app = create_app(book, hosts=LOCAL_HOSTS if host in LOCAL_HOSTS else (*LOCAL_HOSTS, host), out=outdir)
    sock = listen(host, port)
    click.echo(f"narrate studio: {url_of(sock, app.state.token)}  (Ctrl-C stops it)")
    display = sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    try:
        serve(app, sock, open_browser=bool(display) and not no_browser)
    finally:
        app.state.builder.stop()  # a build the page started unwinds and stops its workers before we exit


@cli.command(short_help="The speech engines: version, voices, speed, how to install.")
@common_options
def engines():
    """Every speech engine: version, voices, speed, and the command that installs a missing one."""
    from rich.table import Table

    from narrate.engines.base import engine_class, engine_ids

    table = Table("engine", "version", "voices", "speed", "workers", "status", box=None)
    for engine_id in engine_ids():
        found = engine_class(engine_id)
        engine = found()
        if engine.available():
            table.add_row(engine_id, engine.version(), str(len(engine.voices())), found.speed_class, found.parallel,
                          "installed")
        else:
            table.add_row(engine_id, "-", "-", found.speed_class, found.parallel,
                          f"not installed: {found.install_hint}")
    console().print(table)


@cli.command(short_help="Measure every audio file against the loudness or ACX targets.")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--acx", is_flag=True, help="Judge the MP3s against ACX's submission rules instead.")
@click.option("--voices", metavar="FILE", type=click.Path(path_type=Path),
              help="voices.yaml whose output targets to use.")
@common_options
def check(outdir, acx, voices):
    """Measure every audio file in OUTDIR and pass or fail it against the targets."""
    from rich.console import Console
    from rich.table import Table

    from narrate.audio.check import ACX, check_dir, default_targets

    output = None
    if voices:
        from narrate.casting.config import load_config

        output = load_config(voices).data.output
    targets = ACX if acx else default_targets(output.loudness, max_true_peak=output.true_peak) if output \
        else default_targets()
    reports = check_dir(outdir, targets)
    # one row per file: a terminal folds what does not fit; a pipe or a log gets the rows whole
    out = console() if sys.stdout.isatty() else Console(width=240)
    table = Table("file", "LUFS", "dBTP", "RMS dB", "floor dB", "head s", "tail s", "length", "verdict", box=None,
                  title=f"{len(reports)} file(s) against the {targets.name} targets", title_justify="left")
    for report in reports:
        table.add_row(report.path.name, *_check_row(report))
    out.print(table)
    failed = [r.path.name for r in reports if not r.passed]
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(reports)} file(s) miss the {targets.name} targets: "
                          f"{', '.join(failed)}")
    if not run_options().quiet:
        out.print(f"all {len(reports)} file(s) meet the {targets.name} targets", highlight=False)


def _check_row(report) -> list[str]:
    """One file's figures for `check`'s table (a failed one in red) and its verdict: pass, or FAIL and what
    failed (with the value and the limit for what has no column of its own: rate, bitrate, length)."""
    checks = {item.name: item for item in report.checks}
    m = report.measurements

    def cell(name: str, text: str) -> str:
        return f"[red]{text}[/]" if checks[name].passed is False else text

    failed = [item for item in report.checks if item.passed is False]
    said = [item.name if item.name in _CHECK_COLUMNS else f"{item.name} {item.value} ({item.limit})"
            for item in failed]
    floor = "silent" if m.noise_floor_db == float("-inf") else f"{m.noise_floor_db:.1f}"
    return [cell("loudness", f"{m.loudness.integrated_lufs:.1f}"),
            cell("true peak", f"{m.loudness.true_peak_dbtp:.1f}"), cell("RMS level", f"{m.rms_db:.1f}"),
            cell("noise floor", floor),
            cell("head silence", f"{m.head_silence:.2f}"), cell("tail silence", f"{m.tail_silence:.2f}"),
            cell("duration", checks["duration"].value.removesuffix(" min")),
            "[red]FAIL[/] " + ", ".join(said) if failed else "[green]pass[/]"]


_CHECK_COLUMNS = {"loudness", "true peak", "RMS level", "noise floor", "head silence", "tail silence"}


@cli.group(short_help="The clip cache: where it is, what it holds; clear it.")
@common_options
def cache():
    """The clip cache (NARRATE_CACHE_DIR, else the platform cache directory), kept under NARRATE_CACHE_MAX
    (default 5G): over it, a build ends by removing what was used least recently, never what a running build
    uses."""


@cache.command("info", short_help="What the cache holds, per book and in all, and its cap.")
@common_options
def cache_info_command():
    """Where the cache is, what each book built with it takes (its clips and encoded units), what else it holds,
    and the total against NARRATE_CACHE_MAX."""
    import datetime

    from narrate.cache_limit import DEFAULT_MAX, MAX_VAR, human_size, usage

    found = usage()
    click.echo(f"{found.path}: {found.clips} clips, {human_size(found.total)} in all")
    for book in found.books:
        built = datetime.datetime.fromtimestamp(book.built).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{human_size(book.bytes):>8}  {book.title} ({book.clips} clips; built {built}): {book.story} "
                   f"-> {book.out}")
    click.echo(f"{human_size(found.other):>8}  other entries: previews, auditions, what no recorded book uses now")
    if found.older:
        click.echo(f"{human_size(found.older):>8}  earlier layouts, never read again: removed first when over the "
                   f"cap, or by `narrate cache clear`")
    cap = "no cap" if found.cap is None else f"cap {human_size(found.cap)}"
    setting = os.environ.get(MAX_VAR, "").strip() or f"{DEFAULT_MAX}, the default"
    running = f"; {found.builds_running} build(s) running" if found.builds_running else ""
    click.echo(f"total {human_size(found.total)}, {cap} ({MAX_VAR}={setting}){running}")


def _age(_ctx, _param, value: str | None) -> str | None:
    from narrate.cache_limit import parse_age

    if value is None:
        return None
    try:
        parse_age(value)
        return value
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an age: write a number and a unit, such as 12h, 30d or 2w "
                                 f"(s, m, h, d, w).") from None


@cache.command("clear", short_help="Delete every cached clip and mastered chapter, or what is unused for AGE.")
@click.option("--older-than", "older_than", metavar="AGE", callback=_age,
              help="Only what no build has used for AGE, such as 12h, 30d or 2w; never what a running build uses.")
@common_options
def cache_clear_command(older_than: str | None):
    """Delete every cached clip and mastered chapter (the next build makes everything again), or with
    --older-than only the entries no build has used for that long."""
    if older_than is None:
        from narrate.state import clear_cache

        removed = clear_cache()
        if not run_options().quiet:
            click.echo(f"removed {removed} clips")
        return
    from narrate.cache_limit import clear_older, human_size, parse_age

    gone = clear_older(parse_age(older_than))
    if not run_options().quiet:
        click.echo(f"removed {gone.entries} entries ({human_size(gone.bytes)}) unused for {older_than}; the cache "
                   f"holds {human_size(gone.left)}")


def _unwind_on_signals(options: RunOptions) -> dict:
    """Ctrl-C (SIGINT) and SIGTERM (a service manager stopping narrate, `kill`, `timeout`) both raise
    KeyboardInterrupt where the run is, so one unwinding stops the workers and removes temporary files; main then
    says "interrupted" (exit 130) or "terminated" (exit 143). Each first kills the running ffmpeg processes, so
    the threads feeding them stop at once rather than encode what is left. Returns the handlers replaced, to put
    back; none off the main thread (an embedding program keeps its own handling)."""
    def unwind(signum, _frame):
        if signum == signal.SIGTERM:
            options.terminated = True
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleaning-up short
        ffmpeg = sys.modules.get("narrate.ffmpeg")  # not imported: no ffmpeg runs (and no import in a handler)
        if ffmpeg is not None:
            ffmpeg.stop_all()
        raise KeyboardInterrupt

    replaced = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            replaced[signum] = signal.signal(signum, unwind)
    except ValueError:  # not the main thread
        pass
    return replaced


def _put_back(replaced: dict) -> None:
    for signum, handler in replaced.items():
        signal.signal(signum, handler)
    ffmpeg = sys.modules.get("narrate.ffmpeg")
    if ffmpeg is not None:
        ffmpeg.resume()


def _stopped(options: RunOptions):
    click.echo("terminated" if options.terminated else "interrupted", err=True)
    sys.exit(TERMINATED_EXIT if options.terminated else INTERRUPTED_EXIT)


class DownloadLines:
    """Voice downloads said in plain lines on stderr (unless quiet): what is fetched from where, and when it is
    whole; for the commands that draw no bar."""

    def __init__(self, options: RunOptions):
        self.options = options
        self.started: set[str] = set()

    def __call__(self, progress) -> None:
        if self.options.quiet:
            return
        size = f" ({progress.total / 1e6:.1f} MB)" if progress.total else ""
        if progress.file not in self.started:
            self.started.add(progress.file)
            click.echo(f"fetching {progress.what}: {progress.file}{size} from {progress.url}", err=True)
        elif progress.total is not None and progress.done >= progress.total:
            click.echo(f"fetched {progress.file}{size}", err=True)


def main(argv=None):
    """Entry point: the one place that turns errors into exit codes."""
    args = sys.argv[1:] if argv is None else list(argv)
    options = RunOptions()
    replaced = _unwind_on_signals(options)
    try:
        from narrate.download_progress import reporting

        with reporting(DownloadLines(options)):  # a command with a bar of its own reports there instead
            cli.main(args=args, prog_name="narrate", standalone_mode=False, obj=options)
    except NarrateError as err:
        if options.debug:
            traceback.print_exc()
        click.echo(click.style("error: ", fg="red") + str(err), err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        _stopped(options)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        _stopped(options)
    except BrokenPipeError:
        sys.exit(0)  # e.g. `narrate script ... | head`
    except Exception as err:  # a bug, not a user error: say so briefly unless asked for the traceback
        if options.debug or "--debug" in args:
            traceback.print_exc()
        else:
            click.echo(click.style("internal error: ", fg="red") + f"{type(err).__name__}: {err} "
                       f"(run again with --debug for the traceback)", err=True)
        sys.exit(INTERNAL_ERROR_EXIT)
    finally:
        _put_back(replaced)
        if argv is None:  # the process ends here: spare it the interpreter's last collection of every object
            gc.freeze()   # the libraries made (~35 ms); our files are all closed by now
    sys.exit(0)
