"""Opening and closing credits: what the narrator says before the first chapter and after the last (ACX asks
for both, each as a file of its own)."""
from __future__ import annotations

from narrate.casting.config import Config
from narrate.engines import get_engine
from narrate.model import Book

OPENING_TITLE = "Opening Credits"
CLOSING_TITLE = "Closing Credits"


def narrator_name(config: Config) -> str:
    """The narrator's voice as a listener would name it: the engine's voice name, e.g. English (America)."""
    engine = get_engine(config.data.narrator.engine)
    base = config.narrator_voice.partition("+")[0]
    names = {info.id: info.name for info in engine.voices()}
    return names.get(base, config.narrator_voice)


def credit_texts(book: Book, config: Config) -> tuple[str, str]:
    credits = config.data.credits
    by = f", by {book.author}" if book.author else ""
    narrated = f"Narrated by {narrator_name(config)}, a voice of {config.data.narrator.engine}."
    opening = credits.opening or f"{book.title}{by}. {narrated}"
    closing = credits.closing or f"This has been {book.title}{by}. {narrated} The end."
    return opening, closing

