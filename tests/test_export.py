"""The .m4b book and the other containers, read back by ffprobe and mutagen."""
import json
import re
import subprocess

import mutagen
import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4

from audio_tools import probe, tone_wav
from narrate import export, ffmpeg, loudness
from narrate.errors import AudioError, InputError

RATE = 22050
LEAD_IN = 0.25  # each test chapter: this much silence, then a tone


def chapter_wav(path, tone_seconds):
    """A chapter master: silence, then a tone whose onset marks where the chapter's sound begins."""
    tone = tone_wav(path.with_suffix(".tone.wav"), tone_seconds, RATE)
    ffmpeg.run(["-f", "lavfi", "-i", f"anullsrc=r={RATE}:cl=mono:d={LEAD_IN}", "-i", str(tone),
                "-filter_complex", "[0][1]concat=n=2:v=0:a=1", "-c:a", "pcm_s16le", str(path)], path)
    return path


def make_cover(path):
    ffmpeg.run(["-f", "lavfi", "-i", "color=c=teal:s=32x32", "-frames:v", "1", str(path)], path)
    return export.read_cover(path)


def frames(path):
    return int(probe(path)["streams"][0]["duration_ts"])


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("book")
    titles = ["Opening Credits", "The Ferry = Late; #1 \\ again", "Harbour Lights"]
    wavs = [chapter_wav(tmp / f"{n}.wav", seconds) for n, seconds in enumerate([1.3, 2.05, 0.93])]
    cover = make_cover(tmp / "cover.jpg")
    tags = export.BookTags(title="Salt & Lamps", author="A. Writer", genre="Audiobook", year=2024, cover=cover)
    out = tmp / "out" / "Salt & Lamps.m4b"
    marks = export.write_m4b([export.ChapterAudio(t, w) for t, w in zip(titles, wavs)], out, tags)
    return {"out": out, "marks": marks, "titles": titles, "wavs": wavs, "cover": cover}


def expected_starts(wavs):
    starts, total = [], 0
    for wav in wavs:
        starts.append(total / RATE)
        total += frames(wav)
    return starts, total / RATE


def test_marks_follow_the_chapter_sample_counts(book):
    starts, total = expected_starts(book["wavs"])
    assert [m.title for m in book["marks"]] == book["titles"]
    assert [m.start for m in book["marks"]] == pytest.approx(starts, abs=1e-9)
    assert [m.end for m in book["marks"]] == pytest.approx(starts[1:] + [total], abs=1e-9)


def test_ffprobe_lists_the_chapters_at_the_chapter_durations(book):
    result = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(book["out"])],
                            capture_output=True, text=True, check=True)
    chapters = json.loads(result.stdout)["chapters"]
    starts, total = expected_starts(book["wavs"])
    assert [c["tags"]["title"] for c in chapters] == book["titles"]
    assert [float(c["start_time"]) for c in chapters] == pytest.approx(starts, abs=0.05)
    assert float(chapters[-1]["end_time"]) == pytest.approx(total, abs=0.05)
    assert float(probe(book["out"])["format"]["duration"]) == pytest.approx(total, abs=0.05)


def test_each_chapter_sound_begins_where_its_marker_says(book):
    # the tone onsets in the decoded AAC (priming removed by the edit list) against marker + lead-in
    _, log = ffmpeg.run(["-i", str(book["out"]), "-map", "0:a", "-af", "silencedetect=n=-40dB:d=0.1",
                         "-f", "null", "-"], book["out"])
    onsets = [float(t) for t in re.findall(r"silence_end: ([\d.]+)", log)]
    assert onsets[:3] == pytest.approx([m.start + LEAD_IN for m in book["marks"]], abs=0.05)


def test_mutagen_reads_tags_cover_and_chapters(book):
    m4b = MP4(book["out"])
    assert m4b.tags["\xa9nam"] == ["Salt & Lamps"] and m4b.tags["\xa9alb"] == ["Salt & Lamps"]
    assert m4b.tags["\xa9ART"] == ["A. Writer"] and m4b.tags["aART"] == ["A. Writer"]
    assert m4b.tags["\xa9gen"] == ["Audiobook"] and m4b.tags["\xa9day"] == ["2024"]
    assert m4b.tags["stik"] == [2]  # iTunes media kind: audiobook
    assert bytes(m4b.tags["covr"][0]) == book["cover"].data
    assert [c.title for c in m4b.chapters] == book["titles"]
    assert [c.start for c in m4b.chapters] == pytest.approx([m.start for m in book["marks"]], abs=0.05)
    stream = probe(book["out"])["streams"][0]
    assert stream["codec_name"] == "aac" and stream["channels"] == 1 and int(stream["sample_rate"]) == RATE
    assert probe(book["out"])["format"]["tags"]["major_brand"].strip() == "M4B"
    assert [p.name for p in book["out"].parent.iterdir()] == [book["out"].name]  # no temp files left


