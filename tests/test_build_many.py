"""`narrate build-many`: several books into one output tree on one pool; a failing book stops none of the others.
Real espeak-ng and ffmpeg."""

import pytest
from audio_tools import duration, loud_seconds
from test_cli import run

from narrate.errors import InputError
from narrate.pipeline.many import _unique_folder, find_stories

HARBOUR = ("The Harbour Clock\n\nChapter One\n\nThe clock had stopped at noon. \u201cWho wound it last?\u201d asked "
           "Wren.\n\n\u201cNobody since spring,\u201d said Pell.\n\nChapter Two\n\nThey climbed the tower at dusk.\n")
ORCHARD = ("Windfalls\n\nThe orchard smelled of cider. \u201cPick the low ones,\u201d Ama said.\n\n"
           "\u201cThey are bruised,\u201d Joss answered.\n")


@pytest.fixture()
def shelf(tmp_path):
    books = tmp_path / "shelf"
    books.mkdir()
    (books / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    (books / "orchard.md").write_text(ORCHARD, encoding="utf-8")
    (books / "cover.jpg").write_bytes(b"not a story")  # ignored: not a story file
    return books


def test_every_book_is_built_into_its_own_folder_and_a_bad_one_stops_none(capsys, tmp_path, shelf):
    (shelf / "garbled.txt").write_bytes(b"binary\x00junk")
    code, out, err = run(capsys, "build-many", shelf, "-o", tmp_path / "out", "--format", "mp3", "-j", "2")
    assert code == 1
    assert "garbled.txt" in err and "1 of 3 book(s) failed" in err and "Traceback" not in err
    assert "built" in out and "failed" in out  # the summary table
    for title, chapters in (("The Harbour Clock", 2), ("Windfalls", 1)):
        folder = tmp_path / "out" / title
        mp3s = sorted(folder.glob("*.mp3"))
        assert len(mp3s) == chapters + 2  # with the opening and closing credits
        assert all(duration(f) > 2 and loud_seconds(f) > 1 for f in mp3s)
        assert (folder / "manifest.json").is_file()

    (shelf / "garbled.txt").unlink()
    code, out, _err = run(capsys, "build-many", str(shelf / "*.txt"), str(shelf / "*.md"), "-o", tmp_path / "out",
                          "--format", "mp3")
    assert code == 0
    assert "0/4 encoded" in out and "0/3 encoded" in out  # nothing changed: every part current


def test_stories_are_found_in_directories_globs_and_files(shelf):
    assert [p.name for p in find_stories([str(shelf)])] == ["harbour.txt", "orchard.md"]
    assert [p.name for p in find_stories([str(shelf / "*.md"), str(shelf / "harbour.txt")])] == \
        ["orchard.md", "harbour.txt"]
    assert len(find_stories([str(shelf), str(shelf / "harbour.txt")])) == 2  # no repeats
    with pytest.raises(InputError, match="no story files there"):
        find_stories([str(shelf / "*.epub")])


def test_two_books_of_one_title_get_two_folders():
    taken = set()
    assert [_unique_folder(t, taken) for t in ("Windfalls", "windfalls", "A/B", "")] == \
        ["Windfalls", "windfalls (2)", "A-B", "Untitled"]
