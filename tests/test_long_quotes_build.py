"""A story with a long letter and the markup of a plain-text export, built with the real espeak-ng (issue 17,
items 3 and 4): the letter is sentence-sized clips in its writer's voice and short cues of that one speaker; no
mark, underscore or entity reaches espeak or the subtitles."""
from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import pytest
import webvtt
from test_long_quotes import LETTER

from narrate.casting import cast_book
from narrate.casting.sentences import MAX_CLIP_CHARS
from narrate.pipeline.book import load

ROOT = Path(__file__).resolve().parents[1]
MAX_CUE_SECONDS = 15.0  # the bound for every cue

STORY = f"""The Harbour Letter

Chapter 1

The post came late on the 3d of May. Mara took it from the boy at the door and turned it over twice; it was
*very* thin, and the hand was her brother's.

"Read it to me," said Tomas.

She broke the seal, and Bram said, in his careful hand: "{LETTER}"

Tomas said nothing for a while. Then he laughed, **truly** laughed, for the first time that week. "He always did
write ~~too much~~ at length," he said. "Cheese, bread, wine, &c. That is Bram."

"The _Marie Celeste_ was never so late," said Mara. "And the ——shire coach is no better. If 5 &lt; 6, he will be
home by the 23d."
"""
# The letter's writer pinned: attribution is not what is tested here (it gave the letter to Mara)
VOICES = ("narrator: {voice: en-us}\ncharacters:\n  Bram: {voice: en+m3}\n  Mara: {voice: en+f3}\n"
          "overrides:\n  - {quote: \"I write from the harbour inn\", speaker: Bram}\n")
MARKS = ("*", "_", "~", "&lt;")  # never in a cue nor in what espeak is given


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("letter")
    (folder / "letter.txt").write_text(STORY, encoding="utf-8")
    (folder / "voices.yaml").write_text(VOICES, encoding="utf-8")
    return folder / "letter.txt", folder / "voices.yaml"


@pytest.fixture(scope="module")
def built(story, tmp_path_factory, narrate_env) -> Path:
    path, voices = story
    out = tmp_path_factory.mktemp("letter-out")
    result = subprocess.run([sys.executable, "-m", "narrate", "build", str(path), "--voices", str(voices), "-o",
                             str(out), "--format", "mp3", "-q"], capture_output=True, text=True, cwd=ROOT,
                            env=narrate_env(out / "cache"), check=False)
    assert result.returncode == 0, result.stderr
    return out


def test_the_letter_is_one_segment_said_as_sentence_sized_lines_in_its_writers_voice(story):
    config, script = load(*story, None, False)
    letter = next(s for s in script.segments if s.text.startswith("My dear Tomas"))
    assert letter.kind == "dialogue" and letter.speaker == "Bram" and letter.text == LETTER
    lines = cast_book(config, script.characters, [], script.segments)
    said = [line for line in lines if line.segment.index == letter.index]
    assert len(said) > 20 and " ".join(line.segment.text for line in said) == LETTER
    assert all(len(line.segment.text) <= MAX_CLIP_CHARS for line in lines)
    assert {line.voice.voice for line in said} == {"en+m3"}


@pytest.mark.slow
def test_every_cue_is_short_and_the_letter_keeps_its_speaker(built):
    cues = list(webvtt.read(str(built / "The Harbour Letter.vtt")))
    assert cues, "no cues"
    lengths = [cue.end_in_seconds - cue.start_in_seconds for cue in cues]
    assert max(lengths) <= MAX_CUE_SECONDS, max(lengths)
    first = next(n for n, cue in enumerate(cues) if cue.text.startswith("My dear Tomas"))
    letter, words = [], ""
    for cue in cues[first:]:
        letter.append(cue)
        words = " ".join(cue.text for cue in letter).replace("\n", " ")
        if len(words) >= len(LETTER):
            break
    assert words == LETTER  # the letter's every word, in order, in cues of its own
    assert len(letter) > 26 and {cue.voice for cue in letter} == {"Bram"}  # nobody else inside the letter
    for cue in cues:  # the .vtt escapes "<" as "&lt;": what a player shows is the text unescaped
        assert not any(mark in html.unescape(cue.text) for mark in MARKS), cue.text
    srt = "".join(path.read_text(encoding="utf-8") for path in built.glob("*.srt"))
    assert "If 5 < 6" in srt and not any(mark in srt for mark in MARKS)
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    rows = [row[0] for chapter in manifest["chapters"] for row in chapter["timing"] if row[0] is not None]
    assert len(rows) == len(set(rows))  # one timing row per segment, the letter's too


def test_espeak_is_given_no_markup(story, monkeypatch, tmp_path):
    """What the real engine is handed, as pyttsx3 receives it, for every line of the story."""
    import pyttsx3

    from narrate.engines import get_engine

    config, script = load(*story, None, False)
    lines = cast_book(config, script.characters, [], script.segments)
    given: list[str] = []
    save = pyttsx3.Engine.save_to_file

    def spy(self, text, filename, *args, **kwargs):
        given.append(text)
        return save(self, text, filename, *args, **kwargs)

    monkeypatch.setattr(pyttsx3.Engine, "save_to_file", spy)
    engine = get_engine("espeak")
    wanted = [line for line in lines if any(mark in line.segment.text for mark in ("&c.", "&lt;", "——", "3d"))]
    wanted += [line for line in lines if "very" in line.text_to_speak or "Marie" in line.text_to_speak]
    for n, line in enumerate(wanted):
        engine.synthesize(line.text_to_speak, line.voice, str(tmp_path / f"{n}.wav"))
        assert (tmp_path / f"{n}.wav").stat().st_size > 1000
    spoken = " ".join(given)
    assert "very" in spoken and "Marie Celeste" in spoken and "et cetera" in spoken
    assert "third of May" in spoken and "twenty-third" in spoken and "blank-shire" in spoken
    assert "five less than six" in spoken
    for mark in (*MARKS, "&", "——"):
        assert mark not in spoken, mark
