"""Finding a narrate's processes from /proc (Linux), as the signal tests and bench/ scripts check them.

A process is found by a marker in its environment, which every child inherits: a worker or an ffmpeg that
outlived its narrate has another parent by then (init, or a subreaper), so the tree no longer leads to it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

MARK = "NARRATE_PROCESS_MARK"
HAS_PROC = Path("/proc/self/environ").exists()
ROOT = Path(__file__).resolve().parents[1]


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


def wait_for(condition, what: str, limit: float = 120.0) -> None:
    """Polls `condition` until it holds; a generous limit turns a hang into a failure (not a timing assert)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {limit:.0f} s for {what}")
        time.sleep(0.05)


def start_build(story: Path, out: Path, mark: str, *options: str, env: dict[str, str] | None = None,
                ) -> subprocess.Popen:
    """`narrate build STORY -o OUT OPTIONS` in a process of its own, marked with `mark`; text on stdout/stderr."""
    return subprocess.Popen([sys.executable, "-m", "narrate", "build", str(story), "-o", str(out), *options],
                            cwd=ROOT, env=marked_env(mark, env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def a_clip_in(cache: Path) -> bool:
    """Whether the clip store holds a finished clip (whatever its format: a temporary file starts with a dot)."""
    return any(not path.name.startswith(".") for path in cache.glob("v*/clips/*/*"))


def stopped(build: subprocess.Popen, signum: int) -> tuple[int, str]:
    """Sends `signum` to the build alone (as `kill` does) and returns its exit code and stderr."""
    try:
        build.send_signal(signum)
        _, err = build.communicate(timeout=120)
    finally:
        if build.poll() is None:
            build.kill()
    return build.returncode, err


def signalled_in_synthesis(work: Path, cache: Path, signum: int) -> tuple[int, str, str]:
    """Builds a story of 400 paragraphs in `work` and sends `signum` once its first clip is in `cache`:
    (exit code, stderr, the build's marker)."""
    story = work / "story.txt"
    story.write_text("The Long Night\n\n" + "\n\n".join(
        f"Paragraph {n} says that the night was long and the wind was cold over the water." for n in range(400)),
        encoding="utf-8")
    mark = os.urandom(8).hex()
    build = start_build(story, work / "out", mark, "-j", "2")
    wait_for(lambda: a_clip_in(cache) or build.poll() is not None, "the first clip")
    if build.poll() is not None:
        raise AssertionError(f"the build ended before the signal: {build.communicate()}")
    if len(marked(mark)) < 2:
        raise AssertionError("no synthesis worker was running")
    code, err = stopped(build, signum)
    return code, err, mark
