"""`narrate check`: measure every audio file in a folder and judge it against the loudness targets or ACX's rules.

One decode per file (measure_file): MP3, FLAC and WAV in this process by libsndfile (soundfile), the rest
(the .m4b's AAC, Opus) by ffmpeg onto a pipe as 32-bit floats; meter.Meter sums 100-ms blocks as the samples
arrive: integrated loudness and loudness range (K-weighted as matrix products, blockfilter.py), RMS level,
sample and true peak (4x oversampled where it can be larger than what is found, truepeak.py), noise floor
(the quietest 0.5-s window), the room tone at either end and the decoded length. Rate, channels and bitrate
come from the file's headers (mutagen; ffprobe for .m4b). Files are measured side by side, one per core, the
largest first. `bench/check_speed.py` times it against plainly decoding the same files with ffmpeg and
compares the figures with the meter of an earlier revision.

On a built novel (one thread) the measuring costs about two thirds of what the decoding does, and libsndfile
decodes MP3s in about 0.6x ffmpeg's time, which pays for half of it. Tried and left: ffmpeg's ebur128 with true
peak (9x the decode), ffmpeg's biquads for the K-weighting (5 ns a sample, and they need the pipe), scipy's
sosfilt (15 ns a sample, and 0.8 s to import), a true peak bounded by the sample sizes alone (ten times the
interpolation).
"""
from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mutagen
import numpy as np
import soundfile
from mutagen.mp3 import BitrateMode
from threadpoolctl import threadpool_limits

from narrate import ffmpeg
from narrate.audio.loudness import Loudness
from narrate.audio.meter import Meter
from narrate.errors import AudioError, InputError

AUDIO_EXTENSIONS = ("mp3", "m4b", "wav", "flac", "opus")

Range = tuple[float, float]


@dataclass(frozen=True)
class Targets:
    """What a file must meet; None leaves a measurement unjudged (reported only)."""

    name: str
    loudness_lufs: Range | None = None
    rms_db: Range | None = None
    max_true_peak_dbtp: float | None = None
    max_noise_floor_db: float | None = None
    sample_rate: int | None = None
    min_cbr_kbps: int | None = None  # a constant-bitrate MP3 at least this rate
    head_silence: Range | None = None  # seconds of room tone before the first sound
    tail_silence: Range | None = None
    max_minutes: float | None = None
    formats: tuple[str, ...] = AUDIO_EXTENSIONS  # the files judged


def default_targets(loudness_lufs: float = -20.0, tolerance_lu: float = 1.0, max_true_peak: float = -3.0) -> Targets:
    """voices.yaml's mastering targets: integrated loudness ± tolerance, true peak ceiling."""
    return Targets(name="voices.yaml", loudness_lufs=(loudness_lufs - tolerance_lu, loudness_lufs + tolerance_lu),
                   max_true_peak_dbtp=max_true_peak)


# ACX's audio submission requirements. ACX takes MP3 files only; its "peak" is judged here as true peak, the
# stricter reading (a sample peak under -3 dB can still overshoot between samples).
ACX = Targets(name="ACX", rms_db=(-23.0, -18.0), max_true_peak_dbtp=-3.0, max_noise_floor_db=-60.0,
              sample_rate=44100, min_cbr_kbps=192, head_silence=(0.5, 1.0), tail_silence=(1.0, 5.0),
              max_minutes=120.0, formats=("mp3",))


@dataclass(frozen=True)
class Measurements:
    codec: str
    sample_rate: int
    channels: int
    bitrate_kbps: float | None  # None when the container does not say
    constant_bitrate: bool | None  # MP3s only: None for other formats or when the file does not say
    duration: float  # seconds, as decoded
    loudness: Loudness
    rms_db: float
    peak_db: float  # sample peak, dBFS
    noise_floor_db: float  # RMS of the quietest 0.5-s window; -inf for digital silence
    head_silence: float
    tail_silence: float


@dataclass(frozen=True)
class Check:
    name: str
    value: str
    limit: str  # "" when nothing is required
    passed: bool | None  # None: reported, not judged


@dataclass(frozen=True)
class FileReport:
    path: Path
    measurements: Measurements
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(check.passed is not False for check in self.checks)


