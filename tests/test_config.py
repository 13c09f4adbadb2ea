"""voices.yaml: look-up order, defaults, and errors that name the file, the line, the key and the fix."""
from pathlib import Path

import pytest

from narrate.casting.config import load_config, parse_duration
from narrate.errors import ConfigError
from narrate.request import find_voices_file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "voices.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file_pick_language_voices():
    config = load_config(None)
    assert config.path == "built-in defaults"
    assert config.narrator_voice == "en-us"
    assert config.pools["female"] and config.pools["male"]
    assert config.narrator_voice not in config.pools["male"]


def test_full_file_is_read(tmp_path):
    config = load_config(write(tmp_path, """
language: en
narrator: {voice: en-gb, rate: 160}
characters:
  Mara: {aliases: [Quill], gender: female, voice: en-us+f3, pitch: 60}
  Tomas: {aliases: Tom, voice: en+m3}
pauses: {sentence: 200ms, paragraph: 1s, chapter: 3}
output: {format: mp3, bitrate: 96k}
"""))
    data = config.data
    assert config.narrator_voice == "en-gb" and data.narrator.rate == 160
    assert data.characters["Mara"].aliases == ["Quill"]
    assert data.characters["Tomas"].aliases == ["Tom"]
    assert data.pauses.sentence == pytest.approx(0.2) and data.pauses.paragraph == 1.0
    assert data.pauses.chapter == 3.0 and data.pauses.scene == 1.5
    assert data.output.format == ["mp3"] and data.output.bitrate == "96k"


def test_pronunciations_are_kept_trimmed(tmp_path):
    config = load_config(write(tmp_path, """
pronounce: {" Moscow ": " Moss-cow "}
characters:
  Ivan: {pronounce: {"Natasha ": "[[n@t'A:S@]] "}}
"""))
    assert config.data.pronounce == {"Moscow": "Moss-cow"}
    assert config.data.characters["Ivan"].pronounce == {"Natasha": "[[n@t'A:S@]]"}


@pytest.mark.parametrize("text, line, needles", [
    ("characters:\n  Natasha:\n    voice: en+f2\n    rate: fast\n", 4,
     ["characters.Natasha.rate", "between 80 and 450", "'fast'"]),
    ("narrator:\n  voice: en-us\n  pich: 40\n", 3, ["narrator.pich", "unknown key", "Did you mean 'pitch'"]),
    ("narrator: {voice: en}\ncolour: red\n", 2, ["colour", "unknown key", "Allowed here"]),
    ("pauses:\n  scene: forever\n", 2, ["pauses.scene", "duration"]),
    ("narrator:\n  volume: 2\n", 2, ["narrator.volume", "between 0 and 1"]),
    ("characters:\n  A: {aliases: [Sam]}\n  B: {aliases: [sam]}\n", 3, ["'sam' already names A"]),
    ("output: {format: ogg}\n", 1, ["output.format", "one of mp3, wav", "'ogg'"]),
    ("characters:\n  Ann: {gender: robot}\n", 2, ["characters.Ann.gender", "male, female or neutral"]),
    ("characters:\n  Ann:\n    voice: en\n    spped: 2\n", 4, ["characters.Ann.spped", "unknown key",
                                                              "Allowed here: aliases, engine"]),
    ("overrides:\n  - {speaker: Ann}\n", 2, ["overrides.0", "needs `quote:`"]),
    ("characters:\n  Ann: {voice: en}\n  42: {voice: en}\n", 3, ["characters.42", "must be text", '"42"']),
    ("narrator: [unclosed\n", 2, ["not valid YAML"]),
    ("- just\n- a list\n", 1, ["must be a mapping"]),
])
def test_errors_name_file_line_key_and_fix(tmp_path, text, line, needles):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}:"), message
    for needle in needles:
        assert needle in message, message


def test_lookup_order(tmp_path, monkeypatch):
    story = tmp_path / "book" / "story.txt"
    story.parent.mkdir()
    story.write_text("Hello.", encoding="utf-8")
    # a voices.yaml in the working directory is never picked up by accident
    monkeypatch.chdir(tmp_path)
    (tmp_path / "voices.yaml").write_text("language: en\n")
    assert find_voices_file(story, None) is None
    beside = story.parent / "voices.yaml"
    beside.write_text("language: en\n")
    assert find_voices_file(story, None) == beside
    explicit = write(tmp_path, "language: en\n")
    assert find_voices_file(story, explicit) == explicit
    with pytest.raises(ConfigError, match="no such voices file"):
        find_voices_file(story, tmp_path / "missing.yaml")


@pytest.mark.parametrize("value, seconds", [("250ms", 0.25), ("1.5s", 1.5), (2, 2.0), ("0.7", 0.7)])
def test_durations(value, seconds):
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["soon", "-1s", True, "40s"])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)
