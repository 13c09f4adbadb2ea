"""Synthesis on a real Dask cluster: a distributed.LocalCluster of 2 worker processes on loopback, the real
espeak-ng engine, real ffmpeg. A build through it must match a local build and fill the local cache; a worker
killed mid-build must not stop it; an engine a worker lacks, or one that cannot leave this machine, fails with
a message that says what to do."""
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from fake_engine import FakeEngine  # noqa: E402

from narrate import pipeline  # noqa: E402
from narrate.casting.cast import clip_key  # noqa: E402
from narrate.engines import get_engine  # noqa: E402
from narrate.errors import ConfigError, EngineError  # noqa: E402
from narrate.model import Line, Segment, Voice  # noqa: E402
from narrate.request import BuildRequest  # noqa: E402
from narrate.state import ClipCache, clip_samples  # noqa: E402
from narrate.synthesis import remote  # noqa: E402
from narrate.synthesis.cluster import cluster_pool  # noqa: E402
from narrate.synthesis.local import synthesize  # noqa: E402

REPO = Path(__file__).parents[1]
STORY = REPO / "tests" / "stories" / "the-ferry-at-dunmore.txt"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as local_cluster:
        yield local_cluster


def manifest(outdir: Path) -> dict:
    return json.loads((outdir / "manifest.json").read_text())


def cached_clips(cache_dir: Path) -> int:
    return sum(1 for _path, is_clip in ClipCache(cache_dir).files() if is_clip)


def assert_same_book(ours: dict, theirs: dict) -> None:
    assert [(c["number"], c["segments"], c["speakers"]) for c in ours["chapters"]] == \
        [(c["number"], c["segments"], c["speakers"]) for c in theirs["chapters"]]
    for mine, other in zip(ours["chapters"], theirs["chapters"]):
        # espeak-ng's clips differ by a few ms between calls: one-clip parts (the credits) by up to ~50 ms
        assert mine["duration"] == pytest.approx(other["duration"], rel=0.005, abs=0.1)


@pytest.mark.slow
def test_a_build_on_the_cluster_matches_a_local_build_and_fills_the_cache(cluster, tmp_path, use_cache):
    use_cache(tmp_path / "local-cache")
    local = pipeline.build(BuildRequest(STORY, tmp_path / "local", formats=("mp3",)))

    use_cache(tmp_path / "cluster-cache")
    with cluster_pool(cluster.scheduler_address) as pool:
        distributed_build = pipeline.build(BuildRequest(STORY, tmp_path / "cluster", formats=("mp3",)), pool=pool)
        assert distributed_build.cached_clips == 0
        again = pipeline.build(BuildRequest(STORY, tmp_path / "again", formats=("mp3",)), pool=pool)

    assert_same_book(manifest(tmp_path / "local"), manifest(tmp_path / "cluster"))
    assert cached_clips(tmp_path / "cluster-cache") == cached_clips(tmp_path / "local-cache") > 50
    assert again.cached_clips == again.clips == local.clips  # the second build reused every clip
    assert not list((tmp_path / "cluster-cache").rglob(f"{remote.PROBE_PREFIX}*"))  # the probe is gone


def espeak_lines(texts):
    voice = Voice(engine="espeak", voice="en-us")
    version = get_engine("espeak").version()
    return [Line(segment=Segment(chapter=1, index=i, kind="narration", text=t, start=0, end=len(t), paragraph=0),
                 voice=voice, text_to_speak=t, key=clip_key(voice, version, t)) for i, t in enumerate(texts)]


def test_clips_travel_back_when_the_workers_do_not_see_the_cache(cluster, cache_dir, monkeypatch):
    def unseen_probe(directory):  # as a worker on another machine would find it: not there
        from contextlib import nullcontext
        return nullcontext((directory / f"{remote.PROBE_PREFIX}elsewhere", "token"))

    monkeypatch.setattr(remote, "_probe", unseen_probe)
    texts = [f"The gull counted {n} boats before noon." for n in range(12)]
    with cluster_pool(cluster.scheduler_address) as pool:
        clips = synthesize(espeak_lines(texts), ClipCache(), pool=pool)
    assert cached_clips(cache_dir) == 12
    for clip in clips:
        info, samples = clip_samples(Path(clip.path).read_bytes())  # a whole clip, as sealed by the worker
        assert len(samples) == 2 * info.frames == 2 * clip.frames and clip.frames > 0.5 * info.sample_rate


