"""Reading a story into its script with voices.yaml applied: what `narrate script`, `cast`, preview and the
studio need, without the synthesis and audio modules a build imports (`narrate script` starts faster)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from narrate.annotate.kept import annotate_kept
from narrate.annotate.overrides import Override, apply_overrides, with_speakers
from narrate.annotate.scriptio import read_script_speakers
from narrate.casting.cast import cast_entries, unused_characters
from narrate.casting.config import Config, load_config, where
from narrate.errors import InputError
from narrate.ingest import load_book
from narrate.ingest.apparatus import SkipPattern
from narrate.model import Script
from narrate.request import find_voices_file


def load(story: str | Path, voices: str | Path | None = None, script_file: str | Path | None = None,
         include_front_matter: bool = False, voices_may_be_new: bool = False,
         pins: Sequence[Override] = ()) -> tuple[Config, Script]:
    """Read voices.yaml (looked up per find_voices_file), annotate the story with its cast, its `overrides:`
    and `pins` fixing speakers (the quotes around them decoded again), then apply the speakers of an edited
    script file when one is given. With `voices_may_be_new`, a `voices` path that does not exist yet means the
    built-in defaults."""
    new_file = voices_may_be_new and voices is not None and not Path(voices).exists()  # `cast --write` makes it
    config = load_config(None if new_file else find_voices_file(story, voices))
    book = load_book(story, include_front_matter=include_front_matter,
                     skip=[SkipPattern(pattern) for pattern in config.data.skip])
    data = config.data
    rules = [Override(speaker=o.speaker, quote=o.quote, chapter=o.chapter, paragraph=o.paragraph, every=o.every,
                      where=where(config, f"overrides.{n}")) for n, o in enumerate(data.overrides)]
    rules += pins
    script = annotate_kept(book, cast_entries(config), data.author_notes, data.first_person, rules)
    script = apply_overrides(script, rules)  # says which rule matches nothing
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


def parse_chapter_range(spec: str | None, count: int, option: str = "--chapters") -> list[int]:
    """'2-4', '3', '1,3-5' -> 1-based chapter numbers; None -> all. `option` is what the user typed (preview's
    is --chapter), for the error."""
    if not spec:
        return list(range(1, count + 1))
    chosen: list[int] = []
    for part in spec.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise InputError(f"{option} {spec!r}: write a number or a range such as 2-4 (or 1,3-5).")
        first, last = int(match[1]), int(match[2] or match[1])
        if not 1 <= first <= last <= count:
            has = "has one chapter" if count == 1 else f"has chapters 1-{count}"
            raise InputError(f"{option} {spec!r}: the story {has}.")
        chosen += [n for n in range(first, last + 1) if n not in chosen]
    return chosen
