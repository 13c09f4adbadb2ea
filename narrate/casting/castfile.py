"""The cast of a story: who speaks, how much, with which voice and why; and voices.yaml written for it.

`write_voices` creates voices.yaml or merges into it through ruamel.yaml's round trip, so the user's entries,
their order and their comments stay as they were; only speakers the file does not name yet are added, with
the voices auto-casting gave them, which makes those voices the user's to change.
"""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

from narrate.casting.cast import Casting
from narrate.casting.config import Config, load_config
from narrate.model import NARRATOR, UNKNOWN, Script, Voice
from narrate.state import atomic_path


@dataclass(frozen=True)
class CastRow:
    speaker: str  # a character's name, "narrator" or "unknown"
    lines: int  # utterances (a quote split by a speech tag is one); the narrator's: narration segments too
    words: int
    gender: str | None  # voices.yaml's, else the story's ("neutral": it does not say); None: narrator, unknown
    voice_id: str
    source: str  # voices.yaml | auto (not in the file) | default (in the file, without a voice) | fallback
    pitch: int = Voice.pitch
    engine: str = Voice.engine
    semitones: float = 0.0
    tempo: float = 1.0
    aliases: tuple[str, ...] = ()  # the other names the story calls the speaker by
    gender_source: str = ""  # where the gender came from: voices.yaml, text pronouns, title, name list, description


def cast_table(script: Script, config: Config, casting: Casting) -> list[CastRow]:
    """A row per speaker of the script, plus the narrator and the unknown speaker, most lines first."""
    lines, words = _spoken_counts(script)
    found = {c.name: c for c in script.characters}
    rows = [_row(NARRATOR, lines, words, None, casting.narrator,
                 "voices.yaml" if config.data.narrator.voice else "default"),
            _row(UNKNOWN, lines, words, None, casting.unattributed,
                 "voices.yaml" if config.data.unattributed.voice else "default")]
    for speaker in lines.keys() - {NARRATOR, UNKNOWN}:
        spec = config.data.characters.get(speaker)
        character = found.get(speaker)
        gender, gender_source = (spec.gender, "voices.yaml") if spec and spec.gender else (None, "")
        if gender is None and character is not None:
            gender, gender_source = character.gender, character.gender_source
        row = _row(speaker, lines, words, gender, casting.voice_for(speaker), casting.sources.get(speaker, "fallback"))
        rows.append(replace(row, aliases=character.aliases if character else (), gender_source=gender_source))
    return sorted(rows, key=lambda row: (-row.lines, row.speaker))


def _row(speaker: str, lines: dict[str, int], words: dict[str, int], gender: str | None, voice: Voice,
         source: str) -> CastRow:
    return CastRow(speaker=speaker, lines=lines.get(speaker, 0), words=words.get(speaker, 0), gender=gender,
                   voice_id=voice.voice, source=source, pitch=voice.pitch, engine=voice.engine,
                   semitones=voice.semitones, tempo=voice.tempo)


def _spoken_counts(script: Script) -> tuple[dict[str, int], dict[str, int]]:
    """Lines and words per speaker of what is read aloud; the narrator also reads the narration."""
    utterances: dict[str, set] = defaultdict(set)
    words: dict[str, int] = defaultdict(int)
    for segment in script.segments:
        if segment.kind == "skipped" or not segment.text.strip():
            continue
        if segment.kind == "dialogue":
            speaker = segment.speaker
            line = segment.utterance if segment.utterance is not None else -1 - segment.index
        else:
            speaker, line = NARRATOR, -1 - segment.index
        utterances[speaker].add(line)
        words[speaker] += len(segment.text.split())
    return {speaker: len(keys) for speaker, keys in utterances.items()}, words


def write_voices(path: str | Path, script: Script, config: Config | None, casting: Casting) -> list[str]:
    """Create voices.yaml at `path`, or merge into the one there: each speaker of the script that the file
    does not name yet (by name or alias) is added under `characters:`, busiest first, with the voice (and
    pitch) `casting` gave it and its gender when the story shows it. `config` is the file's, or None when
    there is none yet (the new file then gets the built-in language).

    Returns the names added. An existing file is left untouched when there are none, so writing twice
    gives the same file."""
    path = Path(path)
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    if existing is not None:
        config = load_config(path)  # never merge into a file that does not validate: its error names the fix
    config = config or load_config(None)
    yaml = _round_trip_yaml(existing or "")
    kept = ""  # what of the file its YAML document cannot carry
    if existing is None:
        document = _new_document(script, config, casting)
    else:
        document = yaml.load(existing)
        if document is None:  # empty, or comments only: ruamel drops them, so they are written back as they are
            kept = existing.rstrip("\n") + "\n" if existing.strip() else ""
            document = CommentedMap()
    added = _add_speakers(document, cast_table(script, config, casting), yaml.map_indent)
    if existing is not None and not added:
        return []
    out = io.StringIO()
    yaml.dump(document, out)
    with atomic_path(path) as tmp:
        tmp.write_text(kept + out.getvalue(), encoding="utf-8")
    return added


