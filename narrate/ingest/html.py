"""Web pages → Book: the story found among the site's chrome, written out as Markdown and read as Markdown.

A story saved from a fan-fiction archive or a blog is mostly menus, comments, kudos and share buttons. The page
is parsed with lxml; chrome is removed by tag, ARIA role and class/id name; the story is the element holding the
most paragraph text, together with its look-alikes (a whole-work page has one per chapter). That part of the page
becomes Markdown: headings as `#`, paragraphs separated by blank lines, italics as `*`, bold as `**`, links and
footnote markers dropped. `Book.source` is that Markdown, so every offset points into it.

The element → Markdown conversion (`html_blocks`, `render_markdown`) and `book_from_markdown` serve epub.py too,
as does `parse_html`, which reads hostile markup safely: entity declarations are removed unread, nothing is
fetched, and a page nested deeper than libxml2 holds is read whole. Every pass over the tree is iterative and
linear in its size.
"""
from __future__ import annotations

import codecs
import dataclasses
import itertools
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from html.entities import html5 as _HTML_ENTITIES
from pathlib import Path
from typing import Literal

import lxml.html
from lxml import etree

from narrate.errors import InputError
from narrate.ingest.apparatus import SkipPattern
from narrate.ingest.decode import read_story_text
from narrate.ingest.text import load_book as load_text_book
from narrate.inputs import STORY, read_input
from narrate.model import Book

# --- parsing (shared with epub.py) ------------------------------------------------------------------------------

MAX_DEPTH = 2048  # elements nested deeper than this are read as siblings (libxml2's limit with huge_tree)
# a document type's internal subset, `<!DOCTYPE x [ <!ENTITY ...> ]>`: its quoted strings, comments and
# processing instructions may hold "]>" or a lone apostrophe; each alternative starts differently, so no backtracking
_INTERNAL_SUBSET = re.compile(
    r"""<!DOCTYPE\b[^>\[]*\[(?:<!--.*?-->|<\?.*?\?>|"[^"]*"|'[^']*'|[^\]"'<]|<(?!!--|\?)|\](?!\s*>))*\]\s*>""",
    re.IGNORECASE | re.DOTALL)
_NAMED_REFERENCE = re.compile(r"&([A-Za-z][A-Za-z0-9]{0,31});")


def parse_html(text: str):
    """The element tree of an HTML document, None when it holds no element. Safe on hostile markup: a document
    type's entity declarations are removed unread (the parser would show their end, `]>`, as text), a named
    reference HTML does not define (`&xxe;`) is dropped, never looked up, never spoken; nothing is fetched.
    libxml2 with huge_tree reads paragraphs of any size; a document nested deeper than it holds (MAX_DEPTH,
    where it silently drops everything after) is parsed again, built here no deeper than that."""
    data = _without_declared_entities(text).encode("utf-8")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True,
                                  huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:  # nothing at all to parse
        return None
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        target = _ShallowTree()
        root = etree.fromstring(data, lxml.html.HTMLParser(encoding="utf-8", no_network=True, huge_tree=True,
                                                           target=target))
    return root


def _without_declared_entities(text: str) -> str:
    """`text` with document types' internal subsets removed and named references resolved: those HTML defines
    as numeric references (libxml2 knows HTML 4's names, not HTML 5's), any other dropped."""
    return _NAMED_REFERENCE.sub(_numeric_reference, _INTERNAL_SUBSET.sub("", text))


def _numeric_reference(match: re.Match) -> str:
    characters = _HTML_ENTITIES.get(match[1] + ";", "")
    return "".join(f"&#{ord(character)};" for character in characters)


# inline elements: nested deeper than the limit, they are left out and their words join the element holding them
_PHRASING = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em", "font", "i", "img",
    "ins", "kbd", "mark", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
    "time", "tt", "u", "var", "wbr"})
_INLINE_ROOM = 64  # levels below the deepest block left for the inline elements inside it


