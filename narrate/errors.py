"""Every error a user can cause, each with a message that names the file, the place and the fix.

The CLI maps NarrateError to an exit code in one place (cli.main); nothing else catches them.
"""
from __future__ import annotations


class NarrateError(Exception):
    """Base class: `str(err)` is a complete, user-ready message."""

    exit_code = 1


class InputError(NarrateError):
    """The story file cannot be read or understood."""

    exit_code = 2


class ConfigError(NarrateError):
    """voices.yaml (or a script file) is invalid."""

    exit_code = 2


class FolderError(NarrateError):
    """The output folder or the cache folder cannot be written to (checked before any synthesis)."""

    exit_code = 2


class EngineError(NarrateError):
    """The speech engine is missing or failed."""

    exit_code = 3


class AudioError(NarrateError):
    """ffmpeg is missing or failed while writing audio."""

    exit_code = 4


def at(path: str, line: int | None = None) -> str:
    """`file:line` for messages."""
    return f"{path}:{line}" if line else str(path)


class CheckFailed(NarrateError):
    """`narrate check` found files that miss their targets (the report says which)."""

    exit_code = 1


class BooksFailed(NarrateError):
    """`narrate build-many` built the other books, but these failed (the summary says why)."""

    exit_code = 1
