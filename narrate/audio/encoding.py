"""Synthesized parts -> the files of the book, encoding only what changed since the last build.

A part (a chapter, or the credits) is cut into units at its longer pauses (layout.units). Each unit is
mastered (every voice at its level, one fixed gain, a peak limiter: loudness.master_filters) and encoded to MP3
and AAC once, in one ffmpeg pass over many units, and kept in the cache under a fingerprint of everything its
audio depends on. A unit is a whole number of frames of both codecs with silence at both ends, so a chapter MP3
and the .m4b are its units' frames joined as they are: a rebuild after recasting a speaker encodes only the
units where that speaker speaks. The other formats (wav, flac, opus) are encoded whole from the same PCM.

The manifest records the fingerprint each file was made from and the file as it was left (size, time, SHA-256),
so a rebuild rewrites only the parts whose fingerprint changed, and the .m4b only when some part did; a file that
is not the very file recorded (a killed build rewrote it) is written again. Clips are named in fingerprints by
the digest of their samples, so a clip made again differently (a corrupt one) changes its units. Every unit
has a sidecar record of its digest (`<unit>.json`): a unit that does not match it is a logged miss, encoded again.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from narrate import ffmpeg
from narrate.audio import containers, layout, levels, loudness, subtitles
from narrate.errors import AudioError
from narrate.model import BOOK_SAMPLE_RATE, Clip, Voice
from narrate.state import (
    atomic_path,
    cache_lock,
    cache_miss,
    file_digest,
    mark_used,
    read_record,
    scratch_dir,
    store_root,
    write_record,
)

ACX_SAMPLE_RATE = 44100
ACX_BITRATE = "192k"
ACX_LOUDNESS = -19.0  # LUFS: puts speech with its pauses inside ACX's RMS window of -23 to -18 dB
ACX_ROOM_TONE_DB = -75.0  # dBFS RMS of the room tone in ACX files: ACX's checks distrust digital silence
# Runs of units encoded by one ffmpeg (seconds of audio): long enough that its start-up (~75 ms of CPU) does
# not count, short enough that the cores share the work evenly.
MIN_RUN_SECONDS = 30.0
MAX_RUN_SECONDS = 600.0


@dataclass(frozen=True)
class Finish:
    """How the files are finished: formats, encoding, loudness, cover."""

    formats: tuple[str, ...]
    bitrate: str
    loudness: float
    true_peak: float
    acx: bool = False
    cover: containers.Cover | None = None
    gains: tuple[tuple[Voice, float], ...] = ()  # per voice, dB: every speaker at one level (levels.py)

    @property
    def target(self) -> float:
        return ACX_LOUDNESS if self.acx else self.loudness

    def master_filters(self, rate: int = BOOK_SAMPLE_RATE) -> list[str]:
        """The mastering chain for audio at `rate` (the plan's)."""
        return loudness.master_filters(self.target, self.true_peak, levels.REFERENCE_LUFS, rate)

    @property
    def room_tone(self) -> float | None:
        """dBFS RMS of the room tone under the audio before mastering (ACX only: ACX_ROOM_TONE_DB once the
        master gain is applied); None: digital silence in the pauses."""
        if not self.acx:
            return None
        return ACX_ROOM_TONE_DB - (self.target - levels.REFERENCE_LUFS + loudness.LIMITER_LOSS_LU)

    def codecs(self) -> list[str]:
        """The codecs whose frames units are kept in: mp3 for the chapter MP3s, aac for the .m4b."""
        return [codec for fmt, codec in (("mp3", "mp3"), ("m4b", "aac")) if fmt in self.formats]

    def key(self) -> dict:
        cover = hashlib.sha256(self.cover.data).hexdigest() if self.cover else None
        return {"formats": self.formats, "bitrate": self.bitrate, "master": self.master_filters(),
                "acx": self.acx, "cover": cover}


@dataclass(frozen=True)
class PartAudio:
    """One file's worth of the book, planned: its number (NN), title, tags and pieces."""

    number: int
    title: str
    plan: list
    tags: dict


@dataclass(frozen=True)
class Unit:
    """A run of a part's plan encoded on its own: its pieces, and where its frames are kept, per codec."""

    pieces: list
    frames: int
    paths: dict[str, Path]

    @property
    def ready(self) -> bool:
        """Every codec's frames are in the store, whole (checked against their records)."""
        return all(unit_is_whole(path) for path in self.paths.values())


def _record_of(unit_path: Path) -> Path:
    return unit_path.with_name(unit_path.name + ".json")


def unit_is_whole(path: Path) -> bool:
    """The unit at `path` is in the store and matches its record; one that does not is a logged miss."""
    if not path.is_file():
        return False
    body = read_record(_record_of(path))
    try:
        stated = json.loads(body) if body is not None else None
        if stated is not None and stated["sha256"] == file_digest(path):
            mark_used(path)  # as its record is: what a running build uses stays in the cache
            return True
    except (ValueError, KeyError, TypeError, OSError):
        pass
    cache_miss(path, "it does not match its record")
    _record_of(path).unlink(missing_ok=True)  # made again, the unit gets a record of its own
    return False


def _publish_unit(path: Path, data: bytes) -> None:
    """The unit's record, then the unit; neither replaces one published before (another build's, equal)."""
    write_record(_record_of(path), json.dumps({"sha256": hashlib.sha256(data).hexdigest()}).encode(),
                 publish="first")
    with atomic_path(path, publish="first") as tmp:
        tmp.write_bytes(data)


@dataclass(frozen=True)
class Recorded:
    """A file as the last build's manifest recorded it: what it was made from, and how it was left."""

    fingerprint: str
    size: int
    mtime_ns: int
    sha256: str

    def holds(self, path: Path, fingerprint: str) -> bool:
        """`path` is the very file recorded, made from `fingerprint`: not one a killed build wrote since."""
        if fingerprint != self.fingerprint:
            return False
        try:
            stat = path.stat()
            return ((stat.st_size, stat.st_mtime_ns) == (self.size, self.mtime_ns)
                    and file_digest(path) == self.sha256)
        except OSError:
            return False


@dataclass
class Made:
    part: PartAudio
    units: list[Unit]
    seconds: float
    fingerprint: str
    files: list[Path] = field(default_factory=list)
    encoded: bool = False  # False: its files were already up to date
    digests: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256 of the file as left


@dataclass(frozen=True)
class _Codec:
    """How one codec's frames are made so that units join: the encoder, the rate, and the silence put before a
    run of units so that its first unit starts on a frame (less what a decoder trims: MP3's 529 samples)."""

    name: str
    args: tuple[str, ...]
    rate: int
    frame: int  # samples per frame at `rate`
    lead: int  # samples of silence before the first unit, at `rate`
    skipped: int  # frames that hold the encoder's priming and the lead, dropped

    def frames_in(self, unit_frames: int, plan_rate: int) -> int:
        """The frames that hold `unit_frames` samples at the plan's rate (the last one padded with silence)."""
        return -(-unit_frames * self.rate // (plan_rate * self.frame))


def _codec(name: str, finish: Finish, plan_rate: int) -> _Codec:
    if name == "aac":  # the encoder's priming is one frame (1024 samples); nothing is trimmed on decoding
        return _Codec("aac", ("-c:a", "aac", "-aac_coder", "fast", "-b:a", finish.bitrate, "-f", "adts"),
                      plan_rate, 1024, 1024, 2)
    rate = ACX_SAMPLE_RATE if finish.acx else plan_rate
    frame = 1152 if rate >= 32000 else 576  # MPEG-1 layer III, or MPEG-2 at the lower rates
    # LAME delays its output by 1105 samples, of which decoders drop 529 (an Info header says so): the first
    # frame kept, the third, must start 529 samples before the unit, so the lead is two frames less 576
    return _Codec("mp3", ("-c:a", "libmp3lame", "-b:a", ACX_BITRATE if finish.acx else finish.bitrate,
                          "-reservoir", "0",  # no frame borrows bits from the one before: frames join anywhere
                          "-write_xing", "0", "-id3v2_version", "0", "-f", "mp3"), rate, frame, 2 * frame - 576, 2)


def _clip_name(clip: Clip) -> str:
    """A clip as fingerprints name it: by its samples (read from the store), else (tests' clips) by its key."""
    return clip.digest or clip.line.key


def fingerprint(part: PartAudio, finish: Finish) -> str:
    pieces = [_clip_name(p) if isinstance(p, Clip) else round(p, 4) for p in part.plan]
    payload = {"title": part.title, "tags": part.tags, "plan": pieces, "finish": finish.key(),
               "gains": _gains_of(part.plan, finish)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _gains_of(pieces: Sequence, finish: Finish) -> list:
    voices = {p.line.voice for p in pieces if isinstance(p, Clip)}
    return sorted((repr(voice), round(db, 2)) for voice, db in finish.gains if voice in voices)  # its own only


def previous_files(data: dict) -> dict[str, Recorded]:
    """File name -> how the last build's manifest (`data`, as read) recorded it (empty if it says nothing
    usable); files it gives no size, time and digest of are left out (they are written again)."""
    try:
        prints = {name: chapter["fingerprint"] for chapter in data["chapters"] for name in chapter["files"]}
        if "book_file" in data:
            prints[data["book_file"]["file"]] = data["book_file"]["fingerprint"]
        stamps, digests = data["outputs"], data["digests"]
        return {name: Recorded(fingerprint, int(stamps[name][0]), int(stamps[name][1]), str(digests[name]))
                for name, fingerprint in prints.items()
                if isinstance(fingerprint, str) and name in stamps and name in digests}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
        return {}


def plan_parts(parts: Sequence[PartAudio], finish: Finish, store: Path) -> list[Made]:
    """Each part's units, with where each is kept in `store`, and the part's fingerprint; nothing encoded yet."""
    return [_plan(part, finish, store) for part in parts]


def make_parts(made: list[Made], finish: Finish, out: Path, names: Callable[[PartAudio, str], str],
               previous: dict[str, str], jobs: int, on_file: Callable[[Path, float], None],
               when_all_encoded: Callable[[], None] | None = None) -> None:
    """Encode the units not in the store yet and write each part's files that are not current, as soon as its
    units are all there; `when_all_encoded` (e.g. writing the book) runs beside them once every unit is.

    The work is in ffmpeg processes, `jobs` at a time (more only adds memory: each takes ~55 MB), fed by
    threads; a part's files are written before the next run of units is started."""
    every = {tuple(u.paths.values()): u for m in made for u in m.units}  # by path: a unit twice is encoded once
    with cache_lock(store_root(), shared=True):  # checked once, against their records, and marked used
        have = {paths for paths, unit in every.items() if unit.ready}
    missing = [unit for paths, unit in every.items() if paths not in have]
    rate = layout.plan_sample_rate(made[0].part.plan) if made else 0
    runs = deque(_runs(missing, rate, max(1, jobs)))
    waiting = list(made)
    encoding: dict[Future, list[Unit]] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        def next_job() -> Future | None:
            nonlocal when_all_encoded
            ready = next((m for m in waiting if all(tuple(u.paths.values()) in have for u in m.units)), None)
            if ready is not None:
                waiting.remove(ready)
                return pool.submit(_write_files, ready, finish, out, names, previous, on_file)
            if runs:
                run = runs.popleft()
                job = pool.submit(_encode_units, run, finish, rate)
                encoding[job] = run
                return job
            if when_all_encoded is not None and not waiting:  # every part's units are there
                job, when_all_encoded = when_all_encoded, None
                return pool.submit(job)
            return None

        active = set()
        while True:
            while len(active) < max(1, jobs) and (job := next_job()) is not None:
                active.add(job)
            if not active:
                break
            finished, active = wait(active, return_when=FIRST_COMPLETED)
            for job in finished:
                job.result()
                have.update(tuple(u.paths.values()) for u in encoding.pop(job, []))


def _plan(part: PartAudio, finish: Finish, store: Path) -> Made:
    rate = layout.plan_sample_rate(part.plan)
    units = []
    for pieces in layout.units(part.plan):
        base = {"pieces": [_clip_name(p) if isinstance(p, Clip) else int(round(p * rate)) for p in pieces],
                "gains": _gains_of(pieces, finish), "master": finish.master_filters(rate),
                **({"room_tone": finish.room_tone} if finish.room_tone is not None else {})}
        paths = {}
        for name in finish.codecs():
            codec = _codec(name, finish, rate)
            payload = json.dumps({**base, "codec": [codec.args, codec.rate, codec.lead]}, sort_keys=True)
            paths[name] = store / f"{hashlib.sha256(payload.encode()).hexdigest()}.{name}"
        units.append(Unit(pieces, layout.plan_frames(pieces), paths))
    return Made(part, units, layout.plan_frames(part.plan) / rate, fingerprint(part, finish))


def _runs(units: list[Unit], rate: int, workers: int) -> list[list[Unit]]:
    """The units in order, in runs that shorten as the work left does: the workers finish together. Little
    work (a recast's few units) is cut into one run per worker, as equal as the units allow."""
    left = sum(u.frames for u in units)
    if left < 2 * workers * MIN_RUN_SECONDS * rate:
        return _even_runs(units, workers, left)
    runs: list[list[Unit]] = []
    length = target = 0.0
    for unit in units:
        if not runs or length >= target:
            target = min(MAX_RUN_SECONDS * rate, max(MIN_RUN_SECONDS * rate, left / (2 * workers)))
            runs.append([])
            length = 0
        runs[-1].append(unit)
        length += unit.frames
        left -= unit.frames
    return runs


def _even_runs(units: list[Unit], workers: int, total: int) -> list[list[Unit]]:
    """`workers` runs of about total / workers frames each: a unit goes to the run its middle falls in."""
    runs: list[list[Unit]] = [[] for _ in range(workers)]
    start = 0
    for unit in units:
        runs[min(workers - 1, (start + unit.frames // 2) * workers // total)].append(unit)
        start += unit.frames
    return [run for run in runs if run]


def _encode_units(units: list[Unit], finish: Finish, rate: int) -> None:
    """One ffmpeg pass: the units' PCM, mastered, into every codec; then each unit's frames to its own file."""
    codecs = [_codec(name, finish, rate) for name in units[0].paths]
    branches = "".join(f"[m{n}]" for n in range(len(codecs)))
    graph = [f"[0:a]{','.join(finish.master_filters(rate))},asplit={len(codecs)}{branches}"]
    for n, codec in enumerate(codecs):
        resample = f"aresample={codec.rate}," if codec.rate != rate else ""
        graph.append(f"[m{n}]{resample}adelay=delays={codec.lead}S:all=1[c{n}]")
    store = next(iter(units[0].paths.values())).parent
    store.mkdir(parents=True, exist_ok=True)
    gains = dict(finish.gains)
    with scratch_dir(store) as work:
        outputs = [Path(work) / f"out.{codec.name}" for codec in codecs]
        args = ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0", "-filter_complex", ";".join(graph)]
        for n, (codec, path) in enumerate(zip(codecs, outputs)):
            args += ["-map", f"[c{n}]", *codec.args, str(path)]
        with ffmpeg.Feed(args, "encoding units") as feed:
            for unit in units:
                for chunk in layout.pcm(unit.pieces, gains, finish.room_tone):
                    feed.write(chunk)
                feed.write(bytes(2 * _padding(unit)))
            feed.finish()
        for codec, path in zip(codecs, outputs):
            _split(codec, path, units, rate)


def _split(codec: _Codec, encoded: Path, units: list[Unit], rate: int) -> None:
    frames = containers.frames(encoded, codec.name)
    for _ in itertools.islice(frames, codec.skipped):
        pass
    for unit in units:
        count = codec.frames_in(unit.frames, rate)
        data = list(itertools.islice(frames, count))
        if len(data) < count:
            raise AudioError(f"{encoded}: ffmpeg gave fewer {codec.name} frames than the units need; "
                             f"is this ffmpeg's libmp3lame or aac encoder unusual? Run the build again.")
        _publish_unit(unit.paths[codec.name], b"".join(data))
        for _ in itertools.islice(frames, codec.frames_in(unit.frames + _padding(unit), rate) - count):
            pass


def _padding(unit: Unit) -> int:
    """Silence after a chapter's last unit (a whole number of AAC frames only) up to a whole unit frame, so that
    the next unit of the run starts on a frame of every codec; its frames are dropped."""
    return -unit.frames % layout.UNIT_FRAMES


def _write_files(made: Made, finish: Finish, out: Path, names: Callable[[PartAudio, str], str],
                 previous: Mapping[str, Recorded], on_file: Callable[[Path, float], None]) -> None:
    for fmt in [f for f in finish.formats if f != "m4b"] + ["srt"]:
        path = out / names(made.part, fmt)
        made.files.append(path)
        recorded = previous.get(path.name)
        if recorded is not None and recorded.holds(path, made.fingerprint):
            made.digests[path.name] = recorded.sha256
            continue
        made.encoded = True
        if fmt == "srt":
            subtitles.write_srt(path, subtitles.cues_from_plan(made.part.plan))
        elif fmt == "mp3":
            containers.join_mp3([unit.paths["mp3"] for unit in made.units], path, made.part.tags, finish.cover)
        else:
            containers.encode_pcm(layout.pcm(made.part.plan, dict(finish.gains), finish.room_tone),
                                  layout.plan_sample_rate(made.part.plan), path, fmt, finish.bitrate, made.part.tags,
                              finish.master_filters(layout.plan_sample_rate(made.part.plan)))
        made.digests[path.name] = file_digest(path)
        if fmt != "srt":
            on_file(path, made.seconds)


def book_fingerprint(part_prints: Sequence[str], tags: containers.BookTags) -> str:
    payload = {"parts": list(part_prints), "title": tags.title, "author": tags.author,
               "year": tags.year, "cover": hashlib.sha256(tags.cover.data).hexdigest() if tags.cover else None}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def write_book(made: Iterable[Made], parts: Sequence[PartAudio], path: Path,
               tags: containers.BookTags) -> list[containers.ChapterMark]:
    """The .m4b: the parts' AAC frames joined, a chapter mark at each part's start (from the plans: the frames
    are exactly the planned samples)."""
    rate = layout.plan_sample_rate(parts[0].plan)
    marks, start = [], 0
    for part in parts:
        end = start + layout.plan_frames(part.plan)
        marks.append(containers.ChapterMark(part.title, start / rate, end / rate))
        start = end
    return containers.write_m4b([unit.paths["aac"] for m in made for unit in m.units], path, tags, marks)
