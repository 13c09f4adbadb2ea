"""The hibari engine with the real model (bundled `heart` voice, 24 kHz): output format, speed, volume, sentence
joining, options, voices, errors, and a model made per process."""
from __future__ import annotations

import importlib.util
import multiprocessing
import os

import pytest

pytest.importorskip("hibari")
np = pytest.importorskip("numpy")

from audio_tools import float_samples, rms_db  # noqa: E402

from narrate.engines import base, get_engine, neural  # noqa: E402 - only once hibari is known to be there
from narrate.engines.hibari import HibariEngine  # noqa: E402
from narrate.errors import EngineError  # noqa: E402
from narrate.model import Voice  # noqa: E402

SAMPLE_RATE = 24000  # hibari's rate
LINE = "The kettle had gone cold an hour ago, but nobody wanted to be the one to stand up."
TWO_SENTENCES = "She folded the map along the wrong creases. Then she laughed at herself."


@pytest.fixture(scope="module")
def engine() -> HibariEngine:
    return HibariEngine()


def speak(engine: HibariEngine, path, text: str = LINE, **voice) -> np.ndarray:
    engine.synthesize(text, Voice(engine="hibari", voice="heart", **voice), str(path))
    return samples(path)


def samples(path) -> np.ndarray:
    pcm, rate = float_samples(path)
    assert rate == SAMPLE_RATE
    return pcm


def silent_runs(pcm: np.ndarray, threshold_db: float = -50.0) -> list[float]:
    """Lengths in seconds of every run of 10 ms frames quieter than `threshold_db`."""
    frame = SAMPLE_RATE // 100
    count = len(pcm) // frame
    quiet = 10 * np.log10(np.mean(pcm[: count * frame].reshape(count, frame) ** 2, axis=1) + 1e-12) < threshold_db
    runs, length = [], 0
    for is_quiet in quiet:
        if is_quiet:
            length += 1
        elif length:
            runs.append(length / 100)
            length = 0
    return runs + ([length / 100] if length else [])


def test_a_line_is_24_khz_mono_16_bit_speech_of_a_plausible_length(engine, tmp_path):
    pcm = speak(engine, tmp_path / "line.wav")
    words = len(LINE.split())
    seconds = len(pcm) / SAMPLE_RATE
    assert words / 4.5 < seconds < words / 2.0  # 2-4.5 words a second: speech, not a beep or a drawl
    assert rms_db(pcm) > -35  # speech, not silence
    assert np.abs(pcm).max() < 1.0  # and not clipped


