"""Plain text and Markdown → Book: paragraphs, chapter headings, title and author, author's notes, scene breaks.

The file is cut into paragraphs at blank lines; heading lines are cut out of their paragraphs; each piece is
classified on its spoken words (Markdown markup removed). Every non-whitespace character of the file ends up in
exactly one Block of one Chapter, and every offset is a str offset into `Book.source`.
"""
from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from narrate.ingest.apparatus import (
    SkipPattern,
    inline_page_markers,
    is_bare_page_number,
    line_rule,
    notes_block_ends,
    opens_notes_block,
    paragraph_rule,
)
from narrate.ingest.chapters import chapters, settle_headings
from narrate.ingest.decode import MARKDOWN_SUFFIXES, read_story_text
from narrate.ingest.headings import (
    NUMERAL_HEADING,
    QUOTES,
    chapter_heading_title,
    looks_like_title,
)
from narrate.ingest.markup import ATX_OPEN as _ATX_OPEN
from narrate.ingest.markup import SETEXT_UNDERLINE as _SETEXT_UNDERLINE
from narrate.ingest.markup import (
    markdown_markup,
    merge_ranges,
    plain_text_markup,
    separates_words,
)
from narrate.model import BlockKind, Book

Span = tuple[int, int]


def load_book(path: str | Path, skip: Sequence[SkipPattern] = (), chapter_level: int = 0) -> Book:
    """Read a .txt or .md story into a Book; raise InputError when the file cannot be a story.

    `skip`: voices.yaml's patterns of the book's own furniture, not read (besides apparatus.py's rules).
    `chapter_level`: only Markdown headings of this level start chapters, those above it are volumes (an e-book
    whose table of contents lists its chapters); 0: found from the headings."""
    path = Path(path)
    decoded = read_story_text(path)
    doc = _Document(decoded.text, markdown=path.suffix.lower() in MARKDOWN_SUFFIXES, skip=tuple(skip))
    pieces = [piece for paragraph in _paragraph_lines(doc.source) for piece in doc.split_paragraph(paragraph)]
    _mark_apparatus(doc, pieces)
    pieces, title, author = _read_front_matter(doc, pieces)
    settle_headings(pieces, chapter_level)
    book_title = title or _title_from_file_name(path)
    return Book(path=str(path), source=doc.source, encoding=decoded.encoding, title=book_title, author=author,
                chapters=chapters(pieces, book_title, chapter_level),
                source_format="markdown" if doc.markdown else "text")


def spoken_text(source: str, start: int, end: int, markup: tuple[Span, ...] | list[Span] = (),
                entities: bool = True) -> str:
    """The words of source[start:end] as they are read: markup ranges dropped, HTML entities unescaped (not
    with `entities` False: in plain text `&lt;` is what the file says, see markup.py), whitespace collapsed to
    single spaces."""
    parts, position = [], start
    for markup_start, markup_end in sorted(markup):
        markup_start, markup_end = max(markup_start, position), min(markup_end, end)
        if markup_end <= markup_start:  # outside the span, or already passed
            continue
        parts.append(source[position:markup_start])
        if separates_words(source[markup_start:markup_end]):
            parts.append(" ")
        position = markup_end
    parts.append(source[position:end])
    text = "".join(parts)
    return " ".join((html.unescape(text) if entities else text).split())


# --- paragraphs and pieces ---------------------------------------------------------------------------------------

@dataclass
class _Piece:
    """A candidate block: whole source lines, classified step by step until it becomes a Block."""

    kind: BlockKind
    lines: list[Span]  # each line's span, trimmed of whitespace
    markup: tuple[Span, ...]
    text: str  # the spoken words
    md_level: int = 0  # Markdown heading level, 0 when not a Markdown heading
    chapter_title: str = ""  # heading pieces: the title to announce
    subtitle: bool = False  # a heading piece that names the bare chapter heading before it
    inert: bool = False  # a heading piece that starts no chapter (chapters.settle_headings)
    reason: str = ""  # apparatus pieces: the rule that skips it (apparatus.py)

    @property
    def start(self) -> int:
        return self.lines[0][0]

    @property
    def end(self) -> int:
        return self.lines[-1][1]