def test_chapter_filters_are_applied_on_the_way_in(tmp_path):
    wav = chapter_wav(tmp_path / "one.wav", 2.0)
    tags = export.BookTags(title="T")
    plain, quieter = tmp_path / "plain.m4b", tmp_path / "quieter.m4b"
    export.write_m4b([export.ChapterAudio("One", wav)], plain, tags)
    export.write_m4b([export.ChapterAudio("One", wav, ("volume=-10dB",))], quieter, tags)
    difference = loudness.measure(plain).integrated_lufs - loudness.measure(quieter).integrated_lufs
    assert difference == pytest.approx(10, abs=0.5)


def test_a_missing_chapter_file_is_an_error_and_leaves_nothing(tmp_path):
    wav = chapter_wav(tmp_path / "one.wav", 0.5)
    out = tmp_path / "out" / "Book.m4b"
    with pytest.raises(AudioError, match="missing.wav"):
        export.write_m4b([export.ChapterAudio("One", wav), export.ChapterAudio("Two", tmp_path / "missing.wav")],
                         out, export.BookTags(title="Book"))
    assert list(out.parent.iterdir()) == []


def test_ffmetadata_escapes_its_special_characters():
    text = export.ffmetadata(export.BookTags(title="A=B;C#D\\E\nF"), [export.ChapterMark("x=1", 0.0, 1.2344)])
    assert "title=A\\=B\\;C\\#D\\\\E\\\nF" in text
    assert "[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1234\ntitle=x\\=1" in text


def test_covers_are_recognised_by_their_signature(tmp_path):
    jpeg = make_cover(tmp_path / "c.jpg")
    png = make_cover(tmp_path / "c.png")
    assert (jpeg.mime, png.mime) == ("image/jpeg", "image/png")
    (tmp_path / "c.gif").write_bytes(b"GIF89a....")
    with pytest.raises(InputError, match="c.gif: not a JPEG or PNG"):
        export.read_cover(tmp_path / "c.gif")
    with pytest.raises(InputError, match="nope.jpg: cannot read"):
        export.read_cover(tmp_path / "nope.jpg")


def test_cover_embedded_in_an_mp3_keeps_its_tags(tmp_path):
    wav = tone_wav(tmp_path / "a.wav", 0.5)
    mp3 = tmp_path / "01 - One.mp3"
    export.encode(wav, mp3, "mp3", "64k", {"title": "One", "album": "Salt"})
    cover = make_cover(tmp_path / "c.png")
    export.embed_cover_mp3(mp3, cover)
    export.embed_cover_mp3(mp3, cover)  # again: still one picture
    pictures = ID3(mp3).getall("APIC")
    assert len(pictures) == 1 and pictures[0].data == cover.data and pictures[0].mime == "image/png"
    assert pictures[0].type == 3  # front cover
    assert mutagen.File(mp3, easy=True)["title"] == ["One"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01 - One.mp3", "a.wav", "c.png"]


@pytest.mark.parametrize("fmt, codec", [("mp3", "mp3"), ("flac", "flac"), ("opus", "opus"), ("wav", "pcm_s16le")])
def test_encode_writes_each_format_with_tags(tmp_path, fmt, codec):
    wav = tone_wav(tmp_path / "a.wav", 1.0)
    out = tmp_path / f"out.{fmt}"
    export.encode(wav, out, fmt, "48k", {"title": "One", "artist": None}, filters=["volume=-3dB"],
                  sample_rate=44100 if fmt == "mp3" else None)
    info = probe(out)
    assert info["streams"][0]["codec_name"] == codec
    assert float(info["format"]["duration"]) == pytest.approx(1.0, abs=0.08)
    tags = {k.lower(): v for k, v in {**info["format"].get("tags", {}), **info["streams"][0].get("tags", {})}.items()}
    assert tags["title"] == "One" and "artist" not in tags
    if fmt == "mp3":
        assert int(info["streams"][0]["sample_rate"]) == 44100