class _ShallowTree:
    """A parser target that builds an lxml.html tree no deeper than MAX_DEPTH, so that every word stays, in order,
    and every paragraph stays a paragraph; only the nesting beyond the limit is lost. Blocks go no deeper than
    MAX_DEPTH - _INLINE_ROOM: one that would open deeper closes the deepest open elements and takes their place.
    Inline elements go down to MAX_DEPTH; one deeper is left out, its words kept."""

    def __init__(self) -> None:
        self._builder = etree.TreeBuilder(parser=lxml.html.HTMLParser())  # lxml.html's element classes
        self._built: list[list] = []  # the built elements open now, outermost first, as [tag, open]
        self._parsed: list[list] = []  # the same record for every element the parser has open

    def start(self, tag, attrib) -> None:
        record = [tag, True]
        if tag not in _PHRASING:
            while len(self._built) >= MAX_DEPTH - _INLINE_ROOM:
                deepest = self._built.pop()
                self._builder.end(deepest[0])
                deepest[1] = False  # its end, when the parser comes to it, closes nothing
        elif len(self._built) >= MAX_DEPTH:
            record[1] = False
        if record[1]:
            self._builder.start(tag, attrib)
            self._built.append(record)
        self._parsed.append(record)

    def end(self, tag) -> None:
        record = self._parsed.pop()
        if record[1]:  # built and still open, so the deepest: the parser opens and closes in order
            self._built.pop()
            self._builder.end(record[0])

    def data(self, text) -> None:
        self._builder.data(text)

    def close(self):
        return self._builder.close()


# --- element → Markdown blocks (shared with epub.py) -------------------------------------------------------------

BlockKind = Literal["heading", "paragraph", "scene_break", "chapter"]


@dataclass(frozen=True)
class MarkdownBlock:
    """One block of the Markdown to write: `text` is already Markdown (escaped, with emphasis marks).

    `heading` keeps its HTML level (h1 → 1); `chapter` is a chapter start that a caller asked for at an element
    id (an EPUB table-of-contents entry pointing into the middle of a file), with the title to give it."""

    kind: BlockKind
    text: str = ""
    level: int = 0


HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "header", "html", "li", "main", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"})
# never read: code, media, form controls, ruby annotations, navigation
_SKIPPED_TAGS = frozenset({
    "audio", "button", "canvas", "embed", "head", "iframe", "img", "input", "map", "math", "nav", "noscript",
    "object", "picture", "rp", "rt", "script", "select", "style", "svg", "template", "textarea", "title", "video"})
_ITALIC_TAGS = frozenset({"cite", "dfn", "em", "i", "var"})
_BOLD_TAGS = frozenset({"b", "strong"})
# EPUB 3 structural semantics and DPUB-ARIA roles of footnotes: the marker in the text and the note itself
_NOTE_TYPES = frozenset({"noteref", "footnote", "footnotes", "endnote", "endnotes", "rearnote", "rearnotes"})
_NOTE_ROLES = frozenset({"doc-noteref", "doc-backlink", "doc-footnote", "doc-endnote", "doc-endnotes"})
_NOTE_CLASSES = frozenset({"footnote", "footnotes", "endnote", "endnotes"})
_NOTE_MARKER = re.compile(r"[\[(]?(?:\d{1,3}|[*†‡§¶]{1,3})[\])]?")
_EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
_ESCAPED = re.compile(r"([\\`*_\[\]<>#~])")
_SETEXT_LIKE = re.compile(r"[=\-]+")  # a line of only = or - would underline the line above into a heading
_WHITESPACE = re.compile(r"\s+")


def local_name(element) -> str | None:
    """'p' for <p> and for XHTML's {http://www.w3.org/1999/xhtml}p; None for comments and entities."""
    tag = element.tag
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else None


def epub_types(element) -> set[str]:
    """The element's epub:type tokens, whether the XML parser (namespaced) or the HTML parser read it. Looked for
    among its attributes: asking the HTML parser's tree for a namespaced one takes time with the depth."""
    return next((set(value.split()) for name, value in element.items() if name in (_EPUB_TYPE, "epub:type")),
                set())


def collapse(text: str) -> str:
    return " ".join(text.split())


def markdown_text(text: str) -> str:
    """Plain text as Markdown that reads back as the same words: whitespace collapsed, markup characters escaped."""
    return _escape(collapse(text))


def html_blocks(root, anchors: dict[str, str] | None = None) -> list[MarkdownBlock]:
    """The Markdown blocks of `root`'s content; an element whose id is in `anchors` starts a `chapter` block
    titled anchors[id]."""
    writer = _BlockWriter(anchors or {})
    writer.element(root)
    writer.flush()
    return writer.blocks


