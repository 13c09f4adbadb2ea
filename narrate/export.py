"""Containers and metadata: the one-file .m4b book with chapter markers, tags and cover; covers in MP3s; re-encoding.

Chapter starts come from the sample counts actually fed to the AAC encoder, never from estimates; the mp4
muxer's edit list hides the encoder's priming samples, so marker times and audio agree (measured: < 1 ms).
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from mutagen.id3 import APIC, ID3, ID3NoHeaderError, PictureType

from . import ffmpeg
from .cache import atomic_path
from .errors import InputError

_CODECS = {
    "mp3": ["-c:a", "libmp3lame", "-f", "mp3", "-id3v2_version", "3"],  # -b:a alone means constant bitrate
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "flac": ["-c:a", "flac", "-f", "flac"],
    "opus": ["-c:a", "libopus", "-f", "opus"],
}
_LOSSY = {"mp3", "opus"}
_IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
_FFMETADATA_SPECIALS = str.maketrans({c: "\\" + c for c in "=;#\\\n"})


@dataclass(frozen=True)
class Cover:
    data: bytes
    mime: str  # image/jpeg or image/png

    @property
    def extension(self) -> str:
        return "png" if self.mime == "image/png" else "jpg"


@dataclass(frozen=True)
class BookTags:
    title: str
    author: str | None = None
    album: str | None = None  # the book title when not given
    genre: str = "Audiobook"
    year: str | int | None = None
    cover: Cover | None = None


@dataclass(frozen=True)
class ChapterAudio:
    title: str
    path: Path  # any audio ffmpeg reads: the chapter's WAV master, ideally (no second lossy generation)
    filters: tuple[str, ...] = ()  # ffmpeg -af filters applied on the way in, e.g. loudness.filters(gain, rate)


@dataclass(frozen=True)
class ChapterMark:
    title: str
    start: float  # seconds from the start of the book
    end: float


def cover_from_bytes(data: bytes, source: str | Path) -> Cover:
    """A Cover, its type told by the image's own signature (JPEG or PNG, the two every player shows)."""
    for magic, mime in _IMAGE_TYPES.items():
        if data.startswith(magic):
            return Cover(data=data, mime=mime)
    raise InputError(f"{source}: not a JPEG or PNG image. Convert the cover to JPEG or PNG (e.g. "
                     f"ffmpeg -i COVER cover.jpg) and pass that.")


def read_cover(path: str | Path) -> Cover:
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read the cover image ({err.strerror}). Check the path given to --cover.") from None
    return cover_from_bytes(data, path)


def codec_args(fmt: str, bitrate: str) -> list[str]:
    """ffmpeg output arguments for one of mp3, wav, flac, opus."""
    return [*_CODECS[fmt], *(["-b:a", bitrate] if fmt in _LOSSY else [])]


def encode(source: str | Path, out_path: Path, fmt: str, bitrate: str = "64k",
           metadata: Mapping[str, str | None] | None = None, filters: Sequence[str] = (),
           sample_rate: int | None = None) -> None:
    """Re-encode `source` (e.g. a chapter's WAV master) to `out_path` (atomically) as mp3, wav, flac or opus,
    through `filters` (-af), at `sample_rate` if given (ACX wants 44.1 kHz), with tags."""
    meta_args = [arg for key, value in (metadata or {}).items() if value for arg in ("-metadata", f"{key}={value}")]
    with atomic_path(out_path) as tmp:
        ffmpeg.run(["-i", str(source), "-map", "0:a:0", *(["-af", ",".join(filters)] if filters else []),
                    *(["-ar", str(sample_rate)] if sample_rate else []), *codec_args(fmt, bitrate), *meta_args,
                    str(tmp)], out_path)


def embed_cover_mp3(path: Path, cover: Cover) -> None:
    """Add `cover` as the MP3's front-cover picture (ID3 APIC), replacing any; the file is swapped atomically."""
    with atomic_path(path) as tmp:
        shutil.copyfile(path, tmp)
        try:
            tags = ID3(tmp)
        except ID3NoHeaderError:
            tags = ID3()
        tags.delall("APIC")
        tags.add(APIC(encoding=3, mime=cover.mime, type=PictureType.COVER_FRONT, desc="Cover", data=cover.data))
        tags.save(tmp, v2_version=3)


