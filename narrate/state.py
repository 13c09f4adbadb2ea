"""narrate's state on disk: where it lives (cache_root, and under it one versioned layout: store_root), files
written whole or not at all (atomic_path), the content-addressed clip store (a clip's file name is its Line.key,
so a rebuild reuses every unchanged clip), the store of encoded units (masters_root), records kept as JSON
(write_record / read_record), and the stamp of narrate's own code that kept results are named by.

Every entry of the cache carries a digest of its content and the layout version it was written in: a clip its
`nrtd` chunk (read_clip), a record its header line, a unit its sidecar record. An entry that does not match (a
truncated file, flipped bits, an older layout) is a cache miss: logged on the `narrate.cache` logger, removed
and made again, never used and never an error. A published entry is never replaced by another writer (publish
"first": the first writer wins, later ones discard theirs), so two builds sharing a cache read the same bytes;
only an entry found corrupt is removed, so that it can be made again."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import platformdirs

from narrate import __version__
from narrate.errors import FolderError

ENV_VAR = "NARRATE_CACHE_DIR"
# The layout of everything under the cache root: entries of another version are never read (a new layout lives
# in a folder of its own; `cache clear` removes the older ones). Bump it when an entry's format changes.
LAYOUT_VERSION = 4  # 4: a clip's record holds its inner pauses; 3: clips are FLAC; 2: WAV
OUTPUT_TEMP = ".narrate-tmp"  # an output folder's temporary files, swept by the next build (sweep_output_temp)
log = logging.getLogger("narrate.cache")
_PACKAGE = Path(__file__).resolve().parent
_CLIP_NAME = re.compile(r"[0-9a-f]{64}\.(flac|wav)")  # the Line.key (.wav: clips of layouts before 3)
# atomic_path's (and the worker's resampled take), left behind by a killed build
_TEMP_NAME = re.compile(r"\.[0-9a-f]{40}\.[a-z0-9_]+(\.shaped)?\.(wav|flac)")


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes 0600 files; finished files get the permissions an ordinary open() would give them
_FILE_MODE = 0o666 & ~_current_umask()


def cache_root() -> Path:
    """NARRATE_CACHE_DIR relocates all state; else the platform's user cache directory."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else Path(platformdirs.user_cache_dir("narrate"))


def store_root(root: Path | None = None) -> Path:
    """The folder of this layout version under the cache root: clips/, scripts/, levels/, masters/."""
    return (root or cache_root()) / f"v{LAYOUT_VERSION}"


def _older_layouts(root: Path | None) -> list[Path]:
    """What earlier layouts left under the cache root (v1 had its stores at the root itself)."""
    base = root or cache_root()
    return [p for p in base.glob("v[0-9]*")
            if p.is_dir() and re.fullmatch(r"v\d+", p.name) and p.name != f"v{LAYOUT_VERSION}"]


def cache_miss(path: Path, why: str) -> None:
    """A cache entry that cannot be trusted: said on the narrate.cache logger, removed, and made again."""
    log.warning("cache entry %s is not usable (%s); it is made again", path, why)
    with contextlib.suppress(OSError):
        path.unlink()


class CorruptEntry(Exception):
    """A cache entry whose content does not match its digest, or that is not of this layout."""


@dataclass(frozen=True)
class ClipInfo:
    frames: int
    sample_rate: int
    digest: str  # SHA-256 of the clip's samples, as its record states and its samples confirm
    pauses: tuple[float, ...] | None = None  # its inner pauses (audio.pauses), when its record holds them
    pause_params: tuple[int, int] = (0, 0)  # what they were found with (audio.pauses.PARAMS)


