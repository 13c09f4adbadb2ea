"""The espeak engine against the real libespeak-ng: each pyttsx3 quirk listed in narrate/engines/espeak.py is
covered here, with the real engine where it can be provoked and by fault injection where it cannot."""
from __future__ import annotations

import array
import multiprocessing
import operator
import os
import re
import statistics
import wave

import pytest
import pyttsx3
import pyttsx3.drivers.espeak  # the driver module the fault-injection tests patch
from hypothesis import given
from hypothesis import strategies as st

from narrate.engines import espeak
from narrate.engines.espeak import (
    CHANNELS,
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    EspeakEngine,
    split_text,
)
from narrate.errors import EngineError
from narrate.model import Voice

LINE = "The ferry horn sounded twice across the grey water before anyone on the pier looked up."

# Our own prose, for texts long enough to need chunking.
PARAGRAPH = (
    "Mara counted the crates on the dock while her brother argued with the harbour master about the tide. "
    "Nobody had told them the crane would be idle until noon, so they sat on the warm stones and waited. "
    "A dog trotted past with a rope in its mouth, proud of a prize that nobody else wanted. "
    "When the bell finally rang, the men came back slowly, wiping their hands and trading complaints about the heat. "
    "By evening the last crate was aboard, and the boat sat low and patient in the water. "
)


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine()


def speak(engine: EspeakEngine, path, text: str = LINE, **voice) -> array.array:
    engine.synthesize(text, Voice(**voice), str(path))
    return samples(path)


def speak_series(engine: EspeakEngine, directory, prop: str, values, text: str = LINE) -> list[array.array]:
    """The same text once per value of one Voice property, in order, each into its own file."""
    return [speak(engine, directory / f"{prop}-{i}.wav", text, **{prop: value}) for i, value in enumerate(values)]


def samples(path) -> array.array:
    with wave.open(str(path), "rb") as wav:
        return array.array("h", wav.readframes(wav.getnframes()))


def seconds(pcm: array.array) -> float:
    return len(pcm) / SAMPLE_RATE


def median_f0(pcm: array.array) -> float:
    """The speaker's pitch in Hz: autocorrelation over the loudest frames, at a quarter of the sample rate."""
    step, frame = 4, 400
    rate = SAMPLE_RATE / step
    low = [sum(pcm[i : i + step]) for i in range(0, len(pcm) - step, step)]
    lags = range(int(rate / 500), int(rate / 60))
    frames = [low[i : i + frame + lags.stop] for i in range(0, len(low) - frame - lags.stop, frame)]
    loudest = sorted(frames, key=lambda f: sum(map(abs, f)), reverse=True)[:15]
    best_lags = [max(lags, key=lambda lag: sum(map(operator.mul, f[:frame], f[lag : lag + frame]))) for f in loudest]
    return statistics.median(rate / lag for lag in best_lags)


def close(a: float, b: float, tolerance: float = 0.06) -> bool:
    """Pitch estimates of the same voice agree within a few percent (the lag resolution at 5.5 kHz)."""
    return abs(a - b) <= tolerance * max(a, b)


def run_in_new_process(method: str, func, *args, timeout: float = 60):
    """func(*args) in a pool worker started with `method`; a hang fails the test instead of blocking it."""
    with multiprocessing.get_context(method).Pool(1) as pool:
        return pool.apply_async(func, args).get(timeout)


# --- output format and basic behaviour ----------------------------------------------------------------


