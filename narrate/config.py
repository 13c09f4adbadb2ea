"""voices.yaml: find it, parse it, validate it once, with errors that name the file, the line, the key and the fix."""
from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from .errors import ConfigError

# Voices the built-in defaults use per language; a language missing here falls back to "<lang>" + variants.
_LANGUAGE_DEFAULTS = {
    "en": {"narrator": "en-us", "male": ["en+m1", "en+m2", "en+m4", "en+m6"],
           "female": ["en+f1", "en+f3", "en+f4", "en+f2"], "neutral": ["en+m5", "en+f5"],
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


Duration = Annotated[float, BeforeValidator(parse_duration)]


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


# word as written -> how to say it; keys and values are checked one by one so errors name the entry's line
Pronunciations = dict[Annotated[str, AfterValidator(check_word)], Annotated[str, AfterValidator(check_respelling)]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VoiceSpec(_Strict):
    engine: str = "espeak"
    voice: str | None = None
    rate: int | None = Field(default=None, ge=80, le=450)
    pitch: int | None = Field(default=None, ge=0, le=99)
    volume: float | None = Field(default=None, ge=0, le=1)
    semitones: float = Field(default=0.0, ge=-12, le=12)  # pitch shift of the engine's output
    tempo: float = Field(default=1.0, ge=0.5, le=2.0)  # speed factor of the engine's output
    options: dict[str, str | int | float | bool] = {}


class CharacterSpec(VoiceSpec):
    aliases: list[str] = []
    gender: Literal["male", "female", "neutral"] | None = None
    pronounce: Pronunciations = {}  # how this character says words: over the book-wide `pronounce:`

    @field_validator("aliases", mode="before")
    @classmethod
    def _one_alias_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Pools(_Strict):
    male: list[str] | None = None
    female: list[str] | None = None
    neutral: list[str] | None = None


class Pauses(_Strict):
    sentence: Duration = 0.25
    speaker_change: Duration = 0.45
    paragraph: Duration = 0.7
    scene: Duration = 1.5
    chapter: Duration = 2.5


Format = Literal["mp3", "wav", "flac", "opus", "m4b"]


class Output(_Strict):
    format: list[Format] = Field(default=["mp3", "m4b"], min_length=1)
    bitrate: str = Field(default="64k", pattern=r"^\d{2,3}k$")
    loudness: float = Field(default=-20.0, ge=-35, le=-10)  # integrated LUFS every chapter is brought to
    true_peak: float = Field(default=-3.0, ge=-12, le=0)  # dBTP ceiling

    @field_validator("format", mode="before")
    @classmethod
    def _one_format_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Credits(_Strict):
    """Opening and closing credits, spoken by the narrator as the first and last files of a whole-book build."""

    enabled: bool = True
    opening: str | None = None  # default: title, author, "narrated by" the narrator's voice
    closing: str | None = None


class OverrideSpec(_Strict):
    """A manual attribution: `quote:` (some of its words) or `chapter:` + `paragraph:` (1-based) -> `speaker:`."""

    speaker: str = Field(min_length=1)
    quote: str | None = Field(default=None, min_length=2)
    chapter: int | None = Field(default=None, ge=1)
    paragraph: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _says_which_quote(self):
        if self.quote is None and (self.chapter is None or self.paragraph is None):
            raise ValueError("needs `quote:` (words of the quote) or both `chapter:` and `paragraph:`")
        return self


class VoicesFile(_Strict):
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[a-zA-Z0-9]+)*$")
    narrator: VoiceSpec = VoiceSpec()
    characters: dict[str, CharacterSpec] = {}
    defaults: Pools = Pools()
    unattributed: VoiceSpec = VoiceSpec()
    author_notes: bool = False
    first_person: str = "narrator"  # who speaks the narrator's own quotes ("I said"): narrator, or a character
    overrides: list[OverrideSpec] = []
    pronounce: Pronunciations = {}  # book-wide: every speaker says these words so
    credits: Credits = Credits()
    pauses: Pauses = Pauses()
    output: Output = Output()


class Config(BaseModel):
    """A validated voices.yaml with the language defaults filled in."""

    model_config = ConfigDict(frozen=True)

    path: str  # where it came from ("built-in defaults" when none)
    data: VoicesFile
    lines: dict[str, int] = {}  # dotted key path -> 1-based line in the file, for later error messages
    narrator_voice: str
    unattributed_voice: str
    pools: dict[str, list[str]]


def builtin_config(language: str = "en") -> Config:
    """The casting of a story in `language` that has no voices.yaml: the built-in voices."""
    return _with_defaults("built-in defaults", VoicesFile(language=language))


def load_config(path: Path | None) -> Config:
    if path is None:
        return builtin_config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read it ({err}). Save it as UTF-8 text.") from None
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{where}: not valid YAML ({problem}). Check indentation and quoting there.") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: the file must be a mapping of keys (language, narrator, characters, ...).")
    try:
        data = VoicesFile.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_explain(path, root, err)) from None
    _check_aliases(path, root, data)
    return _with_defaults(str(path), data, _key_lines(root))


