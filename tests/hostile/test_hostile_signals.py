"""Signals (issue 16, item 11). SIGTERM is met as Ctrl-C is: the build unwinds, its synthesis workers are stopped and
its temporary files removed, and narrate says "terminated" and exits 143. Ctrl-C stops the running ffmpeg
encoders instead of waiting for them. A SIGKILLed narrate, which cleans nothing up, leaves no process behind:
workers and ffmpeg die with it. Every narrate here carries a marker in its environment that its children
inherit (process_tools), so a child that outlived it is found even after it was handed to another parent."""
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from long_story import write_long_story
from process_tools import (
    HAS_PROC,
    ROOT,
    cpu_seconds,
    marked,
    marked_env,
    signalled_in_synthesis,
    start_build,
    stopped,
    wait_for,
)

from narrate.state import read_record, store_root

pytestmark = pytest.mark.skipif(not HAS_PROC, reason="reads the processes from /proc")


def test_sigterm_during_synthesis_stops_the_workers_and_exits_143(tmp_path, cache_dir):
    code, err, mark = signalled_in_synthesis(tmp_path, cache_dir, signal.SIGTERM)
    assert code == 143, err
    assert err.rstrip().endswith("terminated") and "Traceback" not in err
    wait_for(lambda: not marked(mark), "the workers to end")
    out = tmp_path / "out"
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]


def test_a_sigkilled_build_leaves_no_worker_speaking_on(tmp_path):
    """A line that keeps its worker busy for half a minute (one 150,000-letter word: a line that cannot be cut,
    standing for any line an engine is slow on); narrate is killed in the middle of it and cleans nothing up.
    Before children.py the orphaned worker spoke on under PID 1."""
    story = tmp_path / "story.txt"
    story.write_text("The Long Word\n\n" + "keeperwalkedalongtheshore" * 6000 + ".\n", encoding="utf-8")
    mark = uuid.uuid4().hex
    build = start_build(story, tmp_path / "out", mark, "-j", "1")
    try:
        def speaking() -> bool:  # a worker well into the long line (its start-up takes a fraction of this)
            return any(cpu_seconds(pid) > 2 for pid, command in marked(mark).items() if "spawn_main" in command)
        wait_for(lambda: speaking() or build.poll() is not None, "a worker to speak the long line")
        assert build.poll() is None, build.communicate()
        build.kill()
        build.wait()
    finally:
        if build.poll() is None:
            build.kill()
    at_kill = {pid: cpu_seconds(pid) for pid in marked(mark)}

    def worked_on() -> dict[int, str]:  # not a clock: an orphan that did another second of work outlived narrate
        return {pid: command for pid, command in marked(mark).items()
                if cpu_seconds(pid) > at_kill.get(pid, 0.0) + 1.0}
    wait_for(lambda: not marked(mark) or worked_on(), "the workers to end or to work on")
    assert not worked_on() and not marked(mark)


def test_an_ffmpeg_dies_with_the_process_that_started_it(tmp_path):
    """ffmpeg reading a source that lasts ten minutes in real time; the Python process that started it is
    SIGKILLed, and the ffmpeg must not run on."""
    mark = uuid.uuid4().hex
    ten_minutes = ("from narrate import ffmpeg; ffmpeg.run(['-re', '-f', 'lavfi', '-i', 'anullsrc=r=8000', "
                   "'-t', '600', '-f', 'null', '-'], 'ten minutes')")
    starter = subprocess.Popen([sys.executable, "-c", ten_minutes],
                               cwd=ROOT, env=marked_env(mark), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: any(Path(command.split()[0]).name == "ffmpeg" for command in marked(mark).values()),
                 "ffmpeg to start")
        starter.kill()
        starter.wait()
    finally:
        if starter.poll() is None:
            starter.kill()
    wait_for(lambda: not marked(mark), f"the orphaned ffmpeg {marked(mark)} to end", limit=15)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_ctrl_c_while_encoding_stops_the_encoders_and_leaves_nothing(tmp_path, cache_dir):
    """The clips are made first; the second build only encodes: Ctrl-C as its first run of units starts. The
    run is abandoned, not finished (before, the build waited for its ffmpeg and published the run's units), no
    process is left, nothing is half-written and the scratch folder is gone."""
    story = write_long_story(tmp_path / "story.md", words=1500, chapters=2)
    subprocess.run([sys.executable, "-m", "narrate", "build", str(story), "-o", str(tmp_path / "first"), "-q"],
                   cwd=ROOT, check=True, capture_output=True)
    masters = store_root(cache_dir) / "masters"
    shutil.rmtree(masters)  # the units are encoded again; the clips and levels are kept
    out, mark = tmp_path / "out", uuid.uuid4().hex
    build = start_build(story, out, mark, "-j", "1")
    wait_for(lambda: any(masters.glob(".run.*")) or build.poll() is not None, "the first run of units")
    assert build.poll() is None, build.communicate()
    code, err = stopped(build, signal.SIGINT)
    assert code == 130, err
    assert err.rstrip().endswith("interrupted") and "Traceback" not in err
    wait_for(lambda: not marked(mark), "the encoders to end")
    # no scratch left and nothing half-written; a run that finished before the signal arrived (a quick machine)
    # may have published whole units: each with its record
    left = [p.name for p in masters.iterdir()]
    assert not [name for name in left if name.startswith(".")]
    units = {name for name in left if name.endswith(".mp3")}
    assert {name for name in left if not name.endswith(".mp3")} == {f"{unit}.json" for unit in units}
    assert all(read_record(masters / f"{unit}.json") is not None for unit in units)
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
