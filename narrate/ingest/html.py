"""Web pages → Book: the story found among the site's chrome, written out as Markdown and read as Markdown.

A story saved from a fan-fiction archive or a blog is mostly menus, comments, kudos and share buttons. The page
is parsed with lxml; chrome is removed by tag, ARIA role and class/id name; the story is the element holding the
most paragraph text, together with its look-alikes (a whole-work page has one per chapter). That part of the page
becomes Markdown: headings as `#`, paragraphs separated by blank lines, italics as `*`, bold as `**`, links and
footnote markers dropped. `Book.source` is that Markdown, so every offset points into it.

The element → Markdown conversion (`html_blocks`, `render_markdown`) and `book_from_markdown` serve epub.py too.
"""
from __future__ import annotations

import codecs
import dataclasses
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
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
    """The element's epub:type tokens, whether the XML parser (namespaced) or the HTML parser read it."""
    return set((element.get(_EPUB_TYPE) or element.get("epub:type") or "").split())


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


class _BlockWriter:
    """Walks an element tree, collecting the inline content of the current paragraph as tokens (text, line
    breaks, emphasis opening and closing) and emitting a block at every block-level boundary."""

    def __init__(self, anchors: dict[str, str]) -> None:
        self.anchors = anchors
        self.blocks: list[MarkdownBlock] = []
        self._tokens: list = []
        self._open_marks: list[str] = []  # emphasis open across a paragraph boundary is closed and reopened

    def walk(self, element) -> None:
        self.element(element)
        self._text(element.tail)

    def element(self, element) -> None:
        tag = local_name(element)
        if tag is not None and not _is_skipped(element, tag):
            self._start_chapter_at_anchor(element, tag)
            if tag in HEADING_TAGS or tag == "hgroup":
                self._heading(element, tag)
            elif tag == "br":
                self._line_break()
            elif tag == "hr":
                self.flush()
                self.blocks.append(MarkdownBlock("scene_break"))
            else:
                self._content(element, tag)

    def flush(self) -> None:
        tokens = self._tokens + [_Close(mark) for mark in reversed(self._open_marks)]
        if text := _render_inline(tokens):
            self.blocks.append(MarkdownBlock("paragraph", text))
        self._tokens = [_Open(mark) for mark in self._open_marks]

    def _content(self, element, tag: str) -> None:
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
        for child in element:
            self.walk(child)
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
        """<br><br> (with only spaces between) ends a paragraph, as on pages that have no <p>."""
        meaningful = [index for index, token in enumerate(self._tokens)
                      if not (isinstance(token, str) and not token.strip())]
        if meaningful and self._tokens[meaningful[-1]] is _LINE_BREAK:
            del self._tokens[meaningful[-1]:]
            self.flush()
        else:
            self._tokens.append(_LINE_BREAK)

    def _text(self, text: str | None) -> None:
        if text:
            self._tokens.append(text)


def heading_text(element) -> str:
    """A heading's words as escaped Markdown on one line (no emphasis: the title is announced, not read)."""
    texts = [element.text or ""] + [text for child in element for text in _inline_texts(child)]
    return markdown_text("".join(texts))


def _inline_texts(element):
    """The words of `element` and of its tail, footnote markers and the like left out."""
    tag = local_name(element)
    if tag is not None and not _is_skipped(element, tag):
        yield " " if tag == "br" else element.text or ""
        for child in element:
            yield from _inline_texts(child)
    yield element.tail or ""


def _is_skipped(element, tag: str) -> bool:
    if tag in _SKIPPED_TAGS:
        return True
    if epub_types(element) & _NOTE_TYPES or element.get("role") in _NOTE_ROLES:
        return True
    if set((element.get("class") or "").lower().split()) & _NOTE_CLASSES:
        return True
    if tag in ("a", "sup"):  # a footnote marker: a short number or sign, linked to the note
        linked = tag == "sup" or "#" in (element.get("href") or "")
        return linked and _NOTE_MARKER.fullmatch(collapse("".join(element.itertext()))) is not None
    return False


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
    changed = True
    while changed:
        changed = False
        for index in range(len(pieces) - 1):
            first, second = pieces[index], pieces[index + 1]
            if (isinstance(first, _Open) and _is_gap(second)) or (_is_gap(first) and isinstance(second, _Close)):
                pieces[index], pieces[index + 1] = second, first  # the space goes outside the emphasis
                changed = True
            elif ((isinstance(first, _Open) and isinstance(second, _Close))
                  or (isinstance(first, _Close) and isinstance(second, _Open))) and first.mark == second.mark:
                del pieces[index:index + 2]  # an emphasis of nothing, or two runs that touch: one run
                changed = True
                break
    return pieces


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
    data, encoding = _page_bytes(path)
    page = _parse_page(data, path)
    info = _page_info(page)
    _remove_chrome(page)
    blocks = _story_blocks(_story_root(page), info.title)
    if not any(block.kind == "paragraph" for block in blocks):
        raise InputError(f"{path}: no story text found in this web page. Save the page that shows the story "
                         f"itself (for a fan-fiction site, the chapter or 'entire work' page), or copy the story "
                         f"into a .txt file.")
    markdown = render_markdown(blocks, info.title, info.author)
    return book_from_markdown(markdown, path, encoding, skip, source_format="html", year=info.year)


