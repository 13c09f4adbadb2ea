"""File names from titles (issue 16, items 9 and 17): a title of any length fits a file name (255 bytes) and the
names stay unique; bidi controls and zero-width characters never reach a name (they can disguise "x.mp3.jpg" as
"x.jpg.mp3"), while the title itself is kept as written."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from narrate.audio.layout import chapter_file_name, file_safe

ROOT = Path(__file__).resolve().parents[2]
NAME_MAX = 255
LONG_TITLES = ["The " + "very " * 100 + "long night", "\u591c" * 90, "\u591c" * 86 + "end",
               "\U0001f319" * 80, "e\u0301" * 200]


@pytest.mark.parametrize("title", LONG_TITLES)
@pytest.mark.parametrize("extension", ["mp3", "opus", "srt", "m4b"])
def test_a_long_title_makes_a_file_name_the_file_system_takes(tmp_path, title, extension):
    name = chapter_file_name(7, 120, title, extension)
    assert len(name.encode("utf-8")) <= NAME_MAX - 40  # room for atomic_path's temporary name around it
    assert name.startswith("007 - ") and name.endswith("\u2026." + extension)
    (tmp_path / name).write_bytes(b"")  # "File name too long" before
    book = f"{file_safe(title)}.m4b"
    (tmp_path / book).write_bytes(b"")


def test_names_cut_from_titles_that_start_alike_stay_unique():
    titles = ["A " * 150 + "first", "A " * 150 + "second", "A " * 150 + "third"]
    names = {chapter_file_name(n, len(titles), title, "mp3") for n, title in enumerate(titles, 1)}
    assert len(names) == 3
    from narrate.pipeline.many import _unique_folder

    taken: set[str] = set()
    folders = [_unique_folder(title, taken) for title in titles]
    assert len(set(folders)) == 3 and all(len(f.encode("utf-8")) <= NAME_MAX for f in folders)


def test_a_cut_never_splits_a_character():
    for title in LONG_TITLES:
        name = file_safe(title)
        name.encode("utf-8").decode("utf-8")  # valid UTF-8
        assert "\ufffd" not in name


def test_short_titles_keep_their_names():
    assert chapter_file_name(1, 3, "Chapter One: The Fog Bell", "mp3") == "01 - Chapter One- The Fog Bell.mp3"
    assert file_safe("  ...  ") == "Untitled"
    assert file_safe("\u591c\u306e\u7d42\u308f\u308a") == "\u591c\u306e\u7d42\u308f\u308a"


@pytest.mark.parametrize("title, name", [
    ("Harmless \u202egpj.3pm", "Harmless gpj.3pm"),  # RIGHT-TO-LEFT OVERRIDE: would show as "Harmless mp3.jpg"
    ("Left\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u200e\u200f\u061c Right", "Left Right"),
    ("Zero\u200bwidth\u200c\u200d\u2060\ufeff space", "Zerowidth space"),
    ("soft\u00adhyphen", "softhyphen"),
    ("line\u2028break\x85and\x9bcontrol", "line break and-control"),
])
def test_invisible_and_control_characters_never_reach_a_name(title, name):
    assert file_safe(title) == name
    assert chapter_file_name(2, 2, title, "mp3") == f"02 - {name}.mp3"


def test_a_build_with_such_titles_writes_its_files(tmp_path):
    """The whole way, with the real engine: a chapter of 300 bytes of title and one with a bidi override."""
    story = tmp_path / "story.md"
    long_title = "\u591c" * 100
    story.write_text(f"# The Book\n\n## {long_title}\n\nIt was night.\n\n## Harmless \u202egpj.3pm\n\nIt was day.\n",
                     encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "narrate", "build", str(story), "-o", str(out), "-j", "1",
                           "--format", "mp3"], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ})
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.glob("*.mp3"))
    assert any(name.startswith("01 - \u591c") and name.endswith("\u2026.mp3") for name in names), names
    assert "02 - Harmless gpj.3pm.mp3" in names, names
    assert all("\u202e" not in p.name and len(p.name.encode()) <= NAME_MAX for p in out.iterdir())