def write_m4b(chapters: Sequence[ChapterAudio] | Iterable[ChapterAudio], out_path: Path, tags: BookTags,
              bitrate: str = "64k", sample_rate: int | None = None,
              planned: Sequence[ChapterMark] | None = None) -> list[ChapterMark]:
    """One AAC book file with a chapter marker at the start of every chapter, tags and cover; written atomically.

    The chapters are decoded and streamed, one after another, into one encoder (mono, at `sample_rate`, by
    default the first chapter's). They may come from an iterator that yields each as it is ready, so encoding
    the book overlaps with making its chapters. Returns the chapter marks as written."""
    if sample_rate is None:
        chapters = list(chapters)
        if not chapters:
            raise ValueError("write_m4b needs at least one chapter")
    rate = sample_rate or int(ffmpeg.probe(chapters[0].path)["stream"]["sample_rate"])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if planned is not None:
        return _write_m4b_in_one_pass(chapters, out_path, tags, bitrate, rate, planned)
    # the intermediate AAC (~34 MB an hour) goes beside the book, not into a possibly small /tmp
    with tempfile.TemporaryDirectory(dir=out_path.parent, prefix=f".{out_path.stem[:40]}.") as work:
        audio = Path(work) / "audio.m4a"
        marks = _encode_chapters(chapters, audio, rate, bitrate)
        metadata = Path(work) / "metadata.txt"
        metadata.write_text(ffmetadata(tags, marks), encoding="utf-8")
        inputs = ["-i", str(audio), "-i", str(metadata)]
        maps = ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
        if tags.cover is not None:
            cover = Path(work) / f"cover.{tags.cover.extension}"
            cover.write_bytes(tags.cover.data)
            inputs += ["-i", str(cover)]
            maps += ["-map", "2:v", "-disposition:v:0", "attached_pic"]
        with atomic_path(out_path) as tmp:
            # ffmpeg's ipod muxer would label the file an M4A; players file M4B-branded files as audiobooks
            ffmpeg.run([*inputs, *maps, "-c", "copy", "-brand", "M4B ", "-f", "ipod", str(tmp)], out_path)
    return marks


def _write_m4b_in_one_pass(chapters: Iterable[ChapterAudio], out_path: Path, tags: BookTags, bitrate: str,
                           rate: int, planned: Sequence[ChapterMark]) -> list[ChapterMark]:
    """With the chapter times known before the audio (from the plans' frame counts), one ffmpeg encodes and
    muxes the book as the chapters stream in: no intermediate file, and no second process that reads a whole
    book's index into memory."""
    with tempfile.TemporaryDirectory(dir=out_path.parent, prefix=f".{out_path.stem[:40]}.") as work:
        metadata = Path(work) / "metadata.txt"
        metadata.write_text(ffmetadata(tags, planned), encoding="utf-8")
        inputs = ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0", "-i", str(metadata)]
        maps = ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
        if tags.cover is not None:
            cover = Path(work) / f"cover.{tags.cover.extension}"
            cover.write_bytes(tags.cover.data)
            inputs += ["-i", str(cover)]
            maps += ["-map", "2:v", "-c:v", "copy", "-disposition:v:0", "attached_pic"]
        with atomic_path(out_path) as tmp, ffmpeg.Feed(
                [*inputs, *maps, "-c:a", "aac", "-aac_coder", "fast", "-b:a", bitrate, "-brand", "M4B ",
                 "-f", "ipod", str(tmp)], out_path) as feed:
            for chapter in chapters:
                for chunk in ffmpeg.decode_pcm(chapter.path, rate, chapter.filters):
                    feed.write(chunk)
            feed.finish()
    return list(planned)


def _encode_chapters(chapters: Iterable[ChapterAudio], out: Path, rate: int, bitrate: str) -> list[ChapterMark]:
    marks: list[ChapterMark] = []
    written = 0  # bytes of s16 mono: two per frame (a pipe read may end mid-sample, so count bytes)
    with ffmpeg.Feed(["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                      "-c:a", "aac", "-aac_coder", "fast", "-b:a", bitrate, "-f", "mp4", str(out)], out) as feed:
        for chapter in chapters:
            start = written
            for chunk in ffmpeg.decode_pcm(chapter.path, rate, chapter.filters):
                feed.write(chunk)
                written += len(chunk)
            marks.append(ChapterMark(title=chapter.title, start=start / 2 / rate, end=written / 2 / rate))
        feed.finish()
    return marks


def ffmetadata(tags: BookTags, marks: Sequence[ChapterMark]) -> str:
    """ffmpeg's FFMETADATA1 text: book tags, then one [CHAPTER] per mark in milliseconds."""
    values = {"title": tags.title, "artist": tags.author, "album_artist": tags.author,
              "album": tags.album or tags.title, "genre": tags.genre, "date": tags.year,
              "media_type": 2}  # iTunes "stik" 2: Audiobook
    lines = [";FFMETADATA1"] + [f"{key}={_escape(value)}" for key, value in values.items() if value]
    for mark in marks:
        lines += ["", "[CHAPTER]", "TIMEBASE=1/1000", f"START={round(mark.start * 1000)}",
                  f"END={round(mark.end * 1000)}", f"title={_escape(mark.title)}"]
    return "\n".join(lines) + "\n"


def _escape(value: object) -> str:
    return str(value).translate(_FFMETADATA_SPECIALS)
