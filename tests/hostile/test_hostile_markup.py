"""Hostile web pages and e-books (issue 16, item 18): a doctype with entity declarations, an EPUB manifest that
names files outside the archive, a chapter nested 100,000 elements deep, a table of hundreds of thousands of
cells. Each is read (never expanded, fetched or dropped) in time linear in its size."""
from __future__ import annotations

from test_ingest_epub import CONTAINER, package, paragraphs, xhtml, zip_epub

from narrate.ingest import load_book

# --- an EPUB manifest naming files outside the archive -------------------------------------------------------------

REMOTE_ITEMS = ('<item id="photo" href="http://example.com/harbour.png" media-type="image/png"/>'
                '<item id="font" href="https://example.com/serif.woff2" media-type="font/woff2"/>'
                '<item id="local" href="file:///etc/passwd" media-type="image/png"/>')


def test_remote_manifest_items_are_left_out_and_the_rest_is_read(tmp_path):
    path = zip_epub(tmp_path / "remote.epub", {
        "META-INF/container.xml": CONTAINER,
        "content.opf": package(extra_metadata='<meta name="cover" content="photo"/>', extra_manifest=REMOTE_ITEMS),
        "chapter.xhtml": xhtml("<h1>Harbour</h1><p>The ferry came in at noon.</p>")})
    book = load_book(path)  # refused whole before: "There is no item named 'http:/example.com/harbour.png'"
    assert [c.title for c in book.chapters] == ["Harbour"]
    assert paragraphs(book) == ["The ferry came in at noon."]
    assert book.cover is None  # the cover named is remote: none, rather than a fetch


def test_a_remote_spine_document_is_left_out(tmp_path):
    opf = package(extra_manifest='<item id="far" href="https://example.com/far.xhtml" '
                                 'media-type="application/xhtml+xml"/>')
    opf = opf.replace(b'<itemref idref="c1"/>', b'<itemref idref="far"/><itemref idref="c1"/>')
    path = zip_epub(tmp_path / "far.epub", {"META-INF/container.xml": CONTAINER, "content.opf": opf,
                                            "chapter.xhtml": xhtml("<p>Only this is here.</p>")})
    assert paragraphs(load_book(path)) == ["Only this is here."]
