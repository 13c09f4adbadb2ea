"""Synthesis around the engine: cache hits, de-duplication, order, progress, and workers that stall or die.

The engines are the fakes of fake_engine.py, run in real worker processes; what they spoke is read back from
a log file named in the voice's options.
"""
import multiprocessing
import signal
import time

import pytest
from fake_engine import FakeEngine, spoken

from narrate.casting.cast import clip_key
from narrate.errors import EngineError
from narrate.model import Line, Segment, Voice
from narrate.state import ClipCache
from narrate.synthesis.local import StallLimits, synthesize

QUICK = StallLimits(min_seconds=1.0, speech_factor=0.0, attempts=3)  # a stall is noticed after 1 s


pytestmark = pytest.mark.usefixtures("fake_engines")


@pytest.fixture(autouse=True)
def time_limit():
    """A stalled worker that is not replaced would hang the test run: fail the test instead."""
    def expire(_signum, _frame):
        raise TimeoutError("synthesis took over 15 s: a stalled worker was not replaced")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(15)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture()
def log(tmp_path):
    return tmp_path / "spoken.log"


def line(index, text, voice="mid", engine="fake", **options):
    v = Voice(engine=engine, voice=voice, options=tuple(sorted((k, str(v)) for k, v in options.items())))
    segment = Segment(chapter=1, index=index, kind="narration", text=text, start=0, end=len(text), paragraph=0)
    return Line(segment=segment, voice=v, text_to_speak=text, key=clip_key(v, "fake 1", text))


def trouble_lines(log, texts, **options):
    return [line(i, text, engine="trouble", log=log, **options) for i, text in enumerate(texts)]


def seconds_of(text):
    return 0.04 * len(text)  # what the fake engine makes of it


def test_clips_in_order_with_real_lengths_and_cache_reuse(tmp_path, log):
    cache = ClipCache(tmp_path)
    lines = [line(0, "One line.", log=log), line(1, "A second, longer line.", log=log),
             line(2, "One line.", log=log), line(3, "One line.", "low", log=log)]
    events = []
    clips = synthesize(lines, cache, jobs=2, on_progress=events.append)
    assert [c.line for c in clips] == lines
    assert clips[1].frames == pytest.approx(seconds_of("A second, longer line.") * 22050, rel=0.01)
    assert sorted(spoken(log)) == [("low", "One line."), ("mid", "A second, longer line."), ("mid", "One line.")]
    assert events[-1].done == 4 and events[-1].total == 4 and events[-1].cached == 0
    assert [e.done for e in events] == sorted(e.done for e in events)

    again = synthesize(lines + [line(4, "New.", log=log)], cache, jobs=2, on_progress=events.append)
    assert len(spoken(log)) == 4 and spoken(log)[-1] == ("mid", "New.")  # only the new line
    assert events[-1].cached == 4 and again[4].frames > 0


def test_many_lines_on_two_workers_keep_their_order_and_progress_is_monotonic(tmp_path, log):
    texts = [f"{i}{'.' * (i % 7)}" for i in range(60)]
    lines = [line(i, text, log=log) for i, text in enumerate(texts)]
    events = []
    clips = synthesize(lines, ClipCache(tmp_path), jobs=2, on_progress=events.append)
    assert [clip.line for clip in clips] == lines
    assert [clip.frames for clip in clips] == [pytest.approx(seconds_of(t) * 22050, abs=1) for t in texts]
    assert sorted(text for _voice, text in spoken(log)) == sorted(texts)
    dones = [e.done for e in events]
    assert dones == sorted(dones) and dones[0] == 0 and dones[-1] == 60
    assert len(events) == 61  # one at the start, then one per clip as it is written


def test_a_worker_that_stalls_once_is_replaced_and_its_line_retried(tmp_path, log):
    once = tmp_path / "once"
    once.mkdir()
    texts = ["It will HANG here, first of its chunk."] + [f"Line {i}." for i in range(1, 16)]
    lines = trouble_lines(log, texts, once=once)
    events = []
    started = time.monotonic()
    clips = synthesize(lines, ClipCache(tmp_path), jobs=2, on_progress=events.append, limits=QUICK)
    elapsed = time.monotonic() - started
    assert [c.line for c in clips] == lines
    assert clips[0].frames == pytest.approx(seconds_of(texts[0]) * 22050, abs=1)
    # each spoken once: the stalled line on its retry, the lines queued behind it by the new worker
    assert sorted(text for _voice, text in spoken(log)) == sorted(texts)
    assert events[-1].done == 16 and events[-1].retries == 1
    assert [e.done for e in events] == sorted(e.done for e in events)
    assert elapsed >= QUICK.min_seconds  # given its allowance first (how soon after: bench/stall_recovery.py)


