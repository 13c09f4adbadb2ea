"""One book open in the studio: the script and casting as the CLI's core functions make them, and the fixes.

Nothing here is a second pipeline: the script is `pipeline.load` (annotation, voices.yaml's `overrides:` as pins,
so the quotes around a fixed one are decoded again), the voices `build_casting`, the audio the preview's
renderer through the clip cache. A fix is written to voices.yaml and the book loaded again from it, so the
studio shows exactly what a later `narrate build` makes. When a fix changed only `overrides:` (a reassign, its
undo), the book is not annotated again: the rules' reading of it re-decodes the conversations the new pins change
(annotate.kept.Redecoder), which gives the same script, and keeps it in the cache as `narrate build` would, so the
CLI finds it. The reading is kept in the cache too: read back before the URL is printed when it is there (~1 s on
a novel), else made on a thread once the page has its first segments (seconds; a fix made meanwhile waits).
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import tempfile
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path

import msgspec

from narrate import pipeline
from narrate.annotate import kept
from narrate.annotate.kept import Redecoder, cast_told, reading_kept
from narrate.annotate.overrides import Dialogue, Override, apply_overrides
from narrate.casting.cast import (
    build_casting,
    cast_entries,
    check_voice_ids,
    lines_for,
    unused_characters,
)
from narrate.casting.config import Config, load_config, where
from narrate.errors import InputError
from narrate.model import NARRATOR, UNKNOWN, Book, Script, Segment
from narrate.pipeline.preview import _render
from narrate.request import DEFAULT_VOICES_FILE, find_voices_file, story_folder
from narrate.state import store_root
from narrate.studio import voicesfile
from narrate.synthesis import LocalPool

LOADED_QUOTE_STYLE = fields(Book)[[f.name for f in fields(Book)].index("quote_style")].default  # annotate sets it
LOW_CONFIDENCE = 0.5  # a quote under this is marked for review (scriptio's REVIEW_BELOW starts here)
FIRST_PAGE_WAIT = 3.0  # seconds a reading to make waits for the page's first segments (they share one GIL)
KEEP_WHEN_QUIET = 2.0  # seconds without a fix before a reading made here is pickled into the cache


@dataclass(frozen=True)
class Reading:
    """The book as the Redecoder read it: the voices.yaml it was read with, and the story file's stamp then."""

    config: Config
    book: Book
    story_stamp: tuple[int, int]


@dataclass(frozen=True)
class Change:
    index: int
    text: str
    before: str
    after: str


def utterance_key(segment: Segment) -> int:
    return segment.utterance if segment.utterance is not None else -1 - segment.index


def colour(speaker: str) -> str:
    """A speaker's colour, the same on every load: a hue from the name's digest."""
    if speaker == NARRATOR:
        return "hsl(0, 0%, 45%)"
    if speaker == UNKNOWN:
        return "hsl(0, 0%, 65%)"
    hue = int(hashlib.sha256(speaker.encode("utf-8")).hexdigest()[:4], 16) % 360
    return f"hsl({hue}, 65%, 38%)"