def _round_trip_yaml(text: str) -> YAML:
    """A round-trip YAML that writes `text` back as it was: its indentation, its quotes, its long lines."""
    yaml = YAML()
    yaml.width = 4096
    yaml.preserve_quotes = True
    _, sequence, dash = load_yaml_guess_indent(text)  # for block sequences; it mistakes them for mappings
    nested = [len(line) - len(line.lstrip(" ")) for line in text.splitlines()
              if line.startswith(" ") and not line.lstrip().startswith(("#", "- "))]
    mapping = min(nested, default=2)
    yaml.indent(mapping=mapping, sequence=sequence or mapping, offset=dash or 0)
    return yaml


def _new_document(script: Script, config: Config, casting: Casting) -> CommentedMap:
    document = CommentedMap()
    document.yaml_set_start_comment(
        f"Casting for {Path(script.book.path).name}, written by narrate. Change any voice, add pitch, rate or\n"
        f"aliases: your entries and comments are kept when narrate adds speakers. `narrate voices` lists voices.")
    document["language"] = config.data.language
    document["narrator"] = _voice_entry(casting.narrator)
    unattributed = casting.unattributed
    if (unattributed.engine, unattributed.voice, unattributed.pitch) != (Voice.engine, config.unattributed_voice,
                                                                        Voice.pitch):  # cast --engine chose it
        document["unattributed"] = _voice_entry(unattributed)
    document["characters"] = CommentedMap()
    return document


def _voice_entry(voice: Voice) -> CommentedMap:
    """A voice as voices.yaml writes it: only what differs from the defaults."""
    entry = _flow(voice=voice.voice) if voice.engine == Voice.engine else _flow(engine=voice.engine, voice=voice.voice)
    if voice.semitones:
        entry["semitones"] = voice.semitones
    if voice.tempo != 1:
        entry["tempo"] = voice.tempo
    if voice.pitch != Voice.pitch and voice.engine == Voice.engine:  # neural voices take pitch from semitones
        entry["pitch"] = voice.pitch
    return entry


def _add_speakers(document: CommentedMap, rows: list[CastRow], indent: int) -> list[str]:
    """Adds the rows' speakers that `characters:` does not name yet (indented by `indent`, their comments
    lined up); returns their names."""
    characters = document.get("characters")
    claimed = _claimed_names(characters or {})
    new = []
    for row in rows:  # one entry per name, as voices.yaml's reader counts names: without regard to case
        if row.speaker not in (NARRATOR, UNKNOWN) and row.speaker.lower() not in claimed:
            claimed.add(row.speaker.lower())
            new.append(row)
    if not new:
        return []
    if characters is None:  # no `characters:`, or one left empty
        characters = document["characters"] = CommentedMap()
    characters.fa.set_block_style()  # `characters: {}` grows one line per speaker, not one long line
    following = _detach_following_lines(characters)
    entries = {row.speaker: _entry(row) for row in new}
    width = max(len(f"{name}: {{{', '.join(f'{k}: {v}' for k, v in entry.items())}}}")
                for name, entry in entries.items())
    for row in new:
        characters[row.speaker] = entries[row.speaker]
        lines = f"{row.lines} line" if row.lines == 1 else f"{row.lines} lines"
        characters.yaml_add_eol_comment(f"{lines} (auto-cast)", row.speaker, column=indent + width + 2)
    if following:
        last = characters.ca.items[new[-1].speaker][2]
        last.value = last.value.rstrip("\n") + "\n" + following
    return [row.speaker for row in new]


def _detach_following_lines(characters: CommentedMap) -> str:
    """Removes and returns the blank lines and comments after the last line of `characters:`.

    ruamel keeps them with the comment that ends that line, but they separate `characters:` from what
    follows it, or speak of that: they must stay below the speakers added."""
    node, key = characters, None
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        key = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        value = node[key]
        if not (isinstance(value, (CommentedMap, CommentedSeq)) and len(value) and not value.fa.flow_style()):
            break
        node = value
    slot = node.ca.items.get(key) if key is not None else None
    token = slot[2 if isinstance(node, CommentedMap) else 0] if slot else None
    if token is None:
        return ""
    line_end, newline, following = token.value.partition("\n")
    token.value = line_end + newline
    return following


def _entry(row: CastRow) -> CommentedMap:
    entry = _voice_entry(Voice(engine=row.engine, voice=row.voice_id, semitones=row.semitones, tempo=row.tempo,
                               pitch=row.pitch))
    if row.gender in ("male", "female"):
        entry["gender"] = row.gender
    return entry


def _claimed_names(characters: dict) -> set[str]:
    """Every name and alias the file's `characters:` gives, in lower case (as annotation compares them)."""
    claimed = set()
    for name, entry in characters.items():
        aliases = (entry or {}).get("aliases") or []
        claimed.update(alias.lower() for alias in [name, *([aliases] if isinstance(aliases, str) else aliases)])
    return claimed


def _flow(**items) -> CommentedMap:
    entry = CommentedMap(**items)
    entry.fa.set_flow_style()
    return entry