def test_a_line_that_always_stalls_fails_after_the_attempts_naming_it_and_keeps_finished_clips(tmp_path, log):
    texts = ["First, fine.", "Second, fine.", "The third will HANG for ever and ever, however long anyone waits "
             "for it to finish.", "Fourth."]
    tries = tmp_path / "tries.log"
    lines = trouble_lines(log, texts, tries=tries)
    cache = ClipCache(tmp_path)
    limits = StallLimits(min_seconds=1.0, speech_factor=0.0, attempts=2)
    started = time.monotonic()
    with pytest.raises(EngineError) as raised:
        synthesize(lines, cache, jobs=1, limits=limits)
    elapsed = time.monotonic() - started
    message = str(raised.value)
    assert "failed 2 times on 'The third will HANG for ever and ever, however long [...]'" in message
    assert "(voice mid)" in message and "gave no result for it within 1 s" in message and "voices.yaml" in message
    assert [text for _voice, text in spoken(tries)].count(texts[2]) == 2
    assert elapsed >= 2 * limits.min_seconds  # each attempt given its allowance (how soon after: bench/)
    assert cache.has(lines[0].key) and cache.has(lines[1].key) and not cache.has(lines[2].key)


def test_a_worker_that_dies_is_replaced_and_a_line_that_always_kills_it_fails_clearly(tmp_path, log):
    once = tmp_path / "once"
    once.mkdir()
    lines = trouble_lines(log, ["Fine.", "This will CRASH the worker.", "Fine too."], once=once)
    events = []
    clips = synthesize(lines, ClipCache(tmp_path), jobs=2, on_progress=events.append, limits=QUICK)
    assert [c.line for c in clips] == lines and events[-1].retries == 1

    fatal = trouble_lines(log, ["Fine.", "This will CRASH every time."])
    with pytest.raises(EngineError, match=r"failed 3 times on 'This will CRASH every time\.' \(voice mid\); "
                                          r"the last time its worker process died \(killed by SIGKILL\)"):
        synthesize(fatal, ClipCache(tmp_path), jobs=2, limits=QUICK)


def test_an_engine_error_is_reported_at_once_without_retries(tmp_path, log):
    tries = tmp_path / "tries.log"
    lines = trouble_lines(log, ["Fine.", "Please FAIL this one."], tries=tries)
    events = []
    with pytest.raises(EngineError, match="trouble engine refuses 'Please FAIL this one.'"):
        synthesize(lines, ClipCache(tmp_path), jobs=1, limits=QUICK, on_progress=events.append)
    # tried once: reported as the engine's error, not waited for as a stall and retried
    assert spoken(tries) == [("mid", "Fine."), ("mid", "Please FAIL this one.")]
    assert spoken(log) == [("mid", "Fine.")] and all(e.retries == 0 for e in events)


def test_an_unknown_engine_fails_before_any_worker_starts(tmp_path):
    with pytest.raises(EngineError, match="unknown speech engine 'nope'"):
        synthesize([line(0, "Hello.", engine="nope")], ClipCache(tmp_path), jobs=2)


def test_stall_allowance_grows_with_the_speech_duration():
    limits = StallLimits()
    assert limits.seconds_for(line(0, "Short.")) == limits.min_seconds
    minute = line(0, " ".join(["word"] * 170))  # at 170 words a minute: a minute of speech
    assert limits.seconds_for(minute) == pytest.approx(limits.speech_factor * 60)


def test_key_changes_with_voice_text_and_engine_version():
    v = Voice(engine="fake", voice="mid")
    base_key = clip_key(v, "fake 1", "Hello.")
    assert clip_key(v, "fake 1", "Hello.") == base_key
    assert clip_key(Voice(engine="fake", voice="mid", rate=200), "fake 1", "Hello.") != base_key
    assert clip_key(v, "fake 2", "Hello.") != base_key
    assert clip_key(v, "fake 1", "Hello!") != base_key


def test_engines_that_use_threads_get_one_worker_process(fake_engines):
    from narrate.synthesis import local

    class Threads(FakeEngine):
        engine_id = "threaded"
        parallel = "threads"

    fake_engines(Threads())
    lines = [line(i, f"Line {i}.") for i in range(4)]
    threaded = [Line(segment=l.segment, voice=Voice(engine="threaded", voice="mid"), text_to_speak=l.text_to_speak,
                     key=l.key + "t") for l in lines]
    batches = local._batches([*lines, *threaded], jobs=2)
    assert sorted(batches) == [([0, 1, 2, 3], 2), ([4, 5, 6, 7], 1)]