@dataclass
class _Document:
    source: str
    markdown: bool
    skip: tuple[SkipPattern, ...] = ()

    def piece(self, lines: list[Span], kind: BlockKind | None = None, md_level: int = 0) -> _Piece:
        markup = markdown_markup(self.source, lines, md_level) if self.markdown \
            else plain_text_markup(self.source, lines)
        if page_markers := inline_page_markers(self.source, lines):
            markup = merge_ranges(markup + page_markers)
        markup = tuple(markup)
        text = spoken_text(self.source, lines[0][0], lines[-1][1], markup, entities=self.markdown)
        piece = _Piece(kind or _classify(text), lines, markup, text, md_level)
        if md_level and piece.kind == "paragraph":  # a non-empty Markdown heading; "#" alone is a scene break
            piece.kind, piece.chapter_title = "heading", chapter_heading_title(text, alone=True) or text
        return piece

    def line_text(self, line: Span) -> str:
        return self.piece([line]).text

    def split_paragraph(self, lines: list[Span]) -> list[_Piece]:
        """Pieces of one paragraph: Markdown headings and a leading chapter-heading line stand alone."""
        pieces = []
        for group, md_level in self._markdown_groups(lines) if self.markdown else [(lines, 0)]:
            if md_level:
                pieces.append(self.piece(group, md_level=md_level))
            else:
                pieces.extend(piece for led in self._split_leading_heading(group)
                              for piece in self._split_apparatus_lines(led))
        return pieces

    def _split_apparatus_lines(self, piece: _Piece) -> list[_Piece]:
        """A page number, an illustration or a `skip:` line inside a paragraph stands alone as apparatus."""
        if piece.kind == "heading" or len(piece.lines) < 2:
            return [piece]
        pieces: list[_Piece] = []
        run: list[Span] = []
        for line in piece.lines:
            rule = None
            raw = self.source[line[0]:line[1]]
            if self.skip or _may_be_apparatus_line(raw):
                # its spoken words; a line with no character of markup or entities says what it shows
                text = self.line_text(line) if _MARKUP_CHARS.search(raw) else " ".join(raw.split())
                rule = line_rule(text, self.skip) or ("page number" if is_bare_page_number(text) else None)
            if not rule:
                run.append(line)
                continue
            if run:
                pieces.append(self.piece(run))
                run = []
            pieces.append(_apparatus(self.piece([line]), rule))
        if not pieces:
            return [piece]
        return pieces + ([self.piece(run)] if run else [])

    def _markdown_groups(self, lines: list[Span]) -> list[tuple[list[Span], int]]:
        """Runs of lines with their Markdown heading level: ATX lines alone, a two-line setext heading whole."""
        if len(lines) == 2 and _SETEXT_UNDERLINE.fullmatch(self.source, *lines[1]):
            return [(lines, 1 if self.source[lines[1][0]] == "=" else 2)]
        groups: list[tuple[list[Span], int]] = []
        for line in lines:
            atx = _ATX_OPEN.match(self.source, *line)
            if atx:
                groups.append(([line], len(atx.group(1))))
            elif groups and not groups[-1][1]:
                groups[-1][0].append(line)
            else:
                groups.append(([line], 0))
        return groups

    def _split_leading_heading(self, lines: list[Span]) -> list[_Piece]:
        """The chapter headings that lead `lines`, each a piece, then the rest as one piece. A loop, not
        recursion: a thousand heading lines in a row are as fine as one."""
        pieces: list[_Piece] = []
        first = 0  # lines[first:] are left
        while first < len(lines):
            left = len(lines) - first
            heading_end = 2 if left > 1 and _SETEXT_UNDERLINE.fullmatch(self.source, *lines[first + 1]) else 1
            title = chapter_heading_title(self.line_text(lines[first]), alone=left == heading_end)
            if not title:
                pieces.append(self.piece(lines[first:]))
                break
            heading = self.piece(lines[first:first + heading_end], kind="heading")
            heading.chapter_title = title
            pieces.append(heading)
            first += heading_end
        return pieces


def _apparatus(piece: _Piece, reason: str) -> _Piece:
    piece.kind, piece.reason, piece.chapter_title = "apparatus", reason, ""
    return piece


