"""Plain text and Markdown → Book: paragraphs, chapter headings, title and author, author's notes, scene breaks.

The file is cut into paragraphs at blank lines; heading lines are cut out of their paragraphs; each piece is
classified on its spoken words (Markdown markup removed). Every non-whitespace character of the file ends up in
exactly one Block of one Chapter, and every offset is a str offset into `Book.source`.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from narrate.ingest.decode import MARKDOWN_SUFFIXES, read_story_text
from narrate.ingest.markup import ATX_OPEN as _ATX_OPEN
from narrate.ingest.markup import SETEXT_UNDERLINE as _SETEXT_UNDERLINE
from narrate.ingest.markup import markdown_markup, plain_text_markup, separates_words
from narrate.model import Block, BlockKind, Book, Chapter

Span = tuple[int, int]


def load_book(path: str | Path) -> Book:
    """Read a .txt or .md story into a Book; raise InputError when the file cannot be a story."""
    path = Path(path)
    decoded = read_story_text(path)
    doc = _Document(decoded.text, markdown=path.suffix.lower() in MARKDOWN_SUFFIXES)
    pieces = [piece for paragraph in _paragraph_lines(doc.source) for piece in doc.split_paragraph(paragraph)]
    pieces, title, author = _read_front_matter(doc, pieces)
    _settle_headings(pieces)
    book_title = title or _title_from_file_name(path)
    return Book(path=str(path), source=doc.source, encoding=decoded.encoding, title=book_title, author=author,
                chapters=_chapters(pieces, book_title), source_format="markdown" if doc.markdown else "text")


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

    def piece(self, lines: list[Span], kind: BlockKind | None = None, md_level: int = 0) -> _Piece:
        markup = tuple(markdown_markup(self.source, lines, md_level) if self.markdown
                       else plain_text_markup(self.source, lines))
        text = spoken_text(self.source, lines[0][0], lines[-1][1], markup, entities=self.markdown)
        piece = _Piece(kind or _classify(text), lines, markup, text, md_level)
        if md_level and piece.kind == "paragraph":  # a non-empty Markdown heading; "#" alone is a scene break
            piece.kind, piece.chapter_title = "heading", _chapter_heading_title(text, alone=True) or text
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
                pieces.extend(self._split_leading_heading(group))
        return pieces

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
            title = _chapter_heading_title(self.line_text(lines[first]), alone=left == heading_end)
            if not title:
                pieces.append(self.piece(lines[first:]))
                break
            heading = self.piece(lines[first:first + heading_end], kind="heading")
            heading.chapter_title = title
            pieces.append(heading)
            first += heading_end
        return pieces


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

_QUOTES = "\"'“”‘’«»„‚‹›"
_TERMINAL_PUNCTUATION = ".!?,;:…"
_AUTHOR_NOTE = re.compile(
    r"[(\[*_~\s]*(?:a\s?/\s?n\b|a\.\s?n\b|an\s*:|author(?:['’]?s|s['’])?\s+notes?\b|disclaimer\s*[:\-–—])",
    re.IGNORECASE)
_ORNAMENT_LETTERS = frozenset("oO0xX")  # o0o, oOo, xXx: fan-fiction scene breaks
_MAX_TITLE_WORDS = 10


def _classify(text: str) -> BlockKind:
    if _AUTHOR_NOTE.match(text):
        return "author_note"
    if _is_scene_break(text):
        return "scene_break"
    return "paragraph"


def _is_scene_break(text: str) -> bool:
    """Only ornament: no words (***, ~~~, #, <hr>) or o0o-like letters."""
    compact = "".join(text.split())
    if any(char in _QUOTES for char in compact):
        return False  # "..." is a silent reply, not an ornament
    letters = [char for char in compact if char.isalnum()]
    if not letters:
        return True
    return len(letters) >= 3 and set(letters) <= _ORNAMENT_LETTERS and not any(char in ".!?" for char in compact)


def _looks_like_title(text: str) -> bool:
    """A short line with no sentence punctuation at its end, not a line of dialogue."""
    words = text.split()
    return (0 < len(words) <= _MAX_TITLE_WORDS and any(char.isalpha() for char in text)
            and text[0] not in _QUOTES + "-–—(" and text[-1] not in _TERMINAL_PUNCTUATION + _QUOTES)


# --- chapter headings --------------------------------------------------------------------------------------------

_NUMBER_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
                r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
                r"|hundred)")
