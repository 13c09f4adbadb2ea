"""The cache kept within its cap (NARRATE_CACHE_MAX): least recently used entries go first, never one a running
build uses; what each book uses (`narrate cache info`), and entries removed by age (`cache clear --older-than`).

An entry's last use is its access time, which a build sets whenever it finds the entry and will use it
(state.mark_used: a clip looked up, a unit found whole, a record read) and which making it sets too. A build
holds a lease while it runs (build_lease: a locked file in `<store>/builds/` stating when it began), and
an entry is only ever removed when it was last used before the oldest running build began: everything such a
build plans around was found, or made, after that. Builds find their entries under the store's shared lock and
removal takes it exclusively (state.cache_lock), so nothing is removed between a build's finding an entry and its
marking it used. The cap is enforced at the end of each build, once that build's own entries are all marked.

Entries are the clips, the encoded units (with their records), the levels and kept annotations, the leftovers of
killed builds, and whatever earlier layouts left (never read again: removed first). Downloaded voices and the
word list live outside the layout and are never removed. Each build records what its book used in `books/`,
so `cache info` can say what each book takes."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from narrate.errors import ConfigError
from narrate.state import (
    _abandoned,
    _older_layouts,
    _run_dirs,
    cache_lock,
    cache_root,
    log,
    read_record,
    store_root,
    write_record,
)

MAX_VAR = "NARRATE_CACHE_MAX"
DEFAULT_MAX = "5G"  # about three novels' clips and units, as FLAC
NO_CAP = ("none", "off", "unlimited")
# Access times are compared with when builds began: a file system that keeps times coarsely (FAT: 2 s) may
# round a use down by this much, so entries used this close before the oldest build began are kept too.
USE_SLACK = 2.0
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?", re.IGNORECASE)
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)


def parse_size(text: str) -> int | None:
    """Bytes in a size such as 4G, 500M, 2.5GB or 1048576 (K, M, G, T are powers of 1024); None for no cap
    ('none', 'off', 'unlimited'). Raises ValueError."""
    if text.strip().lower() in NO_CAP:
        return None
    found = _SIZE.fullmatch(text.strip())
    if found is None:
        raise ValueError(text)
    return int(float(found.group(1)) * _UNITS[found.group(2).lower()])


def cache_max() -> int | None:
    """The cap NARRATE_CACHE_MAX sets, in bytes (DEFAULT_MAX when unset; None when 'none'). ConfigError (exit 2)
    naming the variable and the fix when it is not a size."""
    text = os.environ.get(MAX_VAR, "").strip() or DEFAULT_MAX
    try:
        return parse_size(text)
    except ValueError:
        raise ConfigError(f"{MAX_VAR}={text!r} is not a size. Set it to a size such as 4G, 500M or 2.5G "
                          f"(or 'none' for no cap), or unset it for the default of {DEFAULT_MAX}.") from None


def parse_age(text: str) -> float:
    """Seconds in an age such as 30d, 12h, 2w, 90m or 45s. Raises ValueError."""
    found = _AGE.fullmatch(text.strip())
    if found is None:
        raise ValueError(text)
    return float(found.group(1)) * _AGE_UNITS[found.group(2).lower()]


def human_size(size: float) -> str:
    """Bytes as NARRATE_CACHE_MAX writes them (powers of 1024): 512B, 651.2K, 4.0G."""
    for unit in ("B", "K", "M", "G"):
        if abs(size) < 1024 or unit == "G":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return f"{size:.1f}T"


# ---- what is in the store

_CLIP = re.compile(r"[0-9a-f]{64}\.(flac|wav)")  # a clip: its key (.wav: layouts before 3)
_UNIT = re.compile(r"[0-9a-f]{64}\.(mp3|aac|wav)")  # an encoded unit in masters/; its record adds .json
_RECORD = re.compile(r"[0-9a-f]{64}\.json")  # levels/, scripts/, books/
_SHARD = re.compile(r"[0-9a-f]{2}")  # clips/ holds its clips in folders named by their keys' first two digits
_LEFTOVER = re.compile(r"\.[0-9a-f]{40}\.[.\w]+")  # atomic_path's temporary files, left by killed builds


@dataclass
class Entry:
    """One thing the cache can remove: a clip, a unit with its record, a record, a leftover file."""

    kind: str  # "clip", "unit", "record", "leftover", "older" (an earlier layout's file)
    name: str  # a clip's or a unit's file name (what a book's record lists)
    paths: list[str] = field(default_factory=list)
    bytes: int = 0
    used: float = 0.0  # last use, seconds since the epoch

    def add(self, path: str, status: os.stat_result) -> None:
        self.paths.append(path)
        self.bytes += status.st_size
        self.used = max(self.used, status.st_atime, status.st_mtime)


def _files(folder: Path | str, shards: bool = False) -> Iterator[tuple[str, str, os.stat_result]]:
    """(name, path, status) of each regular file in `folder` (in its shard folders, named by two hex digits, when
    `shards`): os.scandir and plain strings, as a novel's cache holds tens of thousands of them."""
    try:
        listing = list(os.scandir(folder))
    except OSError:
        return
    for item in listing:
        with contextlib.suppress(OSError):  # a running build just renamed its temporary file
            if shards:
                if _SHARD.fullmatch(item.name) and item.is_dir(follow_symlinks=False):
                    yield from _files(item.path)
            elif item.is_file(follow_symlinks=False):
                yield item.name, item.path, item.stat(follow_symlinks=False)