def test_the_model_padding_is_trimmed_and_sentences_joined_with_the_asked_silence(engine, tmp_path):
    default = speak(engine, tmp_path / "default.wav", TWO_SENTENCES)
    runs = silent_runs(default)
    assert len(default) / SAMPLE_RATE > 2.0
    # hibari pads each sentence with ~0.3 s before and ~0.45 s after: here at most the margins are left
    assert silent_runs(default[: SAMPLE_RATE // 2])[0] <= neural.KEEP_BEFORE + 0.02
    assert max(runs) <= neural.SENTENCE_SILENCE + 0.2  # the join, plus the kept margins
    longer = speak(engine, tmp_path / "longer.wav", TWO_SENTENCES, options=(("sentence_silence", "1.25"),))
    assert (len(longer) - len(default)) / SAMPLE_RATE == pytest.approx(1.25 - neural.SENTENCE_SILENCE, abs=0.002)


def test_the_same_line_gives_the_same_samples(engine, tmp_path):
    assert speak(engine, tmp_path / "a.wav").tobytes() == speak(engine, tmp_path / "b.wav").tobytes()


def test_rate_in_words_per_minute_sets_hibaris_speed(engine, tmp_path):
    normal = len(speak(engine, tmp_path / "170.wav", rate=170))
    fast = len(speak(engine, tmp_path / "255.wav", rate=255))
    slow = len(speak(engine, tmp_path / "119.wav", rate=119))
    assert normal / fast == pytest.approx(1.5, rel=0.1)
    assert slow / normal == pytest.approx(170 / 119, rel=0.1)


@pytest.mark.parametrize("rate", [80, 345, 450])
def test_a_rate_hibari_cannot_reach_is_refused_with_the_range(engine, tmp_path, rate):
    with pytest.raises(EngineError, match=r"hibari engine speaks from 85 to 340 words per minute, got rate"):
        speak(engine, tmp_path / "x.wav", rate=rate)


def test_volume_scales_the_samples(engine, tmp_path):
    full = speak(engine, tmp_path / "full.wav")
    half = speak(engine, tmp_path / "half.wav", volume=0.5)
    assert rms_db(half) - rms_db(full) == pytest.approx(-6.02, abs=0.05)


def test_voices_offer_the_bundled_heart(engine):
    heart = {info.id: info for info in engine.voices()}["heart"]
    assert (heart.language, heart.gender) == ("en-US", "female")
    assert engine.suggest_voices("heart") is None
    assert engine.suggest_voices("hart") == ["heart"]


def test_an_unknown_voice_is_refused_with_the_nearest(engine, tmp_path):
    with pytest.raises(EngineError, match=r"unknown hibari voice 'haert'; nearest: heart"):
        speak_as(engine, tmp_path, "haert")


def test_a_voice_that_needs_a_download_says_where_it_comes_from_when_offline(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path / "empty-cache"))  # where hibari keeps downloaded voices
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: offline
    assert "emma" in {info.id for info in engine.voices()}
    with pytest.raises(EngineError, match=r"hibari:emma: cannot download http://127.0.0.1:9/maureesewilliams/hibari/"
                                          r"resolve/main/voices/bf_emma.int8.onnx .*place it at .*bf_emma.int8.onnx"):
        speak_as(engine, tmp_path, "emma")
    assert not (tmp_path / "empty-cache").exists()  # hibari's own downloader was not used


def speak_as(engine: HibariEngine, tmp_path, voice_id: str) -> None:
    engine.synthesize(LINE, Voice(engine="hibari", voice=voice_id), str(tmp_path / "x.wav"))


@pytest.mark.parametrize("options, message", [
    ((("length_scale", "1.2"),), r"the hibari engine has no voice option length_scale; its options are: sentence_silence"),
    ((("sentence_silence", "long"),), r"sentence_silence: must be a number from 0 to 2 .*got 'long'"),
    ((("sentence_silence", "3"),), r"sentence_silence: must be a number from 0 to 2"),
])
def test_options_are_checked(engine, tmp_path, options, message):
    with pytest.raises(EngineError, match=message):
        speak(engine, tmp_path / "x.wav", options=options)


def test_version_names_the_package_and_the_model(engine):
    from importlib import metadata

    assert engine.version().startswith(f"hibari-tts {metadata.version('hibari-tts')} (model heart ")


def test_declares_how_it_runs_in_parallel():
    assert HibariEngine.parallel == "processes" and HibariEngine.speed_class == "fast"


def test_the_registry_finds_it_and_says_how_to_install_it_when_missing(monkeypatch):
    monkeypatch.setattr(base, "_engines", {})
    assert isinstance(get_engine("hibari"), HibariEngine)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(base, "_engines", {})
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "hibari" else real_find_spec(name, *a))
    with pytest.raises(EngineError, match=r"'hibari' is not available: pip install 'narrate\[hibari\]'"):
        get_engine("hibari")


def _speak_in_child(path: str) -> None:
    HibariEngine().synthesize(LINE, Voice(engine="hibari", voice="heart"), path)


def test_a_forked_child_speaks_with_a_model_of_its_own(engine, tmp_path):
    speak(engine, tmp_path / "parent.wav")  # the parent's model is loaded before the fork
    with multiprocessing.get_context("fork").Pool(1) as pool:
        pool.apply_async(_speak_in_child, (str(tmp_path / "child.wav"),)).get(timeout=60)
    assert samples(tmp_path / "child.wav").tobytes() == samples(tmp_path / "parent.wav").tobytes()


_made: list[tuple[int, str]] = []
_per_process = neural.PerProcess(lambda key: _made.append((os.getpid(), key)) or object())


def _get_in_child(key: str) -> list[tuple[int, str]]:
    _per_process.get(key)
    return list(_made)


def test_per_process_values_are_made_once_per_process_and_again_after_a_fork():
    """onnxruntime's state does not survive a fork: a child must not use the model its parent loaded."""
    first = _per_process.get("heart")
    assert _per_process.get("heart") is first
    with multiprocessing.get_context("fork").Pool(1) as pool:
        in_child = pool.apply_async(_get_in_child, ("heart",)).get(timeout=60)
    (parent, _), (child, _) = in_child  # made once in the parent, once in the child
    assert parent == os.getpid() and child != os.getpid()
    assert _made == [(os.getpid(), "heart")]  # the parent's value stays
