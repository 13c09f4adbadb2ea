"""Every exit code the README lists is one a test meets through the real command line (issue 16): the table is read
from README.md, so a code added there without a way to trigger it here fails, and so does a trigger for a code the
README does not list. Each trigger is a real situation (a missing story, ffmpeg not installed, Ctrl-C...), except
the internal error, which only a bug causes: one is injected."""
import re
import signal
import subprocess
from pathlib import Path

import pytest
from cli_tools import run
from process_tools import HAS_PROC, signalled_in_synthesis

ROOT = Path(__file__).resolve().parents[2]


def readme_exit_codes() -> dict[int, str]:
    """{code: meaning} from the README's exit-code table (the rows after the line "Exit codes:")."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("Exit codes:", 1)[1].lstrip().split("\n\n", 1)[0]
    rows = re.findall(r"^\|\s*(\d+)\s*\|(.*)\|\s*$", table, re.MULTILINE)
    return {int(code): meaning.strip() for code, meaning in rows}


def done(capsys, story, **_):
    return run(capsys, "script", story)


def check_failed(capsys, tmp_path, **_):
    """`narrate check` on a folder whose one file is far too quiet."""
    folder = tmp_path / "book"
    folder.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-af",
                    "volume=-50dB", "-b:a", "64k", str(folder / "01 - Quiet.mp3")], check=True)
    return run(capsys, "check", folder)


def bad_input(capsys, tmp_path, **_):
    return run(capsys, "build", tmp_path / "no-such-story.txt", "-o", tmp_path / "out")


def engine_missing(capsys, **_):
    return run(capsys, "voices", "--engine", "no-such-engine")


def ffmpeg_missing(capsys, story, tmp_path, monkeypatch, **_):
    """The story is spoken (espeak is a library), then there is no ffmpeg to encode it with."""
    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    return run(capsys, "build", story, "-o", tmp_path / "out", "-j", "1")


def internal_error(capsys, story, monkeypatch, **_):
    from narrate import pipeline

    def bug(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(pipeline, "load", bug)
    return run(capsys, "script", story)


def interrupted(tmp_path, cache_dir, **_):
    code, err, _ = signalled_in_synthesis(tmp_path, cache_dir, signal.SIGINT)
    return code, err


def terminated(tmp_path, cache_dir, **_):
    code, err, _ = signalled_in_synthesis(tmp_path, cache_dir, signal.SIGTERM)
    return code, err


TRIGGERS = {0: done, 1: check_failed, 2: bad_input, 3: engine_missing, 4: ffmpeg_missing, 70: internal_error,
            130: interrupted, 143: terminated}
SAYS = {1: "miss", 2: "no-such-story.txt", 3: "no-such-engine", 4: "ffmpeg is not installed", 70: "internal error",
        130: "interrupted", 143: "terminated"}  # what stderr says, so that the code comes from the right cause


def test_the_readme_lists_exactly_the_codes_tested_here():
    assert sorted(readme_exit_codes()) == sorted(TRIGGERS)


@pytest.mark.parametrize("code", sorted(readme_exit_codes()))
def test_each_exit_code_is_reached(code, capsys, story, tmp_path, monkeypatch, cache_dir):
    if code not in TRIGGERS:
        pytest.fail(f"README.md lists exit code {code}, and no test here triggers it")
    if code in (130, 143) and not HAS_PROC:
        pytest.skip("watches the build's processes in /proc")
    got, err = TRIGGERS[code](capsys=capsys, story=story, tmp_path=tmp_path, monkeypatch=monkeypatch,
                              cache_dir=cache_dir)
    assert got == code, err
    assert SAYS.get(code, "") in err and "Traceback" not in err