def entries(store: Path, kind: str | None = None) -> list[Entry]:
    """The entries of the store `store`: every file of it that narrate names, nothing else (a cache folder may
    hold a user's files). Each of `kind` when given (an earlier layout's: "older")."""
    found: dict[str, Entry] = {}

    def add(name: str, what: str, path: str, status: os.stat_result) -> None:
        entry = found.get(name)
        if entry is None:
            entry = found[name] = Entry(kind or what, name)
        entry.add(path, status)

    for name, path, status in _files(store / "clips", shards=True):
        if _CLIP.fullmatch(name) or _LEFTOVER.fullmatch(name):
            add(name, "clip" if _CLIP.fullmatch(name) else "leftover", path, status)
    for name, path, status in _files(store / "masters"):
        unit = name.removesuffix(".json")
        if _UNIT.fullmatch(unit):  # a unit and its record go together
            add(unit, "unit", path, status)
        elif _LEFTOVER.fullmatch(name):
            add(name, "leftover", path, status)
    for folder in ("levels", "scripts"):
        for name, path, status in _files(store / folder):
            if _RECORD.fullmatch(name) or _LEFTOVER.fullmatch(name) and name.endswith(".json"):
                add(f"{folder}/{name}", "record" if _RECORD.fullmatch(name) else "leftover", path, status)
    return list(found.values())


def _older_entries(root: Path) -> list[Entry]:
    """Whatever earlier layouts left: never read by this narrate."""
    older = [e for store in _older_layouts(root) for e in entries(store, "older")]
    older += entries(root, "older")  # layout 1 kept its stores at the root
    for store in _older_layouts(root):
        for name, path, status in _files(store / "books"):
            older.append(Entry("older", name))
            older[-1].add(path, status)
    return older


# ---- builds running, and what each book used


@dataclass
class Lease:
    """A running build's hold on the cache (build_lease); what its book used, once it has said (record_book)."""

    store: Path
    began: float
    book: dict | None = None


@contextlib.contextmanager
def build_lease(root: Path | None = None) -> Iterator[Lease]:
    """Held for the whole of a build: nothing the build uses is removed from the cache while it runs (see the
    module's docstring). When the build succeeds, what its book used is recorded and the cache brought under
    NARRATE_CACHE_MAX (a bad value of which is a ConfigError at once, before any work)."""
    cap = cache_max()
    store = store_root(root)
    try:
        with cache_lock(store, shared=True):  # no removal sees the lease half made
            (store / "builds").mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=store / "builds", prefix="lease-")
            began = time.time()
            with contextlib.suppress(OSError):  # no locks here: a lease a day old counts as a dead build's
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, repr(began).encode())
    except OSError:  # a cache that cannot be written: the build says so (state.check_cache_folder)
        yield Lease(store, time.time())
        return
    lease = Lease(store, began)
    try:
        yield lease
        if lease.book is not None:
            _write_book(store, lease.book)
        if cap is not None:
            trim(cap, root)
    finally:
        os.close(fd)
        Path(name).unlink(missing_ok=True)


def record_book(lease: Lease, out: Path, title: str, story: str, clip_keys: Iterable[str],
                unit_paths: Iterable[Path], partial: bool) -> None:
    """What the book built into `out` used: its clips and units (a partial build, `--chapters`, adds to what the
    book's last record says). Written when the build ends (build_lease)."""
    book = {"title": title, "story": str(story), "out": str(out), "built": time.time(),
            "clips": sorted(set(clip_keys)), "units": sorted({path.name for path in unit_paths})}
    if partial:
        before = _read_book(_book_path(lease.store, str(out))) or {}
        for what in ("clips", "units"):
            book[what] = sorted(set(book[what]) | set(before.get(what, [])))
    lease.book = book


