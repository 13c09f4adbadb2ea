"""kill -9 at any moment, run the same command again: the same book as an uninterrupted build, and only the
clips that were not finished are synthesized again."""
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from narrate.state import ClipCache

ROOT = Path(__file__).resolve().parents[1]
STORY = ROOT / "tests" / "stories" / "the-ferry-at-dunmore.txt"


def command(out: Path) -> list[str]:
    return [sys.executable, "-m", "narrate", "build", str(STORY), "-o", str(out), "-j", "2", "--format", "mp3",
            "--format", "m4b"]


def clips_in(cache: Path) -> dict[str, int]:
    """Finished clips only (a temporary file a kill left behind is not one), with their modification times."""
    return {path.name: path.stat().st_mtime_ns for path, is_clip in ClipCache(cache).files() if is_clip}


def book_of(out: Path) -> list[tuple]:
    manifest = json.loads((out / "manifest.json").read_text())
    return [(c["number"], c["title"], c["segments"], tuple(c["speakers"]), c["duration"]) for c in manifest["chapters"]]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, narrate_env):
    work = tmp_path_factory.mktemp("whole")
    started = time.monotonic()
    subprocess.run(command(work / "out"), env=narrate_env(work / "cache"), check=True, capture_output=True)
    return book_of(work / "out"), time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("moment", [0.2, 0.5, 0.85])
def test_killed_build_resumes_to_the_same_book(tmp_path, uninterrupted, moment, cache_dir, narrate_env):
    expected, seconds = uninterrupted
    out, cache = tmp_path / "out", cache_dir
    victim = subprocess.Popen(command(out), env=narrate_env(cache), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(seconds * moment * random.uniform(0.8, 1.2))
    os.killpg(victim.pid, signal.SIGKILL)  # the whole tree: workers and ffmpeg too
    victim.wait()
    for path in out.glob("*") if out.is_dir() else []:
        if path.is_file() and not path.name.startswith("."):
            assert path.stat().st_size > 0  # nothing half-written under a final name
    finished_before = clips_in(cache)

    resumed = subprocess.run(command(out), env=narrate_env(cache), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    after = clips_in(cache)
    # every clip finished before the kill was reused as it was, none made twice; only the rest were made
    assert {name: after[name] for name in finished_before} == finished_before
    if "nothing changed since the last build" not in resumed.stdout:  # else the kill came after the end
        cached, total = map(int, re.search(r"\((\d+)/(\d+) clips from cache\)", resumed.stdout).groups())
        assert cached == total or len(after) > len(finished_before)  # what was missing was made
    got = book_of(out)
    assert [row[:4] for row in got] == [row[:4] for row in expected]
    for (*_, duration), (*_, want) in zip(got, expected):
        assert duration == pytest.approx(want, rel=0.005)
