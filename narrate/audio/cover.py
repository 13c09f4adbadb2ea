"""Cover images: decoded once, within a size and a pixel limit, and made into the one JPEG every file embeds.

A cover is whatever the user passed with --cover or the EPUB carries. A signature alone proves nothing (a PNG
signature before garbage, a header that claims 40000 x 40000 pixels, a file cut short), and what a player cannot
show would end up in every MP3 and break the .m4b. So the image is decoded with Pillow, whole, before any
synthesis: a file over its size limit (inputs.COVER), over MAX_PIXELS, in a format other than those players
show, damaged or truncated is exit 2, naming the file and the fix. What decodes is re-encoded as a baseline JPEG
no larger than MAX_SIDE on its long side (only ever scaled down: ACX asks for 2400 px or more, and keeps them),
upright (EXIF orientation applied), transparency laid on white. The build decodes it once and hands the bytes to
every MP3 and the .m4b.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

from narrate.audio.containers import Cover
from narrate.errors import InputError
from narrate.inputs import COVER, read_input

MAX_SIDE = 3000  # px on the long side of the embedded JPEG (ACX asks for 2400 or more; players need no more)
MAX_PIXELS = 50_000_000  # a cover with more (7000 x 7000 and up) is refused before it is decoded
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")  # what Pillow may try: common picture formats, nothing exotic
JPEG_QUALITY = 90
_FIX = ("Save the picture as a JPEG or PNG (for example `ffmpeg -i COVER -vf scale=3000:-1 cover.jpg`) and "
        "pass that with --cover.")


def read_cover(path: str | Path) -> Cover:
    """The cover at `path` (a regular file within its size limit), made ready to embed."""
    return prepare_cover(read_input(path, COVER), str(path))


def prepare_cover(data: bytes, source: str) -> Cover:
    """`data`, an image, as the JPEG to embed; `source` names it in errors (a path, or the e-book's cover).
    Raises InputError for what is too large, not a picture or cannot be decoded."""
    from PIL import Image, ImageOps  # only books with a cover need Pillow

    if len(data) > COVER.limit():
        raise InputError(f"{source}: larger than the {COVER.limit() // 2**20} MB a cover image may be. {_FIX} "
                         f"(Or raise the limit with {COVER.variable}=<MB>.)")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's decompression-bomb guard: warns past this, refuses past twice it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused just below, with its size
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                _check_pixels(image.size, source)
                image.draft("RGB", _fitted(image.size))  # a JPEG decodes at the least scale still large enough
                image.load()  # the whole image: a damaged or truncated one fails here, not in a player
                picture = _opaque_rgb(ImageOps.exif_transpose(image))
    except Image.DecompressionBombError:
        raise InputError(f"{source}: an image of more than {MAX_PIXELS // 1_000_000} million pixels, more than a "
                         f"cover may have. {_FIX}") from None
    except Image.UnidentifiedImageError:
        raise InputError(f"{source}: not a picture narrate can read (JPEG, PNG, WebP, GIF or BMP), or a damaged "
                         f"one. {_FIX}") from None
    except InputError:
        raise
    except Exception as err:  # Pillow reports a damaged image with whatever its decoder ran into
        raise InputError(f"{source}: the image is damaged or cut short and cannot be decoded ({err}). "
                         f"{_FIX}") from err
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # never enlarges
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)  # baseline: every player shows it
    return Cover(data=out.getvalue(), mime="image/jpeg")


def _check_pixels(size: tuple[int, int], source: str) -> None:
    width, height = size
    if width * height > MAX_PIXELS:  # Pillow's guard only warns below twice its limit
        raise InputError(f"{source}: {width} x {height} pixels, more than the {MAX_PIXELS // 1_000_000} million "
                         f"a cover may have. {_FIX}")
    if not width or not height:
        raise InputError(f"{source}: an image of {width} x {height} pixels holds no picture. {_FIX}")


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    """`size` scaled down to MAX_SIDE on its long side (unchanged when it is within it)."""
    scale = min(1.0, MAX_SIDE / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _opaque_rgb(image):
    """The image as 8-bit RGB: transparency laid on white, 16-bit and float grey scaled to 8 bits."""
    from PIL import Image

    if image.mode.startswith("I;16") or image.mode == "I":
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")