class Studio:
    def __init__(self, story: str | Path, voices: str | Path | None = None) -> None:
        self.story = Path(story)
        self.voices_given = voices
        self.voices_path = Path(voices) if voices is not None else story_folder(story) / DEFAULT_VOICES_FILE
        self.lock = threading.RLock()  # one fix at a time; reads see a whole book
        self.undone: list[tuple[str | None, str]] = []  # per fix: voices.yaml before it (None: none) and after
        self.redone: list[tuple[str | None, str]] = []
        # the scripts the Redecoder gives are kept in the cache on a thread of their own (~0.15 s each on a
        # novel), in order; they are written before the process ends
        self.keeper = ThreadPoolExecutor(1, thread_name_prefix="studio-keep")
        self.redecoder = Redecoder(keep_with=self.keeper.submit)
        self.reading: Reading | None = None
        self.reading_lock = threading.Lock()  # held while the reading is made (in the background) or used
        self.page_shown = threading.Event()  # the API's first segments are sent: a reading may take the CPU now
        self.fixed_at = 0.0  # when the last fix answered (time.monotonic)
        self.unkept: list[tuple] = []  # a reading made here and not yet kept in the cache (_keep_readings' args)
        self._keep_at_exit = weakref.finalize(self, _keep_readings, self.unkept)  # if still unkept by then
        self.reload()
        # one synthesis worker for the session, started now with the narrator's engine loaded, so an uncached
        # line is spoken at once (a worker of its own took ~0.5 s to start); started from the thread that makes
        # the studio (the CLI's main thread), it dies with narrate (narrate/children.py)
        self.pool = LocalPool()
        self.pool_lock = threading.Lock()  # a pool serves one render at a time
        self._stop_pool = weakref.finalize(self, self.pool.close)  # at close(), when collected, or at exit
        self.pool.warm(1, self.casting.narrator.engine)

    def close(self) -> None:
        """Stop the session's synthesis worker."""
        self._stop_pool()

    def reload(self) -> None:
        with self.lock:
            stamp = _file_stamp(self.story)  # before reading it: a story changed meanwhile is not taken for this
            config, script = pipeline.load(self.story, self.voices_given, voices_may_be_new=True)
            check_voice_ids(config)
            self._use(config, script)
            self.reading_lock.acquire()  # released by _read once the reading is made
            book = replace(script.book, quote_style=LOADED_QUOTE_STYLE)  # the book load_book gave pipeline.load
            data = config.data
            if reading_kept(book, cast_entries(config), data.author_notes, data.first_person):
                self._read(config, book, stamp)  # read back from the cache: the first fix is as quick as any
                return
            threading.Thread(target=self._read, args=(config, book, stamp, FIRST_PAGE_WAIT, True), daemon=True,
                             name="studio-reading").start()

    def _use(self, config: Config, script: Script) -> None:
        self.config, self.script = config, script
        self.casting = build_casting(config, script.characters)
        self.voices_stamp = self._stamp()

    def _read(self, config: Config, book: Book, stamp: tuple[int, int], wait: float = 0.0,
              make: bool = False) -> None:
        """The Redecoder's reading of the book for the fixes: read back from the cache, or (`make`) made while
        the page is read (seconds on a novel), after its first segments are sent or `wait` seconds."""
        self.page_shown.wait(wait)
        try:
            cast, data, rules = cast_entries(config), config.data, override_rules(config)
            if not make or self._made(book, cast, data.author_notes, data.first_person, rules):
                self.redecoder(book, cast, data.author_notes, data.first_person, rules)
            self.reading = Reading(config, book, stamp)
            _out_of_collection()
        except Exception:  # noqa: BLE001 (the fixes load the book the full way, which reports what went wrong)
            self.reading = None
        finally:
            self.reading_lock.release()

    def _made(self, book: Book, cast: list, author_notes: bool, first_person: str, rules: list[Override]) -> bool:
        """Make the reading kept.Redecoder starts from and hand it over as its own. Made by the Redecoder, it
        would be pickled into the cache at once (~1 s more, holding the interpreter, while a first fix waits for
        it); here it is kept once no fix has come for KEEP_WHEN_QUIET seconds (or by `settled`, or at exit).
        True when the Redecoder must still be asked: the cast tells annotation more once the book is read."""
        from narrate.annotate import annotation

        telling = [entry for entry in cast if entry.aliases]  # what the Redecoder tells annotation first
        made = annotation(book, telling, author_notes, first_person, rules)
        self.redecoder.settings = (book, tuple(cast), author_notes, first_person)
        self.redecoder.readings = {tuple(telling): made}
        self.unkept[:] = [(book, telling, author_notes, first_person, made, store_root())]  # kept there, later
        self.fixed_at = time.monotonic()
        threading.Thread(target=self._keep_when_quiet, daemon=True, name="studio-keep-reading").start()
        return cast_told(cast, made.script) != telling

    def _keep_when_quiet(self) -> None:
        while True:
            with self.lock:  # not in the middle of a fix
                quiet = time.monotonic() - self.fixed_at
                if quiet >= KEEP_WHEN_QUIET:
                    with contextlib.suppress(RuntimeError):  # narrate is exiting: the finalizer keeps it
                        self.keeper.submit(_keep_readings, self.unkept)
                    return
            time.sleep(KEEP_WHEN_QUIET - quiet)

    def _redecoded(self) -> bool:
        """voices.yaml changed only in `overrides:` since the reading (and the story not at all): take the new
        script from the reading (the same script pipeline.load gives), and say so; else False."""
        voices = None if self.voices_given is not None and not Path(self.voices_given).exists() else \
            find_voices_file(self.story, self.voices_given)
        config = load_config(voices)
        self.page_shown.set()  # a fix needs the reading now: it need not wait for the page
        with self.reading_lock:
            reading = self.reading
            if reading is None or _file_stamp(self.story) != reading.story_stamp or \
                    msgspec.structs.replace(config.data, overrides=[]) != \
                    msgspec.structs.replace(reading.config.data, overrides=[]):
                return False
            rules = override_rules(config)
            data = config.data
            script = self.redecoder(reading.book, cast_entries(config), data.author_notes, data.first_person, rules)
        script = apply_overrides(script, rules)  # as pipeline.load: says which rule matches nothing
        check_voice_ids(config)
        self._use(config, replace(script, warnings=(*script.warnings, *unused_characters(script, config))))
        return True

    def settled(self) -> None:
        """Wait until the scripts of the fixes made so far, and a reading made here, are kept in the cache (where
        the CLI and the studio opened again find them)."""
        self.keeper.submit(_keep_readings, self.unkept).result()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.voices_path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def reload_if_changed(self) -> bool:
        """voices.yaml edited on disk since we read it: read it again rather than write over the edit."""
        with self.lock:
            if self._stamp() == self.voices_stamp:
                return False
            self.reload()
            return True

    def segment(self, index: int) -> Segment:
        if not 0 <= index < len(self.script.segments):
            raise InputError(f"segment {index}: the book has segments 0-{len(self.script.segments) - 1}.")
        return self.script.segments[index]

    def audio(self, index: int) -> tuple[Path, list[str]]:
        """The segment read as the book reads it (its voice, through the clip cache), as a WAV file; and the keys
        of its clips in the cache (a recast gives new ones)."""
        segment = self.segment(index)
        if segment.kind == "skipped":
            raise InputError(f"segment {index} is skipped: it is not read aloud.")
        with self.lock:
            config, casting = self.config, self.casting
        handle, name = tempfile.mkstemp(prefix="narrate-studio-", suffix=".wav")  # the API removes it once sent
        os.close(handle)
        out = Path(name)
        with self.pool_lock:
            _render([segment], config, casting, out, self.pool)
        return out, [line.key for line in lines_for([segment], casting, config.data.language)]

    def reassign(self, index: int, speaker: str) -> list[Change]:
        """Give the quote (every piece of its utterance) to `speaker` in voices.yaml, load the book again and
        return the other quotes whose speaker changed with it."""
        speaker = speaker.strip()
        if not speaker:
            raise InputError("a speaker's name is needed: type one, or pick one of the cast.")
        with self.lock:
            self.reload_if_changed()
            segment = self.segment(index)
            if segment.kind != "dialogue":
                raise InputError(f"segment {index} is {segment.kind}, not a quote: only quotes have a speaker to fix.")
            pieces = [s for s in self.script.segments
                      if s.kind == "dialogue" and utterance_key(s) == utterance_key(segment)]
            rule = self._rule(segment, pieces, speaker)
            return self._fix(lambda: voicesfile.write_override(self.voices_path, rule, pieces),
                             skip=utterance_key(segment))

    def merge(self, alias: str, into: str) -> list[Change]:
        """`alias` becomes another name of `into` (voices.yaml `aliases:`); returns the quotes that changed."""
        self._check_speaker(alias)
        self._check_speaker(into)
        if alias == into:
            raise InputError("pick two different speakers to merge.")
        with self.lock:
            self.reload_if_changed()
            return self._fix(lambda: voicesfile.write_alias(self.voices_path, into, alias))

    def rename(self, name: str, new: str) -> list[Change]:
        """Call `name` `new` from now on: the old name stays as an alias, so the story's own uses still find it."""
        self._check_speaker(name)
        new = " ".join(new.split())
        if not new or new.lower() in (NARRATOR, UNKNOWN):
            raise InputError(f"{new!r}: give the speaker a name of its own.")
        if new in self._speakers():
            raise InputError(f"{new!r} already speaks in this book: merge {name} into {new} instead.")
        with self.lock:
            self.reload_if_changed()
            return self._fix(lambda: voicesfile.write_alias(self.voices_path, new, name))

    def split(self, name: str, alias: str) -> list[Change]:
        """The other name `alias` becomes a character of its own again; returns the quotes that changed."""
        self._check_speaker(name)
        known = {a.lower() for c in self.script.characters if c.name == name for a in c.aliases}
        if alias.lower() not in known:
            raise InputError(f"{alias!r} is not another name of {name}: split off one of its aliases "
                             f"({', '.join(sorted(known)) or 'it has none'}).")
        with self.lock:
            self.reload_if_changed()
            return self._fix(lambda: voicesfile.write_split(self.voices_path, name, alias))

    def recast(self, name: str, voice: str) -> list[Change]:
        """Give a speaker (or the narrator) another voice, checked before voices.yaml is written: a voice of its
        engine, or of another one as `engine:voice` (`piper:en_GB-alba-medium`), written as `engine:` and `voice:`."""
        from narrate.engines import get_engine
        from narrate.engines.base import is_engine

        if name != NARRATOR:
            self._check_speaker(name)
        voice = voice.strip()
        prefix, mark, rest = voice.partition(":")
        if mark and is_engine(prefix.strip()):
            engine, voice = prefix.strip(), rest.strip()
            settings = {"engine": engine, "voice": voice}
        else:
            engine = self.casting.voice_for(name).engine if name != NARRATOR else self.casting.narrator.engine
            settings = {"voice": voice}
        nearest = get_engine(engine).suggest_voices(voice)
        if not voice or nearest is not None:
            raise InputError(f"voice {voice!r}: {engine} has no such voice. Nearest: {', '.join(nearest or []) or 'none'}; "
                             f"`narrate voices --engine {engine}` lists them all.")
        with self.lock:
            self.reload_if_changed()
            return self._fix(lambda: voicesfile.write_settings(self.voices_path, name, settings))

    def voice_ids(self) -> list[str]:
        """What the page's voice picker offers: every installed engine's voices (`narrate voices`), those of the
        narrator's engine by their ids, the others' as `engine:voice`; espeak's in the book's language also with
        each of its variants (`en-us+f3`)."""
        from narrate.engines import get_engine
        from narrate.engines.base import engine_ids

        own, language = self.casting.narrator.engine, self.config.data.language.split("-")[0]
        offered: list[str] = []
        for engine_id in [own, *sorted(set(engine_ids()) - {own})]:
            engine = get_engine(engine_id)
            try:
                listed = engine.voices() if engine.available() else []
            except Exception:  # noqa: BLE001 (an engine that cannot list its voices offers none; the rest still do)
                listed = []
            prefix = "" if engine_id == own else f"{engine_id}:"
            variants = [info.id for info in listed if info.id.startswith("+")]
            for info in sorted(listed, key=lambda info: info.id):
                if info.id in variants:
                    continue
                offered.append(prefix + info.id)
                if info.language.split("-")[0] == language:
                    offered += [f"{prefix}{info.id}{variant}" for variant in variants]
        return offered

    def _speakers(self) -> set[str]:
        return {s.speaker for s in self.script.segments if s.kind == "dialogue"} - {NARRATOR, UNKNOWN}

    def _check_speaker(self, name: str) -> None:
        if name not in self._speakers():
            raise InputError(f"{name!r} is not a speaker of this book: pick one of the cast.")

    def _rule(self, segment: Segment, pieces: list[Segment], speaker: str) -> Override:
        """The override as a user would write it: the quote's words when only this quote has them, else its
        chapter and paragraph when no other quote shares the paragraph."""
        dialogue = Dialogue(self.script.segments)  # the quotes a rule may name, without matching every one
        words = max(pieces, key=lambda s: len(s.text)).text
        by_words = Override(speaker=speaker, quote=words)
        if {utterance_key(s) for s in dialogue.hits(by_words)} == {utterance_key(segment)}:
            return by_words
        by_place = Override(speaker=speaker, chapter=segment.chapter, paragraph=segment.paragraph + 1)
        if {utterance_key(s) for s in dialogue.hits(by_place)} == {utterance_key(segment)}:
            return by_place
        raise InputError(f"segment {segment.index}: its words are in other quotes too and its paragraph holds "
                         f"another quote, so no override can name it alone. Write one in voices.yaml by hand "
                         f"(`narrate script --review` shows chapter and paragraph).")

    def undo(self) -> list[Change]:
        """Put voices.yaml back as it was before the last fix (refused if it was edited since)."""
        return self._step(self.undone, self.redone, "undo")

    def redo(self) -> list[Change]:
        return self._step(self.redone, self.undone, "redo")

    def _step(self, source: list, target: list, what: str) -> list[Change]:
        with self.lock:
            if not source:
                raise InputError(f"nothing to {what}.")
            before, after = source[-1]
            if self._text() != after:
                raise InputError(f"{self.voices_path} was changed outside the studio since that fix; {what} would "
                                 f"lose that change, so it was not done. Edit the file by hand instead.")
            voicesfile.write_text(self.voices_path, before)
            source.pop()
            target.append((after, before))
            return self._reloaded_changes(skip=None)

    def _fix(self, write, skip: int | None = None) -> list[Change]:
        before = self._text()
        write()
        self.undone.append((before, self._text()))
        self.redone.clear()
        return self._reloaded_changes(skip)

    def _text(self) -> str | None:
        try:
            return self.voices_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def _reloaded_changes(self, skip: int | None) -> list[Change]:
        before = self.script
        if not self._redecoded():
            self.reload()
        self.fixed_at = time.monotonic()
        return changes(before, self.script, skip)


