"""Annotations kept in the cache: building, previewing or recasting a book again does not annotate it again
(150,000 words take ~2.3 s) while the book, what voices.yaml tells annotation and narrate itself are unchanged.

A voices.yaml entry that gives no aliases and no gender tells annotation nothing when the book's annotation
without it finds a speaker of that very name (`Mara: {voice: en+f2}` for the Mara it found): such entries are
left out, so giving found speakers their voices neither annotates the book again nor changes who says what.

Kept as JSON (never pickle: a cache directory may be shared), named by a digest of all that decides the result."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from importlib import metadata
from typing import Sequence

from narrate.model import Book, CastEntry, Character, Script, Segment
from narrate.state import atomic_path, cache_root, code_stamp


def annotate_kept(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str) -> Script:
    """annotate(book, ...), from the cache when this very annotation was made before; the entries of `cast`
    that only name a speaker found without them are left out (see above)."""
    def tells(entry: CastEntry) -> bool:
        return bool(entry.aliases or entry.gender)

    script = _kept_or_made(book, [entry for entry in cast if tells(entry)], author_notes, first_person)
    found = {character.name for character in script.characters}
    if all(tells(entry) or entry.name in found for entry in cast):
        return script
    return _kept_or_made(book, [entry for entry in cast if tells(entry) or entry.name not in found],
                         author_notes, first_person)


def _kept_or_made(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str) -> Script:
    from narrate.annotate import annotate

    record = cache_root() / "scripts" / f"{_key(book, cast, author_notes, first_person)}.json"
    kept = _read(record, book)
    if kept is not None:
        return kept
    script = annotate(book, cast=cast, author_notes=author_notes, first_person=first_person)
    with atomic_path(record) as tmp:
        tmp.write_text(json.dumps(_as_data(script), ensure_ascii=False), encoding="utf-8")
    return script


def _key(book: Book, cast: Sequence[CastEntry], author_notes: bool, first_person: str) -> str:
    decided_by = [repr(book), [asdict(entry) for entry in cast], author_notes, first_person, code_stamp(),
                  metadata.version("english-words")]  # its word list tells names from words
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
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or unreadable: annotate afresh
        return None
