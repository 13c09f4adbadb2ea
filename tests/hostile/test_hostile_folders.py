"""Output and cache folders narrate cannot write to (issue 16, item 8): found before any synthesis, exit 2 with the
folder and the fix; never an internal error after the whole book was synthesized."""
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cli_tools import run

from narrate.errors import NarrateError
from narrate.state import store_root

ROOT = Path(__file__).resolve().parents[2]






@pytest.fixture
def afile(tmp_path):
    path = tmp_path / "afile"
    path.write_text("not a folder", encoding="utf-8")
    return path


def nothing_synthesized(cache: Path) -> bool:
    clips = store_root(cache) / "clips"  # the current layout's clips (a layout bump must not make this vacuous)
    return not any(clips.rglob("*.flac"))


def test_the_check_for_synthesis_sees_a_build_that_synthesized(capsys, tmp_path, story, cache_dir):
    assert nothing_synthesized(cache_dir)
    code, err = run(capsys, "build", story, "-o", tmp_path / "out")
    assert code == 0, err
    assert not nothing_synthesized(cache_dir)


@pytest.mark.parametrize("target", ["afile", "afile/sub", "/dev/null", "afile/sub/deeper"])
def test_an_output_folder_that_cannot_be_one(capsys, tmp_path, story, afile, cache_dir, target):
    out = Path(target) if target.startswith("/") else tmp_path / target
    code, err = run(capsys, "build", story, "-o", out)
    assert code == 2, err
    assert f"error: {out}: the output folder" in err and "-o" in err and "Traceback" not in err
    assert nothing_synthesized(cache_dir)
    assert afile.read_text(encoding="utf-8") == "not a folder"


def test_a_cache_folder_that_is_a_file(capsys, tmp_path, story, afile, monkeypatch):
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(afile))
    code, err = run(capsys, "build", story, "-o", tmp_path / "out")
    assert code == 2 and f"{afile}: the cache folder" in err and "NARRATE_CACHE_DIR" in err
    code, err = run(capsys, "build", story, "-o", tmp_path / "out", "--cache-dir", afile / "sub")
    assert code == 2 and f"{afile / 'sub'}: the cache folder" in err
    assert not (tmp_path / "out").exists()


@contextlib.contextmanager
def as_another_user():
    """Permissions bind root only through another user: the block runs as `nobody` when the tests run as root."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def read_only():
    """A read-only folder (in a folder anyone may enter, so that `nobody` meets only the permission asked)."""
    base = Path(tempfile.mkdtemp(prefix="narrate-ro-"))
    base.chmod(0o755)
    folder = base / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)
    for path in sorted(base.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    base.rmdir()


def test_a_read_only_output_folder(read_only):
    from narrate.state import check_output_folder

    for out in (read_only, read_only / "sub", read_only / "sub" / "deeper"):
        with as_another_user(), pytest.raises(NarrateError) as err:
            check_output_folder(out)
        assert str(err.value).startswith(f"{out}: ") and "-o" in str(err.value) and err.value.exit_code == 2
    check_output_folder(read_only.parent / "writable")  # the same check passes where it may write
    assert not (read_only.parent / "writable").exists()  # and makes nothing


def test_a_read_only_cache_folder(read_only, monkeypatch):
    from narrate.state import check_cache_folder

    for cache in (read_only, read_only / "sub"):
        monkeypatch.setenv("NARRATE_CACHE_DIR", str(cache))
        with as_another_user(), pytest.raises(NarrateError) as err:
            check_cache_folder()
        assert str(err.value).startswith(f"{cache}: ") and "NARRATE_CACHE_DIR" in str(err.value)
        assert err.value.exit_code == 2


def test_the_build_checks_both_before_reading_the_story(monkeypatch, tmp_path, afile):
    """No synthesis (not even annotation) happens first: the story is never read."""
    from narrate import pipeline
    from narrate.request import BuildRequest

    read = []
    monkeypatch.setattr(pipeline.book, "load", lambda *args, **kwargs: read.append(args))
    with pytest.raises(NarrateError):
        pipeline.build(BuildRequest(tmp_path / "story.txt", afile))
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(afile))
    with pytest.raises(NarrateError):
        pipeline.build(BuildRequest(tmp_path / "story.txt", tmp_path / "out"))
    assert read == []


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="mounts a 2 MB file system in a mount namespace of its own: needs root")
@pytest.mark.parametrize("full_at_start", [False, True])
def test_a_full_cache_disk_names_the_cache_folder_not_the_engine(tmp_path, full_at_start):
    """The disk fills during synthesis (2 MB hold some of the clips), or is full before the build starts."""
    story = tmp_path / "story.txt"
    story.write_text("The Storm\n\n" + " ".join(f"Sentence {n} tells of the storm that came over the hills."
                                                  for n in range(120)) + "\n", encoding="utf-8")
    cache = tmp_path / "tiny"
    cache.mkdir()
    fill = 'head -c 3M /dev/zero > "$1/filler" 2>/dev/null;' if full_at_start else ""
    mounted_build = (f'mount -t tmpfs -o size=2m tmpfs "$1" || exit 99; {fill} '
                     f'exec "$2" -m narrate build "$3" -o "$4" -j 1')
    done = subprocess.run(["unshare", "-m", "sh", "-c", mounted_build, "sh", str(cache), sys.executable, str(story),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={**os.environ, "NARRATE_CACHE_DIR": str(cache)})
    if done.returncode == 99:
        pytest.skip(f"no tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 2, done.stderr
    assert f"error: {cache}: the cache folder's disk is full" in done.stderr
    assert "speech engine" not in done.stderr and "NARRATE_CACHE_DIR" in done.stderr
