"""Story file → text: check the path, guess the encoding, refuse what is not a story.

The decoded text keeps its newlines exactly as in the file (no `\\r\\n` translation) and loses only a
byte-order mark, so offsets into it point back into the file.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from narrate.errors import InputError
from narrate.inputs import STORY, check_input, read_input

MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
EPUB_SUFFIXES = (".epub",)
SUPPORTED_SUFFIXES = (".txt", ".text", *MARKDOWN_SUFFIXES, *HTML_SUFFIXES, *EPUB_SUFFIXES)

# Text has next to no control characters; random bytes decoded as cp1252 have about one in eight.
_MAX_CONTROL_SHARE = 0.05
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")  # C0/C1 controls except tab and line ends
_FIX_EXPORT = "Export the story as plain text (.txt, UTF-8) or Markdown (.md) and try again."


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # utf-8, utf-8-sig, utf-16 or cp1252 (cp1252 is a guess: the caller may warn)


def read_story_text(path: Path) -> DecodedText:
    """Decode the story file at `path`, or raise InputError naming the file and the fix."""
    data = _read_bytes(path)
    decoded = decode_story_bytes(data, path)
    if not decoded.text.strip():
        raise InputError(f"{path}: the file is empty, there is no text to read. Check that this is the story "
                         f"file and that it was saved.")
    return decoded


def decode_story_bytes(data: bytes, path: Path) -> DecodedText:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252; binary data raises InputError."""
    if data.startswith(codecs.BOM_UTF8):
        decoded = DecodedText(_decode(data[len(codecs.BOM_UTF8):], "utf-8", path), "utf-8-sig")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoded = DecodedText(_decode(data, "utf-16", path), "utf-16")  # the codec drops the BOM
    elif b"\x00" in data:
        raise InputError(f"{path}: looks like a binary file, not text (it contains NUL bytes). {_FIX_EXPORT} "
                         f"(UTF-16 text needs a byte-order mark.)")
    else:
        try:
            decoded = DecodedText(data.decode("utf-8"), "utf-8")
        except UnicodeDecodeError:
            # cp1252 leaves five byte values undefined: they become U+FFFD and count against the text test
            decoded = DecodedText(data.decode("cp1252", errors="replace"), "cp1252")
    if _control_share(decoded.text) > _MAX_CONTROL_SHARE:
        raise InputError(f"{path}: looks like a binary file, not text (too many control characters). {_FIX_EXPORT}")
    return decoded


def _read_bytes(path: Path) -> bytes:
    check_story_path(path)
    return read_input(path, STORY, factor=_factor(path))


def check_story_path(path: Path) -> None:
    """Raise InputError unless `path` is a regular file (links followed) of a type narrate reads, within the
    story size limit (narrate.inputs): a FIFO, a device or a link loop is refused, never read."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a story file. Give the path of a .txt, .md, .html or .epub "
                         f"file instead.")
    check_input(path, STORY, factor=_factor(path))
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        shown = path.suffix or "no extension"
        raise InputError(f"{path}: unsupported file type ({shown}). narrate reads {', '.join(SUPPORTED_SUFFIXES)} "
                         f"files: save the story as plain text, Markdown, a web page or an EPUB with one of those "
                         f"extensions.")


def _factor(path: Path) -> float:
    """An EPUB may be larger than a text story by this much: its images count."""
    return 4.0 if path.suffix.lower() in EPUB_SUFFIXES else 1.0


def _decode(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        name = encoding.upper()
        raise InputError(f"{path}: starts with a {name} byte-order mark but is not valid {name} (bad bytes at "
                         f"offset {err.start}). Re-save the file as UTF-8.") from err


def _control_share(text: str) -> float:
    return len(_CONTROL.findall(text)) / len(text) if text else 0.0
