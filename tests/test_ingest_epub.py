"""ingest of EPUB: chapters in spine order with their table-of-contents titles, front and back matter, metadata
and cover, and hostile archives (not a zip, broken package, entity bombs, external entities, zip bombs, paths
that climb out of the archive).

Books are built inside each test, with ebooklib for well-formed ones and with zipfile for hostile ones."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from ebooklib import epub
from test_ingest import assert_every_character_in_one_block

from narrate.errors import InputError
from narrate.ingest import epub as epub_ingest
from narrate.ingest import load_book, spoken_text
from narrate.model import Book

CHAPTERS = [  # (file name, table-of-contents title, body)
    ("lamp.xhtml", "Chapter 1: The Lamp",
     "<h1>One</h1><p>The keeper lit the lamp at dusk, as his father had, and his father before him.</p>"
     "<p>“It will hold,” he said to the cat. The cat did <em>not</em> look convinced.</p>"),
    ("boat.xhtml", "Chapter 2: The Boat",
     "<h1>Two</h1><p>At midnight a boat came round the point with no lights at all.</p>"
     "<hr/><p>He watched it until it was gone.</p>"),
    ("bell.xhtml", "Chapter 3: The Bell",
     "<h2>Three</h2><h3>The Bell</h3><p>In the morning the bell on the rocks was ringing by itself.</p>"),
]
COVER = b"\x89PNG\r\n\x1a\n" + bytes(range(256))  # bytes to compare, not a real picture


def paragraphs(book: Book) -> list[str]:
    return [spoken_text(book.source, block.start, block.end, block.markup)
            for chapter in book.chapters for block in chapter.blocks if block.kind == "paragraph"]


def spoken(book: Book) -> list[str]:
    return [spoken_text(book.source, block.start, block.end, block.markup)
            for chapter in book.chapters for block in chapter.blocks if block.kind in ("paragraph", "scene_break")]


def chapter(file_name: str, title: str, body: str) -> epub.EpubHtml:
    item = epub.EpubHtml(title=title, file_name=file_name, lang="en")
    item.content = body
    return item


def build_epub(path: Path, chapters=CHAPTERS, front=(), back=(), toc_titles=True, nav=True, spine_order=None,
               guide=(), authors=("Ada Marsh",), date="2019-05-01", cover: bytes | None = COVER) -> Path:
    """An EPUB 3 of `front` + `chapters` + `back` (each (file name, toc title or None, body)). The table of
    contents lists the chapters (their toc titles), unless toc_titles is False."""
    book = epub.EpubBook()
    book.set_identifier("urn:uuid:narrate-test")
    book.set_title("The Lighthouse Keeper")
    book.set_language("en")
    for author in authors:
        book.add_author(author)
    if date:
        book.add_metadata("DC", "date", date)
    if cover:
        book.set_cover("cover.png", cover)
    items = {}
    for file_name, title, body in [*front, *chapters, *back]:
        items[file_name] = chapter(file_name, title or file_name, body)
        book.add_item(items[file_name])
    book.toc = [items[file_name] for file_name, title, _ in chapters if title and toc_titles]
    book.add_item(epub.EpubNcx())
    if nav:
        book.add_item(epub.EpubNav())
    book.guide = [{"href": href, "title": kind, "type": kind} for href, kind in guide]
    order = spine_order or [file_name for file_name, _, _ in [*front, *chapters, *back]]
    book.spine = (["cover"] if cover else []) + (["nav"] if nav else []) + [items[name] for name in order]
    epub.write_epub(str(path), book)
    return path


# --- chapters ----------------------------------------------------------------------------------------------------

def test_chapters_come_in_spine_order_with_their_table_of_contents_titles(tmp_path):
    path = build_epub(tmp_path / "keeper.epub", spine_order=["bell.xhtml", "lamp.xhtml", "boat.xhtml"])
    book = load_book(path)
    assert [c.title for c in book.chapters] == ["Chapter 3: The Bell", "Chapter 1: The Lamp", "Chapter 2: The Boat"]
    assert paragraphs(book) == [
        "In the morning the bell on the rocks was ringing by itself.",
        "The keeper lit the lamp at dusk, as his father had, and his father before him.",
        "“It will hold,” he said to the cat. The cat did not look convinced.",
        "At midnight a boat came round the point with no lights at all.",
        "He watched it until it was gone."]
    assert "*not*" in book.source  # italics kept as Markdown, never spoken
    assert [b.kind for b in book.chapters[2].blocks] == ["heading", "paragraph", "scene_break", "paragraph"]
    assert book.path == str(path) and book.source_format == "epub"
    assert_every_character_in_one_block(book)


def test_titles_come_from_the_ncx_when_there_is_no_navigation_document(tmp_path):
    book = load_book(build_epub(tmp_path / "epub2.epub", nav=False))
    assert [c.title for c in book.chapters] == ["Chapter 1: The Lamp", "Chapter 2: The Boat", "Chapter 3: The Bell"]


def test_without_a_table_of_contents_the_first_headings_title_a_chapter(tmp_path):
    book = load_book(build_epub(tmp_path / "untitled.epub", toc_titles=False))
    assert [c.title for c in book.chapters] == ["One", "Two", "Three: The Bell"]
    assert len(paragraphs(book)) == 5


def test_a_document_without_title_or_heading_continues_the_chapter_before_it(tmp_path):
    split = [*CHAPTERS[:1], ("lamp_split.xhtml", None, "<p>Later the wind dropped, and so did he.</p>"),
             *CHAPTERS[1:]]
    book = load_book(build_epub(tmp_path / "split.epub", chapters=split))
    assert [c.title for c in book.chapters] == ["Chapter 1: The Lamp", "Chapter 2: The Boat", "Chapter 3: The Bell"]
    first = [spoken_text(book.source, b.start, b.end, b.markup) for b in book.chapters[0].blocks]
    assert first[-1] == "Later the wind dropped, and so did he."


def test_table_of_contents_entries_inside_one_file_split_it_into_chapters(tmp_path):
    body = ("<h2 id='c1'>I</h2><p>The first night was calm.</p>"
            "<p><a id='c2'/></p><h2>II</h2><p>The second was not.</p>"
            "<div id='c3'><h2>III</h2><p>On the third, the lamp went out.</p></div>")
    item = chapter("whole.xhtml", "Whole", body)
    book = epub.EpubBook()
    book.set_identifier("whole"), book.set_title("Three Nights"), book.set_language("en")
    book.add_item(item)
    book.toc = [epub.Link(f"whole.xhtml#c{n}", f"Night {n}", f"c{n}") for n in (1, 2, 3)]
    book.add_item(epub.EpubNcx()), book.add_item(epub.EpubNav())
    book.spine = ["nav", item]
    epub.write_epub(str(tmp_path / "nights.epub"), book)

    loaded = load_book(tmp_path / "nights.epub")
    assert [c.title for c in loaded.chapters] == ["Night 1", "Night 2", "Night 3"]
    assert paragraphs(loaded) == ["The first night was calm.", "The second was not.",
                                  "On the third, the lamp went out."]


def test_titles_and_text_with_markdown_characters_read_back_as_written(tmp_path):
    title = "Stars & *Sand* [at] #1_b <3"
    body = "<p># not a heading, *not* emphasis, a_b_c, [x](y) and \\ too</p><p>---</p>"
    book = load_book(build_epub(tmp_path / "marks.epub", chapters=[("marks.xhtml", title, body)]))
    assert [c.title for c in book.chapters] == [title]
    assert spoken(book) == ["# not a heading, *not* emphasis, a_b_c, [x](y) and \\ too", "---"]


def test_footnote_markers_notes_and_links_are_dropped_but_linked_words_kept(tmp_path):
    body = ("<p>He rowed to <a href='https://example.org/harbour'>the old harbour</a> alone."
            "<a epub:type='noteref' href='#n1'>1</a> Nobody saw him go.<sup><a href='notes.xhtml#n2'>[2]</a></sup></p>"
            "<aside epub:type='footnote' id='n1'><p>The harbour was closed in 1911.</p></aside>"
            "<p>Then he rowed back.</p>")
    book = load_book(build_epub(tmp_path / "notes.epub", chapters=[("row.xhtml", "Rowing", body)]))
    assert paragraphs(book) == ["He rowed to the old harbour alone. Nobody saw him go.", "Then he rowed back."]
    assert "1911" not in book.source and "example.org" not in book.source


# --- front and back matter ---------------------------------------------------------------------------------------

FRONT = [
    ("titlepage.xhtml", None,
     "<section epub:type='titlepage'><h1>The Lighthouse Keeper</h1><p>Ada Marsh</p></section>"),
    ("rights.xhtml", None, "<p>Copyright 2019 Ada Marsh. All rights reserved.</p>"),  # known by the guide only
    ("dedication.xhtml", None, "<p>For Tom, who kept the light on.</p>"),  # known by its file name
]
BACK = [
    ("thanks.xhtml", None, "<h1>Acknowledgements</h1><p>Thanks to the harbour master of Gull Point.</p>"),
    ("bio.xhtml", None, "<h2>About the Author</h2><p>Ada Marsh lives by the sea with two cats.</p>"),
]
MATTER_WORDS = ["All rights reserved", "For Tom", "harbour master", "two cats"]


def test_front_and_back_matter_are_skipped_and_come_back_with_the_flag(tmp_path):
    path = build_epub(tmp_path / "full.epub", front=FRONT, back=BACK, guide=[("rights.xhtml", "copyright-page")])
    book = load_book(path)
    assert [c.title for c in book.chapters] == ["Chapter 1: The Lamp", "Chapter 2: The Boat", "Chapter 3: The Bell"]
    assert not any(words in book.source for words in MATTER_WORDS)

    everything = load_book(path, include_front_matter=True)
    text = " ".join(paragraphs(everything))
    assert all(words in text for words in MATTER_WORDS)
    titles = [c.title for c in everything.chapters]
    assert titles[-2:] == ["Acknowledgements", "About the Author"]
    assert titles.index("Chapter 1: The Lamp") > titles.index("Copyright")
    assert_every_character_in_one_block(everything)


def test_landmarks_say_where_the_body_starts(tmp_path):
    front = [("opening.xhtml", None, "<p>Praise for the author, from people who liked her.</p>")]
    path = build_epub(tmp_path / "landmarks.epub", front=front, guide=[("lamp.xhtml", "text")])
    assert "Praise" not in load_book(path).source
    assert "Praise" in load_book(path, include_front_matter=True).source


@pytest.mark.parametrize("file_name, body, guide, kept", [
    ("imprint.xhtml", "<section epub:type='imprint'><p>Set in Garamond at Gull Point.</p></section>", (), False),
    ("x1.xhtml", "<section epub:type='colophon'><p>Set in Garamond at Gull Point.</p></section>", (), False),
    ("x2.xhtml", "<section epub:type='epigraph'><p>The sea keeps what it is given.</p></section>", (), True),
    ("x3.xhtml", "<section epub:type='foreword'><h1>Foreword</h1><p>I met Ada at the quay.</p></section>", (), True),
    ("about.xhtml", "<p>Ada Marsh lives by the sea with two cats.</p>", (), False),
    ("x4.xhtml", "<h1>Also by Ada Marsh</h1><p>The Tide Clock. Salt and Iron.</p>", (), False),
    ("x5.xhtml", "<h1>Prologue</h1><p>The lamp had been dark for a year.</p>", [("lamp.xhtml", "text")], True),
    ("x6.xhtml", "<p>A note on the text, before the story starts.</p>", [("lamp.xhtml", "text")], False),
    ("x7.xhtml", "<p>A note on the text, before the story starts.</p>", [("x7.xhtml", "dedication")], False),
])
def test_front_matter_is_known_by_type_landmark_file_name_and_title(tmp_path, file_name, body, guide, kept):
    path = build_epub(tmp_path / "signals.epub", front=[(file_name, None, body)], guide=guide)
    text = re.sub(r"<[^>]+>", " ", body).split()[-1].rstrip(".")  # the front document's last word
    assert (text in load_book(path).source) is kept
    assert text in load_book(path, include_front_matter=True).source


def test_a_book_that_is_all_front_matter_is_read_whole(tmp_path):
    only = [("titlepage.xhtml", None, "<section epub:type='titlepage'><p>Just this line of text.</p></section>")]
    book = load_book(build_epub(tmp_path / "only.epub", chapters=only))
    assert paragraphs(book) == ["Just this line of text."]


# --- metadata ----------------------------------------------------------------------------------------------------

def test_title_authors_year_and_cover_come_from_the_metadata(tmp_path):
    book = load_book(build_epub(tmp_path / "meta.epub", authors=("Ada Marsh", "Tom Reed")))
    assert (book.title, book.author, book.year) == ("The Lighthouse Keeper", "Ada Marsh and Tom Reed", "2019")
    assert (book.cover, book.cover_type) == (COVER, "image/png")
    assert book.encoding == "utf-8"


def test_a_book_without_cover_or_date_has_none(tmp_path):
    book = load_book(build_epub(tmp_path / "bare.epub", cover=None, date=None, authors=()))
    assert (book.cover, book.cover_type, book.year, book.author) == (None, None, None, None)
    assert book.title == "The Lighthouse Keeper"


def test_the_same_epub_always_gives_the_same_source(tmp_path):
    path = build_epub(tmp_path / "again.epub", front=FRONT, back=BACK)
    assert load_book(path).source == load_book(path).source  # a script's offsets stay valid on a re-read


# --- hand-built and hostile archives -----------------------------------------------------------------------------

CONTAINER = (b'<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
             b'<rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/>'
             b'</rootfiles></container>')


def package(chapter_href: str = "chapter.xhtml", extra_metadata: str = "", extra_manifest: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="id">hand-built</dc:identifier><dc:title>Hand Built</dc:title><dc:language>en</dc:language>
    {extra_metadata}
  </metadata>
  <manifest><item id="c1" href="{chapter_href}" media-type="application/xhtml+xml"/>{extra_manifest}</manifest>
  <spine><itemref idref="c1"/></spine>
</package>""".encode()