def _page_bytes(path: Path) -> tuple[bytes, str]:
    """The page as UTF-8 and the encoding it was read as: UTF-8 or a BOM first, then the charset the page
    declares, then cp1252."""
    decoded = read_story_text(path)
    text, encoding = decoded.text, decoded.encoding
    if encoding == "cp1252":  # a guess: a declared charset knows better
        raw = read_input(path, STORY)  # read again, and checked again
        declared = _DECLARED_CHARSET.search(raw[:4096])
        if declared and _codec_name(declared[1].decode("ascii")) not in (None, "utf-8"):  # not UTF-8: it failed
            encoding = declared[1].decode("ascii").lower()
            text = raw.decode(encoding, errors="replace")
    return text.encode("utf-8"), encoding


def _codec_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _parse_page(data: bytes, path: Path):
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)
    try:
        return lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError) as err:
        raise InputError(f"{path}: cannot be read as a web page ({err}). Open it in a browser and save it again "
                         f"(\"Web page, HTML only\").") from err


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
    dates = [_meta(page, "article:published_time", "date", "dc.date", "dcterms.date", "citation_publication_date")]
    dates += [element.get("datetime") for element in page.iter("time")]
    dates += [element.text_content() for element in page.xpath("//*[contains(@class, 'published')]")]
    return next((match[1] for date in dates if date and (match := _YEAR.search(date))), None)


def _remove_chrome(page) -> None:
    """Drop menus, headers and footers, comments, kudos, share buttons, tag lists, sidebars, and blocks that are
    only links ('Next chapter'). The page's main element and anything holding half its paragraph text stay."""
    held = _paragraph_chars_within(page)
    for element in list(page.iter()):
        if element.getparent() is None or local_name(element) in ("body", None) or _is_detached(element, page):
            continue
        if _is_chrome(element) and not _MAIN_PATH(element) and held[element] * 2 < max(held[page], 1):
            element.drop_tree()
    for element in list(page.iter("p", "li", "dd", "dt", "div")):
        if not _is_detached(element, page) and _only_links(element):
            element.drop_tree()


def _is_detached(element, page) -> bool:
    return element.getroottree().getroot() is not page


def _is_chrome(element) -> bool:
    tag = local_name(element)
    if tag in _CHROME_TAGS or element.get("role") in _CHROME_ROLES:
        return True
    if tag in ("header", "footer") and not any(local_name(up) == "article" for up in element.iterancestors()):
        return True  # the site's header and footer; an article's own header holds its title
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if _DISPLAY_NONE.search(element.get("style") or ""):
        return True
    names = f"{element.get('id') or ''} {element.get('class') or ''}".lower()
    return bool(_CHROME_NAME_PART.search(names) or _CHROME_NAME_WORD.search(names))


def _only_links(element) -> bool:
    text = "".join(element.text_content().split())
    links = "".join("".join(link.text_content().split()) for link in element.iter("a") if link.get("href"))
    return bool(text) and len(links) >= len(text)


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
    signature = _signature(best)
    peers = [element for element, chars in scored if chars and _signature(element) == signature]
    return _common_ancestor(peers)


def _signature(element) -> tuple:
    return local_name(element), element.get("class"), sum(1 for _ in element.iterancestors())


def _common_ancestor(elements: list):
    common = _path_from_top(elements[0])
    for other in elements[1:]:
        path = _path_from_top(other)
        shared = next((i for i, (a, b) in enumerate(zip(common, path, strict=False)) if a is not b),
                      min(len(common), len(path)))
        common = common[:shared]
    return common[-1]


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