def test_one_local_pool_serves_several_calls_with_the_same_workers(tmp_path, log):
    from narrate.synthesis.local import LocalPool

    with LocalPool() as pool:
        first = synthesize([line(i, f"First {i}.", log=log) for i in range(40)], ClipCache(tmp_path), jobs=2,
                           pool=pool)
        workers = [w.process.pid for w in pool._workers]
        second = synthesize([line(i, f"Second {i}.", log=log) for i in range(40)], ClipCache(tmp_path), jobs=2,
                            pool=pool)
        assert [w.process.pid for w in pool._workers] == workers and len(workers) == 2  # none started again
    assert all(w.process.exitcode is not None for w in pool._workers) or not pool._workers  # closed with it
    assert len(spoken(log)) == 80 and all(c.frames > 0 for c in first + second)


def test_a_resting_pool_holds_no_worker_and_still_serves(tmp_path, log):
    from narrate.synthesis.local import LocalPool

    with LocalPool() as pool:
        first = synthesize([line(i, f"Before {i}.", log=log) for i in range(40)], ClipCache(tmp_path), jobs=2,
                           pool=pool)
        started = [w.process.pid for w in pool._workers]
        assert len(started) == 2
        pool.rest()  # while the book is encoded: no worker holds memory
        assert not pool._workers and not any(p.pid in started for p in multiprocessing.active_children())
        again = synthesize([line(i, f"Later {i}.", log=log) for i in range(2)], ClipCache(tmp_path), jobs=2,
                           pool=pool)
    assert len(spoken(log)) == 42 and all(c.frames > 0 for c in first + again)


def test_a_warmed_worker_loads_its_engine_before_any_line_and_serves_the_first_ones(tmp_path, log, monkeypatch):
    from narrate.synthesis.local import LocalPool

    warmed = tmp_path / "warmed.log"
    monkeypatch.setenv("FAKE_WARM_LOG", str(warmed))
    with LocalPool() as pool:
        pool.warm(1, "warm")
        worker = pool._workers[0].process.pid
        deadline = time.monotonic() + 60  # a wait, not a timing: a loaded CI box can take seconds to start it
        while not warmed.exists() and time.monotonic() < deadline:  # loaded while no line was given
            time.sleep(0.01)
        assert warmed.read_text().split() == [str(worker)]
        clips = synthesize([line(i, f"Warm {i}.", engine="warm", log=log) for i in range(3)], ClipCache(tmp_path),
                           jobs=1, pool=pool)
        assert [w.process.pid for w in pool._workers] == [worker]  # the warmed worker made them
    assert warmed.read_text().split() == [str(worker)] and len(spoken(log)) == 3 and all(c.frames for c in clips)


def test_warming_an_engine_that_is_not_installed_still_starts_a_worker(tmp_path, log):
    from narrate.synthesis.local import LocalPool

    with LocalPool() as pool:
        pool.warm(1, "no-such-engine")
        assert len(pool._workers) == 1
        clips = synthesize([line(0, "Still here.", log=log)], ClipCache(tmp_path), jobs=1, pool=pool)
    assert spoken(log) == [("mid", "Still here.")] and clips[0].frames > 0


def test_a_few_quick_lines_are_left_to_the_worker_that_is_ready(tmp_path, log):
    from narrate.synthesis.local import LocalPool

    with LocalPool() as pool:
        synthesize([line(0, "Ready.", log=log)], ClipCache(tmp_path), jobs=2, pool=pool)
        assert len(pool._workers) == 1
        synthesize([line(i, f"Quick {i}.", log=log) for i in range(6)], ClipCache(tmp_path), jobs=2, pool=pool)
        assert len(pool._workers) == 1  # done before another worker could have started
    assert len(spoken(log)) == 7


def test_a_few_slow_lines_get_another_worker(tmp_path, log):
    from narrate.synthesis.local import LocalPool

    with LocalPool() as pool:
        clips = synthesize([line(i, f"Slow {i}.", log=log, slow=0.4) for i in range(6)], ClipCache(tmp_path),
                           jobs=2, pool=pool)
        assert len(pool._workers) == 2  # each line outlasts a worker's start-up
    assert len(spoken(log)) == 6 and all(c.frames > 0 for c in clips)


def test_many_lines_start_every_worker_at_once(tmp_path, log):
    from narrate.synthesis.local import MAX_CHUNK, LocalPool

    many = 2 * MAX_CHUNK * 3  # "plenty": every worker is started at once, before any has shown its speed
    with LocalPool() as pool:
        synthesize([line(i, f"Many {i}.", log=log) for i in range(many)], ClipCache(tmp_path), jobs=3, pool=pool)
        assert len(pool._workers) == 3
