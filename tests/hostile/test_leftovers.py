"""What killed builds and renamed chapters leave (issue 16, items 10 and 12): temporary files of the output folder
live in its `.narrate-tmp/`, which the next build sweeps; the masters' scratch of builds no longer running is swept
by every build and by `cache clear`, never a running build's; a chapter whose heading changed does not leave its
old file beside the new one, and a `--chapters` build removes nothing of the chapters it does not build."""
import os
import subprocess
import sys
import time
from pathlib import Path

from narrate.state import (
    OUTPUT_TEMP,
    clear_cache,
    masters_root,
    scratch_dir,
    sweep_scratch,
)

ROOT = Path(__file__).resolve().parents[2]

STORY = """The Small Harbour

Chapter One

The lamp was lit before dark. "Is the ferry in?" Mara asked.

Chapter Two

The rope creaked by the narrow door. "There she is," Tomas said.
"""



def build(story: Path, out: Path, cache: Path, *options: str):
    env = dict(os.environ)  # the test's own state folder, set by conftest's cache_dir
    assert env["NARRATE_CACHE_DIR"] == str(cache), "use the cache_dir fixture's folder"
    result = subprocess.run([sys.executable, "-m", "narrate", "build", str(story), "-o", str(out), "-j", "2",
                             "--format", "mp3", "--format", "m4b", *options],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def killed_while_writing(out: Path, name: str) -> None:
    """What a build killed (SIGKILL) while writing `name` into `out` leaves: its temporary file."""
    code = ("import os, sys; from pathlib import Path; from narrate.state import OUTPUT_TEMP, atomic_path\n"
            "out = Path(sys.argv[1]); (out / OUTPUT_TEMP).mkdir(exist_ok=True)  # as a build makes it\n"
            "with atomic_path(out / sys.argv[2]) as tmp:\n"
            "    tmp.write_bytes(b'ID3' * 1000)\n"
            "    os.kill(os.getpid(), 9)\n")
    subprocess.run([sys.executable, "-c", code, str(out), name], check=False, timeout=60)


def hidden(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob(".*"))


def test_temporary_files_of_a_killed_build_are_swept_by_the_next(tmp_path):
    story, out, cache = tmp_path / "harbour.txt", tmp_path / "out", tmp_path / "cache"
    story.write_text(STORY, encoding="utf-8")
    out.mkdir()
    killed_while_writing(out, "01 - Chapter One.mp3")
    killed_while_writing(out, "The Small Harbour.m4b")
    (out / OUTPUT_TEMP / ".scratch.k2j4").mkdir()  # a temporary folder of a killed build
    left = hidden(out)
    assert len(left) == 4 and all(name.startswith(OUTPUT_TEMP) for name in left)  # only in its own folder
    assert sorted(p.name for p in out.iterdir()) == [OUTPUT_TEMP]

    build(story, out, cache)
    assert hidden(out) == []  # swept, and the build's own temporary folder is gone too
    assert (out / "01 - Chapter One.mp3").stat().st_size > 3000


def test_scratch_of_killed_builds_is_swept_never_a_running_builds(tmp_path, monkeypatch):
    store = masters_root()
    dead = store / ".run.k2j4x9"
    dead.mkdir(parents=True)
    (dead / "out.mp3").write_bytes(b"s" * 13_000)
    old = time.time() - 3600
    os.utime(dead, (old, old))
    with scratch_dir(store) as running:
        os.utime(running, (old, old))  # as old, but its build is still running (it holds the lock)
        assert sweep_scratch() == 1
        assert not dead.exists() and running.is_dir()
        clear_cache()
        assert running.is_dir()
    assert not running.exists()

    dead.mkdir()
    os.utime(dead, (old, old))
    clear_cache()
    assert not dead.exists()


def test_every_build_sweeps_the_scratch_of_killed_builds(tmp_path):
    story, cache = tmp_path / "harbour.txt", tmp_path / "cache"
    story.write_text(STORY, encoding="utf-8")
    dead = masters_root(cache) / ".run.dead01"
    dead.mkdir(parents=True)
    (dead / "out.aac").write_bytes(b"a" * 13_000)
    old = time.time() - 3600
    os.utime(dead, (old, old))
    build(story, tmp_path / "out", cache)
    assert not dead.exists()
    assert [p.name for p in masters_root(cache).glob(".run.*")] == []


def test_a_renamed_chapter_leaves_no_old_file_but_a_partial_build_removes_nothing_else(tmp_path):
    story, out, cache = tmp_path / "harbour.txt", tmp_path / "out", tmp_path / "cache"
    story.write_text(STORY, encoding="utf-8")
    build(story, out, cache)
    assert (out / "02 - Chapter Two.mp3").is_file() and (out / "02 - Chapter Two.srt").is_file()
    (out / "notes.txt").write_text("mine")

    story.write_text(STORY.replace("Chapter One", "Chapter One: Dusk").replace("Chapter Two", "Chapter Two: Bell"),
                     encoding="utf-8")
    build(story, out, cache, "--chapters", "1")  # chapter two is not built: its files stay as they are
    names = sorted(p.name for p in out.glob("0*"))
    assert "01 - Chapter One.mp3" not in names and "01 - Chapter One- Dusk.mp3" in names
    assert "02 - Chapter Two.mp3" in names and "02 - Chapter Two.srt" in names

    story.write_text(STORY, encoding="utf-8")
    build(story, tmp_path / "whole", cache)  # the whole book, then again with chapter two's heading changed
    story.write_text(STORY.replace("Chapter Two", "Chapter Two: The Bell"), encoding="utf-8")
    build(story, tmp_path / "whole", cache)
    names = sorted(p.name for p in (tmp_path / "whole").iterdir())
    assert "02 - Chapter Two- The Bell.mp3" in names and "02 - Chapter Two- The Bell.srt" in names
    assert not any(name.startswith("02 - Chapter Two.") for name in names)
    assert (out / "notes.txt").read_text() == "mine"


def test_a_build_never_sweeps_the_temporary_files_of_one_running_in_the_same_folder(tmp_path):
    from narrate.state import drop_output_temp, sweep_output_temp

    out = tmp_path / "out"
    running = sweep_output_temp(out)
    writing = out / OUTPUT_TEMP / ".01 - One.k2j4x9.mp3"
    writing.write_bytes(b"ID3")
    second = sweep_output_temp(out)  # the running build holds the folder: nothing of it is a leftover
    assert writing.is_file()
    drop_output_temp(out, second)
    writing.unlink()
    drop_output_temp(out, running)
    assert not (out / OUTPUT_TEMP).exists()
