"""Hostile web pages and e-books (issue 16, item 18): a doctype with entity declarations, an EPUB manifest that
names files outside the archive, a chapter nested 100,000 elements deep, a table of hundreds of thousands of
cells. Each is read (never expanded, fetched or dropped) in time linear in its size."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_ingest import assert_every_character_in_one_block
from test_ingest_epub import CONTAINER, hand_built, package, paragraphs, xhtml, zip_epub
from test_ingest_html import spoken

from narrate.ingest import html as html_module
from narrate.ingest import load_book
from narrate.ingest.html import MAX_DEPTH, parse_html

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


# --- a doctype declaring entities ----------------------------------------------------------------------------------

PASSWD = Path("/etc/passwd")
XXE_PAGE = """<!DOCTYPE html [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY inner "words the page's own doctype declares">
  <!ENTITY tricky "a quoted ]> inside">
]>
<html><head><title>The Ferry</title></head>
<body><h1>The Ferry</h1>
<p>Mara waited &xxe;on the quay &inner;until dusk&hellip; &NewLine;then she left&nbsp;&bigstar;.</p>
<p>Nobody came.</p></body></html>
"""


def test_a_doctype_declaring_entities_is_never_expanded_nor_shown(tmp_path):
    page = tmp_path / "xxe.html"
    page.write_text(XXE_PAGE, encoding="utf-8")
    book = load_book(page)
    # before: "Mara waited &xxe;on the quay &inner;until dusk…" was spoken and "]>" was a skipped line
    assert spoken(book) == ["Mara waited on the quay until dusk\u2026 then she left \u2605.", "Nobody came."]
    assert "]>" not in book.source and "ENTITY" not in book.source and "&" not in book.source
    assert "declares" not in book.source  # an internal entity is not expanded either
    if PASSWD.exists():
        assert PASSWD.read_text(errors="replace").splitlines()[0] not in book.source
    assert [c.title for c in book.chapters] == ["The Ferry"]
    assert_every_character_in_one_block(book)


def test_a_doctype_whose_comments_and_instructions_hold_apostrophes_and_brackets_leaks_nothing(tmp_path):
    page = tmp_path / "commented.html"
    page.write_text("""<!DOCTYPE html [
  <!-- the editor's note: ]> is not the end -->
  <!ENTITY inner "declared words">
  <?editor it's ]> still inside ?>
]>
<html><body><p>The bell rang twice.</p></body></html>
""", encoding="utf-8")
    book = load_book(page)
    assert spoken(book) == ["The bell rang twice."]  # before: "?> ]>" was read as text of the page
    assert "]>" not in book.source and "editor" not in book.source

def test_an_undefined_reference_in_an_epub_chapter_read_as_html_is_not_spoken(tmp_path):
    path = hand_built(tmp_path / "refs.epub", xhtml("<p>Dawn&nbsp;came &madeup; at last&hellip;</p>"))
    assert paragraphs(load_book(path)) == ["Dawn came at last\u2026"]  # not XML (&nbsp;): read as HTML


# --- nested deeper than the parser holds ----------------------------------------------------------------------------

def nested(depth: int, inner: str) -> str:
    return "<div>" * depth + inner + "</div>" * depth


def test_a_page_nested_100000_deep_is_read_whole(tmp_path):
    page = tmp_path / "deep.html"
    first, last = "First words, at the top of the long way down.", "Back up again, after all of that, in daylight."
    page.write_text(f"<html><body><h1>Down</h1><div><p>{first}</p>"
                    + nested(100_000, "<p>The <em>deepest</em> words.</p><p>Still down there.</p>")
                    + f"<p>{last}</p></div></body></html>", encoding="utf-8")
    book = load_book(page)  # before: libxml2 stopped at 256 levels, dropped the rest: "no story text found"
    assert spoken(book) == [first, "The deepest words.", "Still down there.", last]
    assert "*deepest*" in book.source
    assert_every_character_in_one_block(book)


def test_an_epub_chapter_nested_deeper_than_the_parser_holds_is_read(tmp_path):
    body = "<p>Above.</p>" + nested(5_000, "<p>Below <i>all</i> of it.</p>") + "<p>After.</p>"
    book = load_book(hand_built(tmp_path / "deep.epub", xhtml("<h1>Down</h1>" + body)))
    # before: "this EPUB holds no text to read" (XML stops at 256 levels, the HTML parser dropped what was deeper)
    assert paragraphs(book) == ["Above.", "Below all of it.", "After."]


@pytest.mark.parametrize("tag", ["div", "span", "p"])
def test_the_shallow_tree_keeps_every_word_in_order(tag):
    words = [f"w{n}" for n in range(3 * MAX_DEPTH)]
    text = "".join(f"<{tag}>{word} " for word in words) + f"</{tag}>" * len(words)
    root = parse_html(f"<html><body>{text}</body></html>")
    depths = {root: 0}
    for element in root.iter():
        depths.setdefault(element, depths[element.getparent()] + 1 if element is not root else 0)
    assert max(depths.values()) <= MAX_DEPTH
    assert root.text_content().split() == words


# --- large tables: linear time ------------------------------------------------------------------------------------

def html_steps(page: Path) -> int:
    """Lines of narrate/ingest/html.py executed while reading `page`: the cost of the markup reader, counted."""
    target = html_module.__file__

    def local(frame, event, arg):
        steps[0] += event == "line"
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename == target else None

    steps = [0]
    sys.settrace(calls)
    try:
        load_book(page)
    finally:
        sys.settrace(None)
    return steps[0]


TABLES = {
    "rows": lambda n: "".join(f"<tr><td>Row {i} has words.</td><td>And {i} more.</td></tr>" for i in range(n)),
    "lines in a cell": lambda n: "<tr><td>" + "".join(f"Line {i} of the cell.<br>\n" for i in range(n)) + "</td></tr>",
    "touching emphasis": lambda n: "<tr><td>" + "".join(f"<b>Bold {i}</b><b> and on</b> " for i in range(n))
                                   + "</td></tr>",
}


@pytest.mark.parametrize("shape", TABLES)
def test_a_table_costs_in_proportion_to_its_size(tmp_path, shape):
    costs = []
    for rows in (300, 1200):
        page = tmp_path / f"table{rows}.html"
        page.write_text(f"<html><body><h1>Ledger</h1><p>Words.</p><table>{TABLES[shape](rows)}</table></body></html>",
                        encoding="utf-8")
        costs.append(html_steps(page))
    # four times the rows: four times the steps (before: 15 times, for lines in a cell and for touching emphasis)
    assert costs[1] / costs[0] < 4.6, costs


def test_a_paragraph_over_10_mb_is_parsed_not_dropped():
    words = "The tide came in. " * 620_000  # 11 MB: libxml2 without huge_tree dropped the whole page, silently
    root = parse_html(f"<html><body><p>{words}</p><p>Then it went out.</p></body></html>")
    assert [len(p.text_content()) for p in root.iter("p")] == [len(words), len("Then it went out.")]
