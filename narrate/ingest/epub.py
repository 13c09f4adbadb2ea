"""EPUB → Book: chapters in spine order, titled from the table of contents, front and back matter left out.

ebooklib reads the package (metadata, manifest, spine, table of contents, guide). Each spine document is parsed
here with a safe lxml parser and written out as Markdown by html.py's converter, one `# Title` per chapter, and
that Markdown is read like a .md story: `Book.source` is the Markdown, every offset points into it.

A hostile archive is refused before anything is parsed: the unpacked size is bounded (ebooklib reads every
manifest item into memory), and XML that declares entities (billion laughs, external entities) is refused. The
parsers never expand entities nor fetch anything, and nothing from the archive is ever written to disk.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ebooklib import epub
from lxml import etree

from narrate.errors import InputError
from narrate.ingest.apparatus import SkipPattern
from narrate.ingest.decode import check_story_path, decode_story_bytes
from narrate.ingest.html import (
    MarkdownBlock,
    book_from_markdown,
    collapse,
    epub_types,
    html_blocks,
    local_name,
    markdown_text,
    parse_html,
    render_markdown,
)
from narrate.model import Book

MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # far above any novel with its images; a zip bomb stops here
_ENTITY_DECLARATIONS = tuple("<!ENTITY".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
_FIX_REEXPORT = ("Open it in an e-book reader or re-export it (for example with Calibre's 'Convert books', "
                 "output EPUB) and try again.")

# EPUB 3 structural semantics (epub:type, landmarks) that mark a document as story or as front and back matter
_STORY_TYPES = frozenset({
    "bodymatter", "chapter", "part", "division", "volume", "subchapter", "prologue", "epilogue", "foreword",
    "preface", "introduction", "preamble", "afterword", "conclusion", "epigraph"})
_MATTER_TYPES = frozenset({
    "cover", "titlepage", "halftitlepage", "copyright-page", "toc", "landmarks", "loi", "lot", "dedication",
    "acknowledgments", "colophon", "imprint", "contributors", "other-credits", "errata", "index", "seriespage",
    "page-list", "endnotes", "footnotes", "rearnotes", "appendix", "glossary", "bibliography", "frontmatter",
    "backmatter"})
_GUIDE_TYPES = {"title-page": "titlepage", "acknowledgements": "acknowledgments", "text": "bodymatter",
                "notes": "endnotes"}  # EPUB 2 guide names of the EPUB 3 types
_MATTER_FILE_WORDS = frozenset({
    "cover", "title", "titlepage", "halftitle", "copyright", "toc", "contents", "nav", "dedication",
    "acknowledgements", "acknowledgments", "acknowledgement", "about", "colophon", "imprint", "alsoby", "praise",
    "frontmatter", "backmatter"})
_MATTER_TITLE = re.compile(
    r"(?:table of )?contents|copyright(?: page| notice)?|(?:half )?title page|cover|dedication"
    r"|acknowledge?ments?|about the (?:authors?|publisher|illustrator)|also by .+|(?:other )?(?:books|titles|works)"
    r" by .+|by the same author|praise for .+|colophon|imprint|credits|(?:end|foot)notes|index|glossary"
    r"|bibliography")
_STORY_TITLE = re.compile(r"(?:chapter|prologue|epilogue|part|book|foreword|preface|introduction|interlude"
                          r"|afterword)\b.*")
_MATTER_NAMES = {"copyright-page": "Copyright", "titlepage": "Title Page", "toc": "Contents",
                 "acknowledgments": "Acknowledgements"}
_YEAR = re.compile(r"\b(\d{4})\b")


@dataclass(frozen=True)
class _Document:
    """A spine document: its file name (relative to the package, as the manifest and toc name it), body and
    blocks."""

    file_name: str
    body: etree._Element
    blocks: tuple[MarkdownBlock, ...]
    linear: bool
    is_nav: bool

    @property
    def has_text(self) -> bool:
        return any(block.kind == "paragraph" for block in self.blocks)


def load_epub(path: str | Path, include_front_matter: bool = False, skip: Sequence[SkipPattern] = ()) -> Book:
    """Read an EPUB into a Book whose source is its story as Markdown. Front and back matter (cover, title page,
    copyright, contents, dedication, acknowledgements, about the author, notes) is left out unless
    `include_front_matter`; `skip` as the text reader takes it. Raises InputError for a file that is not a
    readable, safe EPUB.

    When the table of contents lists chapters, they are the book's chapters (its sections their volumes):
    headings in the text then start none."""
    path = Path(path)
    check_story_path(path)
    _check_archive(path)
    book = _read_package(path)
    toc = _toc_entries(book)
    by_toc = sum(level == _TOC_CHAPTER for entries in toc.values() for _, _, level in entries) >= 2
    documents = _spine_documents(book, path, toc, by_toc)
    matter = _matter_kinds(documents, _landmarks(book, path))
    chosen = documents if include_front_matter else [doc for doc in documents if doc.file_name not in matter]
    if not any(doc.has_text for doc in chosen):  # everything looked like front matter: better read it all
        chosen = documents
    blocks = [block for doc in chosen for block in _chapter_blocks(doc, matter.get(doc.file_name), by_toc)]
    if not any(block.kind == "paragraph" for block in blocks):
        raise InputError(f"{path}: this EPUB holds no text to read (only images, or empty chapters). narrate "
                         f"needs a text e-book; if it is a scanned book, convert it with OCR first.")
    title, author = _first_metadata(book, "title"), _authors(book)
    cover, cover_type = _cover(book)
    return book_from_markdown(render_markdown(blocks, title, author), path, "utf-8", skip,
                              _TOC_CHAPTER if by_toc else 0, source_format="epub", year=_year(book), cover=cover,
                              cover_type=cover_type)


def parse_xhtml(data: bytes, path: Path, member: str):
    """The tree of `member`, a content document of the EPUB at `path`. XML first, with entities left unexpanded,
    no DTD, no network and no huge-tree allowance; what is not well-formed XML (or uses HTML entities like
    &nbsp;, or nests deeper than 256 elements) is read by html.parse_html, which never expands DTD entities
    either. None for an empty document."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        try:
            text = decode_story_bytes(data, path).text
        except InputError as err:
            raise InputError(f"{path}: {member} is not text: the e-book is DRM-protected or damaged. narrate reads "
                             f"EPUBs without DRM; {_FIX_REEXPORT}") from err
        return parse_html(text)


