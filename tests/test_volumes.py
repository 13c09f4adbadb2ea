"""A book in volumes (issue 17, item 1): volumes, books and parts group chapters instead of becoming parts of
their own; titles name the volume, so none repeats and part numbers follow the chapters; an EPUB's table of
contents, when it lists the chapters, decides them over the headings in its text.

The novel is tests/inputs/ingest/three_volumes.txt (written for these tests); EPUBs are built in the tests."""
from __future__ import annotations

from pathlib import Path

import pytest
from ebooklib import epub
from test_ingest import assert_every_character_in_one_block, write

from narrate.ingest import load_book, spoken_text
from narrate.model import Book

NOVEL = Path(__file__).parent / "inputs" / "ingest" / "three_volumes.txt"
NOVEL_TITLES = ["Volume 1, Chapter 1", "Volume 1, Chapter 2", "Volume 2, Chapter 1", "Volume 2, Chapter 2",
                "Volume 3, Chapter 1", "Volume 3, Chapter 2"]


def texts(book: Book, chapter: int, kind: str) -> list[str]:
    return [spoken_text(book.source, block.start, block.end, block.markup)
            for block in book.chapters[chapter - 1].blocks if block.kind == kind]


def test_volume_pages_open_the_next_chapter_and_every_title_names_its_volume():
    book = load_book(NOVEL)
    assert [chapter.title for chapter in book.chapters] == NOVEL_TITLES
    assert [chapter.index for chapter in book.chapters] == [1, 2, 3, 4, 5, 6]
    # the second volume's page (its heading and imprint) is in the opening of its first chapter, not read
    assert texts(book, 3, "heading") == ["VOL. II.", "CHAPTER I."]
    assert texts(book, 3, "apparatus")[0].startswith("LONDON: PRINTED FOR")
    assert texts(book, 3, "paragraph")[0].startswith("The water went down in May")
    assert_every_character_in_one_block(book)


@pytest.mark.parametrize("text, titles", [
    ("BOOK THE FIRST\n\nRECALLED\n\nCHAPTER I\n\nOne.\n\nCHAPTER II\n\nTwo.\n\nBOOK THE SECOND\n\nCHAPTER I\n\nThree.\n",
     ["Book the First: RECALLED, Chapter 1", "Book the First: RECALLED, Chapter 2", "Book the Second, Chapter 1"]),
    ("PART ONE\n\nChapter 1\n\nOne.\n\nPART TWO\n\nChapter 1\n\nTwo.\n",
     ["Part One, Chapter 1", "Part Two, Chapter 1"]),
    ("VOLUME I\n\nPART I\n\nCHAPTER I\n\nOne.\n\nPART II\n\nCHAPTER I\n\nTwo.\n\nVOLUME II\n\nCHAPTER I\n\nThree.\n",
     ["Volume 1, Part 1, Chapter 1", "Volume 1, Part 2, Chapter 1", "Volume 2, Chapter 1"]),
    # a part with text of its own is a chapter of its own
    ("Part One\n\nWhat this part is about, in a few words.\n\nChapter 1\n\nOne.\n",
     ["Part One", "Part One, Chapter 1"]),
    # parts with no chapters under them are the chapters
    ("Part One\n\nOne.\n\nPart Two\n\nTwo.\n", ["Part One", "Part Two"]),
])
def test_plain_text_divisions_group_chapters(tmp_path, text, titles):
    book = load_book(write(tmp_path, text))
    assert [chapter.title for chapter in book.chapters] == titles
    assert_every_character_in_one_block(book)


@pytest.mark.parametrize("text, titles", [
    ("# Volume One\n\n## Chapter 1\n\nOne.\n\n## Chapter 2\n\nTwo.\n\n# Volume Two\n\n## Chapter 1\n\nThree.\n",
     ["Volume One, Chapter 1", "Volume One, Chapter 2", "Volume Two, Chapter 1"]),
    # unnumbered divisions by their level; '# Epilogue' among them is a chapter and ends the last one
    ("# The Early Years\n\n## The Storm\n\nRain fell.\n\n### A scene\n\nIt went on.\n\n## The Calm\n\nSun came."
     + "\n\n# Later Years\n\n## The Letter\n\nIt came.\n\n# Epilogue\n\nAll done.\n",
     ["The Early Years, The Storm", "The Early Years, The Calm", "Later Years, The Letter", "Epilogue"]),
    # a first-level heading with text of its own and no second level under it stays a chapter
    ("# One\n\nFirst.\n\n# Two\n\nSecond.\n", ["One", "Two"]),
])
def test_markdown_heading_levels_group_chapters(tmp_path, text, titles):
    book = load_book(write(tmp_path, text, "story.md"))
    assert [chapter.title for chapter in book.chapters] == titles


# --- EPUB: the table of contents decides ------------------------------------------------------------------------

VOLUMES = ["I", "II", "III"]


