"""narrate's command line run in-process, as a test reads it."""
import pytest

from narrate.cli import main


def run(capsys, *args) -> tuple[int, str]:
    """(exit code, stderr) of `narrate ARGS`."""
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    return exited.value.code, capsys.readouterr().err
