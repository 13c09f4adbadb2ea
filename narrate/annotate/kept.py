"""Annotations kept in the cache: building, previewing or recasting a book again does not annotate it again
(150,000 words take ~2.3 s) while the book, what voices.yaml tells annotation and narrate itself are unchanged.

A voices.yaml entry that gives no aliases tells annotation nothing when the book's annotation without it finds a
speaker of that very name, of the same gender if it gives one (`Mara: {voice: en+f2, gender: female}` for the
Mara it found, a woman): such entries are left out, so giving found speakers their voices neither annotates the
book again nor changes who says what. `narrate cast --write` writes exactly such entries, so writing the cast
narrate found and running again changes no speaker.

Kept as JSON (never a bare pickle: a cache directory may be shared), named by a digest of all that decides the
result. The Redecoder (the studio's fixes) also keeps its reading of the book beside them, which is no plain data:
a pickle, read back only when it carries this user's signature (`_signing_key`), so nobody else who can write the
cache can make narrate load one."""
from __future__ import annotations

import contextlib
import gc
import hashlib
import hmac
import json
import os
import pickle
import re
import secrets
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path

import msgspec

from narrate.annotate.overrides import Override
from narrate.model import Book, CastEntry, Character, Script, Segment
from narrate.state import cache_miss, code_stamp, read_record, store_root, write_record

WEIGHTS_FILE = Path(__file__).with_name("weights.json")  # decoder.WEIGHTS_FILE, without importing numpy


def annotate_kept(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
                  pins: Sequence[Override] = ()) -> Script:
    """annotate(book, ...), from the cache when this very annotation was made before; the entries of `cast`
    that only repeat a speaker found without them are left out (see above). `pins` as annotate takes them."""
    telling = _telling(cast)
    script = _kept_or_made(book, telling, author_notes, first_person, pins)
    told = cast_told(cast, script)
    if told == telling:
        return script
    return _kept_or_made(book, told, author_notes, first_person, pins)


def _telling(cast: Sequence[CastEntry]) -> list[CastEntry]:
    return [entry for entry in cast if entry.aliases]  # an entry without aliases may only repeat a speaker found


def cast_told(cast: Sequence[CastEntry], script: Script) -> list[CastEntry]:
    """The entries of `cast` that tell annotation something, `script` being the book annotated with those that
    give aliases: an entry without aliases for a speaker found (of its gender, if it gives one) tells nothing."""
    found = {character.name: character.gender for character in script.characters}
    return [entry for entry in cast
            if entry.aliases or entry.name not in found or entry.gender not in (None, found[entry.name])]


class Redecoder:
    """annotate_kept for a book whose pins change (a reviewer's fixes): called as annotate_kept is, it gives
    what annotate_kept gives, and while the book, cast and settings stay those of the call before, it keeps
    their reading and re-decodes only the conversations the new pins change (annotate.redecode) instead of
    annotating again. The reading is kept in the cache too (made once, ~1 s to read back on a novel instead of
    seconds to make), and each script it gives is kept as annotate_kept keeps its own, so the CLI finds it:
    through `keep_with(job)` when given (a thread of the caller's: the record costs ~0.15 s on a novel), else at
    once. Not thread-safe: one caller at a time."""

    def __init__(self, keep_with: Callable[[Callable[[], None]], object] | None = None) -> None:
        self.settings: tuple | None = None
        self.readings: dict[tuple[CastEntry, ...], object] = {}  # per cast told: an annotate.Annotation
        self.keep_with = keep_with or (lambda job: job())

    def __call__(self, book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
                 pins: Sequence[Override] = ()) -> Script:
        settings = (book, tuple(cast), author_notes, first_person)
        if settings != self.settings:
            self.settings, self.readings = settings, {}
        telling = _telling(cast)
        script = self._annotated(telling, pins)
        told = cast_told(cast, script)
        return script if told == telling else self._annotated(told, pins)

    def _annotated(self, cast: list[CastEntry], pins: Sequence[Override]) -> Script:
        from narrate.annotate import annotation, redecode

        book, _, author_notes, first_person = self.settings
        key = tuple(cast)
        reading = self.readings.get(key) or _kept_reading(book, cast, author_notes, first_person)
        if reading is not None:
            self.readings[key], _ = redecode(reading, pins)
        else:
            self.readings[key] = annotation(book, cast, author_notes, first_person, pins)
            _keep_reading(book, cast, author_notes, first_person, self.readings[key])
        script = self.readings[key].script
        record = _record(book, cast, author_notes, first_person, pins)
        if not record.exists():
            self.keep_with(lambda: _write(record, book, script))
        return script


