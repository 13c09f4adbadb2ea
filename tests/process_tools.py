"""Finding a narrate's processes from /proc (Linux), as the signal tests and bench/ scripts check them.

A process is found by a marker in its environment, which every child inherits: a worker or an ffmpeg that
outlived its narrate has another parent by then (init, or a subreaper), so the tree no longer leads to it.
"""
from __future__ import annotations

import os
from pathlib import Path

MARK = "NARRATE_PROCESS_MARK"
HAS_PROC = Path("/proc/self/environ").exists()


def marked_env(mark: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) with the marker that marked() looks for."""
    return {**(os.environ if env is None else env), MARK: mark}


def marked(mark: str) -> dict[int, str]:
    """{pid: command} of every live process carrying `mark` (zombies, already dead, are left out)."""
    wanted = f"{MARK}={mark}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted not in (entry / "environ").read_bytes().split(b"\0") or not alive(int(entry.name)):
                continue
            found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it ended meanwhile, or is not ours to read
            continue
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