@pytest.mark.slow
def test_a_worker_killed_mid_build_does_not_stop_it(cluster, tmp_path, use_cache):
    story = tmp_path / "long-watch.txt"
    story.write_text("The Long Watch\n\n" + "\n\n".join(
        f'"Buoy {n} is lit and riding high," said Mara, and ticked box {n}.\n\n'
        f'"Mark {n}, then," Oskar answered, and wrote {n} in the log.'
        for n in range(100)), encoding="utf-8")  # every line its own: espeak's few-ms jitter does not add up
    use_cache(tmp_path / "local-cache")
    pipeline.build(BuildRequest(story, tmp_path / "local", formats=("mp3",)))

    cache_dir = use_cache(tmp_path / "cluster-cache")
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        victim = next(iter(client.run(os.getpid).values()))
    outcome = {}
    with cluster_pool(cluster.scheduler_address) as pool:
        def run():
            try:
                outcome["report"] = pipeline.build(BuildRequest(story, tmp_path / "cluster", formats=("mp3",)), pool=pool)
            except Exception as err:  # noqa: BLE001 - reported by the assertions below
                outcome["error"] = err

        builder = threading.Thread(target=run)
        builder.start()
        deadline = time.monotonic() + 60
        while cached_clips(cache_dir) < 20 and time.monotonic() < deadline:
            time.sleep(0.002)
        made_before_kill = cached_clips(cache_dir)
        os.kill(victim, signal.SIGKILL)
        builder.join(timeout=180)

    assert 20 <= made_before_kill < cached_clips(tmp_path / "local-cache")  # the kill came mid-synthesis
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)
    assert "error" not in outcome, outcome.get("error")
    assert_same_book(manifest(tmp_path / "local"), manifest(tmp_path / "cluster"))  # nothing lost
    assert cached_clips(cache_dir) == cached_clips(tmp_path / "local-cache")


class GhostEngine(FakeEngine):
    """Loads here, but its module does not exist on the workers (set below), as an engine not installed there."""

    engine_id = "ghost"
    install_hint = "pip install narrate-ghost"


GhostEngine.__module__ = "narrate_ghost_engine_nowhere"


class HomeboundEngine(FakeEngine):
    engine_id = "homebound"
    remote = False


def fake_lines(engine_id, texts):
    voice = Voice(engine=engine_id, voice="mid")
    return [Line(segment=Segment(chapter=1, index=i, kind="narration", text=t, start=0, end=len(t), paragraph=0),
                 voice=voice, text_to_speak=t, key=clip_key(voice, "fake 1", t)) for i, t in enumerate(texts)]


def test_an_engine_missing_on_a_worker_names_the_worker_and_the_install(cluster, cache_dir, fake_engines):
    fake_engines(GhostEngine())
    with cluster_pool(cluster.scheduler_address) as pool, pytest.raises(EngineError) as caught:
        synthesize(fake_lines("ghost", ["Hello there."]), ClipCache(), pool=pool)
    message = str(caught.value)
    assert "worker tcp://127.0.0.1:" in message and "pip install narrate-ghost" in message
    assert cached_clips(cache_dir) == 0


def test_an_engine_bound_to_this_machine_is_refused_before_anything_is_sent(cluster, fake_engines):
    fake_engines(HomeboundEngine())
    with cluster_pool(cluster.scheduler_address) as pool, pytest.raises(EngineError, match="only on this machine"):
        synthesize(fake_lines("homebound", ["Hello there."]), ClipCache(), pool=pool)


def test_no_scheduler_at_the_address_is_a_clear_error():
    with pytest.raises(ConfigError, match="no Dask scheduler answered there.*dask scheduler"):
        with cluster_pool("tcp://127.0.0.1:9", wait_seconds=1):
            pass
