"""Synthesis around the engine: cache hits, de-duplication, order, progress (fake engine, in-process)."""
import wave

import pytest

from fake_engine import FakeEngine
from narrate.cache import ClipCache, atomic_path
from narrate.casting import clip_key
from narrate.engines import base
from narrate.model import Line, Segment, Voice
from narrate.synth import synthesize


@pytest.fixture()
def fake(monkeypatch):
    engine = FakeEngine()
    monkeypatch.setitem(base._engines, "fake", engine)
    return engine


def line(index, text, voice="mid"):
    v = Voice(engine="fake", voice=voice)
    segment = Segment(chapter=1, index=index, kind="narration", text=text, start=0, end=len(text), paragraph=0)
    return Line(segment=segment, voice=v, text_to_speak=text, key=clip_key(v, "fake 1", text))


def test_clips_in_order_with_real_lengths_and_cache_reuse(tmp_path, fake):
    cache = ClipCache(tmp_path)
    lines = [line(0, "One line."), line(1, "A second, longer line."), line(2, "One line."), line(3, "One line.", "low")]
    events = []
    clips = synthesize(lines, cache, jobs=1, on_progress=events.append)
    assert [c.line for c in clips] == lines
    assert clips[1].frames == pytest.approx(0.04 * 22 * 22050, rel=0.01)
    assert len(fake.spoken) == 3  # the repeated line with the same voice was made once
    assert events[-1].done == 4 and events[-1].total == 4 and events[-1].cached == 0
    assert [e.done for e in events] == sorted(e.done for e in events)

    again = synthesize(lines + [line(4, "New.")], cache, jobs=1, on_progress=events.append)
    assert len(fake.spoken) == 4  # only the new line
    assert events[-1].cached == 4 and again[4].frames > 0


def test_key_changes_with_voice_text_and_engine_version():
    v = Voice(engine="fake", voice="mid")
    base_key = clip_key(v, "fake 1", "Hello.")
    assert clip_key(v, "fake 1", "Hello.") == base_key
    assert clip_key(Voice(engine="fake", voice="mid", rate=200), "fake 1", "Hello.") != base_key
    assert clip_key(v, "fake 2", "Hello.") != base_key
    assert clip_key(v, "fake 1", "Hello!") != base_key


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "clips" / "x.wav"
    with pytest.raises(RuntimeError):
        with atomic_path(final) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("killed mid-write")
    assert not final.exists() and list(final.parent.iterdir()) == []
    with atomic_path(final) as tmp:
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050), w.writeframes(b"\0\0" * 10)
    assert final.is_file() and list(final.parent.iterdir()) == [final]
