"""Plain frozen data passed between the pipeline stages (see DESIGN.md).

Offsets (`start`, `end`) are always Python str offsets into `Book.source`: the story file decoded
(BOM removed, no newline translation), so every segment points back into the original file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["paragraph", "heading", "title", "author", "author_note", "scene_break", "apparatus"]
SegmentKind = Literal["narration", "dialogue", "skipped"]

NARRATOR = "narrator"
UNKNOWN = "unknown"
BOOK_SAMPLE_RATE = 22050  # every clip is brought to this rate (espeak's own), so engines mix in one book


@dataclass(frozen=True)
class Block:
    """A top-level piece of a chapter as ingest found it.

    Only `paragraph` blocks are read aloud; the others become `skipped` segments (a heading is
    announced through `Chapter.title` instead, a scene break becomes a pause).
    """

    kind: BlockKind
    start: int
    end: int
    # (start, end) source ranges inside the block that are markup, never spoken (`*`, `_`, link targets, ...;
    # in plain text only emphasis marks that pair up: ingest/markup.py)
    markup: tuple[tuple[int, int], ...] = ()
    # `apparatus` blocks (an illustration, a page number, an imprint, a `skip:` pattern...): the rule that skips
    # it, named in the skipped segment's evidence (skipped:illustration)
    reason: str = ""


@dataclass(frozen=True)
class Chapter:
    index: int  # 1-based
    title: str
    start: int
    end: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Book:
    path: str
    source: str
    encoding: str  # what the file was decoded as: utf-8, utf-8-sig, utf-16, cp1252
    title: str
    author: str | None
    chapters: tuple[Chapter, ...]
    quote_style: str = "double"  # double | single | guillemet | dash (set by annotate)
    # what the story file was: text | markdown | html | epub. For html and epub, `source` is the Markdown
    # that ingest generated from the file (chapters as `# Title`), and every offset points into it.
    source_format: str = "text"
    cover: bytes | None = field(default=None, repr=False)  # the e-book's cover image, as stored in it
    cover_type: str | None = None  # the cover's MIME type: image/jpeg, image/png, ...
    year: str | None = None  # of publication, when the file says


@dataclass(frozen=True)
class Segment:
    chapter: int  # 1-based chapter index
    index: int  # 0-based position within the whole script
    kind: SegmentKind
    text: str  # the words as they will be spoken (markup removed, whitespace collapsed)
    start: int
    end: int
    paragraph: int  # 0-based paragraph number within the chapter (-1 for non-paragraph blocks)
    speaker: str = NARRATOR  # canonical character name, "narrator" or "unknown"
    evidence: str = "narration"  # why this speaker: tag:said-after, pronoun:he->Clint, skipped:author_note, ...
    confidence: float = 1.0
    utterance: int | None = None  # dialogue pieces of one utterance share this id (split quotes, multi-paragraph)


@dataclass(frozen=True)
class Character:
    name: str
    aliases: tuple[str, ...] = ()
    gender: Literal["male", "female", "neutral"] = "neutral"
    lines: int = 0
    gender_source: str = ""  # where the gender came from: voices.yaml, text pronouns, title, name list, description


@dataclass(frozen=True)
class Script:
    book: Book
    segments: tuple[Segment, ...]
    characters: tuple[Character, ...] = ()
    warnings: tuple[str, ...] = ()  # "file:line: what and the fix"; the CLI shows them on stderr


@dataclass(frozen=True)
class CastEntry:
    """What annotation needs to know of a character named in voices.yaml."""

    name: str
    aliases: tuple[str, ...] = ()
    gender: Literal["male", "female", "neutral"] | None = None


@dataclass(frozen=True)
class Voice:
    engine: str = "espeak"
    voice: str = "en-us"
    rate: int = 170  # words per minute
    pitch: int = 50  # espeak 0-99
    volume: float = 1.0  # 0-1
    options: tuple[tuple[str, str], ...] = field(default=())
    semitones: float = 0.0  # a variant: pitch shift applied to the engine's output (formant-preserving)
    tempo: float = 1.0  # a variant: speed factor applied to the engine's output

    @property
    def is_variant(self) -> bool:
        return self.semitones != 0 or self.tempo != 1


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers, as `narrate voices` lists it."""

    id: str
    name: str
    language: str
    gender: str


@dataclass(frozen=True)
class Line:
    segment: Segment
    voice: Voice
    text_to_speak: str
    key: str  # sha256 over engine id + version + voice + spoken text: names the clip in the cache


@dataclass(frozen=True)
class Clip:
    line: Line
    path: str
    frames: int
    sample_rate: int
    digest: str = ""  # SHA-256 of its samples as read from the store: what units are named by ("" in tests)