def volumes_epub(path: Path, toc: str, nav: bool = True) -> Path:
    """Three volumes of two chapters. Each volume opens with a page of its own (heading and imprint); each chapter
    document opens with 'CHAPTER I.' and has a second 'CHAPTER ...' heading inside it (a running head) that a
    heading reader would take for a chapter. toc: 'flat' (the chapters), 'nested' (volumes holding chapters);
    without `nav`, an EPUB 2 (the NCX only)."""
    book = epub.EpubBook()
    book.set_identifier("urn:uuid:narrate-volumes")
    book.set_title("The Tidewater Sisters")
    book.set_language("en")
    items, volumes = [], []
    for v, volume in enumerate(VOLUMES, start=1):
        page = epub.EpubHtml(title=f"Volume {volume}", file_name=f"vol{v}.xhtml", lang="en")
        page.content = f"<h1>VOL. {volume}.</h1><p>LONDON:<br/>PRINTED FOR J. HARROW AND SONS.<br/>1821.</p>"
        chapters = []
        for c, numeral in enumerate(["I", "II"], start=1):
            item = epub.EpubHtml(title=f"Chapter {numeral}", file_name=f"v{v}c{c}.xhtml", lang="en")
            item.content = (f"<h2>CHAPTER {numeral}.</h2><p>The tide rose in volume {v}, chapter {c}.</p>"
                            f"<p>[Illustration: A VICARAGE HOUSE.]</p><h3>CHAPTER {numeral}.</h3>"
                            f"<p>It fell again by evening.</p>")
            chapters.append(item)
        items += [page, *chapters]
        volumes.append((page, chapters))
    for item in items:
        book.add_item(item)
    if toc == "flat":
        book.toc = [chapter for _, chapters in volumes for chapter in chapters]
    else:
        book.toc = [(epub.Section(f"Volume {volume}", href=page.file_name), chapters)
                    for (page, chapters), volume in zip(volumes, VOLUMES)]
    book.add_item(epub.EpubNcx())
    if nav:
        book.add_item(epub.EpubNav())
    book.spine = (["nav"] if nav else []) + items
    epub.write_epub(str(path), book)
    return path


@pytest.mark.parametrize("toc, nav", [("flat", True), ("nested", True), ("flat", False), ("nested", False)])
def test_an_epub_table_of_contents_that_lists_chapters_decides_them(tmp_path, toc, nav):
    book = load_book(volumes_epub(tmp_path / "volumes.epub", toc, nav))
    assert [chapter.title for chapter in book.chapters] == NOVEL_TITLES
    for number in range(1, 7):  # the heading inside a chapter starts none: its text stays in its chapter
        assert texts(book, number, "paragraph")[-1] == "It fell again by evening."
        assert texts(book, number, "apparatus")[-1] == "[Illustration: A VICARAGE HOUSE.]"
    assert texts(book, 3, "apparatus")[0].startswith("LONDON: PRINTED FOR")  # the volume page opens chapter 3


# --- the parts a listener gets -----------------------------------------------------------------------------------

def test_a_volumes_chapter_is_built_under_its_own_number_and_title(tmp_path, capsys):
    """The real engine and ffmpeg: `--chapters 3` is the second volume's first chapter, its file and its .m4b
    mark say so, and it opens with the volume's page skipped (the announcement names the volume instead)."""
    import json
    import subprocess

    from cli_tools import run

    story = tmp_path / "novel.txt"
    story.write_bytes(NOVEL.read_bytes())
    code, err = run(capsys, "build", story, "-o", tmp_path / "out", "--chapters", "3", "--format", "mp3",
                    "--format", "m4b", "-q")
    assert code == 0, err
    assert sorted(path.name for path in (tmp_path / "out").glob("0[1-9]*.mp3")) == ["03 - Volume 2, Chapter 1.mp3"]
    book = next((tmp_path / "out").glob("*.m4b"))
    marks = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(book)],
                                      capture_output=True, text=True, check=True).stdout)["chapters"]
    assert [mark["tags"]["title"] for mark in marks if "Credits" not in mark["tags"]["title"]] == [
        "Volume 2, Chapter 1"]


def test_overrides_and_the_script_number_chapters_as_the_files_do(tmp_path):
    from narrate import pipeline
    from narrate.annotate.scriptio import render_text

    story = tmp_path / "novel.txt"
    story.write_bytes(NOVEL.read_bytes())
    (tmp_path / "voices.yaml").write_text("overrides:\n  - {chapter: 3, paragraph: 2, speaker: Lydia}\n",
                                          encoding="utf-8")
    _, script = pipeline.load(story)
    busy = next(segment for segment in script.segments if segment.text.startswith("“Busy,”")
                or segment.text.startswith("Busy,"))
    assert (busy.chapter, busy.speaker) == (3, "Lydia")
    assert "== 3. Volume 2, Chapter 1" in render_text(script)