_NUMBER_WORDS = rf"{_NUMBER_WORD}(?:[\s-]+(?:and[\s-]+)?{_NUMBER_WORD})*"
_ORDINAL = (r"(?:the\s+)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
            r"|last)")
# 'Chapter 3: The Fall', 'CHAPTER I. Title', 'Part II -- Title', or a capitalised title after a space
_TITLE_PART = r"(?:\s*[:.\-–—]+\s*(?P<title>.*)|\s+(?P<spaced_title>\S.*))?"
_NUMBERED_HEADING = re.compile(
    rf"(?P<keyword>chapter|chap\.|ch\.|part|book|volume|vol\.|act)\s+"
    rf"(?P<number>\d+|[ivxlcdm]+|{_NUMBER_WORDS}|{_ORDINAL})\b{_TITLE_PART}", re.IGNORECASE)
_NAMED_HEADING = re.compile(
    rf"(?P<keyword>prologue|epilogue|interlude|preface|foreword|afterword|introduction)\b{_TITLE_PART}",
    re.IGNORECASE)
# a paragraph of only 'IV' or '12.': a chapter number (Roman numerals in capitals only: 'x' may be a letter)
_NUMERAL_HEADING = re.compile(r"(?P<number>\d{1,3}|[IVXLCDM]+)\.?")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})", re.IGNORECASE)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_KEYWORD_NAMES = {"chap.": "Chapter", "ch.": "Chapter", "vol.": "Volume"}
_MAX_HEADING_TITLE_WORDS = 12


def _chapter_heading_title(text: str, alone: bool = False) -> str | None:
    """'CHAPTER III - The Fall' → 'Chapter 3: The Fall'; None when `text` is not a chapter heading line.
    A line `alone` in its paragraph may also be a bare chapter number ('IV' → 'Chapter 4')."""
    if alone and (numeral := _NUMERAL_HEADING.fullmatch(text)):
        number = _spoken_number(numeral["number"])
        return f"Chapter {number}" if number else None
    match = _NUMBERED_HEADING.fullmatch(text) or _NAMED_HEADING.fullmatch(text)
    if not match:
        return None
    keyword = match["keyword"].lower()
    heading = _KEYWORD_NAMES.get(keyword, keyword.capitalize())
    if match.re is _NUMBERED_HEADING:
        number = _spoken_number(match["number"])
        if number is None:
            return None
        heading = f"{heading} {number}"
    subtitle = (match["title"] or "").rstrip(".").strip()
    if spaced := match["spaced_title"]:  # no separator: only a capitalised, unpunctuated title ('Chapter 2 of.')
        if not spaced[0].isupper() or spaced[-1] in _TERMINAL_PUNCTUATION:
            return None
        subtitle = spaced
    if len(subtitle.split()) > _MAX_HEADING_TITLE_WORDS:
        return None
    return f"{heading}: {subtitle}" if subtitle else heading


def _spoken_number(number: str) -> str | None:
    """Digits and Roman numerals become digits ('III' → '3'); number words are capitalised; None if invalid."""
    if number.isdigit():
        return str(int(number))
    if _ROMAN.fullmatch(number):
        values = [_ROMAN_VALUES[char] for char in number.upper()]
        return str(sum(-value if value < following else value for value, following in zip(values, values[1:] + [0])))
    if re.fullmatch(f"{_NUMBER_WORDS}|{_ORDINAL}", number, re.IGNORECASE):
        return re.sub(r"[a-z]+", lambda word: word[0] if word[0] in ("and", "the") else word[0].capitalize(),
                      number.lower())
    return None