def render_markdown(blocks: list[MarkdownBlock], title: str | None, author: str | None) -> str:
    """The Markdown file: a `Title:` / `Author:` header the text reader takes as front matter, then the blocks
    (heading levels as given; `chapter` blocks as top-level `#` headings)."""
    header = [f"{key}: {markdown_text(value)}" for key, value in (("Title", title), ("Author", author)) if value]
    parts = ["\n".join(header)] if header else []
    for block in blocks:
        if block.kind == "paragraph":
            parts.append(block.text)
        elif block.kind == "scene_break":
            parts.append("* * *")
        else:
            parts.append(f"{'#' * max(block.level, 1)} {block.text}")
    return "\n\n".join(parts) + "\n"


def book_from_markdown(markdown: str, path: Path, encoding: str, skip: Sequence[SkipPattern] = (),
                       chapter_level: int = 0, **fields) -> Book:
    """Read generated Markdown with the text reader (`skip` and `chapter_level` as it takes them); the Book keeps
    `path` (the original file) and `fields` (source_format, year, cover, ...). The text reader takes files only:
    going through one keeps this in step with how it reads Markdown."""
    with tempfile.TemporaryDirectory(prefix="narrate-") as folder:
        markdown_path = Path(folder) / f"{path.stem or 'story'}.md"
        markdown_path.write_text(markdown, encoding="utf-8", newline="")
        book = load_text_book(markdown_path, skip, chapter_level)
    return dataclasses.replace(book, path=str(path), encoding=encoding, **fields)


@dataclass(frozen=True)
class _Open:
    mark: str  # "*" or "**"


@dataclass(frozen=True)
class _Close:
    mark: str


class _Gap:
    """Whitespace between words: a space, or a <br> inside a paragraph."""

    def __init__(self, text: str) -> None:
        self.text = text


_LINE_BREAK = _Gap("\n")
_SPACE = _Gap(" ")


_ENTER, _LEAVE, _TAIL = range(3)  # the steps of the block writer's walk


class _BlockWriter:
    """Walks an element tree, collecting the inline content of the current paragraph as tokens (text, line
    breaks, emphasis opening and closing) and emitting a block at every block-level boundary. The walk keeps its
    own stack instead of recursing: a page may nest elements thousands deep."""

    def __init__(self, anchors: dict[str, str]) -> None:
        self.anchors = anchors
        self.blocks: list[MarkdownBlock] = []
        self._tokens: list = []
        self._open_marks: list[str] = []  # emphasis open across a paragraph boundary is closed and reopened

    def element(self, root) -> None:
        todo: list = [(_ENTER, root, None)]  # the next step last
        while todo:
            step, element, opened = todo.pop()
            if step == _TAIL:
                self._text(element.tail)
            elif step == _LEAVE:
                self._leave(*opened)
            elif (opened := self._enter(element)) is not None:
                todo.append((_LEAVE, element, opened))
                for child in reversed(element):
                    todo += [(_TAIL, child, None), (_ENTER, child, None)]

    def flush(self) -> None:
        if not self._tokens:  # nothing since the last block (open emphasis leaves its reopening marks here)
            return
        tokens = self._tokens + [_Close(mark) for mark in reversed(self._open_marks)]
        if text := _render_inline(tokens):
            self.blocks.append(MarkdownBlock("paragraph", text))
        self._tokens = [_Open(mark) for mark in self._open_marks]

    def _enter(self, element) -> tuple[bool, str | None] | None:
        """Read what comes before the element's children; (is it a block, its emphasis mark) when they are to be
        read next, None when the element is done (a heading, a line break, a rule) or skipped."""
        tag = local_name(element)
        if tag is None or _is_skipped(element, tag):
            return None
        self._start_chapter_at_anchor(element, tag)
        if tag in HEADING_TAGS or tag == "hgroup":
            self._heading(element, tag)
            return None
        if tag == "br":
            self._line_break()
            return None
        if tag == "hr":
            self.flush()
            self.blocks.append(MarkdownBlock("scene_break"))
            return None
        block = tag in _BLOCK_TAGS
        mark = "*" if _is_italic(element, tag) else "**" if tag in _BOLD_TAGS else None
        if self._open_marks:  # emphasis inside emphasis: the outer marks suffice (nested runs misparse easily)
            mark = None
        if block:
            self.flush()
        if mark:
            self._tokens.append(_Open(mark))
            self._open_marks.append(mark)
        self._text(element.text)
        return block, mark

    def _leave(self, block: bool, mark: str | None) -> None:
        if mark:
            self._tokens.append(_Close(mark))
            self._open_marks.pop()
        if block:
            self.flush()

    def _heading(self, element, tag: str) -> None:
        self.flush()
        parts = [element] if tag != "hgroup" else [child for child in element if local_name(child)]
        text = ": ".join(part for part in (heading_text(child) for child in parts) if part)
        levels = [int(name[1]) for child in element.iter() if (name := local_name(child)) in HEADING_TAGS]
        if text:
            self.blocks.append(MarkdownBlock("heading", text, min(levels, default=1)))

    def _start_chapter_at_anchor(self, element, tag: str) -> None:
        """A table-of-contents entry may point at a heading, at an anchor inside it, or at an empty <a id>."""
        scope = element.iter() if tag in HEADING_TAGS or tag == "hgroup" else [element]
        for node in scope:
            title = self.anchors.get(node.get("id") or node.get("name") or "")
            if title:
                self.flush()
                self.blocks.append(MarkdownBlock("chapter", markdown_text(title), 1))
                return

    def _line_break(self) -> None:
        """<br><br> (with only spaces between) ends a paragraph, as on pages that have no <p>. Only the spaces
        since the last token that is not one are looked at: a cell of ten thousand lines is read in linear time."""
        last = len(self._tokens) - 1
        while last >= 0 and isinstance(self._tokens[last], str) and not self._tokens[last].strip():
            last -= 1
        if last >= 0 and self._tokens[last] is _LINE_BREAK:
            del self._tokens[last:]
            self.flush()
        else:
            self._tokens.append(_LINE_BREAK)

    def _text(self, text: str | None) -> None:
        if text:
            self._tokens.append(text)


