"""Fixes written into voices.yaml: an override for one quote, an alias for a merged speaker.

Through ruamel.yaml's round trip (castfile's settings), so the user's entries, order and comments stay; the file
is validated before (never merge into a broken file) and after (what we wrote must load), and renamed into place.
"""
from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from narrate.annotate.overrides import Override, matches
from narrate.casting.castfile import _round_trip_yaml
from narrate.casting.config import load_config
from narrate.errors import ConfigError
from narrate.model import NARRATOR, Segment
from narrate.state import atomic_path


def _load(path: Path):
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    if existing.strip():
        load_config(path)  # a file that does not validate is not merged into: its error names the fix
    yaml = _round_trip_yaml(existing)
    document = yaml.load(existing) if existing.strip() else None
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise ConfigError(f"{path}:1: the file must be a mapping of keys (language, narrator, characters, ...).")
    return yaml, document


def _save(path: Path, yaml, document: CommentedMap) -> None:
    out = io.StringIO()
    yaml.dump(document, out)
    with atomic_path(path) as tmp:
        tmp.write_text(out.getvalue(), encoding="utf-8")
        load_config(tmp)  # what we wrote must load, or the user's file stays as it was


def _characters(document: CommentedMap) -> CommentedMap:
    """The file's `characters:`, made when it has none; one line per character."""
    characters = document.get("characters")
    if characters is None:
        characters = document["characters"] = CommentedMap()
    characters.fa.set_block_style()
    return characters


def _entry(mapping: CommentedMap, key: str) -> CommentedMap:
    """mapping[key], made as a one-line `{...}` entry when it is missing."""
    entry = mapping.get(key)
    if entry is None:
        entry = mapping[key] = CommentedMap()
        entry.fa.set_flow_style()
    return entry


def write_override(path: str | Path, rule: Override, utterance: list[Segment]) -> None:
    """Give `rule.speaker` the quote `utterance` (its pieces): an entry of `overrides:` that already names it
    gets the new speaker, else `rule` is added in its own form (quote:, or chapter: and paragraph:)."""
    path = Path(path)
    yaml, document = _load(path)
    entries = document.get("overrides")
    if entries is None:
        entries = document["overrides"] = CommentedSeq()
    for entry in entries:
        old = Override(speaker=str(entry.get("speaker", "")), quote=entry.get("quote"), chapter=entry.get("chapter"),
                       paragraph=entry.get("paragraph"), every=bool(entry.get("all", False)))
        if not old.every and any(matches(old, piece) for piece in utterance):
            entry["speaker"] = rule.speaker
            break
    else:
        entry = CommentedMap()
        if rule.quote is not None:
            entry["quote"] = DoubleQuotedScalarString(rule.quote)  # ruamel leaves "quay," bare in a flow map
        else:
            entry["chapter"], entry["paragraph"] = rule.chapter, rule.paragraph
        entry["speaker"] = rule.speaker
        entry.fa.set_flow_style()
        entries.append(entry)
    _save(path, yaml, document)


def write_alias(path: str | Path, name: str, alias: str) -> None:
    """Make `alias` another name of `name` under `characters:` (the entry made when the file has none): a merge of
    two speakers, or a rename when `name` is new. `alias`'s own entry goes (its aliases move over; its voice would
    be a second claim on the name), and overrides that named `alias` name `name`."""
    path = Path(path)
    yaml, document = _load(path)
    characters = _characters(document)
    own = characters.pop(alias, None)
    entry = _entry(characters, name)
    aliases = entry.get("aliases")
    if isinstance(aliases, str):
        aliases = [aliases]
    aliases = list(aliases or [])
    for extra in [alias, *(((own or {}).get("aliases")) or [])]:
        if extra.lower() not in {a.lower() for a in aliases} and extra.lower() != name.lower():
            aliases.append(extra)
    listed = CommentedSeq(aliases)
    listed.fa.set_flow_style()
    entry["aliases"] = listed
    for override in document.get("overrides") or []:  # fixes given to the old name go with it
        if str(override.get("speaker", "")).lower() == alias.lower():
            override["speaker"] = name
    _save(path, yaml, document)


def write_text(path: Path, text: str | None) -> None:
    """voices.yaml put back as `text` (an undo), or removed when there was none."""
    if text is None:
        path.unlink(missing_ok=True)
        return
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_voice(path: str | Path, name: str, voice: str) -> None:
    """Give `name` (a character, or `narrator`) the voice id `voice`, keeping the rest of its entry."""
    write_settings(path, name, {"voice": voice})


def write_settings(path: str | Path, name: str, settings: dict) -> None:
    """Set keys of `name`'s entry (a character, or `narrator`): voice, gender, rate, pitch; the rest stays."""
    path = Path(path)
    yaml, document = _load(path)
    entry = _entry(document, "narrator") if name == NARRATOR else _entry(_characters(document), name)
    entry.update(settings)
    _save(path, yaml, document)


def write_split(path: str | Path, name: str, alias: str) -> None:
    """`alias` is no longer `name`: out of its `aliases:`, and a `characters:` entry of its own, which keeps the
    story's own linking of the two names apart too."""
    path = Path(path)
    yaml, document = _load(path)
    characters = _characters(document)
    entry = characters.get(name)
    aliases = (entry or {}).get("aliases")
    if isinstance(aliases, str):
        entry["aliases"] = aliases = CommentedSeq([aliases])
    if aliases:
        kept = [a for a in aliases if a.lower() != alias.lower()]
        if kept:
            aliases[:] = kept
        else:
            del entry["aliases"]
    _entry(characters, alias)
    _save(path, yaml, document)
