"""The stages chained into what the commands do; returns data and reports progress, never prints.

loading.py reads a story into its script with voices.yaml applied; book.py builds a book (ingest -> annotate ->
casting -> synthesis -> audio) from one BuildRequest (narrate.request); preview.py reads a passage aloud;
auditions.py makes one clip per voice; many.py builds a folder of books on one synthesis pool. The CLI (and the
studio) call these and nothing deeper. book.py's names are imported on first use, so a command that only reads
the script (`narrate script`) never imports synthesis and audio."""
from narrate.pipeline.loading import load, parse_chapter_range, script_warnings

_FROM_BOOK = frozenset({"BuildReport", "ChapterWritten", "Stage", "TextWarnings", "build"})


def __getattr__(name: str):
    if name in _FROM_BOOK:
        from narrate.pipeline import book

        return getattr(book, name)
    raise AttributeError(f"module 'narrate.pipeline' has no attribute {name!r}")


__all__ = ["BuildReport", "ChapterWritten", "Stage", "TextWarnings", "build", "load", "parse_chapter_range", "script_warnings"]