def reading_kept(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str) -> bool:
    """A Redecoder's reading of this book is in the cache (then the first call takes ~1 s, not the seconds of
    making it): a quick look for the file, not a check of it."""
    return _reading_record(book, _telling(cast), author_notes, first_person).exists()


def _reading_record(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
                    root: Path | None = None) -> Path:
    script_key = _key(book, cast, author_notes, first_person, ())
    name = hashlib.sha256(f"reading of {script_key}".encode()).hexdigest()
    return (root or store_root()) / "scripts" / f"{name}.json"


def _keep_reading(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str, reading,
                  root: Path | None = None) -> None:
    """The Annotation (its reading of the book) in the cache (`root`: the store as it was when the reading was
    made, since it is kept later, from another thread): pickled, compressed, signed with this user's key. Not
    kept, and no error, when it cannot be (a cache not ours to write, a key not ours)."""
    key = _signing_key(root)
    if key is None:
        return
    try:
        with _no_collection():  # a reading is millions of objects: the collector would double the time
            body = zlib.compress(pickle.dumps(reading, protocol=pickle.HIGHEST_PROTOCOL), 1)
        write_record(_reading_record(book, cast, author_notes, first_person, root),
                     hmac.new(key, body, "sha256").digest() + body, publish="first")
    except (OSError, RecursionError, TypeError, AttributeError, pickle.PicklingError):  # some part cannot be
        pass  # pickled (a later change to the reading): the studio makes it again next time, as before


def _kept_reading(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str):
    """The Annotation _keep_reading kept for this book, cast and settings, or None: none, or one that is not
    signed with this user's key (a logged miss)."""
    record = _reading_record(book, cast, author_notes, first_person)
    key = _signing_key()
    body = read_record(record) if key is not None else None
    if body is None:
        return None
    signature, data = body[:32], body[32:]
    if not hmac.compare_digest(signature, hmac.new(key, data, "sha256").digest()):
        cache_miss(record, "not signed by this user")
        return None
    try:
        with _no_collection():
            reading = pickle.loads(zlib.decompress(data))
    except Exception:  # noqa: BLE001 (signed by us, so made by narrate: any failure means make it again)
        cache_miss(record, "not a reading narrate can use")
        return None
    if getattr(reading.reading, "decoded_with", None) is not None:
        from narrate.annotate.choose import shipped_weights

        # its decoded chains hold for the weights they were decoded with, compared by identity (choose._decoded):
        # those were the shipped weights, which the record's name includes, so they hold for this process's
        reading.reading.decoded_with = shipped_weights()
    return reading