# A clip is a FLAC stream (lossless: the samples read back are the very samples written, at about half the bytes
# of a WAV of espeak's speech; bench/cache_size.py) with narrate's record in an APPLICATION metadata block right
# after STREAMINFO, which every FLAC reader skips: the layout version, the number of samples, the samples' SHA-256,
# the SHA-256 of the file itself (all of it but that field), then the clip's inner pauses (audio.pauses: where
# subtitles cut its cues) with what they were found with. The file's digest proves a clip whole without decoding
# it (a rebuild looks up every clip of the book, and times its cues from the pauses); the samples' digest names
# the clip in the units built from it, and is checked whenever its samples are decoded (clip_samples).
_CLIP_APP = b"nrtd"
_RECORD = struct.Struct(">4sIQ32s32s")  # application id, layout, samples, samples' SHA-256, file's SHA-256
_STREAMINFO_END = 4 + 4 + 34  # "fLaC", the block's header, STREAMINFO
_FILE_DIGEST_AT = _STREAMINFO_END + 4 + _RECORD.size - 32
_PAUSES = struct.Struct(">HHI")  # quiet threshold, shortest pause (ms), how many (NO_PAUSES: none found), then each
_NO_PAUSES = 0xFFFFFFFF  # a clip sealed without looking for its pauses
_verified: dict[tuple, ClipInfo] = {}  # (path, inode, size, mtime): published clips never change in place
_verified_lock = threading.Lock()


