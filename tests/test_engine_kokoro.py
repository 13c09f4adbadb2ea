"""The kokoro engine, run for real (kokoro-onnx, onnxruntime, espeak-ng's phonemes) on the stand-in model that
tools/make_tiny_kokoro.py makes: the real weights (~337 MB) cannot be fetched here. The stand-in has the real
files' interface and says a tone instead of speech: TOKEN_SECONDS per phoneme token at speed 1, its pitch set by
the voice's style array. So these tests check everything around the weights: the files found in the voices
folder and checked, the voice's style picked from the voices file, phonemes batched within the model's limit,
rate as speed, sentences trimmed and joined, the WAV written, and the errors."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("kokoro_onnx")
pytest.importorskip("onnx")
np = pytest.importorskip("numpy")

from audio_tools import float_samples, rms_db

from narrate import voicelib
from narrate.engines import base, engine_ids, get_engine, neural
from narrate.engines.kokoro import CLAUSE_PAUSE, KokoroEngine, sentences
from narrate.errors import EngineError
from narrate.model import Voice

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import make_tiny_kokoro as tiny

RATE = 24000
LINE = "The ferry left an hour late, and nobody on board seemed to mind."
TWO_SENTENCES = "She counted the gulls twice. Then she gave up and read her book."


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory) -> Path:
    """A voices folder holding the stand-in's two files under the real names, where narrate looks for them."""
    root = tmp_path_factory.mktemp("voices")
    tiny.write(root / "kokoro")
    return root


@pytest.fixture
def engine(stand_in, monkeypatch) -> KokoroEngine:
    monkeypatch.setenv(voicelib.ENV_VAR, str(stand_in))
    return KokoroEngine()


def speak(engine: KokoroEngine, path: Path, text: str = LINE, voice: str = "af_bella", **settings) -> np.ndarray:
    engine.synthesize(text, Voice(engine="kokoro", voice=voice, **settings), str(path))
    pcm, rate = float_samples(path)
    assert rate == RATE
    return pcm


def tokens(text: str) -> int:
    """Phoneme tokens kokoro-onnx feeds the model for `text` (American English), the pads included."""
    kokoro = tiny_kokoro()
    return len(kokoro.tokenizer.tokenize(kokoro.tokenizer.phonemize(text, "en-us"), limit=None)) + 2


def tiny_kokoro():
    from narrate.engines import kokoro

    root = Path(voicelib.voices_root()) / "kokoro"
    return kokoro._models.get(f"{root / 'kokoro-v1.0.onnx'}\n{root / 'voices-v1.0.bin'}")


def tone_hz(pcm: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm))))
    return float(np.argmax(spectrum) * RATE / len(pcm))


