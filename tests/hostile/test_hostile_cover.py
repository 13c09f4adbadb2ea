"""Covers (issue 16, item 13): decoded whole, within a size and a pixel limit, before any synthesis; what is not a
picture a player can show is exit 2 naming the file and the fix; what is, is embedded in every MP3 and the .m4b
as one JPEG of at most 3000 px on its long side (never enlarged: ACX asks for 2400 px or more)."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import mutagen
import pytest
from cli_tools import run
from PIL import Image
from test_ingest_epub import build_epub

from narrate.audio.cover import MAX_PIXELS, MAX_SIDE, prepare_cover
from narrate.errors import InputError


def picture(width: int, height: int, mode: str = "RGB", fmt: str = "PNG", **save) -> bytes:
    """An image of `mode` with some detail in it (a flat one compresses to nothing and hides truncation)."""
    gradient = Image.linear_gradient("L")
    image = Image.merge("RGB", (gradient.resize((width, height)), gradient.rotate(90).resize((width, height)),
                                Image.effect_noise((width, height), 60)))
    image = image.convert(mode) if mode != "RGB" else image
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims width x height pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def size_of(jpeg: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG"
        return image.size


# --- refused before any synthesis ----------------------------------------------------------------------------------

BAD_COVERS = {  # name → (bytes, what the message says)
    "signature-then-garbage.png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not a picture"),
    "truncated.png": (picture(400, 300)[:3000], "damaged or cut short"),
    "truncated.jpg": (picture(400, 300, fmt="JPEG")[:2000], "damaged or cut short"),
    "bomb.png": (png_claiming(40_000, 40_000), "million pixels"),
    "just-over.png": (png_claiming(8_000, 7_000), "8000 x 7000 pixels"),  # below Pillow's own refusal
    "empty.png": (b"", "not a picture"),
    "picture.tiff": (picture(50, 50, fmt="TIFF"), "not a picture"),  # Pillow reads it; players may not
    "cover.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "not a picture"),
}


def nothing_synthesized(cache: Path, out: Path) -> bool:
    sounds = [path for folder in (cache, out) if folder.exists() for path in folder.rglob("*")
              if path.suffix in (".flac", ".wav", ".mp3", ".m4b")]
    return not sounds


@pytest.mark.parametrize("name", BAD_COVERS)
def test_a_cover_that_is_no_picture_is_exit_2_before_synthesis(capsys, tmp_path, story, cache_dir, name):
    data, said = BAD_COVERS[name]
    cover = tmp_path / name
    cover.write_bytes(data)
    out = tmp_path / "out"
    code, err = run(capsys, "build", story, "-o", out, "--cover", cover)
    # before: the signature was all that was checked, and ffmpeg failed on the .m4b after synthesis (exit 4)
    assert code == 2, err
    assert f"{cover}:" in err and said in err and "--cover" in err and "Traceback" not in err
    assert nothing_synthesized(cache_dir, out)


def test_an_epub_whose_cover_is_broken_is_exit_2_naming_it(capsys, tmp_path, cache_dir):
    book = build_epub(tmp_path / "keeper.epub", cover=b"\x89PNG\r\n\x1a\n" + bytes(200))
    out = tmp_path / "out"
    code, err = run(capsys, "build", book, "-o", out)
    assert code == 2, err
    assert f"{book} (the e-book's cover image)" in err and "--cover" in err
    assert nothing_synthesized(cache_dir, out)


def test_the_pixel_limit_is_pillows_guard_too():
    prepare_cover(picture(10, 10), "small.png")
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS  # set, not left at Pillow's default


# --- what is embedded ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size, made", [
    ((4000, 2000), (3000, 1500)),  # scaled down to 3000 on the long side
    ((2000, 3600), (1667, 3000)),
    ((2400, 2400), (2400, 2400)),  # ACX's minimum kept as it is, never enlarged
    ((100, 80), (100, 80)),
])
def test_a_cover_becomes_a_jpeg_of_at_most_3000_px(size, made):
    cover = prepare_cover(picture(*size), "art.png")
    assert cover.mime == "image/jpeg" and size_of(cover.data) == made


@pytest.mark.parametrize("mode, fmt", [("RGBA", "PNG"), ("LA", "PNG"), ("P", "GIF"), ("CMYK", "JPEG"),
                                       ("I;16", "PNG"), ("L", "WEBP"), ("1", "BMP")])
def test_every_kind_of_picture_becomes_an_rgb_jpeg(mode, fmt):
    cover = prepare_cover(picture(64, 48, mode, fmt), f"art.{fmt.lower()}")
    with Image.open(io.BytesIO(cover.data)) as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (64, 48))
        assert min(low for low, _ in image.getextrema()) < 200  # a picture, not a blank (16-bit grey went white)


def test_transparency_is_laid_on_white():
    clear = Image.new("RGBA", (20, 20), (200, 0, 0, 0))
    out = io.BytesIO()
    clear.save(out, "PNG")
    with Image.open(io.BytesIO(prepare_cover(out.getvalue(), "clear.png").data)) as image:
        assert all(channel > 245 for channel in image.getpixel((10, 10)))


def test_a_photo_taken_sideways_is_turned_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    sideways = picture(300, 200, fmt="JPEG", exif=exif.tobytes())
    assert size_of(prepare_cover(sideways, "photo.jpg").data) == (200, 300)


def test_the_same_cover_makes_the_same_bytes():
    data = picture(3200, 1800)
    assert prepare_cover(data, "a.png").data == prepare_cover(data, "b.png").data  # so units stay cached


def test_a_large_cover_is_embedded_as_one_small_jpeg_in_every_file(capsys, tmp_path, story, monkeypatch):
    """The real engine and ffmpeg: every MP3's picture and the .m4b's are the same JPEG, 3000 px at most, decoded
    from the source once."""
    cover = tmp_path / "cover.png"
    cover.write_bytes(picture(3600, 2400))
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: opened.append(args) or real_open(*args, **kwargs))
    out = tmp_path / "out"
    code, err = run(capsys, "build", story, "-o", out, "--cover", cover, "--format", "mp3", "--format", "m4b")
    assert code == 0, err
    assert len(opened) == 1  # decoded once for the whole build
    mp3s = sorted(out.glob("*.mp3"))
    pictures = [mutagen.File(mp3).tags.getall("APIC") for mp3 in mp3s]
    assert mp3s and all(len(found) == 1 and found[0].mime == "image/jpeg" for found in pictures)
    (book,) = out.glob("*.m4b")
    (covr,) = mutagen.File(book).tags["covr"]
    assert covr.imageformat == mutagen.mp4.MP4Cover.FORMAT_JPEG
    embedded = {found[0].data for found in pictures} | {bytes(covr)}
    assert len(embedded) == 1 and size_of(embedded.pop()) == (MAX_SIDE, 2000)
    assert cover.stat().st_size > 3 * max(len(found[0].data) for found in pictures)


def test_prepare_cover_names_its_source_in_every_refusal():
    for data, _ in BAD_COVERS.values():
        with pytest.raises(InputError, match=r"^the cover: "):
            prepare_cover(data, "the cover")
