"""Opening and closing credits: what the narrator says before the first chapter and after the last (ACX asks
for both, each as a file of its own)."""
from __future__ import annotations

from narrate.casting.config import Config
from narrate.model import Book

OPENING_TITLE = "Opening Credits"
CLOSING_TITLE = "Closing Credits"
READ_BY = "synthetic voices"  # what the credits say reads the book, unless voices.yaml names someone


def credit_texts(book: Book, config: Config) -> tuple[str, str]:
    """What the narrator says in the opening and closing credits: the title, the author, and who reads it, in
    words a listener accepts: "Read by synthetic voices." (never an engine's voice id such as "English
    (America)"), or "Read by NAME." for voices.yaml's `credits: {read_by: NAME}`."""
    credits = config.data.credits
    by = f", by {book.author}" if book.author else ""
    read = f"Read by {(credits.read_by or '').strip() or READ_BY}."
    opening = credits.opening or f"{book.title}{by}. {read}"
    closing = credits.closing or f"This has been {book.title}{by}. {read} The end."
    return opening, closing
