"""Auto-casting on real engines' audio: `narrate cast --engine` with espeak-ng and hibari's heart, checked by
measuring the median pitch of each cast voice saying a line of the story, as a build would shape it."""
import itertools
import json
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml
from cli_tools import run_out, write_story

from narrate.casting.library import base_voice
from narrate.casting.measure import Measurer
from narrate.casting.recall import PASSAGE
from narrate.casting.voiceprint import median_pitch, timbre
from narrate.engines import get_engine, variants
from narrate.model import Voice

STORY = """The Lighthouse

The keeper climbed the stairs. "The lamp is out again," said Tomas. He was a tall man with a slow voice.

"Then light it," said Mira. She laughed at him from the door.

"I will," Tomas said. "But the oil is low."

Mira shook her head. "There is more in the shed," she said.
"""
LINE = "The storm came in from the sea before anyone had finished their supper."


def voices_of(path: Path) -> dict[str, Voice]:
    """Each part's voice in a voices.yaml `cast --write` made."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    parts = {"narrator": data["narrator"], "unknown": data["unattributed"], **data["characters"]}
    return {name: Voice(engine=spec.get("engine", "espeak"), voice=spec["voice"], pitch=spec.get("pitch", 50),
                        semitones=spec.get("semitones", 0.0), tempo=spec.get("tempo", 1.0))
            for name, spec in parts.items()}


def pitch_of(voice: Voice, text: str = LINE) -> float:
    """The median pitch of `voice` saying `text`: the engine's take, shifted as a build shapes it."""
    with tempfile.TemporaryDirectory() as scratch:
        raw, shaped = Path(scratch) / "raw.wav", Path(scratch) / "shaped.wav"
        get_engine(voice.engine).synthesize(text, voice, str(raw))
        variants.apply_variant(raw, shaped, voice.semitones, voice.tempo)
        samples, rate = soundfile.read(str(shaped), dtype="float32")
    return median_pitch(samples, rate)


def test_pitch_and_timbre_of_a_tone_and_of_real_voices():
    rate = 22050
    t = np.arange(rate) / rate
    tone = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6)).astype(np.float32)
    assert median_pitch(tone, rate) == pytest.approx(12 * np.log2(150 / 440) + 69, abs=0.05)
    # espeak-ng's en-us is a man's voice, en+f1 a woman's: more than 5 semitones apart
    low, high = pitch_of(Voice(voice="en-us")), pitch_of(Voice(voice="en+f1"))
    assert 40 < low < 48 and high - low > 5
    assert len(timbre(tone, rate)) == 12


def test_a_measurement_is_kept_and_read_back(tmp_path, monkeypatch):
    path = tmp_path / "measurements.json"
    voice = Voice(voice="en+f1", pitch=62)
    with Measurer(path) as measurer:
        first = measurer.measure(voice)
    assert first.recall is None and abs(first.pitch - pitch_of(voice, PASSAGE)) < 0.3  # espeak varies a little
    entries = json.loads(path.read_text())
    assert [e["voice"] for e in entries.values()] == ["en+f1 pitch 62"]

    def no_audio(*_):
        raise AssertionError("measured again")

    monkeypatch.setattr(Measurer, "_audio", no_audio)
    with Measurer(path) as measurer:
        assert measurer.measure(Voice(voice="en+f1", pitch=62, rate=200)) == first  # rate is not measured


def test_cast_shows_the_nearest_pair(tmp_path, capsys):
    story = write_story(tmp_path, STORY)
    code, out, _ = run_out(capsys, "cast", story)
    assert code == 0
    line = " ".join(out.split()).split("nearest pair: ")[1]  # rich wraps the line
    # espeak-ng's default cast: every part on a voice of its own; the nearest two named, with how far apart
    assert re.match(r"\w+ and \w+, \d+\.\d semitones apart \(\d+ Hz and \d+ Hz\), on different voices, "
                    r"espeak:\S+ and espeak:\S+", line), line


