"""Annotations kept in the cache: building, previewing or recasting a book again does not annotate it again
(150,000 words take ~2.3 s) while the book, what voices.yaml tells annotation and narrate itself are unchanged.

A voices.yaml entry that gives no aliases tells annotation nothing when the book's annotation without it finds a
speaker of that very name, of the same gender if it gives one (`Mara: {voice: en+f2, gender: female}` for the
Mara it found, a woman): such entries are left out, so giving found speakers their voices neither annotates the
book again nor changes who says what. `narrate cast --write` writes exactly such entries, so writing the cast
narrate found and running again changes no speaker.

Kept as JSON (never pickle: a cache directory may be shared), named by a digest of all that decides the result."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path

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
    annotating again. Not thread-safe: one caller at a time."""

    def __init__(self) -> None:
        self.settings: tuple | None = None
        self.readings: dict[tuple[CastEntry, ...], object] = {}  # per cast told: an annotate.Annotation

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
        if key in self.readings:
            self.readings[key], _ = redecode(self.readings[key], pins)
        else:
            self.readings[key] = annotation(book, cast, author_notes, first_person, pins)
        return self.readings[key].script


def _kept_or_made(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
                  pins: Sequence[Override]) -> Script:
    from narrate.annotate import annotate

    record = store_root() / "scripts" / f"{_key(book, cast, author_notes, first_person, pins)}.json"
    kept = _read(record, book)
    if kept is not None:
        return kept
    script = annotate(book, cast=cast, author_notes=author_notes, first_person=first_person, pins=pins)
    # a record says whether the script covered the book when it was made: then it must when it is read back
    write_record(record, json.dumps({**_as_data(script), "covers": _covers(book, script)},
                                    ensure_ascii=False).encode())
    return script


def _key(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
         pins: Sequence[Override]) -> str:
    weights = WEIGHTS_FILE.stat()  # the decoder's fitted weights decide too
    decided_by = [repr(book), [asdict(entry) for entry in cast], author_notes, first_person, code_stamp(),
                  metadata.version("english-words"),  # its word list tells names from words
                  [weights.st_size, weights.st_mtime_ns], [{**asdict(pin), "where": ""} for pin in pins]]
    return hashlib.sha256(json.dumps(decided_by, ensure_ascii=False).encode()).hexdigest()


def _as_data(script: Script) -> dict:
    return {"quote_style": script.book.quote_style, "segments": [asdict(s) for s in script.segments],
            "characters": [asdict(c) for c in script.characters], "warnings": list(script.warnings)}


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
