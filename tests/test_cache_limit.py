"""The cache under its cap (issue 17, item 19): NARRATE_CACHE_MAX, least recently used entries removed first (a
unit with its record, earlier layouts before anything), never what a running build uses (its lease, the store's
lock); `narrate cache info` per book and `narrate cache clear --older-than`."""
import hashlib
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from cli_tools import run

from narrate import cache_limit
from narrate.cache_limit import (
    build_lease,
    clear_older,
    parse_age,
    parse_size,
    trim,
    usage,
)
from narrate.errors import ConfigError
from narrate.state import ClipCache, cache_lock, masters_root, store_root

ROOT = Path(__file__).resolve().parents[1]
DAY = 86400.0
STORY = """The Quiet Pier

Chapter One

The boats came in at dusk, one after another, and the harbour filled with their lamps.

"Are they all back?" Wren asked.

"All but one," said Odo.
"""


def key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def used(paths, days_ago: float) -> None:
    """As if the entry at `paths` was last used `days_ago` days ago (made, and read, then)."""
    moment = time.time() - days_ago * DAY
    for path in paths:
        os.utime(path, (moment, moment))


def clip(root: Path, name: str, size: int, days_ago: float) -> Path:
    path = ClipCache(root).path_for(key(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"c" * size)
    used([path], days_ago)
    return path


def unit(root: Path, name: str, size: int, days_ago: float) -> list[Path]:
    """An encoded unit and its record: one entry."""
    store = masters_root(root)
    store.mkdir(parents=True, exist_ok=True)
    paths = [store / f"{key(name)}.mp3", store / f"{key(name)}.mp3.json"]
    paths[0].write_bytes(b"u" * (size - 100))
    paths[1].write_bytes(b"r" * 100)
    used(paths, days_ago)
    return paths


def present(paths) -> list[bool]:
    return [Path(p).exists() for p in paths]


# ---- the cap's value


def test_sizes_and_the_default(monkeypatch):
    assert parse_size("4G") == 4 << 30 and parse_size("500M") == 500 << 20 and parse_size("2.5g") == 5 << 29
    assert parse_size("800KB") == 800 << 10 and parse_size("1GiB") == 1 << 30 and parse_size("123456") == 123456
    assert parse_size("none") is None
    monkeypatch.delenv(cache_limit.MAX_VAR, raising=False)
    assert cache_limit.cache_max() == 5 << 30
    assert parse_age("30d") == 30 * DAY and parse_age("12h") == 43200 and parse_age("2w") == 14 * DAY


@pytest.mark.parametrize("value", ["4X", "-1G", "G", "lots", "4 G B"])
def test_a_bad_cap_names_the_variable_and_the_fix(monkeypatch, value):
    monkeypatch.setenv(cache_limit.MAX_VAR, value)
    with pytest.raises(ConfigError, match=rf"NARRATE_CACHE_MAX='{value}' is not a size\. Set it to a size such as"):
        cache_limit.cache_max()


def test_a_bad_cap_stops_a_build_before_any_synthesis(capsys, tmp_path, cache_dir, monkeypatch):
    story = tmp_path / "pier.txt"
    story.write_text(STORY, encoding="utf-8")
    monkeypatch.setenv(cache_limit.MAX_VAR, "4X")
    code, err = run(capsys, "build", story, "-o", tmp_path / "out")
    assert code == 2 and "NARRATE_CACHE_MAX='4X'" in err and "Traceback" not in err
    assert not list(cache_dir.rglob("*.flac")) and not (tmp_path / "out").exists()


# ---- least recently used first


def test_the_least_recently_used_go_first_until_the_cache_is_under_its_cap(cache_dir):
    oldest = clip(cache_dir, "a", 1000, days_ago=9)
    old_unit = unit(cache_dir, "u", 1000, days_ago=8)  # the unit and its record go together
    middle = clip(cache_dir, "b", 1000, days_ago=5)
    recent = clip(cache_dir, "c", 1000, days_ago=1)
    fresh = unit(cache_dir, "v", 1000, days_ago=0.5)
    record = store_root(cache_dir) / "levels" / f"{key('level')}.json"
    record.parent.mkdir(parents=True)
    record.write_bytes(b"l" * 500)
    used([record], days_ago=3)
    mine = store_root(cache_dir) / "clips" / "ab" / "my-song.flac"  # not narrate's: never counted or removed
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_bytes(b"m" * 5000)
    used([mine], days_ago=30)

    assert cache_limit.total_bytes(cache_dir) == 5500
    gone = trim(2200, cache_dir)
    assert present([oldest, *old_unit, middle, record]) == [False] * 5  # 9, 8, 5 and 3 days: 3500 bytes
    assert present([recent, *fresh, mine]) == [True] * 4
    assert (gone.entries, gone.bytes, gone.left, gone.held) == (4, 3500, 2000, False)
    assert trim(2200, cache_dir).entries == 0  # under the cap: nothing to do


def test_earlier_layouts_go_before_any_entry_of_this_one(cache_dir):
    older = store_root(cache_dir).with_name("v2") / "clips" / "ab" / f"{key('old')}.wav"
    older.parent.mkdir(parents=True)
    older.write_bytes(b"w" * 3000)  # used a moment ago, by an older narrate: this one never reads it
    stale = clip(cache_dir, "a", 1000, days_ago=9)
    trim(1500, cache_dir)
    assert present([older, stale]) == [False, True]
    assert usage(cache_dir).older == 0


def test_a_build_marks_what_it_finds_used_and_keeps_when_it_was_made(cache_dir):
    from narrate.state import sealed_clip

    path = ClipCache(cache_dir).path_for(key("said"))
    path.parent.mkdir(parents=True)
    path.write_bytes(sealed_clip(22050, b"\1\0" * 2000))
    used([path], days_ago=40)
    made = path.stat().st_mtime_ns
    [info] = ClipCache(cache_dir).lookup_all([key("said")])
    assert info.frames == 2000
    assert time.time() - path.stat().st_atime < 60 and path.stat().st_mtime_ns == made
    assert clear_older(30 * DAY, cache_dir).entries == 0  # used just now


# ---- never what a running build uses

RUNNING_BUILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from narrate.cache_limit import build_lease
    from narrate.state import ClipCache, mark_used
    with build_lease(Path(sys.argv[1])):
        for name in sys.argv[2:]:  # found by the build, as its lookups do: after its lease began
            mark_used(Path(name))
        print("running", flush=True)
        sys.stdin.readline()  # until the test lets it finish
""")


def start_build(root: Path, *uses: Path) -> subprocess.Popen:
    build = subprocess.Popen([sys.executable, "-c", RUNNING_BUILD, str(root), *map(str, uses)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, cache_limit.MAX_VAR: "none"})
    assert build.stdout.readline().strip() == "running"
    return build


def test_what_a_running_build_uses_is_never_removed_whatever_the_cap(cache_dir, caplog):
    planned = clip(cache_dir, "planned", 1000, days_ago=20)  # older than anything, but the build found it
    idle = clip(cache_dir, "idle", 1000, days_ago=10)
    build = start_build(cache_dir, planned)
    try:
        made = clip(cache_dir, "made", 1000, days_ago=0)  # during the build, by it or another
        gone = trim(0, cache_dir)
        assert present([planned, idle, made]) == [True, False, True]
        assert gone.held and gone.left == 2000 and "in use by running builds" in caplog.text
    finally:
        build.communicate("\n", timeout=60)
    assert build.returncode == 0
    trim(0, cache_dir)  # that build is over: all of it may go
    assert present([planned, made]) == [False, False]


def test_a_killed_builds_lease_protects_nothing(cache_dir):
    planned = clip(cache_dir, "planned", 1000, days_ago=20)
    build = start_build(cache_dir, planned)
    build.kill()
    build.wait()
    assert list((store_root(cache_dir) / "builds").iterdir())  # its lease is left behind
    trim(0, cache_dir)
    assert not planned.exists() and not list((store_root(cache_dir) / "builds").iterdir())


def test_removal_waits_while_a_build_is_finding_its_entries(cache_dir):
    """A build finds its entries and marks them used under the store's shared lock: removal, which takes it
    exclusively, cannot come in between (it would remove an entry the build has just planned around)."""
    stale = clip(cache_dir, "stale", 1000, days_ago=20)
    trimmed = threading.Event()
    with cache_lock(store_root(cache_dir), shared=True):
        remover = threading.Thread(target=lambda: (trim(0, cache_dir), trimmed.set()))
        remover.start()
        assert not trimmed.wait(1.0) and stale.exists()
    remover.join(timeout=60)
    assert trimmed.is_set() and not stale.exists()


def test_a_real_build_under_a_tiny_cap_keeps_what_another_running_build_uses(tmp_path, cache_dir, narrate_env):
    """Two processes: one holds a lease and has found the clips of its book (as a build that is synthesizing);
    a real `narrate build` of another book ends by trimming the cache to a tiny cap."""
    from narrate.state import sealed_clip

    theirs = []
    for n in range(3):
        path = ClipCache(cache_dir).path_for(key(f"theirs {n}"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(sealed_clip(22050, bytes([n, 1]) * 22050))
        used([path], days_ago=20)
        theirs.append(path)
    forgotten = clip(cache_dir, "forgotten", 1000, days_ago=20)
    other = start_build(cache_dir, *theirs)
    try:
        story = tmp_path / "pier.txt"
        story.write_text(STORY, encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "narrate", "build", story, "-o", tmp_path / "out",
                                 "--format", "mp3"], cwd=ROOT, capture_output=True, text=True,
                                env={**narrate_env(cache_dir), cache_limit.MAX_VAR: "1K"}, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        assert not forgotten.exists()  # unused for 20 days, and the cache is over its cap
        from narrate.state import clip_samples
        assert all(clip_samples(path.read_bytes())[0].frames == 22050 for path in theirs)  # whole, all of them
        assert "over NARRATE_CACHE_MAX" in result.stderr
    finally:
        other.communicate("\n", timeout=60)


# ---- cache info and cache clear --older-than


def test_cache_info_shows_each_book_the_total_and_the_cap(capsys, tmp_path, cache_dir, monkeypatch):
    story = tmp_path / "pier.txt"
    story.write_text(STORY, encoding="utf-8")
    assert run(capsys, "build", story, "-o", tmp_path / "out", "--format", "mp3", "-q")[0] == 0
    clip(cache_dir, "a preview's", 2048, days_ago=1)
    monkeypatch.setenv(cache_limit.MAX_VAR, "2G")
    with pytest.raises(SystemExit) as exited:
        from narrate.cli import main
        main(["cache", "info"])
    out = capsys.readouterr().out
    found = usage(cache_dir)
    [book] = found.books
    assert exited.value.code == 0 and book.title == "The Quiet Pier" and book.clips >= 4
    assert f"{cache_limit.human_size(book.bytes)}  The Quiet Pier ({book.clips} clips; built " in out
    assert f"{story} -> {tmp_path / 'out'}" in out
    assert found.other >= 2048 and f"{cache_limit.human_size(found.other)}  other entries" in out  # and records
    assert f"total {cache_limit.human_size(found.total)}, cap 2.0G (NARRATE_CACHE_MAX=2G)" in out
    on_disk = sum(p.stat().st_size for p in store_root(cache_dir).rglob("*") if p.is_file() and
                  p.parent.name != "builds" and p.name != ".lock"
                  and not p.name.startswith("reading-key."))  # the key that signs kept readings: never evicted
    assert found.total == on_disk


def test_cache_clear_older_than_removes_what_no_build_used_for_that_long(capsys, cache_dir):
    old = clip(cache_dir, "old", 1000, days_ago=40)
    old_unit = unit(cache_dir, "u", 1000, days_ago=31)
    recent = clip(cache_dir, "recent", 1000, days_ago=29)
    with pytest.raises(SystemExit) as exited:
        from narrate.cli import main
        main(["cache", "clear", "--older-than", "30d"])
    out = capsys.readouterr().out
    assert exited.value.code == 0 and present([old, *old_unit, recent]) == [False, False, False, True]
    assert out.strip() == "removed 2 entries (2.0K) unused for 30d; the cache holds 1000B"


@pytest.mark.parametrize("age", ["30", "3x", "d", "-1d", "soon"])
def test_a_bad_age_is_exit_2_naming_the_option(capsys, cache_dir, age):
    kept = clip(cache_dir, "kept", 1000, days_ago=400)
    code, err = run(capsys, "cache", "clear", "--older-than", age)
    assert code == 2 and "--older-than" in err and "such as 12h, 30d or 2w" in err
    assert kept.exists()


def test_build_lease_records_the_book_and_trims_at_its_end(cache_dir, monkeypatch):
    stale = clip(cache_dir, "stale", 4000, days_ago=3)
    monkeypatch.setenv(cache_limit.MAX_VAR, "2K")
    with build_lease(cache_dir) as lease:
        mine = clip(cache_dir, "mine", 1000, days_ago=0)
        cache_limit.record_book(lease, cache_dir / "out", "Mine", "mine.txt", [key("mine")], [], partial=False)
        assert stale.exists()  # nothing is removed while the build runs
    assert present([stale, mine]) == [False, True]
    [book] = usage(cache_dir).books
    assert (book.title, book.clips, book.bytes) == ("Mine", 1, 1000)


def test_a_build_sweeps_the_half_written_files_of_killed_builds_but_not_a_running_builds(cache_dir):
    clips = store_root() / "clips" / "ab"
    clips.mkdir(parents=True)
    key = "ab" + "0" * 38
    killed = clips / f".{key}.k1ll3d.wav"  # what atomic_path leaves when a worker dies mid-line
    writing = clips / f".{key}.wr1t1n.wav"  # another build's, still being written
    for path in (killed, writing):
        path.write_bytes(b"RIFF")
    hour_ago = time.time() - 3600
    os.utime(killed, (hour_ago, hour_ago))
    with cache_limit.build_lease() as running:  # a build that began before `writing` was last written
        os.utime(writing, (running.began + 1, running.began + 1))
        with cache_limit.build_lease() as lease:
            assert cache_limit.sweep_temp_files(lease) == 1
    assert not killed.exists() and writing.exists()


def test_a_build_sweeps_a_killed_builds_scratch_folder_at_once(cache_dir):
    masters = store_root() / "masters"
    masters.mkdir(parents=True)
    killed = masters / ".run.k1ll3d"  # unlocked: its build is gone
    killed.mkdir()
    (killed / "unit.mp3").write_bytes(b"\xff\xfb")
    os.utime(killed, (time.time() - 5, time.time() - 5))
    with cache_limit.build_lease() as lease:
        assert cache_limit.sweep_temp_files(lease) == 1
    assert not killed.exists()