def where(config: Config, dotted: str) -> str:
    """`file:line` of a key (or of its nearest parent that is in the file)."""
    line = _nearest_line(config.lines, dotted.split("."))
    return f"{config.path}:{line}" if line else config.path


def _nearest_line(lines: dict[str, int], parts: list[str]) -> int | None:
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in lines:
            return lines[".".join(parts[:n])]
    return None


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            dotted = f"{prefix}{key_node.value}"
            lines[dotted] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, dotted + "."))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[f"{prefix}{index}"] = item.start_mark.line + 1
            lines.update(_key_lines(item, f"{prefix}{index}."))
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


def _explain(path: Path, root: yaml.Node | None, err: ValidationError) -> str:
    first = err.errors()[0]
    loc = tuple(first["loc"])
    # pydantic appends the union member / literal name to loc for some errors; keep the key path only
    loc = tuple(p for p in loc if not (isinstance(p, str) and p in {"str", "int", "float", "bool", "[key]", "function-before[_one_alias_is_a_list()]"}))
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    line = _nearest_line(_key_lines(root), [str(p) for p in loc])
    where = f"{path}:{line}" if line else str(path)
    kind, got = first["type"], first.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = sorted(parent.model_fields) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"Did you mean '{close[0]}'? " if close else ""
        return f"{where}: {dotted}: unknown key. {hint}Allowed here: {', '.join(known)}."
    message = first["msg"].removeprefix("Value error, ")
    if kind in ("greater_than_equal", "less_than_equal", "int_parsing", "int_from_float", "float_parsing") and loc[-1] in ("rate", "pitch", "volume"):
        bounds = {"rate": "a whole number of words per minute between 80 and 450",
                  "pitch": "a whole number between 0 and 99", "volume": "a number between 0 and 1"}[loc[-1]]
        message = f"must be {bounds}"
    more = f" (and {len(err.errors()) - 1} more problem(s))" if len(err.errors()) > 1 else ""
    return f"{where}: {dotted}: {message}, got {got!r}. Fix that value{more}."


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: Any = VoicesFile
    for part in loc:
        if model is VoicesFile and part == "characters":
            model = dict
            continue
        if model is dict:
            model = CharacterSpec
            continue
        field = getattr(model, "model_fields", {}).get(str(part))
        if field is None or not isinstance(field.annotation, type) or not issubclass(field.annotation, BaseModel):
            return None
        model = field.annotation
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _check_aliases(path: Path, root: yaml.Node | None, data: VoicesFile) -> None:
    owner: dict[str, str] = {}
    for name, spec in data.characters.items():
        for alias in [name, *spec.aliases]:
            key = alias.strip().lower()
            if key in owner and owner[key] != name:
                line = _nearest_line(_key_lines(root), ["characters", name, "aliases"])
                where = f"{path}:{line}" if line else str(path)
                raise ConfigError(f"{where}: characters.{name}.aliases: '{alias}' already names {owner[key]}. "
                                  f"Give each name or alias to one character only.")
            owner[key] = name
