"""Subtitles to follow along by: a long letter read as one clip becomes sentence-sized cues, each cut where
the voice pauses in the real espeak-ng audio."""
import io
import re
import subprocess
import wave

import pytest
import srt
import webvtt

from narrate.audio import subtitles
from narrate.model import Clip, Line, Segment, Voice

LETTER = ("My dear Jane, I write to you in haste, for the coach leaves at noon and I must not miss it. The "
          "*news* from Longbourn is grave; our father has gone to London, and nobody knows where Lydia is, or "
          "whether she is married at all, or what will become of us if she is not. Pray come home at once! "
          "Mary is no help, Kitty cries all day, and Mamma keeps to her room and asks for you every hour. "
          "Our uncle says that nothing can be done until we hear from London, but I cannot sit and wait. "
          "I have written to Mr. Gardiner twice already and had no answer; perhaps the post is slow. "
          "Do not tell anyone at Netherfield what has happened, I beg you. Yours ever, in great haste, Lizzy.")


@pytest.fixture(scope="module")
def letter(tmp_path_factory):
    """The letter read by espeak-ng as one clip, as a dialogue segment spoken by its writer."""
    path = tmp_path_factory.mktemp("letter") / "letter.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), LETTER.replace("*", "")], check=True)
    with wave.open(str(path), "rb") as wav:
        frames, rate = wav.getnframes(), wav.getframerate()
    segment = Segment(chapter=1, index=0, kind="dialogue", text=LETTER, start=0, end=len(LETTER), paragraph=0,
                      speaker="Elizabeth")
    return Clip(line=Line(segment=segment, voice=Voice(), text_to_speak=LETTER, key="letter"), path=str(path),
                frames=frames, sample_rate=rate)


def silences(path, floor_db=-38, seconds=0.05):
    log = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
                          f"silencedetect=noise={floor_db}dB:d={seconds}", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    starts = [float(t) for t in re.findall(r"silence_start: (\S+)", log)]
    ends = [float(t) for t in re.findall(r"silence_end: (\S+)", log)]
    return list(zip(starts, ends))


def test_a_long_letter_becomes_short_cues_cut_in_the_voices_pauses(letter):
    cues = subtitles.cues_from_plan([letter], offset=5.0)
    length = letter.frames / letter.sample_rate
    assert length > 30 and len(cues) >= 12  # it was one cue of the whole letter
    assert all(cue.end - cue.start <= subtitles.MAX_CUE_SECONDS for cue in cues)
    assert {cue.speaker for cue in cues} == {"Elizabeth"}
    assert " ".join(cue.text for cue in cues) == " ".join(LETTER.replace("*", "").split())  # every word, once
    assert cues[0].start == 5.0 and cues[-1].end == pytest.approx(5.0 + length)
    assert all(a.end == b.start for a, b in zip(cues, cues[1:]))
    gaps = silences(letter.path)
    for cue in cues[1:]:  # each cut lies in a pause of the audio, as ffmpeg hears it
        at = cue.start - 5.0
        assert any(start - 0.02 <= at <= end + 0.02 for start, end in gaps), (cue.text, at)


def test_cues_hold_two_lines_at_most_in_both_formats(letter):
    cues = subtitles.cues_from_plan([letter])
    for cue in webvtt.from_buffer(io.StringIO(subtitles.vtt_text(cues))):
        assert len(cue.text.splitlines()) <= 2
        assert all(len(line) <= subtitles.MAX_LINE + 12 for line in re.sub(r"</?v[^>]*>", "", cue.raw_text).split("\n"))
    for cue in srt.parse(subtitles.srt_text(cues)):
        assert len(cue.content.splitlines()) <= 2
        assert "*" not in cue.content


def test_one_sentence_stays_one_cue():
    assert subtitles.cue_texts("The ferry was late.") == ["The ferry was late."]
    assert subtitles.cue_texts("She said *very* _softly_ ~~not~~ so.") == ["She said very softly not so."]


def test_the_segments_timing_is_kept_whole(letter, tmp_path):
    from audio_tools import tone_wav

    from narrate.audio import layout
    from narrate.casting.config import Pauses

    other = Clip(line=Line(segment=Segment(chapter=1, index=1, kind="narration", text="She folded it.", start=1,
                                           end=2, paragraph=1), voice=Voice(), text_to_speak="x", key="k1"),
                 path=str(tone_wav(tmp_path / "t.wav", 1.0)), frames=22050, sample_rate=22050)
    plan = layout.chapter_plan(None, [letter.line.segment, other.line.segment], {0: [letter], 1: [other]}, Pauses())
    times = subtitles.segment_times(plan)
    assert [index for index, _, _ in times] == [1, 2]  # numbered from 1, as `narrate script` prints them
    assert times[0][1] == pytest.approx(layout.HEAD_SILENCE, abs=0.25)
    assert times[0][2] - times[0][1] == pytest.approx(letter.frames / 22050, abs=0.001)
    cues = subtitles.cues_from_plan(plan)
    assert cues[0].start == pytest.approx(times[0][1], abs=0.001)
    assert cues[-1].end == pytest.approx(times[1][2], abs=0.001)
