"""Voice levels: measured while the clips are still being made give the very level voice_gains would measure."""
import shutil
import threading
import time

import pytest
from audio_tools import tone_wav

from narrate.audio import levels
from narrate.model import Clip, Line, Segment, Voice
from narrate.state import ClipCache, read_clip, seal_clip, store_root


def line(index, text, voice):
    segment = Segment(chapter=1, index=index, kind="narration", text=text, start=0, end=len(text), paragraph=0)
    return Line(segment=segment, voice=voice, text_to_speak=text, key=f"{voice.voice}-{index:03d}")


LOW, HIGH = Voice(engine="espeak", voice="en+m1"), Voice(engine="espeak", voice="en+f1", rate=100)


@pytest.fixture
def cache(cache_dir):
    return ClipCache(cache_dir)  # the kept levels go into cache_dir too


def make_clip(cache, line, tones, seconds=1.0):
    """The clip of `line`, written as the worker would (sealed, renamed into place): a tone, louder by index."""
    source = tones / f"{line.key}.wav"
    tone_wav(source, seconds, freq=300 + 40 * line.segment.index)
    seal_clip(source)
    path = cache.path_for(line.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)
    return Clip(line=line, path=str(path), frames=int(seconds * 22050), sample_rate=22050,
                digest=read_clip(path).digest)


def test_likely_sample_lines_are_made_first_and_none_is_lost():
    lines = [line(i, "word " * 30, LOW if i % 3 else HIGH) for i in range(120)]
    order = levels.sample_first(lines)
    assert sorted(order) == list(range(120))
    # 30 words: ~10.6 s at LOW's 170 wpm, 18 s at HIGH's 100; the first keys up to 1.5 x 180 s come first
    first = order[:26 + 15]
    assert sorted(lines[i].key for i in first if lines[i].voice == LOW) == sorted(
        line.key for line in lines if line.voice == LOW)[:26]
    assert sorted(lines[i].key for i in first if lines[i].voice == HIGH) == sorted(
        line.key for line in lines if line.voice == HIGH)[:15]
    assert first == sorted(first) and order[41:] == sorted(order[41:])  # each part in book order


def test_a_level_measured_while_the_clips_appear_is_the_one_voice_gains_takes(cache, tmp_path, cache_dir):
    tones = tmp_path / "tones"
    tones.mkdir()
    lines = [line(i, f"Line {i}.", LOW if i % 2 else HIGH) for i in range(12)]
    over = threading.Event()
    meter = threading.Thread(target=levels.measure_while_made, args=(lines, cache, over))
    meter.start()
    clips = []
    for each in reversed(lines):  # made in another order than the samples' key order
        clips.append(make_clip(cache, each, tones))
        time.sleep(0.01)
    meter.join(timeout=30)  # it returns by itself once every voice is measured, before synthesis is over
    records = list((store_root(cache_dir) / "levels").glob("*.json"))
    assert not meter.is_alive() and len(records) == 2
    over.set()
    measured_meanwhile = levels.voice_gains(clips)
    for record in records:
        record.unlink()  # now measured from scratch, after the fact
    assert levels.voice_gains(clips) == pytest.approx(measured_meanwhile, abs=1e-9)
    remade = {record.name for record in (store_root(cache_dir) / "levels").glob("*.json")}
    assert remade == {record.name for record in records}  # the same samples: voice_gains used what was kept


def test_a_sample_whose_clip_never_comes_is_given_up_without_a_level(cache, tmp_path, cache_dir):
    tones = tmp_path / "tones"
    tones.mkdir()
    lines = [line(i, f"Line {i}.", LOW) for i in range(4)]
    for each in lines[1:]:
        make_clip(cache, each, tones)
    over = threading.Event()
    meter = threading.Thread(target=levels.measure_while_made, args=(lines, cache, over))
    meter.start()
    time.sleep(0.1)
    over.set()  # synthesis failed: the first clip of the sample is never made
    meter.join(timeout=10)
    assert not meter.is_alive()
    assert not list((store_root(cache_dir) / "levels").glob("*.json"))
