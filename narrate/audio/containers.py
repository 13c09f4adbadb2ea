"""Containers and metadata: chapter MP3s and the one-file .m4b book joined from encoded frames, with chapter
markers, tags and cover; covers in MP3s; encoding.

Chapter marks are given by the caller from the samples planned; produce.py makes the frames stand for exactly
those samples, so marks and audio agree.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from narrate import ffmpeg
from narrate.errors import AudioError
from narrate.state import atomic_path, temp_dir_for

_CODECS = {
    "mp3": ["-c:a", "libmp3lame", "-f", "mp3", "-id3v2_version", "3"],  # -b:a alone means constant bitrate
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "flac": ["-c:a", "flac", "-f", "flac"],
    "opus": ["-c:a", "libopus", "-f", "opus"],
}
_LOSSY = {"mp3", "opus"}
_FFMETADATA_SPECIALS = str.maketrans({c: "\\" + c for c in "=;#\\\n"})


@dataclass(frozen=True)
class Cover:
    """A picture to embed, as cover.py prepares it (decoded, checked, made a JPEG of a sane size)."""

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
class ChapterMark:
    title: str
    start: float  # seconds from the start of the book
    end: float


def codec_args(fmt: str, bitrate: str) -> list[str]:
    """ffmpeg output arguments for one of mp3, wav, flac, opus."""
    return [*_CODECS[fmt], *(["-b:a", bitrate] if fmt in _LOSSY else [])]


def encode(source: str | Path, out_path: Path, fmt: str, bitrate: str = "64k",
           metadata: Mapping[str, str | None] | None = None, filters: Sequence[str] = (),
           sample_rate: int | None = None) -> None:
    """Re-encode `source` (e.g. a chapter's WAV master) to `out_path` (atomically) as mp3, wav, flac or opus,
    through `filters` (-af), at `sample_rate` if given (ACX wants 44.1 kHz), with tags."""
    with atomic_path(out_path) as tmp:
        ffmpeg.run(["-i", str(source), "-map", "0:a:0", *(["-af", ",".join(filters)] if filters else []),
                    *(["-ar", str(sample_rate)] if sample_rate else []), *codec_args(fmt, bitrate),
                    *_tag_args(metadata), str(tmp)], out_path)


def _tag_args(metadata: Mapping[str, str | None] | None) -> list[str]:
    return [arg for key, value in (metadata or {}).items() if value for arg in ("-metadata", f"{key}={value}")]


def embed_cover_mp3(path: Path, cover: Cover) -> None:
    """Add `cover` as the MP3's front-cover picture (ID3 APIC), replacing any; the file is swapped atomically."""
    from mutagen.id3 import (  # only books with a cover need it (7 ms)
        APIC,
        ID3,
        ID3NoHeaderError,
        PictureType,
    )

    with atomic_path(path) as tmp:
        shutil.copyfile(path, tmp)
        try:
            tags = ID3(tmp)
        except ID3NoHeaderError:
            tags = ID3()
        tags.delall("APIC")
        tags.add(APIC(encoding=3, mime=cover.mime, type=PictureType.COVER_FRONT, desc="Cover", data=cover.data))
        tags.save(tmp, v2_version=3)


def encode_pcm(chunks: Iterable[bytes], sample_rate: int, out_path: Path, fmt: str, bitrate: str = "64k",
               metadata: Mapping[str, str | None] | None = None, filters: Sequence[str] = ()) -> None:
    """Mono s16le PCM streamed in, through `filters` (-af), encoded to `out_path` (atomically) as mp3, wav,
    flac or opus, with tags."""
    with atomic_path(out_path) as tmp, ffmpeg.Feed(
            ["-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0",
             *(["-af", ",".join(filters)] if filters else []), *codec_args(fmt, bitrate), *_tag_args(metadata),
             str(tmp)], out_path) as feed:
        for chunk in chunks:
            feed.write(chunk)
        feed.finish()


def frames(path: Path, codec: str) -> Iterator[bytes]:
    """The frames of a bare MP3 stream (no tags, no Info header) or of an ADTS AAC stream, one at a time."""
    header_size = 4 if codec == "mp3" else 7
    with open(path, "rb") as stream:
        while header := stream.read(header_size):
            if len(header) < header_size or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
                raise AudioError(f"{path}: no {codec} frame at byte {stream.tell() - len(header)}. Delete the "
                                 f"file (it is only a cache) and build again.")
            size = _mp3_frame_size(header) if codec == "mp3" else _adts_frame_size(header)
            yield header + stream.read(size - header_size)


# Layer III bitrates (kbit/s) by index, and sample rates by index, per MPEG version (header bits 19-20)
_MP3_BITRATES = {3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
                 2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame_size(header: bytes) -> int:
    version = (header[1] >> 3) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    bitrate = _MP3_BITRATES[3 if version == 3 else 2][header[2] >> 4] * 1000
    rate = _MP3_RATES[version][(header[2] >> 2) & 3]
    padding = (header[2] >> 1) & 1
    return (144 if version == 3 else 72) * bitrate // rate + padding


def _adts_frame_size(header: bytes) -> int:
    return ((header[3] & 3) << 11) | (header[4] << 3) | (header[5] >> 5)  # header included


def join_mp3(parts: Sequence[Path], out_path: Path, metadata: Mapping[str, str | None] | None = None,
             cover: Cover | None = None) -> None:
    """One MP3 file (atomically) of the frames of `parts`, bare MP3 streams, in order: copied, not encoded again;
    with tags, the cover and an Info header (it marks the file constant-bitrate)."""
    with atomic_path(out_path) as tmp:
        with ffmpeg.Feed(["-f", "mp3", "-i", "pipe:0", "-map", "0:a", "-c", "copy", "-id3v2_version", "3",
                          *_tag_args(metadata), "-f", "mp3", str(tmp)], out_path) as feed:
            for part in parts:
                feed.write(_read_frames(part))
            feed.finish()
        if cover is not None:
            embed_cover_mp3(tmp, cover)


def write_m4b(aac: Iterable[Path], out_path: Path, tags: BookTags, marks: Sequence[ChapterMark]) -> list[ChapterMark]:
    """One AAC book file (atomically) of the frames of the ADTS streams `aac`, in order, copied, not encoded
    again; with a chapter marker per mark, tags and cover. Returns the marks."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=temp_dir_for(out_path), prefix=f".{out_path.stem[:40]}.") as work:
        metadata = Path(work) / "metadata.txt"
        metadata.write_text(ffmetadata(tags, marks), encoding="utf-8")
        # with several inputs ffmpeg reads each on a thread through a queue, and waits 10 ms whenever the queue is
        # empty: a short one makes joining frames from a pipe ~100 times slower than reading a file
        inputs = ["-thread_queue_size", "4096", "-f", "aac", "-i", "pipe:0", "-i", str(metadata)]
        maps = ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
        if tags.cover is not None:
            cover = Path(work) / f"cover.{tags.cover.extension}"
            cover.write_bytes(tags.cover.data)
            inputs += ["-i", str(cover)]
            maps += ["-map", "2:v", "-c:v", "copy", "-disposition:v:0", "attached_pic"]
        # ffmpeg's ipod muxer would label the file an M4A; players file M4B-branded files as audiobooks
        with atomic_path(out_path) as tmp, ffmpeg.Feed(
                [*inputs, *maps, "-c:a", "copy", "-brand", "M4B ", "-f", "ipod", str(tmp)], out_path) as feed:
            for path in aac:
                feed.write(_read_frames(path))
            feed.finish()
    return list(marks)


def _read_frames(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise AudioError(f"{path}: cannot read encoded audio ({err.strerror}); it is kept in the cache: "
                         f"build again to make it anew.") from None


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
