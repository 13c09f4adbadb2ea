"""Hostile input files (issue 16, item 4): only regular files are read, each kind within a size limit; a FIFO, a
link to a device, a link loop or an oversized file is exit 2 naming the file, never a hang, a memory blow-up or
an internal error. Every command here runs with a timeout, so a regression fails instead of hanging the suite."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_tools import run

ROOT = Path(__file__).resolve().parents[2]  # this narrate, whatever the venv has installed



def narrate(*args, env=None, timeout=60):
    """Runs the CLI in a subprocess: a hang is then a failed test (TimeoutExpired), not a stuck suite."""
    return subprocess.run([sys.executable, "-m", "narrate", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, cwd=ROOT)






@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo.txt"
    os.mkfifo(path)
    return path


@pytest.fixture
def zero(tmp_path):
    path = tmp_path / "zero.txt"
    path.symlink_to("/dev/zero")
    return path


@pytest.fixture
def loop(tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    return tmp_path / "a.txt"


@pytest.mark.parametrize("kind, said", [("fifo", "FIFO"), ("zero", "a device"), ("loop", "loops")])
def test_story_that_is_not_a_regular_file_is_refused(request, tmp_path, kind, said):
    path = request.getfixturevalue(kind)
    for command in (["build", path, "-o", tmp_path / "out"], ["script", path]):
        done = narrate(*command, timeout=30)
        assert done.returncode == 2, done.stderr
        assert f"error: {path}: " in done.stderr and said in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["fifo", "zero", "loop"])
def test_cover_script_and_voices_that_are_not_regular_files_are_refused(request, tmp_path, story, kind):
    path = request.getfixturevalue(kind)
    for option in ("--cover", "--script", "--voices"):
        done = narrate("build", story, "-o", tmp_path / "out", option, path, timeout=60)
        assert done.returncode == 2, done.stderr
        assert str(path) in done.stderr and ("regular file" in done.stderr or "loops" in done.stderr)


def test_a_pin_file_that_is_not_a_regular_file_is_refused(tmp_path, story, fifo):
    done = narrate("script", story, "--pin", fifo, timeout=30)
    assert done.returncode == 2 and f"error: {fifo}: is a FIFO" in done.stderr, done.stderr


def test_a_story_over_the_limit_is_refused_with_the_variable_that_raises_it(capsys, tmp_path, monkeypatch, story):
    path = tmp_path / "big.txt"
    path.write_text(story.read_text(encoding="utf-8") + "Mara waited. " * 100_000, encoding="utf-8")  # 1.3 MB
    monkeypatch.setenv("NARRATE_MAX_STORY_MB", "1")
    code, err = run(capsys, "script", path)
    assert code == 2 and "big.txt" in err and "NARRATE_MAX_STORY_MB" in err
    monkeypatch.setenv("NARRATE_MAX_STORY_MB", "2")
    assert run(capsys, "script", path)[0] == 0


def test_a_cover_over_the_limit_is_refused(capsys, tmp_path, story, monkeypatch):
    cover = tmp_path / "cover.png"
    cover.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024))
    monkeypatch.setenv("NARRATE_MAX_COVER_MB", "1")
    code, err = run(capsys, "build", story, "-o", tmp_path / "out", "--cover", cover)
    assert code == 2 and "cover.png" in err and "NARRATE_MAX_COVER_MB" in err


def test_a_voices_file_over_the_limit_is_refused(capsys, tmp_path, story):
    voices = tmp_path / "voices.yaml"
    voices.write_text("# padding\n" * 200_000 + "language: en\n", encoding="utf-8")  # 2 MB
    code, err = run(capsys, "script", story, "--voices", voices)
    assert code == 2 and "voices.yaml" in err and "NARRATE_MAX_VOICES_MB" in err


def test_read_input_never_reads_past_the_limit_of_a_growing_file(tmp_path, monkeypatch):
    from narrate.errors import InputError
    from narrate.inputs import STORY as KIND
    from narrate.inputs import read_input

    monkeypatch.setenv("NARRATE_MAX_STORY_MB", "0.001")  # 1048 bytes
    path = tmp_path / "s.txt"
    path.write_bytes(b"x" * 1048)
    assert len(read_input(path, KIND)) == 1048
    path.write_bytes(b"x" * 1049)
    with pytest.raises(InputError):
        read_input(path, KIND)


def test_the_up_to_date_check_never_reads_a_fifo(tmp_path, fifo):
    code = ("import sys; from pathlib import Path; from narrate.request import BuildRequest\n"
            "fifo = Path(sys.argv[1])\n"
            "inputs = BuildRequest(fifo, fifo.parent / 'out', cover=fifo, script_file=fifo).inputs\n"
            "print(inputs['story'] == inputs['cover'] == inputs['script'] == f'unreadable {fifo}')\n")
    done = subprocess.run([sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=30,
                          cwd=ROOT)
    assert done.stdout.strip() == "True", done.stderr