def _book_path(store: Path, out: str) -> Path:
    import hashlib

    return store / "books" / f"{hashlib.sha256(out.encode()).hexdigest()}.json"


def _write_book(store: Path, book: dict) -> None:
    write_record(_book_path(store, book["out"]), json.dumps(book).encode())


def _read_book(path: Path) -> dict | None:
    body = read_record(path)
    try:
        book = json.loads(body) if body is not None else None
        if isinstance(book, dict) and all(isinstance(book.get(k), list) for k in ("clips", "units")):
            return book
    except (ValueError, RecursionError):
        pass
    return None


def _books(store: Path) -> list[tuple[Path, dict]]:
    found = []
    for name, path, _stat in _files(store / "books"):
        if _RECORD.fullmatch(name) and (book := _read_book(Path(path))):
            found.append((Path(path), book))
    return found


def _running_since(store: Path) -> float | None:
    """When the oldest running build began (None when none runs); leases of dead builds are removed. Called
    under the store's exclusive lock, so no lease is being made meanwhile."""
    oldest = None
    for name, where, status in _files(store / "builds"):
        path = Path(where)
        if not name.startswith("lease-"):
            continue
        if _abandoned(path, min_age=0.0):
            path.unlink(missing_ok=True)
            continue
        try:
            began = float(path.read_text() or status.st_mtime)
        except (OSError, ValueError):
            began = status.st_mtime
        oldest = began if oldest is None else min(oldest, began)
    return oldest


# ---- removing


@dataclass(frozen=True)
class Removed:
    entries: int
    bytes: int
    left: int  # bytes the cache holds after
    held: bool = False  # over the cap still: the rest is in use by running builds (or used since they began)


def _use_limit(store: Path, before: float) -> float:
    """Entries last used before this may be removed: `before`, or the start of the oldest running build."""
    running = _running_since(store)
    return before if running is None else min(before, running - USE_SLACK)


def _remove(chosen: Iterable[Entry]) -> tuple[int, int]:
    count = size = 0
    for entry in chosen:
        for path in entry.paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        count, size = count + 1, size + entry.bytes
    return count, size


def _book_bytes(store: Path) -> int:
    return sum(status.st_size for name, _path, status in _files(store / "books") if name.endswith(".json"))


def total_bytes(root: Path | None = None) -> int:
    """Every byte the cache's entries take: earlier layouts' and the books' records included."""
    base, store = root or cache_root(), store_root(root)
    return sum(e.bytes for e in entries(store) + _older_entries(base)) + _book_bytes(store)


def trim(cap: int, root: Path | None = None) -> Removed:
    """Brings the cache under `cap` bytes: earlier layouts' files first, then the least recently used entries,
    never one used since the oldest running build began. Says on the narrate.cache logger when the rest is
    in use and the cache stays over the cap."""
    base, store = root or cache_root(), store_root(root)
    with cache_lock(store, shared=False):
        current, older = entries(store), _older_entries(base)
        total = sum(e.bytes for e in current + older) + _book_bytes(store)
        if total <= cap:
            return Removed(0, 0, total)
        limit = _use_limit(store, time.time())
        candidates = sorted(older, key=lambda e: e.used) + sorted((e for e in current if e.used < limit),
                                                                   key=lambda e: e.used)
        chosen, left = [], total
        for entry in candidates:
            if left <= cap:
                break
            chosen.append(entry)
            left -= entry.bytes
        count, size = _remove(chosen)
        if count:
            _forget_empty_books(store)
    if left > cap:
        log.warning("the cache holds %s, over %s=%s: the rest is in use by running builds, or was used since "
                    "they began", human_size(left), MAX_VAR, human_size(cap))
    return Removed(count, size, left, held=left > cap)


def clear_older(age: float, root: Path | None = None) -> Removed:
    """Removes every entry last used more than `age` seconds ago (an earlier layout's too), never one used since
    the oldest running build began; and the records of books built before then."""
    base, store = root or cache_root(), store_root(root)
    before = time.time() - age
    with cache_lock(store, shared=False):
        limit = _use_limit(store, before)
        chosen = [e for e in _older_entries(base) if e.used < before] + [e for e in entries(store) if e.used < limit]
        count, size = _remove(chosen)
        for name, path, status in _files(store / "books"):
            if status.st_mtime < before and _RECORD.fullmatch(name):  # written by every build of its book
                Path(path).unlink(missing_ok=True)
        if count:
            _forget_empty_books(store)
    return Removed(count, size, total_bytes(root))




