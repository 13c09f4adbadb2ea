"""Child processes never outlive narrate: each asks the kernel to kill it when narrate dies.

A SIGKILLed narrate runs no clean-up, so its synthesis workers and ffmpeg processes must end by themselves: on
Linux each sets the parent-death signal (prctl PR_SET_PDEATHSIG, SIGKILL) as it starts. The kernel sends it when
the *thread* that started the child ends, not the whole process, so a child is tied only when it is started by a
thread that outlives it: every ffmpeg is waited for by the thread that started it, and pool workers are tied
only when the main thread starts them. Elsewhere (no prctl) nothing is set: workers still end when their pipe to
narrate closes, ffmpeg when its input does.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _find_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _find_prctl()  # resolved here: a child between fork and exec must not import or look anything up


def die_with_parent(parent_pid: int) -> None:
    """In a child: be killed when the parent dies; exit at once if it already has (between the fork and now,
    the child was handed to another parent)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def tie_to_this_process() -> Callable[[], None] | None:
    """A subprocess `preexec_fn` that ties the child to this process, or None where there is nothing to set."""
    if _prctl is None:
        return None
    parent = os.getpid()
    return lambda: die_with_parent(parent)


def tied_from_here() -> bool:
    """Whether a child started from this thread may be tied to it: only the main thread lives as long as the
    process (a pool kept for several books must not lose its workers when the thread that made them ends)."""
    return _prctl is not None and threading.current_thread() is threading.main_thread()
