"""ingest: story file → Book (encodings, errors, paragraphs, headings, title/author, notes, Markdown markup)."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from narrate.errors import InputError
from narrate.ingest import load_book, spoken_text
from narrate.model import Block, Book

INPUTS = Path(__file__).parent / "inputs" / "ingest"


def write(tmp_path: Path, text: str, name: str = "story.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def blocks(book: Book) -> list[Block]:
    return [block for chapter in book.chapters for block in chapter.blocks]


def words(book: Book, block: Block) -> str:
    return spoken_text(book.source, block.start, block.end, block.markup)


def kinds_and_words(book: Book) -> list[tuple[str, str]]:
    return [(block.kind, words(book, block)) for block in blocks(book)]


def assert_every_character_in_one_block(book: Book) -> None:
    owners = [0] * len(book.source)
    for chapter in book.chapters:
        assert chapter.start == chapter.blocks[0].start and chapter.end == chapter.blocks[-1].end
        for block in chapter.blocks:
            assert not book.source[block.start].isspace() and not book.source[block.end - 1].isspace()
            for offset in range(block.start, block.end):
                owners[offset] += 1
    lost = [(offset, char) for offset, char in enumerate(book.source) if not char.isspace() and owners[offset] != 1]
    assert not lost


# --- decoding ----------------------------------------------------------------------------------------------------

STORY = "The Quiet Hour\n\n“Café,” she said — and left.\n\nThe door swung shut behind her.\n"


@pytest.mark.parametrize("encode, encoding", [
    (lambda text: text.encode("utf-8"), "utf-8"),
    (lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), "utf-8-sig"),
    (lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "utf-16"),
    (lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), "utf-16"),
    (lambda text: text.encode("cp1252"), "cp1252"),
])
def test_each_encoding_decodes_to_the_same_text_without_bom(tmp_path, encode, encoding):
    path = tmp_path / "story.txt"
    path.write_bytes(encode(STORY))
    book = load_book(path)
    assert book.encoding == encoding
    assert book.source == STORY
    assert book.title == "The Quiet Hour"
    assert [words(book, block) for block in blocks(book) if block.kind == "paragraph"] == [
        "“Café,” she said — and left.", "The door swung shut behind her."]


def test_offsets_count_from_after_the_bom(tmp_path):
    path = tmp_path / "story.txt"
    path.write_bytes(codecs.BOM_UTF8 + "Alone\n\nShe waited.\n".encode("utf-8"))
    book = load_book(path)
    assert [(block.kind, block.start, block.end) for block in blocks(book)] == [("title", 0, 5), ("paragraph", 7, 18)]


def test_crlf_is_kept_and_offsets_point_into_it(tmp_path):
    text = "Chapter 1\r\nThe rain kept on\r\nall night.\r\n  \r\nBy dawn it stopped.\r\n"
    path = tmp_path / "story.txt"
    path.write_bytes(text.encode("utf-8"))
    book = load_book(path)
    assert book.source == text
    found = [(block.kind, book.source[block.start:block.end]) for block in blocks(book)]
    assert found == [("heading", "Chapter 1"), ("paragraph", "The rain kept on\r\nall night."),
                     ("paragraph", "By dawn it stopped.")]
    assert words(book, blocks(book)[1]) == "The rain kept on all night."


# --- errors ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content, fix", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \r\n\n\t \n", "empty"),
    ("bom-only.txt", codecs.BOM_UTF8, "empty"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "plain text"),
    ("noise.txt", bytes(range(1, 32)) * 20, "plain text"),
    ("story.pdf", b"Some words.", ".md"),
    ("story", b"Some words.", ".txt"),
])
def test_unreadable_files_raise_input_error_naming_the_file_and_fix(tmp_path, name, content, fix):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_book(path)
    assert str(path) in str(caught.value)
    assert fix in str(caught.value)


def test_missing_file_and_directory_raise_input_error(tmp_path):
    for path, fix in [(tmp_path / "nowhere.txt", "not found"), (tmp_path, "folder")]:
        with pytest.raises(InputError) as caught:
            load_book(path)
        assert str(path) in str(caught.value) and fix in str(caught.value)


# --- chapter headings --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("heading, title", [
    ("Chapter 12", "Chapter 12"),
    ("CHAPTER TWELVE", "Chapter Twelve"),
    ("Chapter 3: The Fall", "Chapter 3: The Fall"),
    ("Chapter III - The River", "Chapter 3: The River"),
    ("CHAPTER IV. A Door in the Wall", "Chapter 4: A Door in the Wall"),
    ("Chapter Twenty-One — Home", "Chapter Twenty-One: Home"),
    ("Ch. 7", "Chapter 7"),
    ("Chapter 5 The Long Road", "Chapter 5: The Long Road"),
    ("Part II", "Part 2"),
    ("Book One", "Book One"),
    ("Book the Second", "Book the Second"),
    ("Prologue", "Prologue"),
    ("Epilogue: After", "Epilogue: After"),
    ("Interlude", "Interlude"),
    ("XIV", "Chapter 14"),
])
def test_plain_text_heading_forms_start_chapters(tmp_path, heading, title):
    book = load_book(write(tmp_path, f"Before\n\nThe first part.\n\n{heading}\n\nThe second part.\n"))
    assert [chapter.title for chapter in book.chapters] == ["Before", title]
    assert [block.kind for block in book.chapters[1].blocks] == ["heading", "paragraph"]


@pytest.mark.parametrize("line", [
    "Chapter 2 of the manual said otherwise.",
    "Part of the problem was the weather.",
    "Book two was better, he thought.",
    "Introduction over, they sat down.",
])
def test_prose_that_starts_like_a_heading_stays_prose(tmp_path, line):
    book = load_book(write(tmp_path, f"Nothing happened for a while, and then it did.\n\n{line}\n"))
    assert len(book.chapters) == 1
    assert [block.kind for block in blocks(book)] == ["paragraph", "paragraph"]


def test_heading_line_is_cut_from_the_paragraph_under_it_and_a_bare_heading_takes_its_subtitle(tmp_path):
    book = load_book(write(tmp_path, "CHAPTER I\n\nTHE CROSSING\n\nThey left at dusk.\n\nChapter 2\n"
                                     "Winter\n\nSnow fell.\n\nPart Three\nChapter 3\nIt was spring.\n"))
    assert [chapter.title for chapter in book.chapters] == [
        "Chapter 1: THE CROSSING", "Chapter 2: Winter", "Part Three, Chapter 3"]
    assert [block.kind for block in book.chapters[2].blocks] == ["heading", "heading", "paragraph"]


def test_a_section_number_after_a_chapter_heading_does_not_rename_it(tmp_path):
    book = load_book(write(tmp_path, "CHAPTER I\n\nI\n\nThe first section.\n\nII\n\nThe second section.\n"))
    assert [chapter.title for chapter in book.chapters] == ["Chapter 1", "Chapter 2"]


def test_prose_before_the_first_heading_is_a_chapter_named_after_the_book(tmp_path):
    book = load_book(write(tmp_path, "Salt\n\nA short opening, before any chapter.\n\nChapter 1\n\nThe story.\n"))
    assert [chapter.title for chapter in book.chapters] == ["Salt", "Chapter 1"]
    assert [block.kind for block in book.chapters[0].blocks] == ["title", "paragraph"]


def test_front_matter_without_prose_joins_the_first_chapter(tmp_path):
    book = load_book(write(tmp_path, "A/N: hello!\n\nSalt\n\nChapter 1\n\nThe story.\n"))
    assert [chapter.title for chapter in book.chapters] == ["Chapter 1"]
    assert [block.kind for block in book.chapters[0].blocks] == ["author_note", "title", "heading", "paragraph"]


def test_a_story_without_headings_is_one_chapter_named_after_the_book(tmp_path):
    book = load_book(write(tmp_path, "It rained. Then it stopped.\n\nThen it rained again.\n", "the_wet-week.txt"))
    assert book.title == "The Wet Week"
    assert [(chapter.index, chapter.title) for chapter in book.chapters] == [(1, "The Wet Week")]


# --- Markdown ----------------------------------------------------------------------------------------------------

def test_markdown_title_author_chapters_and_subheadings():
    book = load_book(INPUTS / "orchard.md")
    assert (book.title, book.author) == ("The Glass Orchard", "Tamsin Vale")
    assert [chapter.title for chapter in book.chapters] == ["Chapter 1: Frost", "Chapter 2: The Thaw"]
    assert kinds_and_words(book)[:4] == [
        ("title", "The Glass Orchard"), ("author", "by Tamsin Vale"),
        ("author_note", "A/N: Written for a prompt exchange — enjoy!"), ("heading", "Chapter 1: Frost")]
    assert ("paragraph", "Later") in kinds_and_words(book)  # a ### below the chapter level is read aloud


def test_markdown_markup_is_recorded_and_never_spoken():
    book = load_book(INPUTS / "orchard.md")
    spoken = [text for kind, text in kinds_and_words(book) if kind == "paragraph"]
    assert spoken[0] == ("The orchard grew glass apples, and each one rang like a bell when the wind_touched it. "
                         "Old Ida called them her bells; the children called them trouble.")
    assert spoken[1] == "Ida said, \"Don’t pick them before the frost. They crack.\""
    assert spoken[3] == "The frost came early that year. Nobody was ready."
    first = next(block for block in blocks(book) if block.kind == "paragraph")
    marked = [book.source[start:end] for start, end in first.markup]
    assert marked == ["**", "**", "*", "*", "[", "](https://example.com/trouble_apples)"]


def test_several_top_level_markdown_headings_are_chapters(tmp_path):
    book = load_book(write(tmp_path, "# One\n\nFirst.\n\n# Two\n\nSecond.\n\nThird\n=====\n\nThird text.\n", "s.md"))
    assert book.title == "S"
    assert [chapter.title for chapter in book.chapters] == ["One", "Two", "Third"]
    third = book.chapters[2].blocks[0]
    assert third.kind == "heading" and book.source[third.start:third.end] == "Third\n====="


@pytest.mark.parametrize("text, spoken", [
    ("snake_case and file_name stay", "snake_case and file_name stay"),
    ("it's *her* dog's bone", "it's her dog's bone"),
    ("***loud*** and __strong__ and _soft_.", "loud and strong and soft."),
    ("5 * 3 * 2", "5 * 3 * 2"),
    ("\\*not emphasis\\*", "*not emphasis*"),
    ("see ![a map](map.png) and [this][ref]", "see a map and this"),
    ("<i>ital</i>ic<br/>next <!-- note --> &amp; more", "italic next & more"),
    ("`code_name` ~~struck~~ <https://example.com>", "code_name struck"),
])
def test_markdown_inline_markup(tmp_path, text, spoken):
    book = load_book(write(tmp_path, f"Opening paragraph.\n\n{text}\n", "story.md"))
    assert words(book, blocks(book)[-1]) == spoken


def test_spoken_text_collapses_whitespace_and_unescapes_entities():
    source = "  Tom &amp; Jerry\r\n   ran&nbsp;off &mdash; fast. "
    assert spoken_text(source, 0, len(source), ()) == "Tom & Jerry ran off — fast."
    assert spoken_text("a **b** c", 0, 9, ((2, 4), (5, 7))) == "a b c"


# --- scene breaks, author's notes, title and author --------------------------------------------------------------

@pytest.mark.parametrize("mark", ["***", "* * *", "---", "~~~", "#", "###", "o0o", "-oOo-", "xXx", "~*~*~", "§"])
def test_scene_break_marks(tmp_path, mark):
    book = load_book(write(tmp_path, f"She slept.\n\n{mark}\n\nShe woke.\n"))
    assert [block.kind for block in blocks(book)] == ["paragraph", "scene_break", "paragraph"]


@pytest.mark.parametrize("line", ['"..."', "Ooh.", "No"])
def test_short_lines_with_words_or_quotes_are_not_scene_breaks(tmp_path, line):
    book = load_book(write(tmp_path, f"She slept.\n\n{line}\n\nShe woke.\n"))
    assert [block.kind for block in blocks(book)] == ["paragraph", "paragraph", "paragraph"]


@pytest.mark.parametrize("note", [
    "A/N: thanks!", "a/n - thanks!", "A.N: thanks!", "A.N. thanks!", "AN: thanks!", "Author's Note: thanks!",
    "Author’s Notes - thanks!", "Disclaimer: I own nothing.", "(A/N: thanks!)", "[AN: thanks!]",
])
def test_author_note_markers(tmp_path, note):
    book = load_book(write(tmp_path, f"He ran.\n\n{note}\n"))
    assert [block.kind for block in blocks(book)] == ["paragraph", "author_note"]


@pytest.mark.parametrize("line", ["And then he ran.", "Annie's notes lay on the desk.", "Anything: he would do it."])
def test_prose_is_not_an_author_note(tmp_path, line):
    book = load_book(write(tmp_path, f"He ran.\n\n{line}\n"))
    assert [block.kind for block in blocks(book)] == ["paragraph", "paragraph"]


def test_fan_fiction_header_notes_and_chapters():
    book = load_book(INPUTS / "lantern.txt")
    assert (book.title, book.author) == ("The Lantern Keeper's Daughter", "quillfeather")
    assert [chapter.title for chapter in book.chapters] == ["Chapter 1: The Storm", "Chapter Two"]
    assert [block.kind for block in book.chapters[0].blocks] == [
        "title", "author", "author_note", "author_note", "heading", "paragraph", "paragraph", "scene_break",
        "paragraph", "scene_break", "paragraph"]
    assert [block.kind for block in book.chapters[1].blocks] == ["heading", "paragraph", "scene_break", "author_note"]


@pytest.mark.parametrize("front, title, author", [
    ("The Long Night\nby Jane Doe", "The Long Night", "Jane Doe"),
    ("The Long Night\n\nWritten by J. R. Doe Jr.", "The Long Night", "J. R. Doe Jr."),
    ("Title: The Long Night\nAuthor: Jane Doe", "The Long Night", "Jane Doe"),
    ("By Jane Doe", "Story", "Jane Doe"),
    ("---\ntitle: \"The Long Night: A Tale\"\nauthor: Jane Doe\n---", "The Long Night: A Tale", "Jane Doe"),
    ("It was the longest night of the whole long cold year", "Story", None),  # too long for a title
    ("Nobody slept.", "Story", None),  # a sentence, not a title
])
def test_title_and_author_detection(tmp_path, front, title, author):
    book = load_book(write(tmp_path, f"{front}\n\nThe candles burned down one by one.\n"))
    assert (book.title, book.author) == (title, author)
    assert blocks(book)[-1].kind == "paragraph"


def test_a_lone_short_line_is_prose_when_nothing_follows(tmp_path):
    book = load_book(write(tmp_path, "Goodbye\n", "farewell.txt"))
    assert book.title == "Farewell"
    assert [block.kind for block in blocks(book)] == ["paragraph"]


def test_gone_reference_story(gone_story):
    book = load_book(gone_story)
    assert book.title == "Gone" and book.encoding == "utf-8"
    assert len(book.chapters) == 1 and book.chapters[0].title == "Gone"
    assert [block.kind for block in blocks(book)[:3]] == ["author_note", "title", "paragraph"]
    assert_every_character_in_one_block(book)


# --- nothing lost ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(INPUTS.iterdir()), ids=lambda path: path.name)
def test_every_character_of_each_input_is_in_exactly_one_block(path):
    assert_every_character_in_one_block(load_book(path))


def test_every_character_is_kept_in_a_mixed_markdown_file(tmp_path):
    text = ("Intro\n===\n\n> quoted *line*\n> more\n\n#\n\n## Part II ##\n### 3\nText right under.\n  \n"
            "A/N: end\n\n* * *\n\n[dangling](\n")
    assert_every_character_in_one_block(load_book(write(tmp_path, text, "mixed.md")))


def test_spoken_text_ignores_markup_outside_the_span():
    from narrate.ingest.text import spoken_text

    source = "*“Hello,”* she said"
    assert spoken_text(source, 2, 8, ((0, 1), (9, 10))) == "Hello,"
    assert spoken_text(source, 0, len(source), ((0, 1), (9, 10))) == "“Hello,” she said"