def heading_text(element) -> str:
    """A heading's words as escaped Markdown on one line (no emphasis: the title is announced, not read), footnote
    markers and the like left out."""
    texts = [element.text or ""]
    todo: list = list(reversed(element))  # elements to read, and (as strings) the tails that follow them
    while todo:
        node = todo.pop()
        if isinstance(node, str):
            texts.append(node)
            continue
        todo.append(node.tail or "")
        tag = local_name(node)
        if tag is not None and not _is_skipped(node, tag):
            texts.append(" " if tag == "br" else node.text or "")
            todo.extend(reversed(node))
    return markdown_text("".join(texts))


def _is_skipped(element, tag: str) -> bool:
    if tag in _SKIPPED_TAGS:
        return True
    if epub_types(element) & _NOTE_TYPES or element.get("role") in _NOTE_ROLES:
        return True
    if set((element.get("class") or "").lower().split()) & _NOTE_CLASSES:
        return True
    if tag in ("a", "sup"):  # a footnote marker: a short number or sign, linked to the note
        linked = tag == "sup" or "#" in (element.get("href") or "")
        return linked and _NOTE_MARKER.fullmatch(collapse(_text_up_to(element, 64))) is not None
    return False


def _text_up_to(element, limit: int) -> str:
    """The start of the element's text: read until it is longer than `limit` characters, or 4 x `limit` elements
    have been opened and closed (a marker is short; a link may hold a chapter, or nest thousands deep)."""
    texts, size = [], 0
    for steps, (event, node) in enumerate(etree.iterwalk(element, events=("start", "end"))):
        text = (node.text if isinstance(node.tag, str) else None) if event == "start" else (
            node.tail if node is not element else None)
        if text:
            texts.append(text)
            size += len(text)
        if size > limit or steps > 4 * limit:
            break
    return "".join(texts)


def _is_italic(element, tag: str) -> bool:
    if tag in _ITALIC_TAGS:
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    return "font-style:italic" in style or bool({"italic", "italics"} & set((element.get("class") or "").split()))


def _escape(text: str) -> str:
    return _ESCAPED.sub(r"\\\1", text)


def _render_inline(tokens: list) -> str:
    """Tokens → Markdown: whitespace collapsed, emphasis marks moved inside the words they wrap (`*word *` does
    not parse), empty and back-to-back emphasis dropped, one line per <br>."""
    pieces = _split_whitespace(tokens)
    pieces = _tidy_emphasis(pieces)
    text = "".join(piece.mark if isinstance(piece, (_Open, _Close)) else piece.text if _is_gap(piece) else piece
                   for piece in pieces)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join("\\" + line if _SETEXT_LIKE.fullmatch(line) else line for line in lines if line)