def xhtml(body: str, doctype: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{doctype}<html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>c</title></head><body>{body}</body></html>").encode()


def zip_epub(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def hand_built(path: Path, chapter_data: bytes, **package_parts) -> Path:
    return zip_epub(path, {"META-INF/container.xml": CONTAINER, "content.opf": package(**package_parts),
                           "chapter.xhtml": chapter_data})


def refused(path: Path, *fragments: str) -> str:
    with pytest.raises(InputError) as caught:
        load_book(path)
    message = str(caught.value)
    assert str(path) in message and all(fragment in message for fragment in fragments), message
    return message


def test_a_hand_built_epub2_with_a_cover_named_in_the_metadata_reads(tmp_path):
    path = zip_epub(tmp_path / "epub2.epub", {
        "META-INF/container.xml": CONTAINER,
        "content.opf": package(extra_metadata='<meta name="cover" content="img"/>',
                               extra_manifest='<item id="img" href="c.jpg" media-type="image/jpeg"/>'),
        "chapter.xhtml": xhtml("<h1>Start</h1><p>Caf&#233; lights&nbsp;on the quay.</p>"),  # &nbsp; is not XML
        "c.jpg": b"\xff\xd8\xff\xe0 jpeg bytes"})
    book = load_book(path)
    assert book.title == "Hand Built" and [c.title for c in book.chapters] == ["Start"]
    assert paragraphs(book) == ["Café lights on the quay."]
    assert (book.cover, book.cover_type) == (b"\xff\xd8\xff\xe0 jpeg bytes", "image/jpeg")


@pytest.mark.parametrize("name, members, fragments", [
    ("not-a-zip.epub", None, ["not an EPUB", "zip", "re-export"]),
    ("no-container.epub", {"content.opf": b"<package/>"}, ["not a readable EPUB", "container.xml", "re-export"]),
    ("no-package.epub", {"META-INF/container.xml": CONTAINER}, ["not a readable EPUB", "re-export"]),
    ("broken-package.epub", {"META-INF/container.xml": CONTAINER, "content.opf": b"<package><metadata"},
     ["not a readable EPUB", "re-export"]),
    ("only-images.epub", {"META-INF/container.xml": CONTAINER, "content.opf": package(),
                          "chapter.xhtml": xhtml("<img src='page1.png'/>")}, ["no text", "OCR"]),
    ("drm.epub", {"META-INF/container.xml": CONTAINER, "content.opf": package(),
                  "chapter.xhtml": bytes(range(256)) * 8}, ["chapter.xhtml", "DRM", "re-export"]),
])
def test_a_malformed_epub_is_a_clear_error(tmp_path, name, members, fragments):
    path = tmp_path / name
    if members is None:
        path.write_text("This is a story, but saved with the wrong extension.\n")
    else:
        zip_epub(path, members)
    refused(path, *fragments)  # what is wrong, and the fix


BILLION_LAUGHS = """<!DOCTYPE html [
 <!ENTITY a "lollollollollollollollollollol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"> <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"> <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>"""
PASSWD = Path("/etc/passwd")
EXTERNAL = f'<!DOCTYPE html [<!ENTITY secret SYSTEM "file://{PASSWD}">]>'


@pytest.mark.parametrize("doctype, body", [
    (BILLION_LAUGHS, "<p>Before &i; after.</p>"),
    (EXTERNAL, "<p>Leak: &secret; end.</p>"),
])
def test_a_chapter_declaring_entities_is_refused(tmp_path, monkeypatch, doctype, body):
    read = []  # the package read or a document parsed: where an entity could expand
    for name in ("_read_package", "parse_xhtml"):
        real = getattr(epub_ingest, name)
        monkeypatch.setattr(epub_ingest, name, lambda *args, _real=real, _name=name: read.append(_name) or _real(*args))
    refused(hand_built(tmp_path / "entities.epub", xhtml(body, doctype)), "chapter.xhtml", "entities")
    assert read == []  # refused from the archive's bytes, before anything was parsed


def test_a_package_declaring_an_external_entity_is_refused(tmp_path):
    opf = package().replace(b"<package", EXTERNAL.replace("html", "package").encode() + b"<package", 1)
    opf = opf.replace(b"<dc:title>Hand Built", b"<dc:title>&secret;")
    path = zip_epub(tmp_path / "opf.epub", {"META-INF/container.xml": CONTAINER, "content.opf": opf,
                                            "chapter.xhtml": xhtml("<p>Words.</p>")})
    refused(path, "content.opf", "entities")


@pytest.mark.parametrize("doctype, body", [
    (BILLION_LAUGHS, "<p>Before &i; after.</p>"),
    (EXTERNAL, "<p>Leak: &secret; end.</p>"),
    (EXTERNAL.replace("<!DOCTYPE html [", "<!DOCTYPE html [<!ENTITY nbsp '&#160;'>"), "<p>Leak: &secret;&nbsp;</p>"),
])
def test_the_chapter_parser_itself_never_expands_entities(doctype, body):
    """Past the refusal above, the parser is safe on its own: no expansion, no file read, no time lost."""
    data = xhtml(body, doctype)
    root = epub_ingest.parse_xhtml(data, Path("book.epub"), "chapter.xhtml")
    text = "".join(root.itertext()) if root is not None else ""
    assert "lollol" not in text and len(text) < len(data)  # nothing expanded: the tree is no bigger than its source
    if PASSWD.exists():
        first_line = PASSWD.read_text(errors="replace").splitlines()[0]
        assert first_line not in text and "root:" not in text


def claim_size(path: Path, member: str, size: int) -> None:
    """Rewrite the central directory so that `member` claims to unpack to `size` bytes (a zip bomb's header)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    entry = data.index(b"PK\x01\x02")
    while True:  # find this member's central directory entry
        name_length = int.from_bytes(data[entry + 28:entry + 30], "little")
        if data[entry + 46:entry + 46 + name_length].decode() == info.filename:
            break
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_an_archive_claiming_a_huge_unpacked_size_stops_before_reading(tmp_path):
    path = hand_built(tmp_path / "bomb.epub", xhtml("<p>Small.</p>"))
    claim_size(path, "chapter.xhtml", 4_000_000_000)
    refused(path, "zip bomb", "MB")


def test_a_member_larger_than_it_claims_is_refused_as_damaged(tmp_path):
    path = hand_built(tmp_path / "liar.epub", xhtml("<p>" + "Many words here. " * 2000 + "</p>"))
    claim_size(path, "chapter.xhtml", 100)
    refused(path, "damaged")


def test_a_manifest_naming_one_member_many_times_stops_at_the_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(epub_ingest, "MAX_UNPACKED_BYTES", 1_000_000)
    items = "".join(f'<item id="copy{n}" href="big.css" media-type="text/css"/>' for n in range(40))
    path = zip_epub(tmp_path / "repeat.epub", {
        "META-INF/container.xml": CONTAINER, "content.opf": package(extra_manifest=items),
        "chapter.xhtml": xhtml("<p>Words.</p>"), "big.css": b"p { margin: 0 }\n" * 20_000})  # 320 kB, 40 times
    refused(path, "zip bomb")


def test_paths_that_climb_out_of_the_archive_are_only_ever_read(tmp_path, monkeypatch):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    path = zip_epub(work / "climb.epub", {
        "META-INF/container.xml": CONTAINER, "content.opf": package(chapter_href="../../evil.xhtml"),
        "../../evil.xhtml": xhtml("<p>Read, never written.</p>")})
    try:
        assert paragraphs(load_book(path)) == ["Read, never written."]
    except InputError as err:
        assert str(path) in str(err)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != path]
    assert written == [] and not Path("/evil.xhtml").exists()


def test_every_word_of_the_generated_markdown_is_in_one_block(tmp_path):
    path = build_epub(tmp_path / "lost.epub", front=FRONT, back=BACK)
    for book in (load_book(path), load_book(path, include_front_matter=True)):
        assert_every_character_in_one_block(book)
        words = re.findall(r"[^\W_]+", book.source)
        spoken = " ".join(spoken_text(book.source, b.start, b.end, b.markup)
                          for c in book.chapters for b in c.blocks)
        assert re.findall(r"[^\W_]+", spoken) == words


def test_a_real_story_made_into_an_epub_reads_back_word_for_word(tmp_path, gone_story):
    """gone.txt's paragraphs, cut into three chapters of an EPUB, come back as the same paragraphs in order."""
    import html

    text_book = load_book(gone_story)
    story = [spoken_text(text_book.source, b.start, b.end, b.markup)
             for c in text_book.chapters for b in c.blocks if b.kind == "paragraph"]
    thirds = [story[i::3] for i in range(3)]  # interleaved, so the order check means something
    chapters = [(f"part{n}.xhtml", f"Part {n + 1}", "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs))
                for n, paragraphs in enumerate(thirds)]
    book = load_book(build_epub(tmp_path / "gone.epub", chapters=chapters))
    assert [c.title for c in book.chapters] == ["Part 1", "Part 2", "Part 3"]
    assert paragraphs(book) == [p for third in thirds for p in third]
    assert_every_character_in_one_block(book)
