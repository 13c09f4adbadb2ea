"""Assembly with real ffmpeg: pauses from structure, streamed encoding, tags, names, atomic output."""

import random

import pytest
from audio_tools import duration, loud_seconds, probe, tone_wav

from narrate.audio import layout
from narrate.casting.config import Pauses
from narrate.errors import AudioError
from narrate.model import Clip, Line, Segment, Voice


def seg(index, paragraph, kind="narration", speaker="narrator", evidence="narration"):
    return Segment(chapter=1, index=index, kind=kind, text="words", start=index * 10, end=index * 10 + 5,
                   paragraph=paragraph, speaker=speaker, evidence=evidence)


def clip_for(segment, path, frames=0):
    return Clip(line=Line(segment=segment, voice=Voice(), text_to_speak="words", key="k"), path=str(path),
                frames=frames, sample_rate=22050)


PAUSES = Pauses(sentence=0.1, speaker_change=0.2, paragraph=0.3, scene=1.0, chapter=2.0)


def test_pauses_follow_the_structure(tmp_path):
    segments = [seg(0, 0), seg(1, 0, "dialogue", "Mara"), seg(2, 0, "dialogue", "Mara"), seg(3, 1),
                seg(4, -1, "skipped", evidence="skipped:scene_break"), seg(5, 2), seg(6, 2, "skipped", evidence="skipped:author_note")]
    wav = tone_wav(tmp_path / "a.wav", 0.2)
    clips = {s.index: [clip_for(s, wav, 4410)] for s in segments if s.kind != "skipped"}
    plan = layout.chapter_plan(None, segments, clips, PAUSES)
    silences = [p for p in plan if not isinstance(p, Clip)]
    # head, speaker change, same speaker, new paragraph (too short to cut at), scene break, tail: each unit's
    # pauses together stretched or shrunk by less than half a unit frame
    assert [isinstance(p, layout.UnitBreak) for p in silences] == [False] * 4 + [True] * 2
    head_unit, tail_unit = silences[:5], silences[5:]
    for got, want in ((head_unit, [layout.HEAD_SILENCE, 0.2, 0.1, 0.3, 1.0]), (tail_unit, [2.0])):
        assert sum(got) == pytest.approx(sum(want), abs=layout.UNIT_FRAMES / 2 / 22050)
        assert [g / w for g, w in zip(got, want)] == pytest.approx([got[0] / want[0]] * len(want), abs=0.01)
    assert sum(isinstance(p, Clip) for p in plan) == 5