def _split_whitespace(tokens: list) -> list:
    """Text tokens become escaped words with their surrounding whitespace as separate `_SPACE` pieces."""
    pieces: list = []
    for token in tokens:
        if not isinstance(token, str):
            pieces.append(token)
            continue
        if token[:1].isspace():
            pieces.append(_SPACE)
        if core := collapse(token):
            pieces.append(_escape(core))
        if token[-1:].isspace() and core:
            pieces.append(_SPACE)
    return pieces


def _is_gap(piece) -> bool:
    return isinstance(piece, _Gap)


def _tidy_emphasis(pieces: list) -> list:
    """Spaces moved outside the emphasis they touch, an emphasis of nothing dropped, two runs that touch made one;
    in one pass over the pieces, each checked against the tidied ones before it."""
    tidied: list = []
    for piece in pieces:
        if _is_gap(piece):  # the space goes before the marks that open just before it
            opening = _pop_trailing(tidied, lambda last: isinstance(last, _Open))
            tidied += [piece, *opening]
        elif isinstance(piece, _Close):  # ... and after the spaces that end just before a close
            spaces = _pop_trailing(tidied, _is_gap)
            if tidied and isinstance(tidied[-1], _Open) and tidied[-1].mark == piece.mark:
                tidied.pop()  # an emphasis of nothing
            else:
                tidied.append(piece)
            tidied += spaces
        elif isinstance(piece, _Open) and tidied and isinstance(tidied[-1], _Close) and tidied[-1].mark == piece.mark:
            tidied.pop()  # two runs that touch: one run
        else:
            tidied.append(piece)
    return tidied


def _pop_trailing(pieces: list, wanted) -> list:
    """Remove and return the pieces at the end of `pieces` that are `wanted`, in their order."""
    start = len(pieces)
    while start and wanted(pieces[start - 1]):
        start -= 1
    trailing = pieces[start:]
    del pieces[start:]
    return trailing


# --- web pages ---------------------------------------------------------------------------------------------------

_CHROME_TAGS = ("aside", "button", "dialog", "form", "iframe", "nav", "noscript", "script", "select", "style",
                "template", "textarea")
_CHROME_ROLES = frozenset({"alert", "alertdialog", "banner", "contentinfo", "dialog", "menu", "menubar",
                           "navigation", "search", "tablist", "toolbar"})
# class or id names of chrome: anywhere in the name for the distinctive words, as a whole word for short ones
_CHROME_NAME_PART = re.compile(
    r"comment|kudos|shar(?:e|ing)|social|related|sidebar|widget|breadcrumb|cookie|newsletter|subscribe|advert"
    r"|sponsor|promo|navigation|masthead|byline|skip-?link|screen-reader|sr-only|pagination|feedback|login|signup"
    r"|bookmark|disqus")
_CHROME_NAME_WORD = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|meta|ads?|tags|footer|actions|landmark|notes|summary|hidden|reply|respond"
    r"|toolbar|bio)(?:$|[\s_-])")
_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_MAIN_PATH = etree.XPath("descendant-or-self::main | descendant-or-self::*[@role='main']")
_TITLE_SEPARATOR = re.compile(r"\s+(?:[-|–—»]|::)\s+")
_YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class _PageInfo:
    title: str | None
    author: str | None
    year: str | None


def load_html(path: str | Path, skip: Sequence[SkipPattern] = ()) -> Book:
    """Read a saved web page into a Book whose source is the story as Markdown; raise InputError when the page
    holds no story text. `skip`: voices.yaml's patterns of what is not read."""
    path = Path(path)
    text, encoding = _page_text(path)
    page = parse_html(text)
    if page is None:
        raise InputError(f"{path}: cannot be read as a web page: it holds no HTML elements. Open it in a browser "
                         f"and save it again (\"Web page, HTML only\"), or copy the story into a .txt file.")
    info = _page_info(page)
    _remove_chrome(page)
    blocks = _story_blocks(_story_root(page), info.title)
    if not any(block.kind == "paragraph" for block in blocks):
        raise InputError(f"{path}: no story text found in this web page. Save the page that shows the story "
                         f"itself (for a fan-fiction site, the chapter or 'entire work' page), or copy the story "
                         f"into a .txt file.")
    markdown = render_markdown(blocks, info.title, info.author)
    return book_from_markdown(markdown, path, encoding, skip, source_format="html", year=info.year)