def _out_of_collection() -> None:
    """A reading is millions of objects that live as long as it is used: kept out of the collector's full passes,
    which would otherwise walk them all (~1 s on a novel) in the middle of some request (gc.freeze). A reading
    made after a merge replaces the one before, whose cycles only a collection frees: the frozen ones are
    collected first (a full pass, once per such fix)."""
    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()
    gc.freeze()


def _keep_readings(unkept: list[tuple]) -> None:
    """Keep in the cache the reading made here that is still to keep (as the Redecoder keeps its own)."""
    while unkept:
        kept._keep_reading(*unkept.pop())


def override_rules(config: Config) -> list[Override]:
    """voices.yaml's `overrides:` as annotation's pins, as pipeline.load makes them."""
    return [Override(speaker=o.speaker, quote=o.quote, chapter=o.chapter, paragraph=o.paragraph, every=o.every,
                     where=where(config, f"overrides.{n}")) for n, o in enumerate(config.data.overrides)]


def _file_stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def changes(before: Script, after: Script, skip: int | None) -> list[Change]:
    """Quotes whose speaker differs between two loads of the same book (the fixed quote itself left out)."""
    found = []
    for old, new in zip(before.segments, after.segments):
        if new.kind == "dialogue" and old.speaker != new.speaker and utterance_key(new) != skip:
            found.append(Change(index=new.index, text=new.text, before=old.speaker, after=new.speaker))
    return found
