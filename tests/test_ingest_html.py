"""ingest of web pages: the story found among a site's chrome, with its paragraphs, italics and chapter headings.

tests/inputs/html/ holds two pages written for these tests: a whole-work page imitating a fan-fiction archive
(menus, work metadata, summary and notes, two chapters, kudos, comments, footer) and a blog post (site header,
menu, a footnote, share buttons, related posts, comments, sidebar, footer)."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ingest import assert_every_character_in_one_block

from narrate.errors import InputError
from narrate.ingest import load_book, spoken_text
from narrate.model import Book

INPUTS = Path(__file__).parent / "inputs" / "html"
FANFIC = INPUTS / "fanfic_work.html"
BLOG = INPUTS / "blog_post.html"


def spoken(book: Book, kinds=("paragraph", "scene_break")) -> list[str]:
    return [spoken_text(book.source, block.start, block.end, block.markup)
            for chapter in book.chapters for block in chapter.blocks if block.kind in kinds]


def story_paragraphs(page: Path, xpath: str) -> list[str]:
    """The text of the page's story paragraphs, read with lxml straight from the file (footnote markers out)."""
    tree = lxml.html.parse(str(page))
    for marker in tree.iter("sup"):
        marker.drop_tree()
    return [" ".join(p.text_content().split()) for p in tree.xpath(xpath)]


def write_page(folder: Path, body: str, name: str = "page.html", head: str = "<title>Night Ferry</title>") -> Path:
    path = folder / name
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>",
                    encoding="utf-8")
    return path


# --- the two saved pages -----------------------------------------------------------------------------------------

def test_a_fan_fiction_page_gives_its_chapters_and_every_story_paragraph_in_order():
    book = load_book(FANFIC)
    assert (book.title, book.author, book.year) == ("The Salt Road", "wren_writes", "2023")
    assert [c.title for c in book.chapters] == ["Chapter 1: The Ferry", "Chapter 2: Low Tide"]
    assert spoken(book) == story_paragraphs(FANFIC, "//div[contains(@class, 'userstuff module')]/p")
    assert book.source_format == "html" and book.encoding == "utf-8" and book.path == str(FANFIC)


def test_a_fan_fiction_page_keeps_italics_and_bold_as_unspoken_markup():
    book = load_book(FANFIC)
    for marked in ("*two*", "*Don’t look back at the house*", "*you left the light on*", "**passed**"):
        assert marked in book.source
    assert not any("*" in text for text in spoken(book, kinds=("paragraph",)))
    assert [b.kind for b in book.chapters[0].blocks].count("scene_break") == 1  # the centred * * *


@pytest.mark.parametrize("chrome", [
    "Fandoms", "Log In", "Chapter Index", "Download", "General Audiences", "Kudos", "Hits", "1,203", "Summary",
    "Two sisters, one ferry", "my beta", "shorter, sorry", "Comments make my week", "Chapter Text", "tidepool",
    "put my phone down", "Bookmark", "Site Map", "Terms of Service", "Story Archive", "siteConfig"])
def test_the_fan_fiction_sites_chrome_is_left_out(chrome):
    assert chrome not in load_book(FANFIC).source


def test_a_blog_post_is_one_chapter_with_its_sub_heading_read_aloud():
    book = load_book(BLOG)
    assert (book.title, book.author, book.year) == ("What the Tide Leaves", "Tom Fairlie", "2022")
    assert [c.title for c in book.chapters] == ["What the Tide Leaves"]
    expected = story_paragraphs(BLOG, "//div[@class='entry-content']/p | //div[@class='entry-content']/h2")
    assert spoken(book) == expected
    assert "The Bottle" in expected and expected[3].endswith("further than he ever would.")  # footnote marker out
    assert "*much*" in book.source and "*like something that might wake up*" in book.source


@pytest.mark.parametrize("chrome", [
    "Notes from the Breakwater", "Short fiction, mostly", "Menu", "About Me", "Posted on", "The rope turned up",
    "Share this", "Twitter", "Like Loading", "Related", "The Lamp at Gull Point", "Posted in", "Tagged",
    "thoughts on", "Harriet", "grandad", "Leave a Reply", "Recent Posts", "Archives", "Harbour Dogs",
    "Proudly powered", "walking-stick", "BlogPosting"])
def test_the_blogs_chrome_is_left_out(chrome):
    assert chrome not in load_book(BLOG).source


@pytest.mark.parametrize("page", [FANFIC, BLOG])
def test_every_word_of_the_generated_markdown_is_in_one_block(page):
    book = load_book(page)
    assert_every_character_in_one_block(book)
    spoken_words = re.findall(r"[^\W_]+", " ".join(spoken(book, kinds=(
        "paragraph", "scene_break", "heading", "title", "author", "author_note"))))
    assert spoken_words == re.findall(r"[^\W_]+", book.source)


# --- page shapes -------------------------------------------------------------------------------------------------

def test_paragraphs_separated_by_line_breaks_are_paragraphs(tmp_path):
    path = write_page(tmp_path, "<div id='storytext'>The quay was empty.<br><br>Then a bell, <i>far off</i>.<br>"
                                "And again.<br/> <br/>Nobody came.</div>")
    book = load_book(path)
    assert spoken(book) == ["The quay was empty.", "Then a bell, far off. And again.", "Nobody came."]
    assert "far off*.\nAnd again." in book.source  # one <br> is a line break inside the paragraph