def _page_text(path: Path) -> tuple[str, str]:
    """The page's text and the encoding it was read as: UTF-8 or a BOM first, then the charset the page declares,
    then cp1252."""
    decoded = read_story_text(path)
    text, encoding = decoded.text, decoded.encoding
    if encoding == "cp1252":  # a guess: a declared charset knows better
        raw = read_input(path, STORY)  # read again, and checked again
        declared = _DECLARED_CHARSET.search(raw[:4096])
        if declared and _codec_name(declared[1].decode("ascii")) not in (None, "utf-8"):  # not UTF-8: it failed
            encoding = declared[1].decode("ascii").lower()
            text = raw.decode(encoding, errors="replace")
    return text, encoding


def _codec_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _page_info(page) -> _PageInfo:
    """Title, author and year from the page's metadata, read before the chrome that holds them is removed."""
    return _PageInfo(_page_title(page), _page_author(page), _page_year(page))


def _meta(page, *names: str) -> str | None:
    for name in names:
        for meta in page.xpath("//meta[@property=$name or @name=$name]", name=name):
            if value := collapse(meta.get("content") or ""):
                return value
    return None


def _page_title(page) -> str | None:
    """og:title, else the part of <title> that a heading repeats ('The Salt Road - author - Site' → the story's
    name), else the first part of <title>."""
    if title := _meta(page, "og:title", "twitter:title"):
        return title
    parts = [part for part in _TITLE_SEPARATOR.split(collapse(page.findtext(".//title") or "")) if part]
    headings = {collapse(heading.text_content()) for heading in page.iter(*HEADING_TAGS)}
    return next((part for part in parts if part in headings), parts[0] if parts else None)


def _page_author(page) -> str | None:
    if author := _meta(page, "author", "article:author", "dc.creator"):
        return author
    for element in page.xpath("//*[contains(concat(' ', @rel, ' '), ' author ') or @itemprop='author']"):
        if name := collapse(element.text_content()):
            return name
    return None


def _page_year(page) -> str | None:
    """The first year among the page's dates: its metadata, <time datetime>, text marked 'published' (read
    lazily: the first found is the answer)."""
    dates = itertools.chain(
        [_meta(page, "article:published_time", "date", "dc.date", "dcterms.date", "citation_publication_date")],
        (element.get("datetime") for element in page.iter("time")),
        (_text_up_to(element, 200) for element in page.xpath("//*[contains(@class, 'published')]")))
    return next((match[1] for date in dates if date and (match := _YEAR.search(date))), None)


def _remove_chrome(page) -> None:
    """Drop menus, headers and footers, comments, kudos, share buttons, tag lists, sidebars, and blocks that are
    only links ('Next chapter'). The page's main element and anything holding half its paragraph text stay.

    What each test needs of an element's ancestors or descendants is counted once for the whole page (a page may
    nest thousands deep: asking each element would take the square of that)."""
    held = _paragraph_chars_within(page)
    keep = _with_ancestors(_MAIN_PATH(page))
    in_article = {page: False}
    gone: set = set()  # dropped, with all inside them (lxml still counts a dropped element in the document)
    for element in list(page.iter()):
        parent = element.getparent()
        if parent is None:
            continue
        in_article[element] = in_article[parent] or local_name(parent) == "article"
        if parent in gone:
            gone.add(element)
        elif (local_name(element) not in ("body", None) and _is_chrome(element, in_article[element])
              and element not in keep and held[element] * 2 < max(held[page], 1)):
            element.drop_tree()
            gone.add(element)
    links_only = _links_only(page)
    gone.clear()
    for element in list(page.iter()):
        if element.getparent() in gone:
            gone.add(element)
        elif element in links_only and local_name(element) in ("p", "li", "dd", "dt", "div"):
            element.drop_tree()
            gone.add(element)


def _with_ancestors(elements) -> set:
    """`elements` and every element holding one of them."""
    found: set = set()
    for element in elements:
        while element is not None and element not in found:
            found.add(element)
            element = element.getparent()
    return found


def _is_chrome(element, in_article: bool) -> bool:
    tag = local_name(element)
    if tag in _CHROME_TAGS or element.get("role") in _CHROME_ROLES:
        return True
    if tag in ("header", "footer") and not in_article:
        return True  # the site's header and footer; an article's own header holds its title
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if _DISPLAY_NONE.search(element.get("style") or ""):
        return True
    names = f"{element.get('id') or ''} {element.get('class') or ''}".lower()
    return bool(_CHROME_NAME_PART.search(names) or _CHROME_NAME_WORD.search(names))