def check_dir(outdir: str | Path, targets: Targets | None = None) -> list[FileReport]:
    """Every audio file directly in `outdir` that `targets` judge, by name, measured in parallel."""
    targets = targets or default_targets()
    folder = Path(outdir)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder. Give the output folder of `narrate build`.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower().lstrip(".") in targets.formats)
    if not files:
        raise InputError(f"{folder}: no {', '.join(targets.formats)} files to check. "
                         f"Build the book there first (narrate build STORY -o {folder}).")
    # the largest first, so that no long file is left measuring alone at the end
    order = sorted(files, key=lambda path: path.stat().st_size, reverse=True)
    _keep_freed_memory()
    # numpy, libsndfile and ffmpeg let go of the GIL; BLAS on one thread per file, not a pool of its own
    # beside these (which spins idle cores and doubled the K-weighting's CPU time)
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        reports = dict(zip(order, pool.map(lambda path: check_file(path, targets), order)))
    return [reports[path] for path in files]


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def _keep_freed_memory() -> None:
    """numpy's temporaries for a chunk (~0.4 MB each) are over glibc's threshold for memory of their own: each
    was mapped and unmapped, its pages faulted in again (150,000 faults, a tenth of check's time on a novel).
    For this process, such blocks come from the heap and what is freed stays there (check holds a few MB)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 16 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
    except (OSError, AttributeError):  # not glibc: its own allocator, as it is
        pass


def check_file(path: str | Path, targets: Targets | None = None) -> FileReport:
    measured = measure_file(Path(path))
    return FileReport(path=Path(path), measurements=measured, checks=judge(measured, targets or default_targets()))


def measure_file(path: Path) -> Measurements:
    """Every figure of the file from one decode, summed as the samples arrive (meter.Meter)."""
    info = _stream_info(path)
    channels = min(info.channels, 2)
    meter: Meter | None = None
    for rate, frames in _decoded(path, info, channels):
        if meter is None:
            meter = Meter(rate, frames.shape[1])
        meter.add(frames)
    if meter is None:  # nothing decoded: a meter of silence reads as such
        meter = Meter(info.rate, channels)
    meter.finish()
    return Measurements(
        codec=info.codec, sample_rate=info.rate, channels=info.channels, bitrate_kbps=info.kbps,
        constant_bitrate=info.constant_bitrate, duration=meter.frames / meter.rate, loudness=meter.loudness(),
        rms_db=meter.rms_db(), peak_db=meter.peak_db(), noise_floor_db=meter.noise_floor_db(),
        head_silence=meter.head_silence(), tail_silence=meter.tail_silence())


@dataclass(frozen=True)
class _StreamInfo:
    codec: str
    rate: int
    channels: int
    kbps: float | None
    constant_bitrate: bool | None  # MP3s only


# MP4 is left to ffprobe: its sample entry says 2 channels whatever the AAC stream holds
_CODECS = {"MP3": "mp3", "FLAC": "flac", "OggOpus": "opus", "WAVE": "pcm_s16le"}


def _stream_info(path: Path) -> _StreamInfo:
    """The first audio stream's codec, rate, channels and bitrate, read from the headers (mutagen: no process
    to start); ffprobe for what mutagen does not know."""
    try:
        tags = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, EOFError):  # ffprobe says what is wrong with it
        tags = None
    kind = type(tags).__name__ if tags is not None else ""
    if kind in _CODECS and getattr(tags.info, "sample_rate", 0) and getattr(tags.info, "channels", 0):
        bitrate = getattr(tags.info, "bitrate", 0)
        cbr = None
        if kind == "MP3":
            cbr = None if tags.info.bitrate_mode == BitrateMode.UNKNOWN else tags.info.bitrate_mode == BitrateMode.CBR
        return _StreamInfo(_CODECS[kind], int(tags.info.sample_rate), int(tags.info.channels),
                           bitrate / 1000 if bitrate else None, cbr)
    probed = ffmpeg.probe(path)
    stream = probed["stream"]
    bitrate = stream.get("bit_rate") or probed["format"].get("bit_rate")
    return _StreamInfo(stream["codec_name"], int(stream["sample_rate"]), int(stream["channels"]),
                       int(bitrate) / 1000 if bitrate else None, None)


_CHUNK_SECONDS = 5  # numpy's cost per call is then nothing beside its cost per sample
# decoded in this process by libsndfile: the same samples as ffmpeg gives (MP3: mpg123, gapless as ffmpeg;
# checked sample by sample on a built novel), without a process and a pipe, and MP3s in 0.6x ffmpeg's time
_IN_PROCESS = {"mp3": "MP3", "flac": "FLAC", "pcm_s16le": "WAV"}


def _decoded(path: Path, info: _StreamInfo, channels: int) -> Iterator[tuple[int, np.ndarray]]:
    """The file's first audio stream as float32 frames x channels (more than two mixed down to stereo), in
    chunks of about _CHUNK_SECONDS, each with the rate it is at."""
    kind = _IN_PROCESS.get(info.codec)
    if kind and info.channels <= 2 and kind in _libsndfile_formats():
        try:
            sound = soundfile.SoundFile(path)
        except (soundfile.LibsndfileError, RuntimeError):
            sound = None  # ffmpeg reads it, or says what is wrong with it
        if sound is not None:
            with sound:
                size = sound.samplerate * _CHUNK_SECONDS
                try:
                    while len(frames := sound.read(size, dtype="float32", always_2d=True)):
                        yield sound.samplerate, frames
                except (soundfile.LibsndfileError, RuntimeError) as error:
                    raise AudioError(f"{path}: cannot be decoded ({error}).") from error
            return
    layout = "mono" if channels == 1 else "stereo"
    # frames of a second (p=0: the last one not padded): ffmpeg writes each frame to the pipe in one go,
    # where at its own ~1000 samples a frame the pipe costs a third of the decoding
    with ffmpeg.Reader(["-threads", "1", "-i", str(path), "-map", "0:a:0",
                        "-af", f"asetnsamples=n={info.rate}:p=0,aformat=sample_fmts=flt:channel_layouts={layout}",
                        "-f", "f32le", "-"], path) as stream:
        for chunk in stream.chunks(info.rate * _CHUNK_SECONDS * channels * 4):
            yield info.rate, np.frombuffer(chunk, "<f4").reshape(-1, channels)


@functools.cache
def _libsndfile_formats() -> frozenset[str]:
    return frozenset(soundfile.available_formats())


def judge(measured: Measurements, targets: Targets) -> list[Check]:
    """One Check per measurement, in the order a table shows them."""
    m, t = measured, targets
    return [
        _range("loudness", m.loudness.integrated_lufs, t.loudness_lufs, "LUFS"),
        _range("RMS level", m.rms_db, t.rms_db, "dB"),
        _at_most("true peak", m.loudness.true_peak_dbtp, t.max_true_peak_dbtp, "dBTP"),
        Check("sample peak", f"{m.peak_db:.1f} dBFS", "", None),
        _at_most("noise floor", m.noise_floor_db, t.max_noise_floor_db, "dB"),
        Check("sample rate", f"{m.sample_rate} Hz", f"{t.sample_rate} Hz" if t.sample_rate else "",
              m.sample_rate == t.sample_rate if t.sample_rate else None),
        _bitrate(m, t.min_cbr_kbps),
        Check("channels", str(m.channels), "", None),
        _range("head silence", m.head_silence, t.head_silence, "s", digits=2),
        _range("tail silence", m.tail_silence, t.tail_silence, "s", digits=2),
        Check("duration", _minutes(m.duration), f"≤ {t.max_minutes:g} min" if t.max_minutes else "",
              m.duration <= t.max_minutes * 60 if t.max_minutes else None),
    ]


def _range(name: str, value: float, limits: Range | None, unit: str, digits: int = 1) -> Check:
    shown = f"{value:.{digits}f} {unit}"
    if limits is None:
        return Check(name, shown, "", None)
    low, high = limits
    # judged as displayed, so a value never fails while showing a number inside its range
    return Check(name, shown, f"{low:g} to {high:g} {unit}", low <= round(value, digits) <= high)


def _at_most(name: str, value: float, limit: float | None, unit: str) -> Check:
    shown = f"{value:.1f} {unit}"
    if limit is None:
        return Check(name, shown, "", None)
    return Check(name, shown, f"≤ {limit:g} {unit}", round(value, 1) <= limit)


def _bitrate(m: Measurements, min_cbr_kbps: int | None) -> Check:
    mode = {True: " CBR", False: " VBR", None: ""}[m.constant_bitrate]
    shown = f"{m.bitrate_kbps:.0f} kbps{mode}" if m.bitrate_kbps else "unknown"
    if min_cbr_kbps is None:
        return Check("bitrate", shown, "", None)
    # a CBR MP3's average is a hair under its nominal rate (191.999 for 192k): judge the nominal one
    passed = m.constant_bitrate is True and m.bitrate_kbps is not None and round(m.bitrate_kbps) >= min_cbr_kbps
    return Check("bitrate", shown, f"CBR ≥ {min_cbr_kbps} kbps", passed)


def _minutes(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d} min"
