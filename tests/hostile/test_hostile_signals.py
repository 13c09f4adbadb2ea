"""SIGTERM (issue 16, item 11, the command line's half): met as Ctrl-C is. The build unwinds, its synthesis workers
are stopped and its temporary files removed, and narrate says "terminated" and exits 143."""
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def descendants(pid: int) -> set[int]:
    """Every process below `pid` now (children, theirs, ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, what: str, limit: float = 120.0) -> None:
    """Polls `condition` until it holds; a generous limit turns a hang into a failure (not a timing assert)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {limit:.0f} s for {what}")
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
def test_sigterm_during_synthesis_stops_the_workers_and_exits_143(tmp_path, cache_dir):
    story = tmp_path / "story.txt"
    story.write_text("The Long Night\n\n" + "\n\n".join(
        f"Paragraph {n} says that the night was long and the wind was cold over the water." for n in range(400)),
        encoding="utf-8")
    out = tmp_path / "out"
    build = subprocess.Popen([sys.executable, "-m", "narrate", "build", str(story), "-o", str(out), "-j", "2"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: any(cache_dir.rglob("*.wav")) or build.poll() is not None, "the first clip")
        assert build.poll() is None, build.communicate()
        children = descendants(build.pid)
        assert children  # the synthesis workers
        build.send_signal(signal.SIGTERM)
        _, err = build.communicate(timeout=120)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 143, err
    assert err.rstrip().endswith("terminated") and "Traceback" not in err
    wait_for(lambda: not any(alive(pid) for pid in children), "the workers to end")
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