def silent_runs(pcm: np.ndarray) -> list[float]:
    """Seconds of each run of 10 ms frames of digital silence between sounds (not before or after them)."""
    frame = RATE // 100
    quiet = np.abs(pcm[: len(pcm) // frame * frame]).reshape(-1, frame).max(axis=1) < 1e-3
    runs, length = [], 0
    for is_quiet in quiet[np.argmin(quiet):]:
        if is_quiet:
            length += 1
        elif length:
            runs.append(length / 100)
            length = 0
    return runs


# ---- the stand-in itself --------------------------------------------------------------------------------

def test_the_stand_in_has_the_interface_kokoro_onnx_feeds(stand_in):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(stand_in / "kokoro" / "kokoro-v1.0.onnx"))
    inputs = {i.name: (i.type, i.shape) for i in session.get_inputs()}
    # as the release's kokoro-v1.0.int8.onnx has them (tools/make_tiny_kokoro.py says where that was read)
    assert inputs == {"tokens": ("tensor(int64)", [1, "sequence_length"]), "style": ("tensor(float)", [1, 256]),
                      "speed": ("tensor(float)", [1])}
    assert [(o.name, o.type, o.shape) for o in session.get_outputs()] == [("audio", "tensor(float)", ["audio_length"])]
    assert (stand_in / "kokoro" / "kokoro-v1.0.onnx").stat().st_size < 4096
    voices = np.load(stand_in / "kokoro" / "voices-v1.0.bin")
    assert sorted(voices.keys()) == sorted(tiny.VOICES)
    assert {voices[name].shape for name in voices} == {(510, 1, 256)}


# ---- speaking -------------------------------------------------------------------------------------------

def test_a_line_is_24_khz_and_as_long_as_its_phonemes(engine, tmp_path):
    pcm = speak(engine, tmp_path / "line.wav")
    expected = tokens(LINE) * tiny.TOKEN_SECONDS  # the model's padding trimmed, margins of a few frames kept
    assert len(pcm) / RATE == pytest.approx(expected + neural.KEEP_BEFORE + neural.KEEP_AFTER, abs=0.03)
    assert rms_db(pcm) > -20 and np.abs(pcm).max() < 1.0
    assert not silent_runs(pcm)  # one sentence: no gap inside


def test_each_voice_has_its_own_style(engine, tmp_path):
    heard = {voice: tone_hz(speak(engine, tmp_path / f"{voice}.wav", voice=voice)) for voice in tiny.VOICES}
    for voice, tone in tiny.VOICES.items():
        assert heard[voice] == pytest.approx(tiny.BASE_HZ + tiny.HZ_PER_UNIT * tone, abs=2), voice


def test_rate_in_words_per_minute_is_kokoros_speed(engine, tmp_path):
    normal = len(speak(engine, tmp_path / "170.wav", rate=170))
    assert normal / len(speak(engine, tmp_path / "255.wav", rate=255)) == pytest.approx(1.5, rel=0.03)
    assert len(speak(engine, tmp_path / "85.wav", rate=85)) / normal == pytest.approx(2.0, rel=0.03)
    with pytest.raises(EngineError, match=r"kokoro engine speaks from 85 to 340 words per minute, got rate 400"):
        speak(engine, tmp_path / "x.wav", rate=400)


def test_sentences_are_trimmed_and_joined_with_the_asked_silence(engine, tmp_path):
    default = speak(engine, tmp_path / "default.wav", TWO_SENTENCES)
    gaps = silent_runs(default)
    # the model's padding around each sentence is gone; the join is sentence_silence plus the margins
    assert len(gaps) == 1 and gaps[0] == pytest.approx(neural.SENTENCE_SILENCE + 0.08, abs=0.03)
    longer = speak(engine, tmp_path / "longer.wav", TWO_SENTENCES, options=(("sentence_silence", "1.25"),))
    assert (len(longer) - len(default)) / RATE == pytest.approx(1.25 - neural.SENTENCE_SILENCE, abs=0.002)


def test_a_sentence_beyond_the_models_510_phonemes_is_said_in_batches(engine, tmp_path):
    clauses = ", ".join(f"the {word} in the drawer by the window" for word in
                        ["spoons", "forks", "knives", "ladles", "whisks", "sieves", "tongs", "graters", "peelers",
                         "skewers", "funnels", "scoops", "rolling pins", "measuring cups", "egg timers"])
    sentence = f"She found {clauses}, and nothing else at all."
    assert tokens(sentence) > 600  # more than one pass of the model can take: kokoro-onnx would refuse it whole
    pcm = speak(engine, tmp_path / "long.wav", sentence)
    gaps = silent_runs(pcm)
    # cut at a clause: kokoro-onnx's clause pause (0.1 s) and what its trim keeps of the model's pads
    assert len(gaps) >= 1 and all(CLAUSE_PAUSE <= g <= CLAUSE_PAUSE + 0.1 for g in gaps), gaps
    spoken = len(pcm) / RATE - sum(gaps)
    # every phoneme said once: each batch carries its own two pads, nothing dropped or repeated
    assert spoken == pytest.approx(tokens(sentence) * tiny.TOKEN_SECONDS, rel=0.03)


def test_volume_scales_and_the_same_line_gives_the_same_samples(engine, tmp_path):
    full = speak(engine, tmp_path / "full.wav")
    assert speak(engine, tmp_path / "again.wav").tobytes() == full.tobytes()
    assert rms_db(speak(engine, tmp_path / "half.wav", volume=0.5)) - rms_db(full) == pytest.approx(-6.02, abs=0.05)


def test_threads_share_one_model_and_say_the_same(engine, tmp_path):
    alone = {voice: speak(engine, tmp_path / f"{voice}.wav", voice=voice).tobytes() for voice in tiny.VOICES}
    together: dict[str, bytes] = {}

    def say(voice: str) -> None:
        together[voice] = speak(engine, tmp_path / f"t-{voice}.wav", voice=voice).tobytes()

    threads = [threading.Thread(target=say, args=(voice,)) for voice in tiny.VOICES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == alone


def test_a_worker_warms_up_by_loading_the_model_it_finds_and_fetches_nothing(stand_in, tmp_path, monkeypatch):
    from narrate.engines import kokoro

    monkeypatch.setattr(kokoro, "_models", neural.PerProcess(kokoro._load))
    monkeypatch.setenv(voicelib.ENV_VAR, str(tmp_path / "no-voices"))
    KokoroEngine().warm_up()
    assert not kokoro._models._values and not (tmp_path / "no-voices").exists()
    monkeypatch.setenv(voicelib.ENV_VAR, str(stand_in))
    KokoroEngine().warm_up()
    [loaded] = kokoro._models._values.values()
    assert sorted(loaded.voices.keys()) == sorted(tiny.VOICES)


def test_nothing_to_say_is_an_empty_clip(engine, tmp_path):
    assert len(speak(engine, tmp_path / "empty.wav", " \n ")) == 0


# ---- the voices, the files, and what goes wrong ---------------------------------------------------------

def test_kokoro_is_a_built_in_engine(monkeypatch):
    monkeypatch.setattr(base, "_engines", {})
    assert "kokoro" in engine_ids()
    assert isinstance(get_engine("kokoro"), KokoroEngine)
    assert base.declared_options("kokoro") == {"sentence_silence": neural.SENTENCE_SILENCE_OPTION}


def test_the_catalogue_lists_every_v1_voice_by_its_names_convention(engine):
    listed = {info.id: info for info in engine.voices()}
    assert len(voicelib.catalogue("kokoro")) == 54 and len(listed) == 41  # all but the Japanese and Mandarin
    assert (listed["af_bella"].language, listed["af_bella"].gender) == ("en-US", "female")
    assert (listed["bm_george"].language, listed["bm_george"].gender) == ("en-GB", "male")
    assert (listed["ef_dora"].language, listed["ff_siwis"].language) == ("es", "fr-FR")
    for entry in voicelib.catalogue("kokoro"):
        assert entry.gender == {"f": "female", "m": "male"}[entry.name[1]]
        assert [f.source() for f in entry.files] == [
            "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0/kokoro-v1.0.onnx",
            "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0/voices-v1.0.bin"]
        assert not entry.verified  # no SHA-256 is published: trusted on first use


def test_the_files_digest_names_the_clips_and_a_changed_file_is_refused(engine, stand_in, tmp_path):
    assert engine.version().startswith("kokoro-onnx ")
    digest = voicelib.ensure("kokoro", "af_bella").sha256
    assert voicelib.ensure("kokoro", "bm_george").sha256 == digest  # one model and one voices file for all
    assert digest in engine.voice_version("af_bella")  # what clip keys add to the engine's version
    changed = tmp_path / "voices"
    tiny.write(changed / "kokoro")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(voicelib.ENV_VAR, str(changed))
        speak(engine, tmp_path / "first.wav")  # first use: the files' sizes and SHA-256 recorded
        tiny.write(changed / "kokoro", {"af_bella": 0.9})  # then another voices file under the same name
        with pytest.raises(EngineError, match=r"voices-v1.0.bin has changed since narrate first used it"):
            speak(engine, tmp_path / "x.wav")


def test_japanese_and_mandarin_voices_are_refused_before_any_download(tmp_path, monkeypatch):
    monkeypatch.setenv(voicelib.ENV_VAR, str(tmp_path / "no-voices"))
    engine = KokoroEngine()
    listed = {info.id for info in engine.voices()}  # what casting chooses from
    assert "ef_dora" in listed and not {"jf_alpha", "zm_yunxi"} & listed
    assert engine.suggest_voices("jf_alpha") is None  # voices.yaml may name it: using it says why it cannot be
    for voice, language in (("jf_alpha", "Japanese"), ("zm_yunxi", "Mandarin")):
        with pytest.raises(EngineError, match=rf"kokoro voice '{voice}' speaks {language}, which narrate cannot "
                                              r"give Kokoro: .*choose an English"):
            engine.voice_version(voice)  # what a build asks first, before it fetches the files
        with pytest.raises(EngineError, match=rf"speaks {language}"):
            speak(engine, tmp_path / "x.wav", voice=voice)
    assert not (tmp_path / "no-voices").exists()


def test_an_unknown_voice_is_refused_with_the_nearest(engine, tmp_path):
    with pytest.raises(EngineError, match=r"unknown kokoro voice 'af_bela'; nearest: af_bella"):
        speak(engine, tmp_path / "x.wav", voice="af_bela")


def test_a_voice_the_voices_file_lacks_names_the_file(engine, stand_in, tmp_path):
    with pytest.raises(EngineError, match=rf"kokoro voice 'af_sky' is not in {stand_in}/kokoro/voices-v1.0.bin, "
                                          r"which holds 5 voices \(af_bella, .*narrate voices --download kokoro:af_sky"):
        speak(engine, tmp_path / "x.wav", voice="af_sky")


def test_offline_without_the_files_says_the_voice_the_url_and_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv(voicelib.ENV_VAR, str(tmp_path / "no-voices"))
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")  # nothing listens there: offline, at once
    with pytest.raises(EngineError) as raised:
        speak(KokoroEngine(), tmp_path / "x.wav", voice="bf_emma")
    message = str(raised.value)
    assert message.startswith("kokoro:bf_emma: cannot download "
                              "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0/")
    assert f"place it at {tmp_path / 'no-voices' / 'kokoro'}/" in message
    assert "narrate voices --download kokoro:bf_emma" in message
    assert not list((tmp_path / "no-voices" / "kokoro").glob("*.onnx"))  # no half file left to be used


@pytest.mark.parametrize("damaged", ["kokoro-v1.0.onnx", "voices-v1.0.bin"])
def test_a_damaged_file_says_which_and_what_to_do(tmp_path, monkeypatch, damaged):
    tiny.write(tmp_path / "kokoro")
    (tmp_path / "kokoro" / damaged).write_bytes(b"not what it should be")
    monkeypatch.setenv(voicelib.ENV_VAR, str(tmp_path))
    with pytest.raises(EngineError, match=rf"kokoro: cannot load {tmp_path}/kokoro/kokoro-v1.0.onnx with "
                                          rf"{tmp_path}/kokoro/voices-v1.0.bin .*delete the damaged file"):
        speak(KokoroEngine(), tmp_path / "x.wav")


@pytest.mark.parametrize(("text", "expected"), [
    ("Mr. Hale came in. He sat down.", ["Mr. Hale came in.", "He sat down."]),
    ('"Stop!" she said. "Now?" Yes… Maybe.', ['"Stop!" she said.', '"Now?"', "Yes…", "Maybe."]),
    ("J. R. Hartley wrote it. 1914 was the year.", ["J. R. Hartley wrote it.", "1914 was the year."]),
    ("It cost 3.50 at most. the end", ["It cost 3.50 at most. the end"]),
])
def test_sentences(text, expected):
    assert sentences(text) == expected


def test_voices_lists_the_shared_files_once_and_the_voices_it_cannot_speak_as_not_offered(capsys, tmp_path,
                                                                                            monkeypatch):
    from cli_tools import run_out

    monkeypatch.setenv(voicelib.ENV_VAR, str(tmp_path / "voices"))
    code, out, _ = run_out(capsys, "voices", "--engine", "kokoro")
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert code == 0
    # before: every row said ~321.4M, as if each voice were a download of its own, and Japanese looked usable
    assert rows["af_bella"].split()[-3:] == ["shared", "not", "downloaded"]
    assert "not offered (Japanese: needs misaki)" in rows["jf_alpha"]
    assert "not offered" not in rows["bm_george"]
    assert "kokoro-v1.0.onnx, voices-v1.0.bin, ~321.4M once" in " ".join(out.split())
