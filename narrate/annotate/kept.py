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
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path
from typing import Sequence

from narrate.annotate.overrides import Override
from narrate.model import Book, CastEntry, Character, Script, Segment
from narrate.state import atomic_path, cache_root, code_stamp

WEIGHTS_FILE = Path(__file__).with_name("weights.json")  # decoder.WEIGHTS_FILE, without importing numpy


def annotate_kept(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
                  pins: Sequence[Override] = ()) -> Script:
    """annotate(book, ...), from the cache when this very annotation was made before; the entries of `cast`
    that only repeat a speaker found without them are left out (see above). `pins` as annotate takes them."""
    def may_repeat(entry: CastEntry) -> bool:
        return not entry.aliases

    telling = [entry for entry in cast if not may_repeat(entry)]
    script = _kept_or_made(book, telling, author_notes, first_person, pins)
    found = {character.name: character.gender for character in script.characters}

    def repeats(entry: CastEntry) -> bool:
        return entry.name in found and entry.gender in (None, found[entry.name])

    if all(repeats(entry) for entry in cast if may_repeat(entry)):
        return script
    return _kept_or_made(book, [entry for entry in cast if not may_repeat(entry) or not repeats(entry)],
                         author_notes, first_person, pins)


def _kept_or_made(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str,
                  pins: Sequence[Override]) -> Script:
    from narrate.annotate import annotate

    record = cache_root() / "scripts" / f"{_key(book, cast, author_notes, first_person, pins)}.json"
    kept = _read(record, book)
    if kept is not None:
        return kept
    script = annotate(book, cast=cast, author_notes=author_notes, first_person=first_person, pins=pins)
    with atomic_path(record) as tmp:
        tmp.write_text(json.dumps(_as_data(script), ensure_ascii=False), encoding="utf-8")
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
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        return Script(book=replace(book, quote_style=data["quote_style"]),
                      segments=tuple(Segment(**s) for s in data["segments"]),
                      characters=tuple(Character(**{**c, "aliases": tuple(c["aliases"])}) for c in data["characters"]),
                      warnings=tuple(data["warnings"]))
    except (OSError, ValueError, KeyError, TypeError, RecursionError):  # none yet, unreadable, too deep: anew
        return None