def sealed_clip(rate: int, pcm: bytes, pauses: tuple[tuple[int, int], list[float]] | None = None) -> bytes:
    """The clip the store holds for mono 16-bit `pcm` at `rate`: FLAC with narrate's record (see above), which
    holds `pauses` (what they were found with, and where they are) when given."""
    import io

    import numpy
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, numpy.frombuffer(pcm, "<i2"), rate, format="FLAC", subtype="PCM_16")
    flac = buffer.getvalue()
    if flac[:4] != b"fLaC" or flac[4] & 0x7F != 0:
        raise ValueError("libsndfile wrote no FLAC stream info")
    last = flac[4] & 0x80  # the record becomes the last block if stream info was
    record = _RECORD.pack(_CLIP_APP, LAYOUT_VERSION, len(pcm) // 2, hashlib.sha256(pcm).digest(), bytes(32))
    params, middles = pauses or ((0, 0), [])
    record += _PAUSES.pack(*params, len(middles) if pauses else _NO_PAUSES)
    record += struct.pack(f">{len(middles)}d", *middles)
    data = bytearray(flac[:4] + bytes([0]) + flac[5:_STREAMINFO_END] + bytes([2 | last])
                     + len(record).to_bytes(3, "big") + record + flac[_STREAMINFO_END:])
    data[_FILE_DIGEST_AT:_FILE_DIGEST_AT + 32] = _file_digest(data)
    return bytes(data)


def load_clip_codec() -> None:
    """Imports what sealing and decoding clips takes (libsndfile and numpy, 0.1-0.4 s): a synthesis worker does
    it while it boots rather than on its first line, which a rebuild waits for."""
    import soundfile  # noqa: F401


def _file_digest(data: bytes | bytearray) -> bytes:
    """SHA-256 of a sealed clip, all of it but the field that states this digest."""
    view = memoryview(data)
    digest = hashlib.sha256(view[:_FILE_DIGEST_AT])
    digest.update(view[_FILE_DIGEST_AT + 32:])
    return digest.digest()


def seal_clip(path: Path, find_pauses: Callable[[bytes, int], tuple[tuple[int, int], list[float]]] | None = None
              ) -> None:
    """Rewrite the WAV an engine wrote at `path` as the clip the store holds (sealed_clip), with the pauses
    `find_pauses(samples, rate)` finds (the synthesis worker passes audio.pauses')."""
    import wave

    with wave.open(str(path), "rb") as wav:
        if (wav.getnchannels(), wav.getsampwidth()) != (1, 2):
            raise ValueError(f"the engine wrote {wav.getnchannels()} channel(s) of {8 * wav.getsampwidth()}-bit "
                             f"samples, not mono 16-bit")
        rate, pcm = wav.getframerate(), wav.readframes(wav.getnframes())
    path.write_bytes(sealed_clip(rate, pcm, find_pauses(pcm, rate) if find_pauses else None))


def read_clip(path: Path) -> ClipInfo:
    """The clip at `path`, checked whole against its record, and marked used; raises CorruptEntry
    (FileNotFoundError if absent)."""
    stat = path.stat()
    memo = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _verified_lock:
        known = _verified.get(memo)
    if known is None:
        known = clip_info(path.read_bytes())
        with _verified_lock:
            _verified[memo] = known
    mark_used(path, stat)
    return known


def clip_info(data: bytes) -> ClipInfo:
    """What a sealed clip holds, checked whole by its file's digest (not decoded): mono 16-bit samples, how many,
    and their SHA-256 as its record states. Raises CorruptEntry."""
    if len(data) < _FILE_DIGEST_AT + 32 or data[:4] != b"fLaC" or data[4] != 0:
        raise CorruptEntry("not a FLAC stream of narrate's")
    size = int.from_bytes(data[_STREAMINFO_END + 1:_STREAMINFO_END + 4], "big")
    if data[_STREAMINFO_END] & 0x7F != 2 or size < _RECORD.size or data[_STREAMINFO_END + 4:][:4] != _CLIP_APP:
        raise CorruptEntry("no narrate record")
    _app, layout, frames, samples_digest, file_digest = _RECORD.unpack_from(data, _STREAMINFO_END + 4)
    if layout != LAYOUT_VERSION or size < _RECORD.size + _PAUSES.size:
        raise CorruptEntry("written by another layout version")
    if _file_digest(data) != file_digest:
        raise CorruptEntry("its content does not match its digest")
    info = data[8:_STREAMINFO_END]
    rate = int.from_bytes(info[10:13], "big") >> 4
    channels, bits = (info[12] >> 1 & 7) + 1, ((info[12] & 1) << 4 | info[13] >> 4) + 1
    if (channels, bits) != (1, 16) or ((info[13] & 15) << 32 | int.from_bytes(info[14:18], "big")) != frames:
        raise CorruptEntry("not the mono 16-bit samples its record states")
    at = _STREAMINFO_END + 4 + _RECORD.size
    quiet, gap, count = _PAUSES.unpack_from(data, at)
    found = 0 if count == _NO_PAUSES else count
    if size != _RECORD.size + _PAUSES.size + 8 * found:
        raise CorruptEntry("its record is not whole")
    pauses = None if count == _NO_PAUSES else struct.unpack_from(f">{found}d", data, at + _PAUSES.size)
    return ClipInfo(frames=frames, sample_rate=rate, digest=samples_digest.hex(), pauses=pauses,
                    pause_params=(quiet, gap))


def clip_samples(data: bytes) -> tuple[ClipInfo, bytes]:
    """A sealed clip's samples (decoded, and checked against their digest; raises CorruptEntry), and what it
    holds."""
    import io

    return _decoded(io.BytesIO(data), clip_info(data))


def read_clip_samples(path: Path | str) -> tuple[ClipInfo, bytes]:
    """clip_samples of the clip at `path`, decoded by libsndfile from the file itself: decoding from memory calls
    back into Python for every block read, which holds up the threads feeding the encoders (a rebuild's units)."""
    with open(path, "rb") as handle:
        info = clip_info(handle.read())
    return _decoded(str(path), info)


def _decoded(source, info: ClipInfo) -> tuple[ClipInfo, bytes]:
    import soundfile

    try:
        samples = soundfile.read(source, dtype="int16")[0].astype("<i2", copy=False).tobytes()
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as err:
        raise CorruptEntry(f"its samples cannot be decoded ({err})") from None
    if len(samples) != 2 * info.frames or hashlib.sha256(samples).hexdigest() != info.digest:
        raise CorruptEntry("its samples do not match their digest")
    return info, samples


class ClipCache:
    def __init__(self, root: Path | None = None):
        self.root = store_root(root) / "clips"

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.flac"

    def has(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def lookup(self, key: str) -> ClipInfo | None:
        """The clip of `key` when the store holds it whole; a corrupt one is logged and removed (a miss)."""
        path = self.path_for(key)
        try:
            return read_clip(path)
        except FileNotFoundError:
            return None
        except (CorruptEntry, OSError) as err:
            cache_miss(path, str(err))
            return None

    def lookup_all(self, keys: Iterable[str]) -> list[ClipInfo | None]:
        """lookup() of each key (two clips read at a time), under the cache's shared lock: a clip found is marked
        used before the cap's eviction, which takes the lock exclusively, could remove it (cache_lock)."""
        from concurrent.futures import ThreadPoolExecutor

        # the clips found are decoded later (audio.layout): the codec's import meanwhile, off the critical path
        threading.Thread(target=load_clip_codec, name="narrate-codec", daemon=True).start()
        with cache_lock(self.root.parent, shared=True), ThreadPoolExecutor(max_workers=2) as readers:
            return list(readers.map(self.lookup, keys))

    def files(self) -> Iterator[tuple[Path, bool]]:
        """(path, is_clip) for every file of the store: finished clips, and the temporary files that a
        killed build leaves behind (never under a clip's name). Files it did not name are not its own."""
        for path in self.root.glob("[0-9a-f][0-9a-f]/*"):
            is_clip = bool(_CLIP_NAME.fullmatch(path.name))
            if is_clip or _TEMP_NAME.fullmatch(path.name):
                yield path, is_clip


def mark_used(path: Path, stat: os.stat_result | None = None) -> None:
    """Records that the entry at `path` is used now, in its access time (its modification time is kept): over
    NARRATE_CACHE_MAX the least recently used entries go first, and never one used since a running build began
    (cache_limit). Done explicitly, as file systems mounted noatime or relatime do not."""
    with contextlib.suppress(OSError):  # gone, or a cache not ours to write: nothing to record
        os.utime(path, ns=(time.time_ns(), (stat or path.stat()).st_mtime_ns))


@contextlib.contextmanager
def cache_lock(store: Path, shared: bool) -> Iterator[None]:
    """The lock of the store `store` (a flock on its .lock file): held exclusively while entries are removed for
    the cap or by age (cache_limit), and shared by a build while it finds the entries it will use and marks them
    used, so that none is removed in between. Where nothing can be locked, use times alone protect them."""
    try:
        store.mkdir(parents=True, exist_ok=True)
        fd = os.open(store / ".lock", os.O_RDWR | os.O_CREAT, _FILE_MODE)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def masters_root(root: Path | None = None) -> Path:
    """Where encoded units of chapters are kept by fingerprint (encoding.py), so a rebuild encodes only changes."""
    return store_root(root) / "masters"


_MASTER_NAME = re.compile(r"\.?[0-9a-f]{64}[.\w]*\.(wav|json|mp3|aac)")
_RUN_DIR = re.compile(r"\.run\.\w+")  # encoding.py's scratch directory, left behind by a killed build
_RECORD_NAME = re.compile(r"\.?[0-9a-f]{64}[.\w]*\.json")  # scripts/ and levels/ records (and their temp files)
RUN_SWEEP_AGE = 60.0  # seconds: a scratch directory this old and not locked is a dead build's
UNLOCKED_SWEEP_AGE = 86400.0  # where nothing can be locked, a scratch directory this old is a dead build's


def _master_files(store: Path) -> Iterator[Path]:
    """The files of the masters store, those inside scratch directories of killed builds included."""
    for path in (store / "masters").glob("*"):
        if path.is_dir() and _RUN_DIR.fullmatch(path.name):
            yield from (p for p in path.rglob("*") if p.is_file())
        elif _MASTER_NAME.fullmatch(path.name):
            yield path


def _run_dirs(store: Path) -> Iterator[Path]:
    return (p for p in (store / "masters").glob(".run.*") if p.is_dir() and _RUN_DIR.fullmatch(p.name))


@contextlib.contextmanager
def scratch_dir(parent: Path) -> Iterator[Path]:
    """A scratch directory `.run.*` in `parent`, locked (flock) while it is in use and removed after: a build
    killed meanwhile leaves it unlocked, and sweep_scratch (every build, `cache clear`) removes it then."""
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(dir=parent, prefix=".run."))
    fd = os.open(path, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # a file system without locks: only age tells then (_abandoned)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def _abandoned(scratch: Path, min_age: float) -> bool:
    """A scratch directory no running build holds: unlocked, and older than `min_age` seconds (a directory
    just made is locked by its build a moment later)."""
    try:
        age = time.time() - scratch.stat().st_mtime
        if age < min_age:
            return False
        fd = os.open(scratch, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:  # its build holds it
        return False
    except OSError:  # no locks on this file system: a day old is surely no running build's
        return age > UNLOCKED_SWEEP_AGE
    finally:
        os.close(fd)  # closing releases the lock


def sweep_scratch(root: Path | None = None, min_age: float = RUN_SWEEP_AGE) -> int:
    """Removes the masters' scratch directories of builds that are no longer running; returns how many."""
    removed = 0
    for scratch in _run_dirs(store_root(root)):
        if _abandoned(scratch, min_age):
            shutil.rmtree(scratch, ignore_errors=True)
            removed += 1
    return removed


def sweep_output_temp(out: Path) -> int | None:
    """Makes the output folder's temporary folder (OUTPUT_TEMP) ready, emptied of what killed builds left: while
    it exists, atomic_path writes the folder's files through it. Returns a handle for drop_output_temp: a build
    holds the folder (a shared flock) while it runs, so that another build in the same folder never sweeps the
    files it is writing."""
    temp = out / OUTPUT_TEMP
    if temp.is_symlink():  # not ours: nothing in it is swept
        return None
    temp.mkdir(parents=True, exist_ok=True)
    fd = os.open(temp, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # no running build holds it: all in it is left over
    except OSError:
        pass
    else:
        for path in temp.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def drop_output_temp(out: Path, handle: int | None) -> None:
    """The build is over: lets go of the temporary folder, and removes it when it is empty."""
    if handle is not None:
        os.close(handle)
    with contextlib.suppress(OSError):  # not empty: another build in this folder is still writing
        (out / OUTPUT_TEMP).rmdir()


@dataclass(frozen=True)
class CacheInfo:
    path: Path  # the clip store
    clips: int
    bytes: int  # on disk, leftovers of killed builds included
    master_bytes: int = 0  # mastered chapters kept for incremental rebuilds


def cache_info(root: Path | None = None) -> CacheInfo:
    """How many clips the cache under `root` (default: cache_root()) holds, and the bytes it takes."""
    cache = ClipCache(root)
    clips = size = 0
    for path, is_clip in cache.files():
        with contextlib.suppress(FileNotFoundError):  # a running build just renamed its temporary file
            size += path.stat().st_size
            clips += is_clip
    masters = 0
    for path in _master_files(store_root(root)):
        with contextlib.suppress(FileNotFoundError):
            masters += path.stat().st_size
    return CacheInfo(path=cache.root, clips=clips, bytes=size, master_bytes=masters)


def clear_cache(root: Path | None = None) -> int:
    """Deletes every clip (and leftover temporary file) of the cache under `root`, its units and the scratch of
    builds no longer running, and everything earlier layouts left; returns the clips deleted.

    Only files the store names itself are touched, so a NARRATE_CACHE_DIR pointed at a folder that holds
    anything else loses nothing else."""
    with cache_lock(store_root(root), shared=False):  # never while a build finds the entries it will use
        removed = _clear_store(store_root(root), current=True)
        for older in _older_layouts(root):
            removed += _clear_store(older, current=False)
        removed += _clear_store(root or cache_root(), current=False)  # layout 1 kept its stores at the root
    sweep_scratch(root, min_age=1.0)
    return removed


def _clear_store(store: Path, current: bool) -> int:
    removed = 0
    clips = store / "clips"
    for path in clips.glob("[0-9a-f][0-9a-f]/*"):
        is_clip = bool(_CLIP_NAME.fullmatch(path.name))
        if is_clip or _TEMP_NAME.fullmatch(path.name):
            path.unlink(missing_ok=True)
            removed += is_clip
    for shard in clips.glob("[0-9a-f][0-9a-f]"):
        with contextlib.suppress(OSError):  # not empty: something that is not ours lives there
            shard.rmdir()
    for path in _master_files(store):
        if path.parent == store / "masters":
            path.unlink(missing_ok=True)
    if not current:
        for scratch in _run_dirs(store):  # an older layout's: no running build of this narrate uses it
            shutil.rmtree(scratch, ignore_errors=True)
        for folder in ("scripts", "levels"):
            for path in (store / folder).glob("*.json"):
                if _RECORD_NAME.fullmatch(path.name):
                    path.unlink(missing_ok=True)
    for path in (store / "books").glob("*.json"):  # what each book used: nothing, now
        if _RECORD_NAME.fullmatch(path.name):
            path.unlink(missing_ok=True)
    return removed


@contextlib.contextmanager
def atomic_path(final: Path, suffix: str | None = None, publish: str = "replace") -> Iterator[Path]:
    """A temporary path for `final`, put in its place only if the block succeeds: no reader ever sees a partial
    file under the final name, whatever happens mid-write.

    The temporary file is beside `final`, or in the folder's OUTPUT_TEMP when there is one (an output folder
    during a build, so that the next build sweeps what a killed one left). publish="replace" puts it in place
    of any file of that name; publish="first" (cache entries) never replaces one: the first writer wins and a
    later writer's file is discarded."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=temp_dir_for(final), prefix=f".{final.stem[:40]}.",
                               suffix=suffix or final.suffix)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _FILE_MODE)
        if publish == "first":
            _publish_first(tmp_path, final)
        else:
            os.replace(tmp_path, final)
    finally:
        tmp_path.unlink(missing_ok=True)


def temp_dir_for(final: Path) -> Path:
    """Where temporary files for `final` go: its folder's OUTPUT_TEMP when there is one, else its folder."""
    temp = final.parent / OUTPUT_TEMP
    return temp if temp.is_dir() else final.parent


def _publish_first(tmp: Path, final: Path) -> None:
    """`tmp` under the name `final` unless a file has that name already (then `tmp` is discarded)."""
    try:
        os.link(tmp, final)  # fails if the name exists: never replaces a published entry
    except FileExistsError:
        return
    except OSError as err:  # a file system without hard links: as close as it allows
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        if not final.exists():
            os.replace(tmp, final)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_record(path: Path, body: bytes, publish: str = "replace") -> None:
    """A cache record: one header line (the layout version and the SHA-256 of the body), then the body."""
    header = json.dumps({"layout": LAYOUT_VERSION, "sha256": hashlib.sha256(body).hexdigest()}).encode()
    with atomic_path(path, publish=publish) as tmp:
        tmp.write_bytes(header + b"\n" + body)


def read_record(path: Path) -> bytes | None:
    """The body of the record at `path` when it is whole and of this layout (the record marked used); None when
    there is none, and a logged miss (the record removed) when it does not match its digest."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        cache_miss(path, str(err))
        return None
    header, _, body = data.partition(b"\n")
    try:
        stated = json.loads(header)
        good = (stated["layout"] == LAYOUT_VERSION and stated["sha256"] == hashlib.sha256(body).hexdigest())
    except (ValueError, KeyError, TypeError, RecursionError):
        good = False
    if not good:
        cache_miss(path, "its content does not match its digest")
        return None
    mark_used(path)
    return body


@cache  # one build asks three times (the CLI's check, the manifest, the kept annotation); the code is as loaded
def code_stamp() -> str:
    """narrate's version and how its source files are now: an edited or upgraded narrate is a change."""
    listing = [(str(f.relative_to(_PACKAGE)), stat.st_size, stat.st_mtime_ns)
               for f in sorted(_PACKAGE.rglob("*.py")) for stat in [f.stat()]]
    return hashlib.sha256(json.dumps([__version__, listing]).encode()).hexdigest()


# ---- the folders narrate writes to, checked before synthesis (not found out after it)


def check_output_folder(folder: Path) -> None:
    """Raise FolderError, naming the folder and the fix, unless `folder` is a folder that files can be written
    to, or one that can be made: checked before synthesis, not found out after it. Makes nothing."""
    fix = "Choose another folder with -o (--out)"
    if folder.exists() or folder.is_symlink():
        _check_folder(folder, "output folder", fix)
        return
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise FolderError(f"{folder}: the output folder cannot be made: {parent} is a file, not a folder. {fix}.")
    if not os.access(parent, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        raise FolderError(f"{folder}: the output folder cannot be made: {parent} is not writable. {fix}, or make "
                          f"{parent} writable.")


def check_cache_folder() -> None:
    """Raise FolderError unless the cache folder (NARRATE_CACHE_DIR, --cache-dir or the platform's) is, or can
    be made, a folder that can be written to."""
    root = cache_root()
    fix = f"Point {ENV_VAR} (or --cache-dir) at a folder you can write to"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FolderError(f"{root}: the cache folder is a file (or a device), not a folder. {fix}.") from None
    except NotADirectoryError:
        raise FolderError(f"{root}: the cache folder cannot be made: a part of its path is a file, not a folder. "
                          f"{fix}.") from None
    except OSError as err:
        raise FolderError(f"{root}: the cache folder cannot be made ({err.strerror}). {fix}.") from None
    _check_folder(root, "cache folder", fix)
    check_cache_room(sync=False)


CACHE_ROOM = 1024 * 1024  # bytes a clip may need: a minute of speech


def check_cache_room(cause: Exception | None = None, sync: bool = True) -> None:
    """Raise FolderError naming the cache folder when it has no room for another clip (a full disk or quota):
    asked before synthesis, and again when synthesis failed, whose workers can only say that writing a clip
    failed (then `sync`ed, so that a file system that only finds out on writing back says so too)."""
    root = cache_root()
    full = [os.strerror(number) for number in _DISK_FULL if f"[Errno {number}]" in str(cause or "")]
    try:  # the worker's message names the error number of its OSError, if that was the trouble
        with tempfile.TemporaryFile(dir=root, prefix=".narrate-room-") as probe:
            probe.write(bytes(CACHE_ROOM))
            probe.flush()
            if sync:
                os.fsync(probe.fileno())
    except OSError as err:
        if err.errno in _DISK_FULL:
            full.append(err.strerror)
    if full:
        raise FolderError(f"{root}: the cache folder's disk is full ({full[0]}), so the clips cannot be kept. "
                          f"Free some space there (`narrate cache clear` empties the cache), or point {ENV_VAR} "
                          f"(or --cache-dir) at a folder on a disk with room.") from cause


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)  # no space left; over the quota


def _check_folder(folder: Path, role: str, fix: str) -> None:
    """An existing `folder` is a folder and a file can be made in it (tried, so that permissions, ACLs and
    read-only mounts all show)."""
    if not folder.is_dir():
        raise FolderError(f"{folder}: the {role} is a file (or a device), not a folder. {fix}.")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".narrate-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise FolderError(f"{folder}: cannot write in the {role} ({err.strerror}). {fix}, or make this one "
                          f"writable.") from None