def _mark_apparatus(doc: _Document, pieces: list[_Piece]) -> None:
    """Paragraphs that are the printed book's apparatus (apparatus.py) or match a `skip:` pattern. A bare number
    on its own is a page number once the book numbers its chapters with 'Chapter'; a transcriber's note may run
    over paragraphs (to its closing bracket, or after a 'Transcriber's Notes' heading to the next heading)."""
    numbered = any(piece.kind == "heading" and piece.chapter_title.startswith("Chapter ")
                   and not NUMERAL_HEADING.fullmatch(piece.text) for piece in pieces)
    notes = None  # the text that opened a transcriber's notes block still open
    for piece in pieces:
        if piece.kind == "heading" and numbered and not piece.md_level and is_bare_page_number(piece.text):
            _apparatus(piece, "page number")
        elif piece.kind in ("heading", "scene_break"):
            notes = None
        elif piece.kind == "paragraph" and notes is not None:
            _apparatus(piece, "transcriber's note")
            if notes_block_ends(notes, piece.text):
                notes = None
        elif piece.kind == "paragraph":
            lines = [doc.source[start:end] for start, end in piece.lines]
            if rule := paragraph_rule(piece.text, lines, doc.skip):
                _apparatus(piece, rule)
                notes = piece.text if rule == "transcriber's note" and opens_notes_block(piece.text) else None


_MARKUP_CHARS = re.compile(r"[*_~`<>&\[\]\\#]")
_APPARATUS_LINE_MAX = 60  # characters: a page number or an illustration on a line of its own is shorter


def _may_be_apparatus_line(raw: str) -> bool:
    """Whether a line as written could be a page number or an illustration: what apparatus.line_rule looks at
    (a cheap test first: most lines of a book are prose)."""
    return len(raw) <= _APPARATUS_LINE_MAX and raw.lstrip("*_> ")[:1] in tuple("[{0123456789")