def _links_only(page) -> set:
    """The elements whose words are all link text: visible characters, and those inside links, counted for every
    element from its children's counts (children before parents)."""
    chars: dict = {}
    links: dict = {}
    for element in reversed(list(page.iter())):
        if local_name(element) is None:
            continue
        chars[element] = _visible(element.text) + sum(chars.get(child, 0) + _visible(child.tail) for child in element)
        is_link = local_name(element) == "a" and element.get("href")
        links[element] = chars[element] if is_link else sum(links.get(child, 0) for child in element)
    return {element for element, count in chars.items() if count and links[element] >= count}


def _visible(text: str | None) -> int:
    return len("".join(text.split())) if text else 0


def _paragraph_chars_within(page) -> dict:
    """Paragraph characters anywhere inside each element (children before parents, so each sum is done once)."""
    held: dict = {}
    for element in reversed(list(page.iter())):
        held[element] = _paragraph_chars(element) + sum(held.get(child, 0) for child in element)
    return held


def _paragraph_chars(element) -> int:
    """Characters of paragraph text directly inside `element`: its <p> children, or its own text when the page
    separates paragraphs with <br>."""
    children = [child for child in element if local_name(child)]
    chars = sum(len(collapse(child.text_content())) for child in children if local_name(child) == "p")
    if any(local_name(child) == "br" for child in children):
        chars += len(collapse((element.text or "") + " ".join(child.tail or "" for child in children)))
    return chars


def _story_root(page):
    """The element with the most paragraph text, widened to the nearest element that also holds its look-alikes
    (same tag, class and depth: the other chapters of a whole-work page)."""
    scored = [(element, _paragraph_chars(element)) for element in page.iter() if local_name(element)]
    best, best_chars = max(scored, key=lambda pair: pair[1])
    if not best_chars:
        return page.find("body") if page.find("body") is not None else page
    depths = {page: 0}
    for element in page.iter():
        if element is not page:
            depths[element] = depths[element.getparent()] + 1
    signature = _signature(best, depths)
    peers = [element for element, chars in scored if chars and _signature(element, depths) == signature]
    return _common_ancestor(peers[0], peers[-1])  # in document order: theirs is that of all between


def _signature(element, depths: dict) -> tuple:
    return local_name(element), element.get("class"), depths[element]


def _common_ancestor(first, last):
    path, other = _path_from_top(first), _path_from_top(last)
    shared = next((i for i, (a, b) in enumerate(zip(path, other, strict=False)) if a is not b),
                  min(len(path), len(other)))
    return path[shared - 1]


def _path_from_top(element) -> list:
    return [*reversed(list(element.iterancestors())), element]


def _story_blocks(root, title: str | None) -> list[MarkdownBlock]:
    """The story's blocks with heading levels settled: the shallowest heading in the story starts chapters.
    When the story does not open with a heading, the heading just before it opens it (a site's chapter title);
    failing that, if headings follow, the page title does. Headings inside then move down a level: a blog post's
    sub-headings are read, not made chapters."""
    blocks = html_blocks(root)
    opening_text = ""
    if blocks and blocks[0].kind != "heading":
        opening = _heading_before(root)
        if opening is not None:
            opening_text = heading_text(opening)
        elif any(block.kind == "heading" for block in blocks):
            opening_text = markdown_text(title or "")
    levels = sorted({block.level for block in blocks if block.kind == "heading"})
    shift = 2 if opening_text else 1
    blocks = [dataclasses.replace(block, level=min(levels.index(block.level) + shift, 6))
              if block.kind == "heading" else block for block in blocks]
    return [MarkdownBlock("heading", opening_text, 1), *blocks] if opening_text else blocks


def _heading_before(root):
    """The nearest heading before `root` in its parent or grandparent, with no prose between: the chapter title
    a site prints above the chapter text."""
    for container in (root, root.getparent()):
        if container is None:
            return None
        for sibling in container.itersiblings(preceding=True):
            headings = list(sibling.iter(*HEADING_TAGS))
            if headings:
                return headings[-1]
            if collapse(sibling.text_content()):
                return None
    return None