def test_chapter_headings_written_as_bold_lines_are_recognised(tmp_path):
    path = write_page(tmp_path, "<div class='story'><p><strong>Chapter 1</strong></p><p>The ferry left.</p>"
                                "<p><b>Chapter Two</b></p><p>It came back <em>empty</em>.</p></div>")
    book = load_book(path)
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter Two"]
    assert spoken(book) == ["The ferry left.", "It came back empty."]


def test_a_page_without_headings_is_one_chapter_named_after_the_page(tmp_path):
    book = load_book(write_page(tmp_path, "<main><p>Fog.</p><p>More fog.</p></main>", name="fog.htm"))
    assert book.title == "Night Ferry" and [c.title for c in book.chapters] == ["Night Ferry"]


def test_hidden_and_link_only_blocks_are_left_out(tmp_path):
    path = write_page(tmp_path, "<div class='story'><p>The tide turned.</p><p hidden>Secret draft line.</p>"
                                "<div aria-hidden='true'>Icon label.</div><div style='display: none'>Popup.</div>"
                                "<p><a href='/next'>Next chapter &gt;&gt;</a></p><p>The boats lifted.</p></div>")
    assert spoken(load_book(path)) == ["The tide turned.", "The boats lifted."]


def test_a_declared_charset_decodes_a_page_that_is_not_utf8(tmp_path):
    path = tmp_path / "cyrillic.html"
    path.write_bytes("<html><head><meta charset='windows-1251'><title>Паром</title></head>"
                     "<body><p>Паром ушёл в шесть.</p></body></html>".encode("windows-1251"))
    book = load_book(path)
    assert (book.encoding, book.title, spoken(book)) == ("windows-1251", "Паром", ["Паром ушёл в шесть."])


def test_a_page_with_no_story_is_a_clear_error(tmp_path):
    path = write_page(tmp_path, "<nav><a href='/'>Home</a></nav><form><input type='search'></form>")
    with pytest.raises(InputError) as caught:
        load_book(path)
    assert str(path) in str(caught.value) and "no story text" in str(caught.value)


def test_a_real_story_inside_the_fan_fiction_page_reads_back_word_for_word(tmp_path, gone_story):
    """gone.txt's paragraphs put in place of the saved page's chapters come back whole, chrome still left out."""
    import html

    text_book = load_book(gone_story)
    story = [spoken_text(text_book.source, b.start, b.end, b.markup)
             for c in text_book.chapters for b in c.blocks if b.kind == "paragraph"]
    page = FANFIC.read_text(encoding="utf-8")
    first, rest = page.split("<h3 class=\"landmark heading\" id=\"work\">Chapter Text</h3>", 1)
    rest = rest[rest.index("</div>"):]
    path = tmp_path / "gone.html"
    path.write_text(first + "".join(f"<p>{html.escape(p)}</p>" for p in story) + rest, encoding="utf-8")
    book = load_book(path)
    assert spoken(book)[:len(story)] == story
    assert "tidepool" not in book.source and "Kudos" not in book.source


# --- the conversion loses no word and leaves no stray mark -------------------------------------------------------

WORDS = ["tide", "Mara", "don't", "lamp’s", "“Stop,”", "rope.", "(quietly)", "1911", "o'clock", "…", "night!"]
SPACE = st.sampled_from(["", " ", "  ", "\n"])


@st.composite
def inline_runs(draw) -> tuple[str, list[str]]:
    """(HTML, the words it shows): words in plain text, emphasis, bold, links and footnote markers (not shown)."""
    html, words = [], []
    for _ in range(draw(st.integers(1, 6))):
        run = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
        text = draw(SPACE) + " ".join(run) + draw(SPACE)
        kind = draw(st.sampled_from(["plain", "em", "i", "strong", "link", "note", "nested"]))
        if kind == "note":
            html.append(f"<sup><a href='#n{len(html)}'>{len(html) + 1}</a></sup>")
            continue
        words += run
        html.append({"plain": text, "em": f"<em>{text}</em>", "i": f"<i>{text}</i>",
                     "strong": f"<strong>{text}</strong>", "link": f"<a href='/w'>{text}</a>",
                     "nested": f"<em>{text} <b>{text}</b></em>"}[kind])
        if kind == "nested":
            words += run
        html.append(" ")
    html.append(draw(st.sampled_from(WORDS)))  # a paragraph of nothing but a link is navigation: not generated
    words.append(html[-1])
    return "".join(html), words


@st.composite
def story_pages(draw) -> tuple[str, list[str]]:
    paragraphs = draw(st.lists(inline_runs(), min_size=1, max_size=5))
    if draw(st.booleans()):
        body = "".join(f"<p>{html}</p>" for html, _ in paragraphs)
    else:
        body = "<br><br>".join(html for html, _ in paragraphs)
    return f"<div class='chapter-text'>{body}</div>", [word for _, words in paragraphs for word in words]


def word_list(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story_pages())
def test_converted_pages_keep_every_word_and_leave_no_stray_mark(page):
    body, words = page
    with tempfile.TemporaryDirectory() as folder:
        book = load_book(write_page(Path(folder), body))
    text = " ".join(spoken(book, kinds=("paragraph", "author_note")))
    assert word_list(text) == word_list(" ".join(words))
    assert "*" not in text and "\\" not in text  # every emphasis mark and escape is parsed as markup
    assert_every_character_in_one_block(book)