@pytest.mark.slow  # the recogniser listens to each voice chosen (~10 s each for espeak-ng)
def test_espeak_cast_is_distinct_and_followed(tmp_path, capsys):
    story = write_story(tmp_path, STORY)
    target = tmp_path / "voices.yaml"
    code, out, err = run_out(capsys, "cast", story, "--voices", target, "--write", "--engine", "espeak")
    assert code == 0, err
    cast = voices_of(target)
    assert cast["Tomas"].voice in ("en+m1", "en+m6", "en-gb-x-rp+m1")  # the male pool
    assert cast["Mira"].voice in ("en+f1", "en+f3", "en+f2")
    assert len({(v.voice, v.pitch) for v in cast.values()}) == len(cast)
    assert "followed by the recogniser at >=" in " ".join(out.split())


@pytest.mark.slow  # heart's variants measured, and the recogniser run on each voice chosen: minutes
def test_gone_on_hibari_keeps_every_pair_on_heart_two_semitones_apart(tmp_path, capsys, gone_story):
    pytest.importorskip("hibari")
    target = tmp_path / "voices.yaml"
    code, out, err = run_out(capsys, "cast", gone_story, "--voices", target, "--write", "--engine", "hibari")
    assert code == 0, err
    cast = voices_of(target)
    assert {v.voice for v in cast.values()} == {"heart"}  # the only hibari voice here
    # measured again here, on the audio of the passage auto-casting measures (hibari is seeded: the same samples)
    pitches = {name: pitch_of(voice, PASSAGE) for name, voice in cast.items()}
    for a, b in itertools.combinations(cast, 2):
        if base_voice(cast[a]) == base_voice(cast[b]):
            assert abs(pitches[a] - pitches[b]) >= 2.0 - 0.005, (a, b, pitches)  # kept rounded to 0.001
    flat = " ".join(out.split())
    assert "nearest pair:" in flat and "not 2 semitones from every voice" not in flat


def test_cast_measures_no_voice_it_would_have_to_download(tmp_path, capsys):
    pytest.importorskip("piper")
    story = write_story(tmp_path, STORY)
    voices = tmp_path / "voices.yaml"
    voices.write_text("characters:\n  Mira: {voice: 'piper:en_GB-alba-medium'}\n", encoding="utf-8")
    code, out, err = run_out(capsys, "cast", story, "--voices", voices)
    assert code == 0, err
    assert ("nearest pair: not measured (piper:en_GB-alba-medium not downloaded yet: narrate voices --download "
            "piper:en_GB-alba-medium)") in " ".join(out.split())


@pytest.mark.slow  # the recogniser listens to each tone: ~1.5 minutes
def test_kokoro_cast_on_the_stand_in_model(tmp_path, capsys, monkeypatch):
    """Kokoro's path on tools/make_tiny_kokoro.py's model (a tone per voice: every recall is 0, so the floor is
    too): voices by gender and the catalogue's grade, the voices its voices file lacks passed over."""
    pytest.importorskip("kokoro_onnx")
    pytest.importorskip("onnx")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import make_tiny_kokoro as tiny

    tiny.write(tmp_path / "voices" / "kokoro")
    monkeypatch.setenv("NARRATE_VOICES_DIR", str(tmp_path / "voices"))
    story = write_story(tmp_path, STORY)
    target = tmp_path / "voices.yaml"
    code, out, err = run_out(capsys, "cast", story, "--voices", target, "--write", "--engine", "kokoro")
    assert code == 0, err
    cast = voices_of(target)
    assert cast["narrator"].voice == "af_heart"  # grade A
    assert cast["Mira"].voice == "af_bella" and cast["Tomas"].voice in ("am_adam", "bm_george")
    assert not any(v.semitones for v in cast.values())  # five voices here: no variant needed
    assert "passed over, not to be had here" in " ".join(out.split())


def test_cast_shows_a_variants_tempo_only_when_it_has_one(tmp_path, capsys):
    pytest.importorskip("hibari")
    story = write_story(tmp_path, STORY)
    voices = tmp_path / "voices.yaml"
    voices.write_text("characters:\n  Mira: {engine: hibari, voice: heart, semitones: 2}\n"
                      "  Tomas: {engine: hibari, voice: heart, semitones: -3, tempo: 0.9}\n", encoding="utf-8")
    code, out, err = run_out(capsys, "cast", story, "--voices", voices)
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()[:1] in (["Mira"], ["Tomas"])}
    assert "+2 st" in rows["Mira"] and "x1" not in rows["Mira"]
    assert "-3 st, x0.9" in rows["Tomas"]