def _settle_headings(pieces: list[_Piece]) -> None:
    """Markdown headings below the chapter level are read aloud unless they name a chapter. After a heading,
    a bare chapter number ('CHAPTER I' then 'I') adds nothing to the title, and a short title-like line after
    a bare 'Chapter 3' is its subtitle."""
    chapter_level = min((piece.md_level for piece in pieces if piece.kind == "heading" and piece.md_level), default=0)
    for piece in pieces:
        if piece.kind == "heading" and piece.md_level > chapter_level and not _chapter_heading_title(piece.text, True):
            piece.kind = "paragraph"
    for previous, piece in zip(pieces, pieces[1:]):
        if previous.kind != "heading":
            continue
        if (piece.kind == "heading" and _NUMERAL_HEADING.fullmatch(piece.text)
                and previous.chapter_title.startswith("Chapter")):
            piece.chapter_title = ""
        elif (piece.kind == "paragraph" and _is_bare_heading(previous) and len(piece.lines) == 1
              and _looks_like_title(piece.text)):
            piece.kind, piece.chapter_title, piece.subtitle = "heading", piece.text, True


def _is_bare_heading(piece: _Piece) -> bool:
    """'Chapter 3' or 'Prologue' with no title of its own."""
    return (not piece.subtitle and bool(piece.chapter_title) and ":" not in piece.chapter_title
            and _chapter_heading_title(piece.text, alone=True) is not None)


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
        elif piece.kind == "author_note":
            front.append(piece)
        elif piece is markdown_title and title is None:
            piece.kind, title = "title", piece.text
            front.append(piece)
        elif author is None and piece.kind == "paragraph" and (name := _byline_name(piece, title is not None)):
            piece.kind, author = "author", name
            front.append(piece)
        elif title is None and _has_body_after(pieces, index) and (split := _title_pieces(doc, piece)):
            front += split
            title = split[0].text
            author = next((_byline_name(extra, True) for extra in split[1:]), author)
        else:
            return front + pieces[index:], title, author
    return front, title, author


def _markdown_title_piece(pieces: list[_Piece]) -> _Piece | None:
    """The only `# heading` of the file, unless it names a chapter: it may be the book title."""
    top_level = [piece for piece in pieces if piece.md_level == 1 and piece.kind == "heading"]
    if len(top_level) == 1 and not _chapter_heading_title(top_level[0].text, alone=True):
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
    if not _looks_like_title(title.text):
        return []
    if len(piece.lines) == 1:
        return [title]
    author = doc.piece(piece.lines[1:], kind="author")
    return [title, author] if _byline_name(author, after_title=True) else []


def _has_body_after(pieces: list[_Piece], index: int) -> bool:
    return any(piece.kind in ("paragraph", "heading") for piece in pieces[index + 1:])


def _title_from_file_name(path: Path) -> str:
    """'the_long-night.txt' → 'The Long Night'."""
    words = re.sub(r"[_\-.]+", " ", path.stem).split()
    title = " ".join(words) or path.stem
    return " ".join(word.capitalize() for word in words) if title.islower() else title


# --- chapters ----------------------------------------------------------------------------------------------------

def _chapters(pieces: list[_Piece], book_title: str) -> tuple[Chapter, ...]:
    """A chapter starts at each run of heading pieces. What comes before the first heading joins the first
    chapter, unless it holds prose: then it is a chapter of its own, named after the book."""
    sections: list[list[_Piece]] = []
    for index, piece in enumerate(pieces):
        starts_chapter = piece.kind == "heading" and (index == 0 or pieces[index - 1].kind != "heading")
        if starts_chapter or not sections:
            sections.append([])
        sections[-1].append(piece)
    if len(sections) > 1 and not any(piece.kind in ("paragraph", "heading") for piece in sections[0]):
        sections[0:2] = [sections[0] + sections[1]]
    return tuple(_chapter(number, section, book_title) for number, section in enumerate(sections, start=1))


def _chapter(number: int, pieces: list[_Piece], book_title: str) -> Chapter:
    headings = [piece for piece in pieces if piece.kind == "heading"]
    title = headings[0].chapter_title if headings else book_title
    for heading in headings[1:]:  # 'Part 2' then 'Chapter 5', or a bare 'Chapter 5' then its subtitle
        if heading.chapter_title:
            title += (": " if heading.subtitle else ". ") + heading.chapter_title
    blocks = tuple(Block(piece.kind, piece.start, piece.end, piece.markup) for piece in pieces)
    return Chapter(index=number, title=title, start=blocks[0].start, end=blocks[-1].end, blocks=blocks)
