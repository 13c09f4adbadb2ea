"""narrate's command line run in-process, as a test reads it."""
import pytest

from narrate.cli import main


def run(capsys, *args) -> tuple[int, str]:
    """(exit code, stderr) of `narrate ARGS`."""
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    return exited.value.code, capsys.readouterr().err


def run_out(capsys, *args) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `narrate ARGS`."""
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def write_story(tmp_path, text, name="story.txt"):
    """`text` saved as `name` in `tmp_path`; its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
