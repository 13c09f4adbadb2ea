"""Story file → Book: decoding, paragraphs, chapters, title and author.

Plain text and Markdown are read by text.py; web pages (html.py) and EPUBs (epub.py) are first written out as
Markdown and then read the same way. Their parsers are imported on first use: lxml and ebooklib cost a tenth of a
second each, and most stories are text.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from narrate.ingest.apparatus import SkipPattern
from narrate.ingest.decode import EPUB_SUFFIXES, HTML_SUFFIXES
from narrate.ingest.text import load_book as load_text_book
from narrate.ingest.text import spoken_text
from narrate.model import Book

__all__ = ["load_book", "spoken_text"]


def load_book(path: str | Path, include_front_matter: bool = False, skip: Sequence[SkipPattern] = ()) -> Book:
    """Read a .txt, .md, .html or .epub story into a Book; raise InputError when the file cannot be a story.

    include_front_matter: EPUB only; also read the cover, title page, copyright page, contents, dedication,
    acknowledgements and the like, which are left out by default.
    skip: voices.yaml's `skip:` patterns; what they match is kept as apparatus, not read (apparatus.py).
    """
    suffix = Path(path).suffix.lower()
    if suffix in EPUB_SUFFIXES:
        from narrate.ingest.epub import load_epub

        return load_epub(path, include_front_matter, skip)
    if suffix in HTML_SUFFIXES:
        from narrate.ingest.html import load_html

        return load_html(path, skip)
    return load_text_book(path, skip)
