"""Story file → Book: decoding, paragraphs, chapters, title and author (see text.py)."""
from narrate.ingest.text import load_book, spoken_text

__all__ = ["load_book", "spoken_text"]