def test_units_are_whole_codec_frames_cut_in_silence(tmp_path):
    """Every unit is a whole number of MP3 and AAC frames, and a guard of silence lies either side of each cut,
    whatever the clips' lengths."""
    wav = tone_wav(tmp_path / "a.wav", 0.2)
    pauses = Pauses(paragraph=0.7, scene=1.5, chapter=2.5)
    for lengths in ([4410, 9999, 123], [17, 30001, 2, 8000, 50000]):
        segments = [seg(n, n // 2) for n in range(len(lengths))]
        clips = {s.index: [clip_for(s, wav, frames)] for s, frames in zip(segments, lengths)}
        plan = layout.chapter_plan(None, segments, clips, pauses)
        units = layout.units(plan)
        assert len(units) == 1 + (len(lengths) - 1) // 2  # one per paragraph
        assert sum(layout.plan_frames(u) for u in units) == layout.plan_frames(plan)
        for unit in units[:-1]:
            assert layout.plan_frames(unit) % 576 == 0 and layout.plan_frames(unit) % 1024 == 0
        assert layout.plan_frames(units[-1]) % 1024 == 0  # the .m4b's chapters: whole AAC frames
        for before, after in zip(units, units[1:]):
            assert round(before[-1] * 22050) >= layout.GUARD_FRAMES and not isinstance(before[-1], Clip)
            assert round(after[0] * 22050) == layout.GUARD_FRAMES
        # the plan's pauses are the configured ones, give or take half a unit
        breaks = [p for p in plan if isinstance(p, layout.UnitBreak)]
        assert breaks[:-1] == pytest.approx([0.7] * (len(breaks) - 1), abs=layout.UNIT_FRAMES / 2 / 22050)


def long_chapter(wav, paragraphs=400, seed=7, longer=None):
    """A chapter of `paragraphs` paragraphs of one to four lines by three speakers, clips 0.8-6 s long (the
    clip numbered `longer` 300 frames longer)."""
    rng = random.Random(seed)
    segments, clips = [], {}
    for paragraph in range(paragraphs):
        for _ in range(rng.randint(1, 4)):
            speaker = rng.choice(["narrator", "Mara", "Tomas"])
            segment = seg(len(segments), paragraph, "narration" if speaker == "narrator" else "dialogue", speaker)
            frames = int(rng.uniform(0.8, 6.0) * 22050) + (300 if segment.index == longer else 0)
            clips[segment.index] = [clip_for(segment, wav, frames)]
            segments.append(segment)
    return segments, clips


def test_a_long_chapters_cuts_and_closing_pause_stay_where_the_plan_puts_them(tmp_path):
    """Each unit's end is rounded where the plan as written puts it, not its length: on a 400-paragraph chapter
    the cuts stay near their natural places, the chapter ends within half an AAC frame of its natural length,
    and so the closing pause is the configured 2.5 s give or take half a unit frame (it once took up the sum of
    every unit's rounding: 0.1 s to 9 s)."""
    wav = tone_wav(tmp_path / "a.wav", 0.2)
    pauses = Pauses()
    for seed in range(4):
        segments, clips = long_chapter(wav, seed=seed)
        plan = layout.chapter_plan(None, segments, clips, pauses)
        natural = unaligned(segments, clips, pauses)
        assert plan[-1] == pytest.approx(pauses.chapter, abs=(layout.UNIT_FRAMES + layout.LAST_UNIT_FRAMES) / 2 / 22050)
        assert abs(layout.plan_frames(plan) - layout.plan_frames(natural)) <= layout.LAST_UNIT_FRAMES / 2
        moves = [abs(got - want) for got, want in zip(cut_places(plan), cut_places(natural))]
        assert len(moves) == len(cut_places(natural)) > 400
        # within half a unit frame, but where a unit's pauses are too short to shrink that far (~3 %)
        assert sum(move <= layout.UNIT_FRAMES / 2 for move in moves) >= 0.95 * len(moves)
        assert max(moves) <= 1.5 * layout.UNIT_FRAMES


def unaligned(segments, clips, pauses):
    """The chapter's plan as the script writes it, before any unit is fitted to codec frames."""
    aligned = layout._aligned
    try:
        layout._aligned = lambda plan: plan
        return layout.chapter_plan(None, segments, clips, pauses)
    finally:
        layout._aligned = aligned


def cut_places(plan):
    """Where each unit but the last ends, in frames from the chapter's start."""
    places, position = [], 0
    for piece in plan[:-1]:
        position += piece.frames if isinstance(piece, Clip) else round(piece * 22050)
        if isinstance(piece, layout.UnitBreak):
            places.append(position - layout.GUARD_FRAMES)
    return places


def test_a_clip_a_little_longer_moves_the_chapter_end_a_little(tmp_path):
    """espeak's clips vary by a few milliseconds between calls: the chapter follows, not by a whole unit frame."""
    wav = tone_wav(tmp_path / "a.wav", 0.2)
    segments = [seg(n, n) for n in range(12)]
    natural = None
    for extra in range(0, 400, 7):
        clips = {s.index: [clip_for(s, wav, 20000 + 997 * s.index + (extra if s.index == 5 else 0))] for s in segments}
        plan = layout.chapter_plan(None, segments, clips, Pauses())
        length = layout.plan_frames(plan)
        if natural is not None:
            assert abs(length - natural - extra) <= 1024
        natural = natural if natural is not None else length


def test_chapter_file_names():
    assert layout.chapter_file_name(3, 12, "Chapter 3: The Fall", "mp3") == "03 - Chapter 3- The Fall.mp3"
    assert layout.chapter_file_name(7, 120, 'What? "No" / yes', "mp3") == '007 - What- -No- - yes.mp3'
    assert layout.chapter_file_name(1, 1, "...", "wav") == "01 - Chapter 1.wav"


def test_master_wav_holds_clips_and_silences(tmp_path):
    wav = tone_wav(tmp_path / "a.wav", 1.0)
    clips = [clip_for(seg(i, i), wav) for i in range(3)]
    plan = [0.5, clips[0], 0.3, clips[1], 0.3, clips[2], 2.0]
    out = tmp_path / "out" / "master.wav"
    frames = layout.write_master(plan, out)
    assert frames == round(6.1 * 22050)
    assert duration(out) == pytest.approx(6.1, abs=0.01)
    assert loud_seconds(out) == pytest.approx(3.0, abs=0.1)
    stream = probe(out)["streams"][0]
    assert stream["codec_name"] == "pcm_s16le" and int(stream["sample_rate"]) == 22050 and stream["channels"] == 1
    assert [p.name for p in out.parent.iterdir()] == ["master.wav"]  # no temp file left behind


def test_corrupt_clip_is_a_clear_error_and_leaves_no_file(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....not a wav")
    out = tmp_path / "out" / "master.wav"
    with pytest.raises(AudioError, match="bad.wav: unreadable clip"):
        layout.write_master([0.1, clip_for(seg(0, 0), bad)], out)
    assert list(out.parent.iterdir()) == []


def test_mixed_sample_rates_are_refused(tmp_path):
    a = clip_for(seg(0, 0), tone_wav(tmp_path / "a.wav", 0.1))
    b = Clip(line=a.line, path=str(tone_wav(tmp_path / "b.wav", 0.1, rate=24000)), frames=0, sample_rate=24000)
    with pytest.raises(AudioError, match="sample rates"):
        layout.plan_sample_rate([a, b])


def test_clips_meet_the_pauses_without_a_click(tmp_path):
    """A clip an engine cut off mid-wave starts and ends at silence in the chapter."""
    import wave
    from array import array

    loud = tmp_path / "loud.wav"
    with wave.open(str(loud), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(22050)
        out.writeframes(array("h", [20000] * 22050).tobytes())  # full-scale DC: the worst edge there is
    master = tmp_path / "master.wav"
    layout.write_master([0.1, clip_for(seg(0, 0), loud), 0.1], master)
    with wave.open(str(master), "rb") as wav:
        samples = array("h", wav.readframes(wav.getnframes()))
    start, end = 2205, 2205 + 22050
    assert abs(samples[start]) < 100 and abs(samples[end - 1]) < 100  # faded in and out
    steps = [abs(samples[i + 1] - samples[i]) for i in range(len(samples) - 1)]
    assert max(steps) < 400  # no sample-to-sample jump anywhere: nothing to click
    assert samples[start + 11025] == 20000  # the middle is untouched
