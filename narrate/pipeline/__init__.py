"""The stages chained into what the commands do; returns data and reports progress, never prints.

book.py builds a book (ingest -> annotate -> casting -> synthesis -> audio) from one BuildRequest
(narrate.request); preview.py reads a passage aloud; auditions.py makes one clip per voice; many.py builds a
folder of books on one synthesis pool. The CLI (and a later studio) call these and nothing deeper."""
from narrate.pipeline.book import (
    BuildReport,
    ChapterWritten,
    Stage,
    TextWarnings,
    build,
    load,
    parse_chapter_range,
    script_warnings,
)

__all__ = ["BuildReport", "ChapterWritten", "Stage", "TextWarnings", "build", "load", "parse_chapter_range", "script_warnings"]
