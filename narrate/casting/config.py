"""voices.yaml: find it, parse it, validate it once, with errors that name the file, the line, the key and the fix.

The file's shape is checked by msgspec (typed structs, bounds, unknown keys), what needs a word of explanation
(durations, pronunciations, which quote an override means, aliases) by the functions here. msgspec rather than
pydantic: importing pydantic and building these models took ~100 ms of every command, msgspec ~5 ms."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import msgspec
import yaml
from msgspec import Meta

from narrate.errors import ConfigError, EngineError
from narrate.inputs import VOICES, read_input

# Voices the built-in defaults use per language; a language missing here falls back to "<lang>" + variants.
_LANGUAGE_DEFAULTS = {
    # +m2, +m3, +m4, +m7, +m8 and +f4 are left out: bench/intelligibility.py finds them 0.3-0.6x as easy to
    # follow as en-us (three takes each); en-gb-x-rp+m1 scores 0.83x
    "en": {"narrator": "en-us", "male": ["en+m1", "en+m6", "en-gb-x-rp+m1"],
           "female": ["en+f1", "en+f3", "en+f2"], "neutral": ["en+m5", "en+f5"],
           "unattributed": "en+m7"},
}


def parse_duration(value: Any) -> float:
    """'250ms', '1.5s' or a bare number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 250ms or 1.5s")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        try:
            if text.endswith("ms"):
                seconds = float(text[:-2]) / 1000
            elif text.endswith("s"):
                seconds = float(text[:-1])
            else:
                seconds = float(text)
        except ValueError:
            raise ValueError(f"must be a duration such as 250ms or 1.5s, got {value!r}") from None
    else:
        raise ValueError(f"must be a duration such as 250ms or 1.5s, got {value!r}")
    if not 0 <= seconds <= 30:
        raise ValueError(f"must be between 0 and 30 seconds, got {value!r}")
    return seconds


class Seconds(float):
    """A pause: written as 250ms, 1.5s or a number of seconds (parse_duration)."""


def check_word(word: str) -> str:
    """A `pronounce:` key: the word or phrase as the story writes it."""
    if not word.strip() or not any(c.isalpha() for c in word):
        raise ValueError("must be a word or phrase of the story, such as Natasha")
    return word.strip()


