"""What the command line tells a user while and after it works (issue 17, items 11, 12, 13, 16)."""
from cli_tools import run


def story(tmp_path, text, name="story.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ONE_CHAPTER = "The Visit\n\nMara opened the door. \u201cYou came,\u201d she said.\n\n\u201cOf course,\u201d said Tomas.\n"


def test_preview_chapter_names_the_option_typed_and_one_chapter(capsys, tmp_path):
    code, err = run(capsys, "preview", story(tmp_path, ONE_CHAPTER), "--chapter", "3", "--out", tmp_path / "p.wav")
    assert code == 2
    assert "--chapter '3': the story has one chapter." in err and "--chapters" not in err


def test_build_chapters_names_its_range(capsys, tmp_path):
    two = "Chapter 1\n\nIt rained.\n\nChapter 2\n\nIt stopped.\n"
    code, err = run(capsys, "build", story(tmp_path, two), "--chapters", "3", "-o", tmp_path / "out")
    assert code == 2 and "--chapters '3': the story has chapters 1-2." in err
