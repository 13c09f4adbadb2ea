"""The .m4b book and the other containers, read back by ffprobe and mutagen."""
import json
import re
import subprocess

import mutagen
import pytest
from audio_tools import playing_time, probe, tone_wav
from mutagen.id3 import ID3
from mutagen.mp3 import BitrateMode
from mutagen.mp4 import MP4

from narrate import ffmpeg
from narrate.audio import containers, loudness
from narrate.audio.cover import read_cover
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
    return read_cover(path)


def bare(wav, out, codec):
    """`wav` encoded as produce.py keeps units: a bare MP3 stream or an ADTS AAC stream."""
    args = {"mp3": ["-c:a", "libmp3lame", "-b:a", "64k", "-write_xing", "0", "-id3v2_version", "0", "-f", "mp3"],
            "aac": ["-c:a", "aac", "-b:a", "64k", "-f", "adts"]}[codec]
    ffmpeg.run(["-i", str(wav), *args, str(out)], out)
    return out


def samples_in(path, codec):
    return sum(1 for _ in containers.frames(path, codec)) * (576 if codec == "mp3" else 1024)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("book")
    titles = ["Opening Credits", "The Ferry = Late; #1 \\ again", "Harbour Lights"]
    wavs = [chapter_wav(tmp / f"{n}.wav", seconds) for n, seconds in enumerate([1.3, 2.05, 0.93])]
    streams = [bare(wav, wav.with_suffix(".aac"), "aac") for wav in wavs]
    marks, start = [], 0
    for title, stream in zip(titles, streams):
        end = start + samples_in(stream, "aac")
        marks.append(containers.ChapterMark(title, start / RATE, end / RATE))
        start = end
    cover = make_cover(tmp / "cover.jpg")
    tags = containers.BookTags(title="Salt & Lamps", author="A. Writer", genre="Audiobook", year=2024, cover=cover)
    out = tmp / "out" / "Salt & Lamps.m4b"
    written = containers.write_m4b(streams, out, tags, marks)
    return {"out": out, "marks": marks, "written": written, "titles": titles, "total": start / RATE, "cover": cover}


def test_ffprobe_lists_the_chapters_at_the_marks(book):
    assert book["written"] == book["marks"]
    result = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(book["out"])],
                            capture_output=True, text=True, check=True)
    chapters = json.loads(result.stdout)["chapters"]
    assert [c["tags"]["title"] for c in chapters] == book["titles"]
    assert [float(c["start_time"]) for c in chapters] == pytest.approx([m.start for m in book["marks"]], abs=0.002)
    assert float(chapters[-1]["end_time"]) == pytest.approx(book["total"], abs=0.002)
    assert float(probe(book["out"])["format"]["duration"]) == pytest.approx(book["total"], abs=0.002)


def test_the_frames_are_joined_as_they_are(book):
    # every stream starts with the encoder's priming frame (1024 samples), which the join keeps: each tone
    # begins one frame after its lead-in
    _, log = ffmpeg.run(["-i", str(book["out"]), "-map", "0:a", "-af", "silencedetect=n=-40dB:d=0.1",
                         "-f", "null", "-"], book["out"])
    onsets = [float(t) for t in re.findall(r"silence_end: ([\d.]+)", log)]
    assert onsets[:3] == pytest.approx([m.start + LEAD_IN + 1024 / RATE for m in book["marks"]], abs=0.01)


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


def test_a_missing_stream_is_an_error_and_leaves_nothing(tmp_path):
    stream = bare(chapter_wav(tmp_path / "one.wav", 0.5), tmp_path / "one.aac", "aac")
    out = tmp_path / "out" / "Book.m4b"
    with pytest.raises(AudioError, match="missing.aac"):
        containers.write_m4b([stream, tmp_path / "missing.aac"], out, containers.BookTags(title="Book"),
                         [containers.ChapterMark("One", 0, 1)])
    assert list(out.parent.iterdir()) == []


def test_frames_of_mp3_and_adts_streams(tmp_path):
    wav = tone_wav(tmp_path / "a.wav", 1.0)
    for codec in ("mp3", "aac"):
        stream = bare(wav, tmp_path / f"a.{codec}", codec)
        frames = list(containers.frames(stream, codec))
        assert b"".join(frames) == stream.read_bytes()
        assert all(frame[0] == 0xFF for frame in frames)
        decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(stream), "-f", "s16le", "-"],
                                 capture_output=True, check=True).stdout
        assert len(decoded) // 2 == samples_in(stream, codec) >= 22050
    (tmp_path / "junk.mp3").write_bytes(b"ID3 not a frame")
    with pytest.raises(AudioError, match="junk.mp3: no mp3 frame at byte 0"):
        list(containers.frames(tmp_path / "junk.mp3", "mp3"))


