"""Units with the real encoders: each encoded once, joined as frames into the chapter MP3 and the .m4b exactly where
the plan puts its clips; a changed clip encodes only its own unit again."""
import subprocess
from array import array

import pytest
from audio_tools import tone_wav

from narrate.audio import containers, encoding, layout
from narrate.casting.config import Pauses
from narrate.model import Clip, Line, Segment, Voice

RATE = 22050
FINISH = encoding.Finish(formats=("mp3", "m4b"), bitrate="64k", loudness=-20.0, true_peak=-3.0)


def tone_clip(tmp_path, index, freq, seconds):
    segment = Segment(chapter=1, index=index, kind="narration", text=f"line {index}", start=index, end=index + 1,
                      paragraph=index)
    path = tone_wav(tmp_path / f"{index}-{freq}.wav", seconds, RATE, freq)
    line = Line(segment=segment, voice=Voice(), text_to_speak=f"{freq} Hz", key=f"{index}-{freq}".ljust(64, "0"))
    return Clip(line=line, path=str(path), frames=int(seconds * RATE), sample_rate=RATE)


def build(tmp_path, clips, second_part=()):
    """The clips as chapter one (and `second_part` as chapter two, encoded in the same run); chapter one's plan."""
    parts = []
    for number, chapter in enumerate([clips, second_part], 1):
        if chapter:
            plan = layout.chapter_plan(None, [c.line.segment for c in chapter],
                                         layout.by_segment(chapter), Pauses())
            parts.append(encoding.PartAudio(number, f"Part {number}", plan, {"title": f"Part {number}"}))
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    made = encoding.plan_parts(parts, FINISH, tmp_path / "store")
    encoding.make_parts(made, FINISH, out, lambda part, fmt: f"0{part.number}.{fmt}", {}, 2,
                       lambda _path, _seconds: None,
                       lambda: encoding.write_book(made, parts, out / "Book.m4b", containers.BookTags(title="Book")))
    assert (out / "Book.m4b").is_file()
    return [part.plan for part in parts], out


def starts_of(plan, offset=0):
    starts, position = [], offset
    for piece in plan:
        if isinstance(piece, Clip):
            starts.append(position)
        position += piece.frames if isinstance(piece, Clip) else round(piece * RATE)
    return starts


def decoded(path):
    data = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"],
                          capture_output=True, check=True).stdout
    return array("h", data)


def onsets(samples, quiet=2000):
    """Where each tone starts: the first loud sample after at least `quiet` silent ones."""
    found, silent = [], quiet
    for i, sample in enumerate(samples):
        if abs(sample) > 1500:
            if silent >= quiet:
                found.append(i)
            silent = 0
        else:
            silent += 1
    return found


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("units")
    clips = [tone_clip(tmp, n, freq, seconds) for n, (freq, seconds) in enumerate([(440, 0.6), (660, 1.1), (550, 0.37)])]
    second = [tone_clip(tmp, n, freq, seconds) for n, (freq, seconds) in enumerate([(330, 0.81), (880, 0.4)], 10)]
    plans, out = build(tmp, clips, second)
    return tmp, clips, plans, out


def test_the_mp3s_and_the_m4b_play_each_clip_where_the_plan_puts_it(first):
    _, _, plans, out = first
    m4b = decoded(out / "Book.m4b")
    lengths = [layout.plan_frames(plan) for plan in plans]
    assert len(m4b) == sum(lengths)  # the frames are exactly the planned samples
    # within the 5 ms fade-in: no shift, in either chapter
    assert onsets(m4b) == pytest.approx(starts_of(plans[0]) + starts_of(plans[1], lengths[0]), abs=60)
    for number, plan in enumerate(plans, 1):
        mp3 = decoded(out / f"0{number}.mp3")
        # decoders drop MP3's decoder delay at the start; its last frame is padded with silence
        assert 0 <= len(mp3) - (layout.plan_frames(plan) - 529) < 576
        assert onsets(mp3) == pytest.approx(starts_of(plan), abs=60)


def test_units_join_without_a_click(first):
    _, _, plans, out = first
    plan = plans[0]
    for path in (out / "Book.m4b", out / "01.mp3"):
        samples = decoded(path)
        position = 0
        for unit in layout.units(plan)[:-1]:
            position += layout.plan_frames(unit)
            assert max(abs(s) for s in samples[position - 1500:position + 1500]) < 30  # silence across the cut


def test_a_changed_clip_encodes_only_its_own_unit(first):
    tmp, clips, _, _ = first
    store = tmp / "store"
    before = set(store.iterdir())
    changed = [clips[0], tone_clip(tmp, 1, 770, 1.1), clips[2]]
    build(tmp, changed)
    new = set(store.iterdir()) - before
    assert sorted(p.suffix for p in new if p.suffix != ".json") == [".aac", ".mp3"]  # and their records


def test_little_work_is_cut_into_one_run_per_worker_of_near_equal_length():
    rate = 22050
    units = [encoding.Unit(pieces=[], frames=int(seconds * rate), paths={}) for seconds in (5, 3, 4, 4, 2, 6, 1)]
    runs = encoding._runs(units, rate, 2)
    assert [unit for run in runs for unit in run] == units and len(runs) == 2
    seconds = [sum(unit.frames for unit in run) / rate for run in runs]
    assert abs(seconds[0] - seconds[1]) <= 6  # no more apart than the longest unit


def test_much_work_is_cut_into_runs_that_shorten_towards_the_end():
    rate = 22050
    units = [encoding.Unit(pieces=[], frames=10 * rate, paths={}) for _ in range(200)]  # 2000 s
    runs = encoding._runs(units, rate, 2)
    seconds = [sum(unit.frames for unit in run) / rate for run in runs]
    assert [unit for run in runs for unit in run] == units
    assert len(runs) > 4 and seconds == sorted(seconds, reverse=True)
    assert min(seconds[:-1]) >= encoding.MIN_RUN_SECONDS and seconds[0] <= encoding.MAX_RUN_SECONDS