def test_writes_mono_16bit_wav_at_the_declared_rate(engine, tmp_path):
    out = tmp_path / "line.wav"
    engine.synthesize(LINE, Voice(rate=170), str(out))
    with wave.open(str(out), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (CHANNELS, SAMPLE_WIDTH, SAMPLE_RATE)
        duration = wav.getnframes() / SAMPLE_RATE
    words = len(LINE.split())
    assert 0.6 * words / 170 * 60 < duration < 1.5 * words / 170 * 60


def test_blank_text_gives_a_valid_empty_wav(engine, tmp_path):
    out = tmp_path / "blank.wav"
    engine.synthesize(" \n\t ", Voice(), str(out))
    assert len(samples(out)) == 0


def test_text_after_a_nul_character_is_spoken(engine, tmp_path):
    whole = speak(engine, tmp_path / "plain.wav", "Hello there.")
    after_nul = speak(engine, tmp_path / "nul.wav", "\0Hello there.")
    assert abs(seconds(after_nul) - seconds(whole)) < 0.1


def test_version_names_pyttsx3_and_espeak_ng(engine):
    version = engine.version()
    assert version.startswith(f"pyttsx3 {pyttsx3_version()} / espeak-ng ")
    assert version.rpartition(" ")[2][0].isdigit()


def pyttsx3_version() -> str:
    from importlib.metadata import version

    return version("pyttsx3")


def test_voices_list_espeak_voices_and_variants(engine):
    by_id = {info.id: info for info in engine.voices()}
    assert {"en", "en-us", "en-gb-scotland"} <= set(by_id)
    assert {"+m1", "+m7", "+f1", "+f5", "+croak", "+whisper"} <= set(by_id)
    assert by_id["en-us"].language == "en-us" and by_id["en-us"].name == "English (America)"
    assert by_id["+f3"].gender == "female" and by_id["+m3"].gender == "male"
    assert by_id["+f3"].language == "variant"


@pytest.mark.parametrize("voice_id", ["en-us", "en", "en-gb-scotland", "en-us+f3", "en+m3", "en-us+whisper"])
def test_valid_voice_ids_have_no_suggestions(engine, voice_id):
    assert engine.suggest_voices(voice_id) is None


@pytest.mark.parametrize(
    ("voice_id", "expected"),
    [("en-usa", "en-us"), ("en-US", "en-us"), ("en-us+f9", "en-us+f"), ("en-uss+m3", "en-us+m3")],
)
def test_invalid_voice_ids_get_the_nearest_valid_ones(engine, voice_id, expected):
    suggestions = engine.suggest_voices(voice_id)
    assert suggestions and all(engine.suggest_voices(s) is None for s in suggestions)
    assert any(s.startswith(expected) for s in suggestions)


def test_unknown_voice_is_refused_before_synthesis_naming_the_nearest(engine, tmp_path):
    # pyttsx3 would ignore it silently and speak with the previous voice.
    out = tmp_path / "bad.wav"
    with pytest.raises(EngineError, match=r"unknown espeak voice 'en-usa'.*nearest: en-us"):
        engine.synthesize(LINE, Voice(voice="en-usa"), str(out))
    assert not out.exists()


def test_voice_options_are_refused(engine, tmp_path):
    with pytest.raises(EngineError, match="takes no voice options, got: breathiness"):
        engine.synthesize(LINE, Voice(options=(("breathiness", "3"),)), str(tmp_path / "x.wav"))


# --- properties apply to the utterance they were set for -------------------------------------------------


def test_rate_applies_to_its_own_utterance(engine, tmp_path):
    slow1, fast, slow2 = map(seconds, speak_series(engine, tmp_path, "rate", (120, 300, 120)))
    assert abs(slow1 - slow2) < 0.05  # runs differ by a few ms, never by a rate change
    assert 2.0 < slow1 / fast < 3.2  # 300/120 = 2.5 words per minute


def test_pitch_applies_to_its_own_utterance(engine, tmp_path):
    low1, high, low2 = map(median_f0, speak_series(engine, tmp_path, "pitch", (10, 90, 10)))
    assert close(low1, low2)
    assert high > 1.5 * low1


def test_volume_applies_to_its_own_utterance(engine, tmp_path):
    loud1, quiet, loud2 = (max(map(abs, pcm)) for pcm in speak_series(engine, tmp_path, "volume", (1, 0.2, 1)))
    assert 0.1 < quiet / loud1 < 0.3
    assert abs(loud1 - loud2) < 0.1 * loud1


def test_voice_applies_to_its_own_utterance(engine, tmp_path):
    two_sentences = PARAGRAPH.split(". ")[0] + ". " + PARAGRAPH.split(". ")[1] + "."
    voices = ("en-us", "en-us+f3", "en-gb-scotland", "en-us")
    us1, female, scot, us2 = speak_series(engine, tmp_path, "voice", voices, two_sentences)
    assert close(median_f0(us1), median_f0(us2))
    assert median_f0(female) > 1.6 * median_f0(us1)
    # Same pitch, another accent: the Scottish voice takes ~0.3 s less over these two sentences.
    assert abs(seconds(us1) - seconds(us2)) < 0.06
    assert seconds(us1) - seconds(scot) > 0.15


def test_each_run_and_wait_follows_exactly_one_queued_utterance(engine, tmp_path, monkeypatch):
    # runAndWait with only property changes queued never returns; of several queued files only the last
    # is written. So the calls must read (setProperty* save_to_file runAndWait)+.
    calls: list[str] = []
    for name, letter in (("setProperty", "P"), ("save_to_file", "S"), ("runAndWait", "R")):
        original = getattr(pyttsx3.Engine, name)

        def recorder(self, *args, _letter=letter, _original=original):
            calls.append(_letter)
            return _original(self, *args)

        monkeypatch.setattr(pyttsx3.Engine, name, recorder)
    for i, voice in enumerate(("en-us", "en+m3", "en-us+f3")):
        speak(engine, tmp_path / f"{i}.wav", voice=voice, rate=150 + 40 * i)
    speak(engine, tmp_path / "long.wav", PARAGRAPH * 6)
    sequence = "".join(calls)
    assert sequence.count("R") >= 5
    assert re.fullmatch(r"(P*SR)+", sequence), sequence


def _speak_with_changing_properties(directory: str) -> list[int]:
    engine = EspeakEngine()
    lengths = []
    for i in range(24):
        voice = Voice(voice=("en-us", "en+m3", "en-us+f3")[i % 3], rate=130 + 13 * i, pitch=(20, 50, 80)[i % 3],
                      volume=(1.0, 0.6)[i % 2])
        path = os.path.join(directory, f"{i}.wav")
        engine.synthesize(f"Line {i}: {LINE}", voice, path)
        lengths.append(len(samples(path)))
    return lengths


def test_consecutive_syntheses_with_changing_properties_all_complete(tmp_path):
    lengths = run_in_new_process("spawn", _speak_with_changing_properties, str(tmp_path), timeout=30)
    assert len(lengths) == 24 and all(lengths)
    assert lengths[0] > lengths[-1]  # the rate rose from 130 to 429 words per minute


# --- the first runAndWait of a fresh engine returns early -------------------------------------------------


def _first_synthesis_in_this_process(path: str) -> int:
    espeak.ATTEMPTS = 1  # a retry would hide a first call that returned before the file was written
    EspeakEngine().synthesize(PARAGRAPH * 2, Voice(), path)
    return len(samples(path))


def test_first_synthesis_in_a_fresh_process_is_complete(engine, tmp_path):
    first = run_in_new_process("spawn", _first_synthesis_in_this_process, str(tmp_path / "first.wav"))
    later = len(speak(engine, tmp_path / "later.wav", PARAGRAPH * 2))
    assert abs(first - later) < 0.01 * later


# --- long text is chunked: pyttsx3 is quadratic in the length of one call ----------------------------------


@given(st.text(st.sampled_from("abc ,.;!?\n\u2014\u201d"), max_size=400), st.integers(10, 60))
def test_split_text_keeps_every_word_in_order_within_the_limit(text, limit):
    chunks = split_text(text, limit)
    assert all(0 < len(chunk) <= limit for chunk in chunks)
    words = text.split()
    if all(len(word) <= limit for word in words):
        assert " ".join(chunks).split() == words


def test_split_text_prefers_sentence_then_clause_boundaries():
    text = "One two three. Four five six! Seven, eight, nine ten eleven twelve thirteen. End."
    assert split_text(text, 30) == [
        "One two three. Four five six!",
        "Seven, eight,",
        "nine ten eleven twelve",
        "thirteen. End.",
    ]
    assert split_text("Short.", 30) == ["Short."]
    assert split_text('He said "stop." Then left.', 18) == ['He said "stop."', "Then left."]


def test_long_text_reaches_pyttsx3_in_bounded_chunks_and_is_of_plausible_length(engine, tmp_path, monkeypatch):
    long_text = PARAGRAPH * 33  # about 3,000 words: pyttsx3 alone takes ~10 s on it, in chunks ~1 s
    words = len(long_text.split())
    assert 2900 < words < 3300
    given = []  # what each pyttsx3 call was asked to say: its cost grows with the square of that length
    real = pyttsx3.Engine.save_to_file
    monkeypatch.setattr(pyttsx3.Engine, "save_to_file",
                        lambda tts, text, *args, **kwargs: given.append(text) or real(tts, text, *args, **kwargs))
    quarter = speak(engine, tmp_path / "quarter.wav", PARAGRAPH * 8, rate=300)
    whole = speak(engine, tmp_path / "whole.wav", long_text, rate=300)
    # linear in the text: no call gets more than a chunk, so the whole takes ~4x the quarter, not ~16x
    assert given and max(map(len, given)) <= espeak.MAX_CHUNK_CHARS
    assert len(given) >= len(" ".join(long_text.split())) // espeak.MAX_CHUNK_CHARS + 2
    assert 0.65 * words / 300 * 60 < seconds(whole) < 1.4 * words / 300 * 60
    assert abs(seconds(whole) / seconds(quarter) - 33 / 8) < 0.1 * 33 / 8


# --- pyttsx3 prints "Audio saved to <path>" ---------------------------------------------------------------


def test_nothing_reaches_stdout(engine, tmp_path, capfd):
    print("before")
    speak(engine, tmp_path / "a.wav")
    speak(engine, tmp_path / "b.wav", PARAGRAPH * 4)
    print("after")
    out, _ = capfd.readouterr()
    assert out == "before\nafter\n"


def test_native_writes_to_fd_1_are_discarded_during_engine_calls(capfd):
    with espeak._stdout_discarded():
        os.write(1, b"from native code\n")
        print("from python")
    os.write(1, b"restored\n")
    assert capfd.readouterr().out == "restored\n"


# --- valid but empty WAV files ----------------------------------------------------------------------------


class FrameDroppingWave:
    """Stands in for the `wave` module inside pyttsx3's driver: the first `drops` files get no frames."""

    def __init__(self, drops: int):
        self.remaining = drops

    def open(self, path, mode):
        writer = wave.open(path, mode)
        if self.remaining:
            self.remaining -= 1
            writer.writeframes = lambda data: None
        return writer


def test_an_empty_wav_is_retried_with_the_same_voice(engine, tmp_path, monkeypatch):
    expected = speak(engine, tmp_path / "clean.wav", rate=260, voice="en-us+f3")
    monkeypatch.setattr(pyttsx3.drivers.espeak, "wave", FrameDroppingWave(drops=espeak.ATTEMPTS - 1))
    retried = speak(engine, tmp_path / "retried.wav", rate=260, voice="en-us+f3")
    assert abs(seconds(retried) - seconds(expected)) < 0.05
    assert close(median_f0(retried), median_f0(expected))


def test_empty_wavs_every_time_raise_engine_error(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(pyttsx3.drivers.espeak, "wave", FrameDroppingWave(drops=espeak.ATTEMPTS))
    out = tmp_path / "never.wav"
    with pytest.raises(EngineError, match=rf"no audio for 'The ferry horn.*in {espeak.ATTEMPTS} attempts"):
        engine.synthesize(LINE, Voice(), str(out))
    assert not out.exists()


def test_run_and_wait_never_starts_while_espeak_is_busy(engine, tmp_path, monkeypatch):
    # The cause of the empty files: pyttsx3's runAndWait begins with driver.stop(), which cancels the next
    # utterance if libespeak-ng's thread is still running queued commands (our property changes). Without
    # the wait for idle this happened at ~70% of calls here; under CPU load ~1 file in 30 came out empty.
    busy_at_start: list[int] = []
    original_stop = pyttsx3.drivers.espeak.EspeakDriver.stop

    def recording_stop(driver):
        busy_at_start.append(espeak._espeak_library().IsPlaying())
        original_stop(driver)

    monkeypatch.setattr(pyttsx3.drivers.espeak.EspeakDriver, "stop", recording_stop)
    voices = [Voice(voice="en-us", rate=150), Voice(voice="en-us+f3", rate=190, pitch=70), Voice(voice="en+m3")]
    for i in range(30):
        engine.synthesize(f"Check {i}, short and plain.", voices[i % 3], str(tmp_path / "c.wav"))
    assert len(busy_at_start) >= 30 and not any(busy_at_start)


# --- processes ----------------------------------------------------------------------------------------------


def _speak_in_worker(path: str) -> int:
    EspeakEngine().synthesize(LINE, Voice(voice="en+m3"), path)
    return len(samples(path))


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_worker_process_can_speak_after_the_parent_did(engine, tmp_path, method):
    # fork after pyttsx3 has started hangs the child unless the engine is created again there.
    parent = len(speak(engine, tmp_path / "parent.wav", voice="en+m3"))
    child = run_in_new_process(method, _speak_in_worker, str(tmp_path / f"{method}.wav"), timeout=30)
    assert abs(child - parent) < 0.02 * parent