def _paragraph_lines(source: str) -> list[list[Span]]:
    """Trimmed line spans grouped into paragraphs; a line of only whitespace separates paragraphs."""
    paragraphs: list[list[Span]] = []
    current: list[Span] = []
    offset = 0
    for line in source.splitlines(keepends=True):
        span = _trim(source, offset, offset + len(line))
        offset += len(line)
        if span:
            current.append(span)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def _trim(source: str, start: int, end: int) -> Span | None:
    while start < end and source[start].isspace():
        start += 1
    while end > start and source[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


# --- what a piece is ---------------------------------------------------------------------------------------------

_AUTHOR_NOTE = re.compile(
    r"[(\[*_~\s]*(?:a\s?/\s?n\b|a\.\s?n\b|an\s*:|author(?:['’]?s|s['’])?\s+notes?\b|disclaimer\s*[:\-–—])",
    re.IGNORECASE)
_ORNAMENT_LETTERS = frozenset("oO0xX")  # o0o, oOo, xXx: fan-fiction scene breaks


def _classify(text: str) -> BlockKind:
    if _AUTHOR_NOTE.match(text):
        return "author_note"
    if _is_scene_break(text):
        return "scene_break"
    return "paragraph"


def _is_scene_break(text: str) -> bool:
    """Only ornament: no words (***, ~~~, #, <hr>) or o0o-like letters."""
    compact = "".join(text.split())
    if any(char in QUOTES for char in compact):
        return False  # "..." is a silent reply, not an ornament
    letters = [char for char in compact if char.isalnum()]
    if not letters:
        return True
    return len(letters) >= 3 and set(letters) <= _ORNAMENT_LETTERS and not any(char in ".!?" for char in compact)


# --- title, author and notes at the top --------------------------------------------------------------------------

_BYLINE = re.compile(r"(?:written\s+)?by\s+(?P<name>\S.*)", re.IGNORECASE)
_MAX_NAME_WORDS = 6
_HEADER_LINE = re.compile(r"(?P<key>[A-Za-z][\w'’ ]{0,24}?)\s*:\s*(?P<value>\S.*)")
_FENCE = re.compile(r"-{3,}")  # Markdown front matter delimiter
_TITLE_KEYS = frozenset({"title", "story title"})
_AUTHOR_KEYS = frozenset({"author", "authors", "written by", "by", "writer", "pen name"})
# fan-fiction header keys: a front paragraph starting with one of these is metadata, not story
_HEADER_KEYS = _TITLE_KEYS | _AUTHOR_KEYS | frozenset({
    "rating", "rated", "pairing", "pairings", "summary", "warning", "warnings", "fandom", "fandoms", "characters",
    "category", "categories", "genre", "genres", "word count", "words", "spoilers", "note", "notes", "status",
    "chapters", "tags", "disclaimer", "language", "relationship", "relationships", "series", "beta", "prompt"})


def _read_front_matter(doc: _Document, pieces: list[_Piece]) -> tuple[list[_Piece], str | None, str | None]:
    """Mark the title, author and notes before the story starts; returns (pieces, title, author)."""
    markdown_title = _markdown_title_piece(pieces)
    front: list[_Piece] = []
    title = author = None
    for index, piece in enumerate(pieces):
        entries = _header_entries(doc, piece) if piece.kind in ("paragraph", "author_note") else []
        if entries:
            front += entries
            title = title or next((_header_value(entry.text) for entry in entries if entry.kind == "title"), None)
            author = author or next((_header_value(entry.text) for entry in entries if entry.kind == "author"), None)
        elif piece.kind in ("author_note", "apparatus"):
            front.append(piece)
        elif piece is markdown_title and title is None:
            piece.kind, title = "title", piece.text
            front.append(piece)
        elif author is None and piece.kind == "paragraph" and (name := _byline_name(piece, title is not None)):
            piece.kind, author = "author", name
            front.append(piece)
        elif title is None and _has_body_after(pieces, index) and (split := _title_pieces(doc, piece)):
            front += split
            title = _without_printed_stop(split[0].text)
            author = next((_byline_name(extra, True) for extra in split[1:]), author)
        else:
            return front + pieces[index:], title, author
    return front, title, author


def _markdown_title_piece(pieces: list[_Piece]) -> _Piece | None:
    """The only `# heading` of the file, unless it names a chapter: it may be the book title."""
    top_level = [piece for piece in pieces if piece.md_level == 1 and piece.kind == "heading"]
    if len(top_level) == 1 and not chapter_heading_title(top_level[0].text, alone=True):
        return top_level[0]
    return None


def _header_entries(doc: _Document, piece: _Piece) -> list[_Piece]:
    """'Title: X / Author: Y / Rating: T' lines as title, author and author_note pieces; [] if not a header."""
    texts = [doc.line_text(line) for line in piece.lines]
    first = next((text for text in texts if not _FENCE.fullmatch(text)), "")
    if _header_key(first) not in _HEADER_KEYS:
        return []
    entries: list[tuple[BlockKind, list[Span]]] = []
    for line, text in zip(piece.lines, texts):
        key = _header_key(text)
        if key is None and entries and not _FENCE.fullmatch(text):
            entries[-1][1].append(line)  # a value running onto the next line
            continue
        kind: BlockKind = "title" if key in _TITLE_KEYS else "author" if key in _AUTHOR_KEYS else "author_note"
        if entries and kind == "author_note" and entries[-1][0] == "author_note":
            entries[-1][1].append(line)
        else:
            entries.append((kind, [line]))
    return [doc.piece(lines, kind=kind) for kind, lines in entries]


def _header_key(text: str) -> str | None:
    match = _HEADER_LINE.fullmatch(text)
    return match["key"].lower().replace("’", "'") if match else None


def _header_value(text: str) -> str:
    value = text.split(":", 1)[1].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()  # YAML front matter quotes its strings
    return value


def _byline_name(piece: _Piece, after_title: bool) -> str | None:
    """'by Jane Doe' → 'Jane Doe'. Without a title just before it, the name must start with a capital."""
    match = _BYLINE.fullmatch(piece.text) if len(piece.lines) == 1 else None
    if not match:
        return None
    name = match["name"]
    words = name.split()
    ends_like_sentence = name[-1] in "!?,;:" or (name.endswith(".") and len(words[-1]) > 3)
    if len(words) > _MAX_NAME_WORDS or ends_like_sentence or not (after_title or name[0].isupper()):
        return None
    return name


def _title_pieces(doc: _Document, piece: _Piece) -> list[_Piece]:
    """A plain title line standing alone, or a 'Title / by X' pair of lines: the pieces, title first."""
    if piece.kind != "paragraph" or len(piece.lines) > 2:
        return []
    title = doc.piece(piece.lines[:1], kind="title")
    if not looks_like_title(_without_printed_stop(title.text)):
        return []
    if len(piece.lines) == 1:
        return [title]
    author = doc.piece(piece.lines[1:], kind="author")
    return [title, author] if _byline_name(author, after_title=True) else []


def _without_printed_stop(text: str) -> str:
    """'PRIDE AND PREJUDICE.' → 'PRIDE AND PREJUDICE': old title pages end a title in capitals with a stop."""
    return text[:-1].rstrip() if text.endswith(".") and text.isupper() else text


def _has_body_after(pieces: list[_Piece], index: int) -> bool:
    return any(piece.kind in ("paragraph", "heading") for piece in pieces[index + 1:])


def _title_from_file_name(path: Path) -> str:
    """'the_long-night.txt' → 'The Long Night'."""
    words = re.sub(r"[_\-.]+", " ", path.stem).split()
    title = " ".join(words) or path.stem
    return " ".join(word.capitalize() for word in words) if title.islower() else title