# --- the archive -------------------------------------------------------------------------------------------------

def _check_archive(path: Path) -> None:
    """Refuse what is not a zip, what unpacks past MAX_UNPACKED_BYTES, and XML that declares entities. zipfile
    never inflates a member past its declared size, so the declared sizes bound what is read."""
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path}: is not an EPUB (an EPUB is a zip archive, and this file is not one). "
                         f"{_FIX_REEXPORT}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            unpacked = sum(member.file_size for member in members)
            if unpacked > MAX_UNPACKED_BYTES:
                raise InputError(f"{path}: would unpack to {unpacked // 2**20} MB, more than the "
                                 f"{MAX_UNPACKED_BYTES // 2**20} MB narrate allows for an e-book: it is damaged or "
                                 f"a zip bomb. {_FIX_REEXPORT}")
            for member in members:
                if any(mark in archive.read(member) for mark in _ENTITY_DECLARATIONS):
                    raise InputError(f"{path}: {member.filename} declares XML entities (<!ENTITY ...>), which "
                                     f"narrate refuses: they can expand to gigabytes or read files on this "
                                     f"computer. {_FIX_REEXPORT}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as err:
        # RuntimeError: an encrypted member; NotImplementedError: a compression method zipfile lacks
        raise InputError(f"{path}: the EPUB's zip archive is damaged ({err}). {_FIX_REEXPORT}") from err


class _BoundedReader(epub.EpubReader):
    """ebooklib's reader, stopped once it has read MAX_UNPACKED_BYTES: it reads every manifest item into memory,
    and a manifest may name one large member many times."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path), {"ignore_ncx": True})  # prefer the EPUB 3 navigation document to the NCX
        self.budget = MAX_UNPACKED_BYTES

    def _load_manifest(self):
        """Items that live outside the archive (href="http://...", any URL with a scheme) are left out: narrate
        reads only what the e-book holds, never fetches, and the text never needs them (EPUB 3 allows remote
        audio, video and fonts; a damaged book names remote images)."""
        manifest = self.container.find(f"{{{epub.NAMESPACES['OPF']}}}manifest")
        for item in list(manifest if manifest is not None else ()):
            if urlsplit(item.get("href") or "").scheme:
                manifest.remove(item)
        super()._load_manifest()

    def read_file(self, name):
        data = super().read_file(name)
        self.budget -= len(data)
        if self.budget < 0:
            raise InputError(f"{self.file_name}: its manifest reads more than {MAX_UNPACKED_BYTES // 2**20} MB "
                             f"out of the archive: it is damaged or a zip bomb. {_FIX_REEXPORT}")
        return data


def _read_package(path: Path) -> epub.EpubBook:
    reader = _BoundedReader(path)
    try:
        return reader.load()
    except InputError:
        raise
    except zipfile.BadZipFile as err:  # a member fails its checksum
        raise InputError(f"{path}: the EPUB's zip archive is damaged ({err}). {_FIX_REEXPORT}") from err
    except KeyError as err:  # a file the container or the manifest names is not in the archive
        raise InputError(f"{path}: is not a readable EPUB ({err.args[0]}). {_FIX_REEXPORT}") from err
    except Exception as err:  # ebooklib reports a malformed package with whatever error its parsing runs into
        raise InputError(f"{path}: is not a readable EPUB (its package document, the .opf file, is missing or "
                         f"broken: {err}). {_FIX_REEXPORT}") from err
    finally:
        if reader.zf is not None:
            reader.zf.close()


def _resolve(base: str, href: str) -> tuple[str, str | None]:
    """(file name relative to the package, fragment or None) of an href written in a file under `base`."""
    target, _, fragment = href.partition("#")
    file_name = posixpath.normpath(posixpath.join(base, unquote(target))) if target else ""
    return file_name, unquote(fragment) or None


# --- table of contents and landmarks -----------------------------------------------------------------------------

_TOC_VOLUME, _TOC_CHAPTER = 1, 2  # the Markdown levels of a table of contents' sections and its chapters
_Entry = tuple[str | None, str, int]  # (fragment, title, level)


def _toc_entries(book: epub.EpubBook) -> dict[str, list[_Entry]]:
    """file name → its (fragment, title, level) entries in the table of contents, in reading order: a section
    that holds entries is a volume, any other entry a chapter. ebooklib resolves the navigation document's hrefs
    against the package; the NCX's are relative to the NCX file."""
    ncx = next((item for item in book.get_items() if isinstance(item, epub.EpubNcx)), None)
    has_nav = any(isinstance(item, epub.EpubNav) for item in book.get_items())
    base = posixpath.dirname(ncx.file_name) if ncx is not None and not has_nav else ""
    entries: dict[str, list[_Entry]] = {}
    for href, title, level in _flatten_toc(book.toc):
        file_name, fragment = _resolve(base, href)
        if file_name and collapse(title or ""):
            entries.setdefault(file_name, []).append((fragment, collapse(title), level))
    return entries


def _flatten_toc(toc) -> list[tuple[str, str, int]]:
    """(href, title, level) of every entry in reading order; a section without a place of its own is placed at
    its first entry's."""
    entries = []
    for entry in toc:
        if isinstance(entry, tuple):  # (Section, children): a volume with its chapters
            section, children = entry
            inner = _flatten_toc(children)
            href = getattr(section, "href", None) or (inner[0][0] if inner else None)
            if href:
                entries.append((href, section.title, _TOC_VOLUME if inner else _TOC_CHAPTER))
            entries += inner
        elif getattr(entry, "href", None):
            entries.append((entry.href, entry.title, _TOC_CHAPTER))
    return entries


def _landmarks(book: epub.EpubBook, path: Path) -> dict[str, str]:
    """file name → its landmark type: the EPUB 2 guide, overridden by the EPUB 3 navigation's landmarks."""
    types = {}
    for reference in book.guide:
        file_name, _ = _resolve("", reference.get("href") or "")
        kind = (reference.get("type") or "").lower()
        types[file_name] = _GUIDE_TYPES.get(kind, kind)
    for nav in (item for item in book.get_items() if isinstance(item, epub.EpubNav)):
        root = parse_xhtml(nav.content, path, nav.file_name)
        for element in root.iter() if root is not None else ():
            if local_name(element) == "nav" and "landmarks" in epub_types(element):
                for link in (node for node in element.iter() if local_name(node) == "a" and node.get("href")):
                    file_name, _ = _resolve(posixpath.dirname(nav.file_name), link.get("href"))
                    types[file_name] = next(iter(sorted(epub_types(link))), "")
    return types


# --- documents and chapters --------------------------------------------------------------------------------------

def _spine_documents(book: epub.EpubBook, path: Path, toc: dict[str, list[_Entry]], by_toc: bool) -> list[_Document]:
    """The spine's documents as Markdown blocks. `by_toc`: the table of contents' entries are the chapters
    (`##`) and volumes (`#`), every heading of the text goes below them (`###`); else an entry, or the headings
    opening a document, start a chapter (`#`)."""
    documents = []
    for idref, linear in book.spine:
        item = book.get_item_with_id(idref)
        if not isinstance(item, epub.EpubHtml):
            continue
        root = parse_xhtml(item.content, path, item.file_name)  # as stored: get_content() re-renders it
        if root is None:
            continue
        body = next((element for element in root.iter() if local_name(element) == "body"), root)
        entries = toc.get(item.file_name, [])
        anchors = {fragment: title for fragment, title, _ in entries if fragment}
        levels = {markdown_text(title): level if by_toc else 1 for _, title, level in entries}
        opening = [MarkdownBlock("chapter", markdown_text(title), 1) for fragment, title, _ in entries if not fragment]
        blocks = [MarkdownBlock("chapter", block.text, levels.get(block.text, 1)) if block.kind == "chapter" else block
                  for block in _settle_headings(opening + html_blocks(body, anchors), by_toc)]
        documents.append(_Document(item.file_name, body, tuple(blocks), linear != "no",
                                   isinstance(item, epub.EpubNav)))
    return documents


def _settle_headings(blocks: list[MarkdownBlock], by_toc: bool) -> list[MarkdownBlock]:
    """Headings that open a document become its chapter title ('Chapter 1' + 'The Storm' → 'Chapter 1: The
    Storm'), unless the table of contents gave one: then they repeat it and are dropped. Any later heading goes
    one level down, so it is read aloud unless it names a chapter. `by_toc`: only the table of contents starts
    chapters, so a document's opening headings go below its levels too."""
    settled: list[MarkdownBlock] = []
    title_from_headings = False
    below = _TOC_CHAPTER + 1 if by_toc else 2
    for block in blocks:
        opens_document = block.kind == "heading" and (not settled or settled[-1].kind == "chapter")
        if opens_document and not settled and by_toc:
            settled.append(MarkdownBlock("heading", block.text, below))
        elif opens_document and not settled:
            settled.append(MarkdownBlock("chapter", block.text, 1))
            title_from_headings = True
        elif opens_document and title_from_headings:
            settled[-1] = MarkdownBlock("chapter", f"{settled[-1].text}: {block.text}", 1)
        elif not opens_document:
            settled.append(MarkdownBlock("heading", block.text, below) if block.kind == "heading" else block)
            title_from_headings = title_from_headings and block.kind != "chapter"
    return settled


def _chapter_blocks(doc: _Document, matter_kind: str | None, by_toc: bool) -> list[MarkdownBlock]:
    """The document's blocks; front matter read on request gets a title when it has none ('Copyright'), its
    opening heading when the table of contents leaves it out. A document without text keeps its chapter
    titles, and with `by_toc` its headings ('VOL. II.' on a page of its own names the volume)."""
    level = _TOC_CHAPTER if by_toc else 1
    if not doc.has_text:
        kept = ("chapter", "heading") if by_toc else ("chapter",)
        return [] if matter_kind else [block for block in doc.blocks if block.kind in kept]
    if matter_kind and doc.blocks[0].kind == "heading":
        return [MarkdownBlock("chapter", doc.blocks[0].text, level), *doc.blocks[1:]]
    if matter_kind and doc.blocks[0].kind != "chapter":
        name = _MATTER_NAMES.get(matter_kind, matter_kind.replace("-", " ").capitalize())
        return [MarkdownBlock("chapter", name, level), *doc.blocks]
    return list(doc.blocks)


# --- front and back matter ---------------------------------------------------------------------------------------

def _matter_kinds(documents: list[_Document], landmarks: dict[str, str]) -> dict[str, str]:
    """file name → why it is front or back matter, for each document that is."""
    body_start = next((index for index, doc in enumerate(documents)
                       if landmarks.get(doc.file_name) == "bodymatter"), 0)
    kinds = {}
    for index, doc in enumerate(documents):
        if kind := _matter_kind(doc, landmarks.get(doc.file_name), before_body=index < body_start):
            kinds[doc.file_name] = kind
    return kinds


def _matter_kind(doc: _Document, landmark: str | None, before_body: bool) -> str | None:
    """Decided by the document's epub:type, then its landmark or guide entry, then whether it is in the reading
    order, then its file name and title; a document before the landmark that says where the body starts is front
    matter unless its title says it is a prologue, a chapter, ..."""
    if doc.is_nav:
        return "toc"
    types = _document_types(doc.body)
    if types & _STORY_TYPES:
        return None
    if types & _MATTER_TYPES:
        specific = sorted(types & _MATTER_TYPES - {"frontmatter", "backmatter"}) or sorted(types & _MATTER_TYPES)
        return specific[0]
    if landmark in _STORY_TYPES:
        return None
    if landmark in _MATTER_TYPES:
        return landmark
    if not doc.linear:
        return "non-linear"
    words = set(re.split(r"[\W\d_]+", posixpath.basename(doc.file_name).rsplit(".", 1)[0].lower()))
    if words & _MATTER_FILE_WORDS:
        return min(words & _MATTER_FILE_WORDS)
    title = _title_words(doc)
    if _MATTER_TITLE.fullmatch(title):
        return title
    if before_body and not _STORY_TITLE.fullmatch(title):
        return "frontmatter"
    return None


def _document_types(body) -> set[str]:
    """epub:type of the document: on <html>, <body> and the body's top-level sections."""
    elements = [body, *(child for child in body if local_name(child) in ("section", "div", "article"))]
    if (parent := body.getparent()) is not None:
        elements.append(parent)
    return set().union(*(epub_types(element) for element in elements))


def _title_words(doc: _Document) -> str:
    """The document's title, lower case, without punctuation: 'About the Author' → 'about the author'."""
    title = next((block.text for block in doc.blocks if block.kind in ("chapter", "heading")), "")
    return " ".join(re.sub(r"[^\w\s]", " ", title.replace("\\", "")).lower().split())


# --- metadata ----------------------------------------------------------------------------------------------------

def _first_metadata(book: epub.EpubBook, name: str) -> str | None:
    values = [collapse(value) for value, _ in book.get_metadata("DC", name) if value and collapse(value)]
    return values[0] if values else None


def _authors(book: epub.EpubBook) -> str | None:
    names = [collapse(value) for value, _ in book.get_metadata("DC", "creator") if value and collapse(value)]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names) or None


def _year(book: epub.EpubBook) -> str | None:
    date = _first_metadata(book, "date")
    match = _YEAR.search(date) if date else None
    return match[1] if match else None


def _cover(book: epub.EpubBook) -> tuple[bytes | None, str | None]:
    """The image the manifest marks `cover-image` (EPUB 3), else the one `<meta name="cover">` names (EPUB 2)."""
    cover = next((item for item in book.get_items() if isinstance(item, epub.EpubCover)), None)
    if cover is None:
        cover_id = next((attributes.get("content") for _, attributes in book.get_metadata("OPF", "meta")
                         if attributes.get("name") == "cover"), None)
        cover = book.get_item_with_id(cover_id) if cover_id else None
    if cover is None or not (cover.media_type or "").startswith("image/") or not cover.get_content():
        return None, None
    return cover.get_content(), cover.media_type
