"""Where voice downloads report when their caller gave no reporter: the CLI (or a build) sets one around its
work. Kept apart from narrate.voicelib so the CLI can set it without importing the download machinery (http,
ssl: ~40 ms of every `narrate script`)."""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

OnProgress = Callable[[Any], None]  # called with a narrate.voicelib.download.Progress

_reporter: contextvars.ContextVar[OnProgress | None] = contextvars.ContextVar("narrate_voice_progress", default=None)


@contextlib.contextmanager
def reporting(on_progress: OnProgress | None) -> Iterator[None]:
    """Downloads started inside the block (by a cast, a build, an engine) report to `on_progress`."""
    token = _reporter.set(on_progress)
    try:
        yield
    finally:
        _reporter.reset(token)


def current_reporter() -> OnProgress | None:
    return _reporter.get()