def test_joined_mp3_is_the_frames_with_tags_cover_and_an_info_header(tmp_path):
    parts = [bare(tone_wav(tmp_path / f"{n}.wav", seconds), tmp_path / f"{n}.mp3", "mp3")
             for n, seconds in enumerate([0.5, 1.2])]
    cover = make_cover(tmp_path / "c.png")
    out = tmp_path / "out" / "01 - One.mp3"
    containers.join_mp3(parts, out, {"title": "One", "album": "Salt", "artist": None}, cover)
    frames = sum(samples_in(p, "mp3") for p in parts)
    # decoders drop the 529 samples of MP3 decoder delay that the Info header declares
    assert playing_time(out) == pytest.approx((frames - 529) / RATE, abs=0.001)
    assert mutagen.File(out).info.bitrate_mode == BitrateMode.CBR
    assert mutagen.File(out, easy=True)["title"] == ["One"] and "artist" not in mutagen.File(out, easy=True)
    assert ID3(out).getall("APIC")[0].data == cover.data
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_encode_pcm_streams_into_any_format(tmp_path):
    tone = tone_wav(tmp_path / "a.wav", 1.0)
    chunks = [tone.read_bytes()[44:][i:i + 5000] for i in range(0, 44100, 5000)]
    out = tmp_path / "a.flac"
    containers.encode_pcm(chunks, RATE, out, "flac", metadata={"title": "One"}, filters=["volume=-10dB"])
    assert int(probe(out)["streams"][0]["duration_ts"]) == 22050
    assert loudness.measure(tone).integrated_lufs - loudness.measure(out).integrated_lufs == pytest.approx(10, abs=0.3)


def test_ffmetadata_escapes_its_special_characters():
    text = containers.ffmetadata(containers.BookTags(title="A=B;C#D\\E\nF"), [containers.ChapterMark("x=1", 0.0, 1.2344)])
    assert "title=A\\=B\\;C\\#D\\\\E\\\nF" in text
    assert "[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1234\ntitle=x\\=1" in text


def test_covers_of_either_kind_are_embedded_as_a_jpeg(tmp_path):
    jpeg = make_cover(tmp_path / "c.jpg")
    png = make_cover(tmp_path / "c.png")
    assert (jpeg.mime, png.mime) == ("image/jpeg", "image/jpeg")
    assert jpeg.data.startswith(b"\xff\xd8\xff") and png.data.startswith(b"\xff\xd8\xff")
    (tmp_path / "c.gif").write_bytes(b"GIF89a....")
    with pytest.raises(InputError, match="c.gif: not a picture narrate can read"):
        read_cover(tmp_path / "c.gif")
    with pytest.raises(InputError, match="nope.jpg: cannot read"):
        read_cover(tmp_path / "nope.jpg")


def test_cover_embedded_in_an_mp3_keeps_its_tags(tmp_path):
    wav = tone_wav(tmp_path / "a.wav", 0.5)
    mp3 = tmp_path / "01 - One.mp3"
    containers.encode(wav, mp3, "mp3", "64k", {"title": "One", "album": "Salt"})
    cover = make_cover(tmp_path / "c.png")
    containers.embed_cover_mp3(mp3, cover)
    containers.embed_cover_mp3(mp3, cover)  # again: still one picture
    pictures = ID3(mp3).getall("APIC")
    assert len(pictures) == 1 and pictures[0].data == cover.data and pictures[0].mime == "image/jpeg"
    assert pictures[0].type == 3  # front cover
    assert mutagen.File(mp3, easy=True)["title"] == ["One"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01 - One.mp3", "a.wav", "c.png"]


@pytest.mark.parametrize("fmt, codec", [("mp3", "mp3"), ("flac", "flac"), ("opus", "opus"), ("wav", "pcm_s16le")])
def test_encode_writes_each_format_with_tags(tmp_path, fmt, codec):
    wav = tone_wav(tmp_path / "a.wav", 1.0)
    out = tmp_path / f"out.{fmt}"
    containers.encode(wav, out, fmt, "48k", {"title": "One", "artist": None}, filters=["volume=-3dB"],
                  sample_rate=44100 if fmt == "mp3" else None)
    info = probe(out)
    assert info["streams"][0]["codec_name"] == codec
    assert float(info["format"]["duration"]) == pytest.approx(1.0, abs=0.08)
    tags = {k.lower(): v for k, v in {**info["format"].get("tags", {}), **info["streams"][0].get("tags", {})}.items()}
    assert tags["title"] == "One" and "artist" not in tags
    if fmt == "mp3":
        assert int(info["streams"][0]["sample_rate"]) == 44100
