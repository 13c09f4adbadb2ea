"""Subtitles: cue times from the plan agree with the audio; VTT and SRT read back by independent parsers."""
import io
import re
import wave
from datetime import timedelta
from html import unescape

import pytest
import srt
import webvtt
from audio_tools import tone_wav

from narrate import ffmpeg
from narrate.audio import layout, subtitles
from narrate.casting.config import Pauses
from narrate.model import Clip, Line, Segment, Voice

PAUSES = Pauses(sentence=0.2, speaker_change=0.35, paragraph=0.5, scene=0.8, chapter=1.0)


def clip(path, index, paragraph, text, kind="narration", speaker="narrator", evidence="narration"):
    segment = Segment(chapter=1, index=index, kind=kind, text=text, start=index, end=index + 1,
                      paragraph=paragraph, speaker=speaker, evidence=evidence)
    with wave.open(str(path), "rb") as wav:
        frames, rate = wav.getnframes(), wav.getframerate()
    return Clip(line=Line(segment=segment, voice=Voice(), text_to_speak=text, key=str(index)), path=str(path),
                frames=frames, sample_rate=rate)


@pytest.fixture
def chapter(tmp_path):
    """A chapter plan: title, narration, two lines of dialogue by different speakers, narration again."""
    wavs = [tone_wav(tmp_path / f"{n}.wav", seconds) for n, seconds in enumerate([0.6, 1.1, 0.7, 0.9, 1.3])]
    title = clip(wavs[0], -1, -1, "Chapter One", evidence="chapter-title")
    body = [clip(wavs[1], 0, 0, "The ferry was late."),
            clip(wavs[2], 1, 1, "Not with you here.", "dialogue", "Natasha"),
            clip(wavs[3], 2, 1, "Then <who> & why?", "dialogue", "Clint"),
            clip(wavs[4], 3, 2, "Nobody answered.")]
    segments = [c.line.segment for c in body]
    return layout.chapter_plan(title, segments, layout.by_segment(body), PAUSES)


def test_cue_times_are_the_plans_cumulative_durations(chapter):
    cues = subtitles.cues_from_plan(chapter, offset=10.0)
    expected, position = [], 10.0
    for piece in chapter:
        if isinstance(piece, Clip):
            expected += [position, position + piece.frames / piece.sample_rate]
            position += piece.frames / piece.sample_rate
        else:
            position += piece
    # within a sample: pauses are whole samples in the audio
    assert [t for c in cues for t in (c.start, c.end)] == pytest.approx(expected, abs=1 / 22050)
    assert [c.speaker for c in cues] == ["Narrator", "Narrator", "Natasha", "Clint", "Narrator"]
    assert cues[0].text == "Chapter One" and cues[3].text == "Then <who> & why?"


def test_cues_are_where_the_sound_is_in_the_written_chapter(chapter, tmp_path):
    out = tmp_path / "chapter.wav"
    layout.write_master(chapter, out)
    _, log = ffmpeg.run(["-i", str(out), "-af", "silencedetect=n=-40dB:d=0.1", "-f", "null", "-"], out)
    sound_starts = [float(t) for t in re.findall(r"silence_end: ([\d.]+)", log)]
    sound_ends = [float(t) for t in re.findall(r"silence_start: ([\d.]+)", log)][1:]  # the first is the head
    cues = subtitles.cues_from_plan(chapter)
    assert [c.start for c in cues] == pytest.approx(sound_starts[:len(cues)], abs=0.1)
    assert [c.end for c in cues] == pytest.approx(sound_ends, abs=0.1)


def test_a_clip_without_frames_gets_no_cue_and_moves_nothing(chapter):
    empty = Clip(line=chapter[1].line, path="unused.wav", frames=0, sample_rate=22050)
    cues = subtitles.cues_from_plan(chapter[:2] + [empty] + chapter[2:])
    assert [(c.start, c.end) for c in cues] == [(c.start, c.end) for c in subtitles.cues_from_plan(chapter)]


def test_vtt_reads_back_with_voices_text_and_times(chapter):
    cues = subtitles.cues_from_plan(chapter, offset=3600.0)
    text = subtitles.vtt_text(cues)
    assert text.startswith("WEBVTT\n\n") and "<v Natasha>Not with you here.</v>" in text
    assert "<v Clint>Then &lt;who&gt; &amp; why?</v>" in text
    parsed = list(webvtt.from_buffer(io.StringIO(text)))
    assert [c.voice for c in parsed] == [c.speaker for c in cues]
    assert [unescape(c.text) for c in parsed] == [c.text for c in cues]
    assert [(c.start, c.end) for c in parsed] == [(subtitles.vtt_timestamp(c.start), subtitles.vtt_timestamp(c.end))
                                                  for c in cues]
    assert parsed[0].start.startswith("01:00:00.")


def test_srt_reads_back_with_speaker_prefixes_and_times(chapter):
    cues = subtitles.cues_from_plan(chapter)
    parsed = list(srt.parse(subtitles.srt_text(cues)))
    assert [p.index for p in parsed] == list(range(1, len(cues) + 1))
    assert [p.content for p in parsed] == [f"{c.speaker}: {c.text}" for c in cues]
    assert [p.start for p in parsed] == [timedelta(milliseconds=round(c.start * 1000)) for c in cues]
    assert [p.end for p in parsed] == [timedelta(milliseconds=round(c.end * 1000)) for c in cues]


def test_timestamps():
    assert subtitles.vtt_timestamp(1.25) == "00:00:01.250"
    assert subtitles.srt_timestamp(1.25) == "00:00:01,250"
    assert subtitles.vtt_timestamp(3725.0004) == "01:02:05.000"
    assert subtitles.vtt_timestamp(59.9996) == "00:01:00.000"  # rounding carries into the minutes
    assert subtitles.srt_timestamp(101 * 3600 + 0.5) == "101:00:00,500"


def test_cue_text_and_voice_stay_on_one_line_and_escaped():
    cue = subtitles.Cue(0.0, 1.0, "Mr. <Smith> & Sons", "He said -->\n\nthen stopped.")
    text = subtitles.vtt_text([cue])
    assert text == "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Mr. &lt;Smith&gt; &amp; Sons>He said --&gt; then stopped.</v>\n"
    assert subtitles.srt_text([cue]) == "1\n00:00:00,000 --> 00:00:01,000\nMr. <Smith> & Sons: He said --> then stopped.\n"


def test_files_are_written(tmp_path, chapter):
    cues = subtitles.cues_from_plan(chapter)
    subtitles.write_vtt(tmp_path / "Book.vtt", cues)
    subtitles.write_srt(tmp_path / "01 - One.srt", cues)
    assert len(webvtt.read(str(tmp_path / "Book.vtt"))) == len(cues)
    assert len(list(srt.parse((tmp_path / "01 - One.srt").read_text(encoding="utf-8")))) == len(cues)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.suffix == ".wav") == ["01 - One.srt", "Book.vtt"]
