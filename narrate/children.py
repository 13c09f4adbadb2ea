"""Child processes never outlive narrate: each asks the kernel to kill it when narrate dies.

A SIGKILLed narrate runs no clean-up, so its synthesis workers and ffmpeg processes must end by themselves: on
Linux each sets the parent-death signal (prctl PR_SET_PDEATHSIG, SIGKILL) as it starts. The kernel sends it when
the *thread* that started the child ends, not the whole process, so a child is tied only when it is started by a
thread that outlives it: every ffmpeg is waited for by the thread that started it, and pool workers are tied
only when the main thread starts them. A worker sets it itself as it starts; an ffmpeg is started through
util-linux's `setpriv --pdeathsig KILL`, which sets it and then runs ffmpeg, because setting it in a
subprocess `preexec_fn` makes Python fork() instead of vfork(): a fork while another thread is inside numpy's
OpenBLAS left `narrate check`'s threads spinning for minutes. Elsewhere (no prctl, no setpriv) nothing is set:
workers still end when their pipe to narrate closes, ffmpeg when its input does.
"""
from __future__ import annotations

import ctypes
import functools
import os
import shutil
import signal
import subprocess
import sys
import threading

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


def tied(argv: list[str]) -> list[str]:
    """`argv` run so that the kernel kills it when the thread starting it ends (see above): through setpriv
    where it can set the parent-death signal, else `argv` as it is."""
    setpriv = _setpriv()
    return [setpriv, "--pdeathsig", "KILL", "--", *argv] if setpriv else argv


@functools.cache
def _setpriv() -> str | None:
    """setpriv, if it is there and knows --pdeathsig (util-linux 2.33, 2018, and later)."""
    found = shutil.which("setpriv") if _prctl is not None else None
    if found is None:
        return None
    try:
        usage = subprocess.run([found, "--help"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return found if "--pdeathsig" in usage else None


def tied_from_here() -> bool:
    """Whether a child started from this thread may be tied to it: only the main thread lives as long as the
    process (a pool kept for several books must not lose its workers when the thread that made them ends)."""
    return _prctl is not None and threading.current_thread() is threading.main_thread()