@contextlib.contextmanager
def _no_collection():
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _signing_key(root: Path | None = None) -> bytes | None:
    """This user's key for the readings kept in the cache (made on first use, readable by this user only), or
    None when there is none to trust: a key file of another user, or one that others may read."""
    uid = os.getuid() if hasattr(os, "getuid") else None  # Windows: a user's cache is the user's own
    path = (root or store_root()) / f"reading-key.{uid}"
    with contextlib.suppress(FileExistsError, OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    try:
        with open(path, "rb") as file:
            stat = os.fstat(file.fileno())
            key = file.read()
    except OSError:
        return None
    if uid is not None and (stat.st_uid != uid or stat.st_mode & 0o077) or len(key) != 32:
        return None
    return key


def _kept_or_made(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
                  pins: Sequence[Override]) -> Script:
    from narrate.annotate import annotation

    record = _record(book, cast, author_notes, first_person, pins)
    kept = _read(record, book)
    if kept is not None:
        return kept
    made = annotation(book, cast=cast, author_notes=author_notes, first_person=first_person, pins=pins)
    _write(record, book, made.script)
    if not _reading_record(book, cast, author_notes, first_person).exists():
        # the reading too (~1 s to pickle on a novel, once): the studio opened on a book the terminal annotated
        # then reads it back, and its first fix re-decodes at once instead of annotating the book again
        _keep_reading(book, cast, author_notes, first_person, made)
    return made.script


def _record(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
            pins: Sequence[Override]) -> Path:
    return store_root() / "scripts" / f"{_key(book, cast, author_notes, first_person, pins)}.json"


def _write(record: Path, book: Book, script: Script) -> None:
    # a record says whether the script covered the book when it was made: then it must when it is read back
    write_record(record, msgspec.json.encode({**_as_data(script), "covers": _covers(book, script)}))


_last_book: tuple[Book, str] | None = None  # the last book asked and its repr (frozen: the same while it lives)


def _book_repr(book: Book) -> str:
    """repr(book), once per book: a novel's takes ~0.1 s, and a reviewer's every fix names the same book."""
    global _last_book
    last = _last_book
    if last is None or last[0] is not book:
        last = _last_book = (book, repr(book))
    return last[1]


def _key(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
         pins: Sequence[Override]) -> str:
    weights = WEIGHTS_FILE.stat()  # the decoder's fitted weights decide too
    decided_by = [_book_repr(book), [asdict(entry) for entry in cast], author_notes, first_person, code_stamp(),
                  metadata.version("english-words"),  # its word list tells names from words
                  [weights.st_size, weights.st_mtime_ns], [{**asdict(pin), "where": ""} for pin in pins]]
    return hashlib.sha256(json.dumps(decided_by, ensure_ascii=False).encode()).hexdigest()


def _as_data(script: Script) -> dict:
    # msgspec writes the dataclasses as asdict() would, ~10x faster (a novel's 26,000 segments: 0.3 s -> 0.03 s)
    return {"quote_style": script.book.quote_style, "segments": script.segments, "characters": script.characters,
            "warnings": list(script.warnings)}


def _read(record, book: Book) -> Script | None:
    body = read_record(record)  # None: none yet, or not what was written (a logged miss)
    if body is None:
        return None
    try:
        data = json.loads(body)
        characters = tuple(Character(**{**c, "aliases": tuple(c["aliases"])}) for c in data["characters"])
        script = Script(book=replace(book, quote_style=data["quote_style"]),
                        segments=tuple(Segment(**s) for s in data["segments"]), characters=characters,
                        warnings=tuple(data["warnings"]))
        if data["covers"] is not True or _covers(book, script):
            return script
    except (ValueError, KeyError, TypeError, RecursionError):  # unreadable, too deep: annotate anew
        pass
    cache_miss(record, "not a script of this book")
    return None


_WORDS = re.compile(r"[^\W_]+|\x00")  # the words, and where a segment ends


def _covers(book: Book, script: Script) -> bool:
    """The script reads the book: segments there are, in order without overlapping, each saying the words of
    its span of the source (markup aside)."""
    markup = sorted(span for chapter in book.chapters for block in chapter.blocks for span in block.markup)
    pieces, at = [], 0
    for start, end in markup:
        pieces += [book.source[at:max(at, start)], " " * max(0, end - max(at, start))]
        at = max(at, end)
    unmarked = "".join(pieces) + book.source[at:]
    end = 0
    for segment in script.segments:
        if not end <= segment.start <= segment.end <= len(unmarked):
            return False
        end = segment.end
    said = "\x00".join(segment.text for segment in script.segments).lower()
    written = "\x00".join(unmarked[segment.start:segment.end] for segment in script.segments).lower()
    return bool(script.segments) and _WORDS.findall(said) == _WORDS.findall(written)