def check_respelling(spoken: str) -> str:
    """A `pronounce:` value: a respelling ("Nah-tah-sha"), espeak phonemes in [[ ]] ("[[n@t'A:S@]]"), or both."""
    if not spoken.strip():
        raise ValueError("must say how to pronounce the word: a respelling such as Nah-tah-sha, "
                         "or espeak phonemes such as [[n@t'A:S@]]")
    brackets = re.findall(r"\[\[|\]\]", spoken)
    if brackets != ["[[", "]]"] * (len(brackets) // 2):
        raise ValueError("has unbalanced phoneme brackets: write espeak phonemes as [[n@t'A:S@]]")
    return spoken.strip()


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class VoiceSpec(_Strict):
    engine: str = "espeak"
    voice: str | None = None
    rate: Annotated[int, Meta(ge=80, le=450)] | None = None
    pitch: Annotated[int, Meta(ge=0, le=99)] | None = None
    volume: Annotated[float, Meta(ge=0, le=1)] | None = None
    semitones: Annotated[float, Meta(ge=-12, le=12)] = 0.0  # pitch shift of the engine's output
    tempo: Annotated[float, Meta(ge=0.5, le=2.0)] = 1.0  # speed factor of the engine's output
    options: dict[str, str | int | float | bool] = {}


class CharacterSpec(VoiceSpec):
    aliases: list[str] = []  # one alias may be written without the list
    gender: Literal["male", "female", "neutral"] | None = None
    pronounce: dict[str, str] = {}  # how this character says words: over the book-wide `pronounce:`


class Pools(_Strict):
    male: list[str] | None = None
    female: list[str] | None = None
    neutral: list[str] | None = None


class Pauses(_Strict):
    sentence: Seconds = Seconds(0.25)
    speaker_change: Seconds = Seconds(0.45)
    paragraph: Seconds = Seconds(0.7)
    scene: Seconds = Seconds(1.5)
    chapter: Seconds = Seconds(2.5)


Format = Literal["mp3", "wav", "flac", "opus", "m4b"]


class Output(_Strict):
    format: Annotated[list[Format], Meta(min_length=1)] = msgspec.field(  # one format may be written alone
        default_factory=lambda: ["mp3", "m4b"])
    bitrate: Annotated[str, Meta(pattern=r"^[1-9]\d{0,2}k$")] = "64k"  # MIN_KBPS to MAX_KBPS: _check_bitrate
    loudness: Annotated[float, Meta(ge=-35, le=-10)] = -20.0  # integrated LUFS every chapter is brought to
    true_peak: Annotated[float, Meta(ge=-12, le=0)] = -3.0  # dBTP ceiling


class Credits(_Strict):
    """Opening and closing credits, spoken by the narrator as the first and last files of a whole-book build."""

    enabled: bool = True
    opening: str | None = None  # default: title, author, "Read by" read_by
    closing: str | None = None
    read_by: Annotated[str, Meta(min_length=1)] | None = None  # who reads it, for the credits (synthetic voices)


class OverrideSpec(_Strict):
    """A manual attribution: `quote:` (some of its words) or `chapter:` + `paragraph:` (1-based) -> `speaker:`.
    Words found in several quotes are refused unless `all: true` says every one of them is meant."""

    speaker: Annotated[str, Meta(min_length=1)]
    quote: Annotated[str, Meta(min_length=2)] | None = None
    chapter: Annotated[int, Meta(ge=1)] | None = None
    paragraph: Annotated[int, Meta(ge=1)] | None = None
    every: bool = msgspec.field(default=False, name="all")

    def __post_init__(self) -> None:
        if self.quote is None and (self.chapter is None or self.paragraph is None):
            raise ValueError("needs `quote:` (words of the quote) or both `chapter:` and `paragraph:`")


class VoicesFile(_Strict):
    language: Annotated[str, Meta(pattern=r"^[a-z]{2,3}(-[a-zA-Z0-9]+)*$")] = "en"
    narrator: VoiceSpec = msgspec.field(default_factory=VoiceSpec)
    characters: dict[str, CharacterSpec] = {}
    defaults: Pools = msgspec.field(default_factory=Pools)
    unattributed: VoiceSpec = msgspec.field(default_factory=VoiceSpec)
    author_notes: bool = False
    first_person: str = "narrator"  # who speaks the narrator's own quotes ("I said"): narrator, or a character
    overrides: list[OverrideSpec] = []
    # regular expressions: a paragraph or line of the book whose whole text matches one is not read (ingest/apparatus.py)
    skip: list[str] = []
    pronounce: dict[str, str] = {}  # book-wide: every speaker says these words so
    credits: Credits = msgspec.field(default_factory=Credits)
    pauses: Pauses = msgspec.field(default_factory=Pauses)
    output: Output = msgspec.field(default_factory=Output)


@dataclass(frozen=True)
class Config:
    """A validated voices.yaml with the language defaults filled in."""

    path: str  # where it came from ("built-in defaults" when none)
    data: VoicesFile
    narrator_voice: str
    unattributed_voice: str
    pools: dict[str, list[str]]
    lines: dict[str, int] = field(default_factory=dict)  # dotted key path -> 1-based line, for error messages


def builtin_config(language: str = "en") -> Config:
    """The casting of a story in `language` that has no voices.yaml: the built-in voices."""
    return _with_defaults("built-in defaults", VoicesFile(language=language))


def load_config(path: Path | None) -> Config:
    if path is None:
        return builtin_config()
    try:  # a regular file of at most NARRATE_MAX_VOICES_MB (narrate.inputs): never a FIFO or a device
        text = read_input(path, VOICES, ConfigError).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: cannot read it ({err}). Save it as UTF-8 text.") from None
    root, raw = _parsed(path, text)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: the file must be a mapping of keys (language, narrator, characters, ...).")
    lines = _key_lines(path, root)
    data = _with_checked_pronunciations(path, lines, _validated(path, lines, _lists_allowed_alone(raw)))
    _check_names(path, lines, data)
    _check_aliases(path, lines, data)
    _check_first_person(path, lines, data)
    _check_bitrate(path, lines, data)
    data = _with_engine_prefixes(path, lines, data)
    _check_engines(path, lines, data)
    _check_skip(path, lines, data)
    return _with_defaults(str(path), data, lines)


MAX_DEPTH = 50  # levels of nesting; voices.yaml needs five
MAX_ALIAS_GROWTH = 10_000  # values that aliases (*name) may add to the file's own: a YAML "billion laughs" stops here


class _TooDeep(Exception):
    def __init__(self, mark) -> None:
        super().__init__()
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, composing no deeper than MAX_DEPTH (its composer recurses per level)."""

    depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _parsed(path: Path, text: str) -> tuple[yaml.Node | None, Any]:
    """The file's node tree (for lines) and its data, parsed once: nested at most MAX_DEPTH deep, its aliases
    adding at most MAX_ALIAS_GROWTH values, none of them referring to itself."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_alias_growth(path, root)
        return root, loader.construct_document(root)
    except _TooDeep as err:
        raise ConfigError(f"{path}:{err.mark.line + 1}: nested more than {MAX_DEPTH} levels deep, which no "
                          f"voices.yaml needs. Check the brackets and indentation there.") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{where}: not valid YAML ({problem}). Check indentation and quoting there.") from None
    finally:
        loader.dispose()


def _check_alias_growth(path: Path, root: yaml.Node) -> None:
    """Refuse a file whose aliases (*name) would make it grow by more than MAX_ALIAS_GROWTH values once expanded,
    or that refers to an anchor from inside itself: both are attacks, not casting."""
    sizes: dict[int, int] = {}  # node id -> values it holds, expanded
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:  # recursion is bounded: the composer refused anything deeper than MAX_DEPTH
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise ConfigError(f"{path}:{node.start_mark.line + 1}: an alias (*name) refers to the very value its "
                              f"anchor (&name) is on. Write the value out instead.")
        open_nodes.add(key)
        children = ([item for pair in node.value for item in pair] if isinstance(node, yaml.MappingNode) else
                    node.value if isinstance(node, yaml.SequenceNode) else [])
        total = 1
        for child in children:
            total += size(child)
            if total > distinct + MAX_ALIAS_GROWTH:
                raise ConfigError(f"{path}:{node.start_mark.line + 1}: its aliases (*name) would expand this file "
                                  f"by more than {MAX_ALIAS_GROWTH} values: that is an alias bomb, not a casting. "
                                  f"Write the values out instead of aliasing them.")
        open_nodes.discard(key)
        sizes[key] = total
        return total

    distinct = _distinct_nodes(root)
    size(root)


def _distinct_nodes(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack += [item for pair in node.value for item in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return len(seen)


def where(config: Config, dotted: str) -> str:
    """`file:line` of a key (or of its nearest parent that is in the file)."""
    return _where(config.path, config.lines, dotted.split("."))


def _where(path: str | Path, lines: dict[str, int], keys: list[str]) -> str:
    line = _nearest_line(lines, keys)
    return f"{path}:{line}" if line else str(path)


def _nearest_line(lines: dict[str, int], parts: list[str]) -> int | None:
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in lines:
            return lines[".".join(parts[:n])]
    return None


def _key_lines(path: Path, root: yaml.Node | None) -> dict[str, int]:
    """Dotted key path -> 1-based line of every key and list item. A key written twice in one mapping is an
    error (YAML would keep the last silently). Aliases were bounded (_check_alias_growth): the walk is too."""
    lines: dict[str, int] = {}
    stack: list[tuple[yaml.Node | None, str]] = [(root, "")]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if key_node.value in first_line:
                        dotted = f"{prefix}{key_node.value}"
                        raise ConfigError(f"{path}:{line}: {dotted}: this key is written twice in one place "
                                          f"(first at line {first_line[key_node.value]}); YAML would keep only "
                                          f"the last. Merge the two into one.")
                    first_line.setdefault(key_node.value, line)
                dotted = f"{prefix}{key_node.value}"
                lines[dotted] = line
                stack.append((value_node, dotted + "."))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[f"{prefix}{index}"] = item.start_mark.line + 1
                stack.append((item, f"{prefix}{index}."))
    return lines


def _with_defaults(path: str, data: VoicesFile, lines: dict[str, int] | None = None) -> Config:
    lang = data.language.split("-")[0]
    base = _LANGUAGE_DEFAULTS.get(lang) or {
        "narrator": lang, "male": [f"{lang}+m1", f"{lang}+m2", f"{lang}+m4"],
        "female": [f"{lang}+f1", f"{lang}+f3", f"{lang}+f4"], "neutral": [f"{lang}+m5", f"{lang}+f5"],
        "unattributed": f"{lang}+m7"}
    pools = {gender: list(getattr(data.defaults, gender) or base[gender]) for gender in ("male", "female", "neutral")}
    return Config(path=path, data=data, lines=lines or {}, narrator_voice=data.narrator.voice or base["narrator"],
                  unattributed_voice=data.unattributed.voice or base["unattributed"], pools=pools)


def _lists_allowed_alone(raw: dict) -> dict:
    """The raw file with the keys that may hold one item instead of a list (`aliases: Tom`, `format: mp3`) as
    lists."""
    def listed(value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    raw = dict(raw)
    if isinstance(raw.get("characters"), dict):
        raw["characters"] = {name: ({**spec, "aliases": listed(spec["aliases"])}
                                    if isinstance(spec, dict) and "aliases" in spec else spec)
                             for name, spec in raw["characters"].items()}
    if isinstance(raw.get("output"), dict) and "format" in raw["output"]:
        raw["output"] = {**raw["output"], "format": listed(raw["output"]["format"])}
    return raw


def _validated(path: Path, lines: dict[str, int], raw: dict) -> VoicesFile:
    """The file as VoicesFile; a ConfigError naming the line and key of the first problem otherwise. Each
    character is converted on its own, as msgspec's error paths do not name a mapping's keys."""
    characters = raw.get("characters")
    if not isinstance(characters, dict):  # absent, or not a mapping: msgspec says so
        return _convert(path, lines, raw, raw, VoicesFile, [])
    specs = {name: _convert(path, lines, raw, spec, CharacterSpec, ["characters", str(name)])
             for name, spec in characters.items()}
    for name in specs:
        if not isinstance(name, str):  # YAML reads `42:` or `true:` as a number or a flag
            raise ConfigError(f"{_where(path, lines, ['characters', str(name)])}: characters.{name}: a character's "
                              f"name must be text. Quote it: \"{name}\":")
    rest = _convert(path, lines, raw, {key: value for key, value in raw.items() if key != "characters"}, VoicesFile, [])
    return msgspec.structs.replace(rest, characters=specs)


def _convert(path: Path, lines: dict[str, int], raw: dict, value: Any, kind: type, prefix: list[str]) -> Any:
    try:
        return msgspec.convert(value, kind, strict=False, dec_hook=_decode)
    except msgspec.ValidationError as err:
        raise ConfigError(_explain(path, lines, raw, str(err), prefix)) from None


def _decode(kind: type, value: Any) -> Any:
    if kind is Seconds:
        return Seconds(parse_duration(value))  # its ValueError becomes msgspec's, at the key's path
    raise NotImplementedError(kind)


_ERROR = re.compile(r"(?s)(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?")
_PATH_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")  # .key, [index], or a mapping's key msgspec leaves out
# msgspec's wording -> ours, for the values people get wrong most
_BOUNDS = {"rate": "must be a whole number of words per minute between 80 and 450",
           "pitch": "must be a whole number between 0 and 99", "volume": "must be a number between 0 and 1",
           "bitrate": "must be kilobits per second such as 64k, from 8k to 320k"}
_CHOICES = {"format": ", ".join(get_args(Format)), "gender": "male, female or neutral"}
_TYPE_NAMES = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true or false",
               "array": "a list", "object": "a mapping of keys"}


def _explain(path: Path, lines: dict[str, int], raw: dict, error: str, prefix: list[str]) -> str:
    match = _ERROR.fullmatch(error)
    message = match["message"]
    keys = prefix + ["".join(step) for step in _PATH_STEP.findall(match["path"] or "") if any(step)]
    unknown = re.fullmatch(r"Object contains unknown field `(.+)`", message)
    if unknown:
        keys.append(unknown[1])
    dotted = ".".join(keys) or "(top level)"
    where = _where(path, lines, keys)
    if unknown:
        known = _fields_at(keys[:-1])
        close = difflib.get_close_matches(keys[-1], known, n=1)
        hint = f"Did you mean '{close[0]}'? " if close else ""
        return f"{where}: {dotted}: unknown key. {hint}Allowed here: {', '.join(known)}."
    last = next((key for key in reversed(keys) if not key.isdigit()), "")
    if last in _BOUNDS and message.startswith("Expected"):
        message = _BOUNDS[last]
    elif message.startswith("Invalid enum value") and last in _CHOICES:
        message = f"must be one of {_CHOICES[last]}"
    elif expected := re.fullmatch(r"Expected `([^`]*)`(?:, got `[^`]*`)?(.*)", message):
        kinds = [_TYPE_NAMES.get(kind, kind) for kind in expected[1].split(" | ") if kind != "null"]
        message = f"must be {' or '.join(kinds)}{expected[2]}"
    got = "" if ", got " in message else f", got {_value_at(raw, keys)!r}"
    return f"{where}: {dotted}: {message}{got}. Fix that value."


def _value_at(raw: Any, keys: list[str]) -> Any:
    for key in keys:
        if isinstance(raw, dict):
            raw = raw.get(key, raw.get(int(key)) if key.isdigit() else None)
        elif isinstance(raw, list) and key.isdigit() and int(key) < len(raw):
            raw = raw[int(key)]
        else:
            return None
    return raw


def _fields_at(keys: list[str]) -> list[str]:
    """The keys allowed at `keys` in voices.yaml (sorted), or none if that is not a mapping of known keys."""
    kind: Any = VoicesFile
    for key in keys:
        if kind is VoicesFile and key == "characters":
            kind = dict
        elif kind is dict:
            kind = CharacterSpec
        else:
            kind = _struct_type(kind, key)
        if kind is None:
            return []
    return sorted(kind.__struct_fields__) if kind is not dict else []


def _struct_type(kind: type, key: str) -> type | None:
    hint = msgspec.inspect.type_info(kind)
    for item in getattr(hint, "fields", ()):
        if item.name == key and isinstance(item.type, msgspec.inspect.StructType):
            return item.type.cls
    return None


def _with_checked_pronunciations(path: Path, lines: dict[str, int], data: VoicesFile) -> VoicesFile:
    """`data` with every `pronounce:` entry checked (check_word, check_respelling) and trimmed."""
    def checked(keys: list[str], table: dict[str, str]) -> dict[str, str]:
        kept = {}
        for word, spoken in table.items():
            try:
                kept[check_word(word)] = check_respelling(spoken)
            except ValueError as err:
                raise ConfigError(f"{_where(path, lines, keys + [word])}: {'.'.join(keys + [word])}: {err}. "
                                  f"Fix that entry.") from None
        return kept

    characters = {name: msgspec.structs.replace(spec, pronounce=checked(["characters", name, "pronounce"],
                                                                        spec.pronounce))
                  for name, spec in data.characters.items()}
    return msgspec.structs.replace(data, characters=characters, pronounce=checked(["pronounce"], data.pronounce))


def _check_names(path: Path, lines: dict[str, int], data: VoicesFile) -> None:
    """No character, alias or override speaker is blank: such a name would match nothing (or everything)."""
    for name, spec in data.characters.items():
        if not name.strip():
            raise ConfigError(f"{_where(path, lines, ['characters', name])}: characters: a character's name is "
                              f"empty ({name!r}). Write the name as the story writes it, or remove the entry.")
        for n, alias in enumerate(spec.aliases):
            if not alias.strip():
                where = _where(path, lines, ["characters", name, "aliases", str(n)])
                raise ConfigError(f"{where}: characters.{name}.aliases: alias {n + 1} is empty ({alias!r}). Write "
                                  f"another name the story uses for {name.strip()}, or remove it.")
    for n, override in enumerate(data.overrides):
        if not override.speaker.strip():
            raise ConfigError(f"{_where(path, lines, ['overrides', str(n), 'speaker'])}: overrides.{n}.speaker: is "
                              f"empty. Name who says that quote.")


def _check_first_person(path: Path, lines: dict[str, int], data: VoicesFile) -> None:
    """`first_person:` is the narrator or a character (by name or alias) of this file."""
    wanted = data.first_person.strip().lower()
    if wanted == "narrator" or any(wanted == alias.strip().lower() for name, spec in data.characters.items()
                                   for alias in [name, *spec.aliases]):
        return
    names = ", ".join(["narrator", *data.characters]) if len(data.characters) <= 10 else "narrator or a character"
    raise ConfigError(f"{_where(path, lines, ['first_person'])}: first_person: {data.first_person!r} is not the "
                      f"narrator nor a character of this file. Write one of: {names}; or add "
                      f"{data.first_person.strip() or 'them'} under characters:.")


MIN_KBPS, MAX_KBPS = 8, 320  # what every encoder narrate writes with takes (LAME's MP3 range)


def _check_skip(path: Path, lines: dict[str, int], data: VoicesFile) -> None:
    """Each `skip:` entry a regular expression that cannot match an empty line (`.*` would skip the whole book)."""
    for n, pattern in enumerate(data.skip):
        where_ = f"{_where(path, lines, ['skip', str(n)])}: skip.{n}: {pattern!r}"
        try:
            compiled = re.compile(pattern)
        except re.error as err:
            raise ConfigError(f"{where_} is not a regular expression ({err}). Fix it; to match a character such as "
                              f". ( ) [ ] ? * + as written, put a backslash before it, e.g. 'END OF VOL\\. I\\.'"
                              ) from None
        if compiled.fullmatch(""):
            raise ConfigError(f"{where_} matches an empty line, so it would skip every paragraph. Make it match "
                              f"only the lines to skip, e.g. 'PRIDE AND PREJUDICE\\.'") from None


def _check_bitrate(path: Path, lines: dict[str, int], data: VoicesFile) -> None:
    kbps = int(data.output.bitrate[:-1])
    if not MIN_KBPS <= kbps <= MAX_KBPS:
        raise ConfigError(f"{_where(path, lines, ['output', 'bitrate'])}: output.bitrate: must be between "
                          f"{MIN_KBPS}k and {MAX_KBPS}k, got {data.output.bitrate!r}. Fix that value (64k suits "
                          f"speech; ACX asks for 192k).")


def _with_engine_prefixes(path: Path, lines: dict[str, int], data: VoicesFile) -> VoicesFile:
    """`voice: piper:en_GB-alba-medium` is `engine: piper` with `voice: en_GB-alba-medium`: a voice of a
    library names its engine in one value. The prefix must name an engine, and agree with an `engine:` given."""
    from narrate.engines.base import is_engine

    def split(keys: list[str], spec: VoiceSpec) -> VoiceSpec:
        engine, mark, voice = (spec.voice or "").partition(":")
        if not mark or not is_engine(engine):
            return spec
        if spec.engine not in ("espeak", engine):  # espeak: the default, whether written or not
            raise ConfigError(f"{_where(path, lines, keys + ['voice'])}: {'.'.join(keys)}: voice {spec.voice!r} is "
                              f"a voice of {engine}, but engine says {spec.engine}. Remove one of the two.")
        return msgspec.structs.replace(spec, engine=engine, voice=voice)

    characters = {name: split(["characters", name], spec) for name, spec in data.characters.items()}
    return msgspec.structs.replace(data, narrator=split(["narrator"], data.narrator),
                                   unattributed=split(["unattributed"], data.unattributed), characters=characters)


def _check_engines(path: Path, lines: dict[str, int], data: VoicesFile) -> None:
    """Every voice names an installed engine, and gives it only options it declares (Engine.options), each valid:
    a mistake here is the file's, so it is named with its line now rather than when the engine runs."""
    from narrate.engines.base import declared_options, engine_ids, is_engine, unknown_options_message

    voices = [(["narrator"], data.narrator), (["unattributed"], data.unattributed),
              *((["characters", name], spec) for name, spec in data.characters.items())]
    for keys, spec in voices:
        dotted = ".".join(keys)
        if not is_engine(spec.engine):
            known = engine_ids()
            close = difflib.get_close_matches(spec.engine, known, n=1)
            hint = f"Did you mean '{close[0]}'? " if close else ""
            raise ConfigError(f"{_where(path, lines, keys + ['engine'])}: {dotted}.engine: no speech engine "
                              f"{spec.engine!r} is installed. {hint}Installed: {', '.join(known)} "
                              f"(`narrate engines` lists them; a third-party engine needs its package).")
        declared = declared_options(spec.engine) if spec.options else None
        if declared is None:  # no options, or an engine that does not declare them: it checks them itself
            continue
        unknown = sorted(set(spec.options) - set(declared))
        if unknown:
            raise ConfigError(f"{_where(path, lines, keys + ['options', unknown[0]])}: {dotted}.options: "
                              f"{unknown_options_message(spec.engine, unknown, declared)}.")
        for name, value in spec.options.items():
            try:
                declared[name].parse(spec.engine, name, str(value))
            except EngineError as err:
                raise ConfigError(f"{_where(path, lines, keys + ['options', name])}: {dotted}.options.{name}: "
                                  f"{err}. Fix that value.") from None


def _check_aliases(path: Path, lines: dict[str, int], data: VoicesFile) -> None:
    owner: dict[str, str] = {}
    for name, spec in data.characters.items():
        for alias in [name, *spec.aliases]:
            key = alias.strip().lower()
            if key in owner and owner[key] != name:
                where = _where(path, lines, ["characters", name, "aliases"])
                raise ConfigError(f"{where}: characters.{name}.aliases: '{alias}' already names {owner[key]}. "
                                  f"Give each name or alias to one character only.")
            owner[key] = name