def sweep_temp_files(lease: Lease) -> int:
    """Removes the temporary files that killed builds left among the entries (a worker killed mid-line leaves
    its half-written clip) and their scratch folders (masters/.run.*: state.sweep_scratch waits a minute for
    those, not knowing the leases); returns how many. Called by a build holding `lease`: a file last written before the
    oldest running build began (this build's own lease included) belongs to no running build, since every
    running build's writes come after its start."""
    removed = 0
    with cache_lock(lease.store, shared=False):  # _running_since wants no lease made meanwhile
        began = _running_since(lease.store) or lease.began
        for folder in _temp_folders(lease.store):
            with contextlib.suppress(OSError), os.scandir(folder) as listing:
                # names first, stat only a temporary file's: a novel's cache holds tens of thousands of files
                for item in (item for item in listing if _LEFTOVER.fullmatch(item.name)):
                    with contextlib.suppress(OSError):  # gone meanwhile: its build published it
                        if _written_before(item.stat(follow_symlinks=False), began):
                            os.unlink(item.path)
                            removed += 1
        for scratch in _run_dirs(lease.store):  # a killed build's scratch: unlocked, and older than any running
            with contextlib.suppress(OSError):
                if _written_before(scratch.stat(), began) and _abandoned(scratch, min_age=0.0):
                    shutil.rmtree(scratch, ignore_errors=True)
                    removed += 1
    return removed


def _written_before(status: os.stat_result, began: float) -> bool:
    """Last written before `began`; a time in whole seconds may be a coarse file system's rounding (FAT: 2 s),
    so such a file must be older by the slack too (one a kill left a moment ago then waits for a later build)."""
    coarse = status.st_mtime_ns % 1_000_000_000 == 0
    return status.st_mtime < began - (USE_SLACK if coarse else 0.0)


def _temp_folders(store: Path) -> list[Path]:
    shards = []
    with contextlib.suppress(OSError), os.scandir(store / "clips") as listing:
        shards = [Path(item.path) for item in listing if _SHARD.fullmatch(item.name)]
    return shards + [store / folder for folder in ("masters", "levels", "scripts")]


def _forget_empty_books(store: Path) -> None:
    """Removes the records of books none of whose entries are left."""
    clips, units = store / "clips", store / "masters"
    for path, book in _books(store):
        if not any((clips / key[:2] / f"{key}.flac").exists() for key in book["clips"]) and \
                not any((units / name).exists() for name in book["units"]):
            path.unlink(missing_ok=True)


# ---- what the cache holds, per book


@dataclass(frozen=True)
class BookUse:
    title: str
    story: str
    out: str
    built: float
    clips: int  # of its clips, those still in the cache
    bytes: int  # its clips' and units' (a clip two books share counts in each)


@dataclass(frozen=True)
class Usage:
    path: Path  # the store
    books: list[BookUse]
    other: int  # bytes of no recorded book: previews, auditions, earlier builds' clips, records, leftovers
    older: int  # bytes earlier layouts left
    total: int
    cap: int | None
    clips: int = 0
    builds_running: int = 0


def usage(root: Path | None = None) -> Usage:
    """What the cache holds, per book recorded, and in all; with the cap (cache_max)."""
    cap = cache_max()
    base, store = root or cache_root(), store_root(root)
    found = entries(store)
    by_name = {e.name: e for e in found if e.kind in ("clip", "unit")}
    books, counted = [], set()
    for _path, book in _books(store):
        mine = [by_name[f"{key}.flac"] for key in book["clips"] if f"{key}.flac" in by_name]
        units = [by_name[name] for name in book["units"] if name in by_name]
        counted.update(id(e) for e in mine + units)
        books.append(BookUse(str(book.get("title", "?")), str(book.get("story", "?")), str(book.get("out", "?")),
                             float(book.get("built", 0)), len(mine), sum(e.bytes for e in mine + units)))
    records = _book_bytes(store)
    older = sum(e.bytes for e in _older_entries(base))
    other = sum(e.bytes for e in found if id(e) not in counted) + records
    running = sum(1 for name, path, _stat in _files(store / "builds")
                  if name.startswith("lease-") and not _abandoned(Path(path), min_age=0.0))
    return Usage(store, sorted(books, key=lambda b: -b.built), other, older,
                 sum(e.bytes for e in found) + records + older, cap, sum(e.kind == "clip" for e in found), running)
