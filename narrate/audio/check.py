"""`narrate check`: measure every audio file in a folder and judge it against the loudness targets or ACX's rules.

One ffprobe (format, rate, bitrate) and one ffmpeg pass per file: astats over 0.5-s windows (RMS level, peak,
noise floor = the quietest window, decoded length), silencedetect (head and tail room tone) and ebur128
(loudness, true peak). About 10 s per hour of audio on this machine.
"""
from __future__ import annotations

import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mutagen.mp3 import MP3, BitrateMode

from narrate import ffmpeg
from narrate.audio.loudness import EBUR128, Loudness, parse_summary
from narrate.errors import InputError

AUDIO_EXTENSIONS = ("mp3", "m4b", "wav", "flac", "opus")
WINDOW_SECONDS = 0.5
SILENCE_DB = -60.0  # room tone is quieter than this (ACX's noise-floor limit)
_SILENCE_MIN_SECONDS = 0.05
_EDGE = 0.01  # a silence this close to the start or end of the file touches it

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
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # the work is in ffmpeg processes
        return list(pool.map(lambda path: check_file(path, targets), files))


def check_file(path: str | Path, targets: Targets | None = None) -> FileReport:
    measured = measure_file(Path(path))
    return FileReport(path=Path(path), measurements=measured, checks=judge(measured, targets or default_targets()))


def measure_file(path: Path) -> Measurements:
    info = ffmpeg.probe(path)
    stream = info["stream"]
    rate = int(stream["sample_rate"])
    window = int(rate * WINDOW_SECONDS)
    chain = [f"asetnsamples=n={window}:p=0",
             "astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=Peak_level+RMS_level+Number_of_samples",
             "ametadata=mode=print:file=-",  # each window's figures, on stdout
             f"silencedetect=n={SILENCE_DB}dB:d={_SILENCE_MIN_SECONDS}", EBUR128]
    stdout, log = ffmpeg.run(["-i", str(path), "-map", "0:a:0", "-af", ",".join(chain), "-f", "null", "-"], path)
    windows = _windows(stdout)
    duration = sum(n for _, _, n in windows) / rate
    head, tail = _edge_silences(log, duration)
    bitrate = stream.get("bit_rate") or info["format"].get("bit_rate")
    return Measurements(
        codec=stream["codec_name"], sample_rate=rate, channels=int(stream["channels"]),
        bitrate_kbps=int(bitrate) / 1000 if bitrate else None, constant_bitrate=_constant_bitrate(path, stream),
        duration=duration, loudness=parse_summary(log), rms_db=_overall_rms(windows),
        peak_db=max((peak for peak, _, _ in windows), default=-math.inf),
        noise_floor_db=_noise_floor(windows, window), head_silence=head, tail_silence=tail)


def _windows(stdout: str) -> list[tuple[float, float, int]]:
    """(peak dB, RMS dB, samples) per window from ametadata's print-out."""
    windows = []
    for frame in stdout.split("frame:")[1:]:
        values = dict(re.findall(r"lavfi\.astats\.Overall\.(\w+)=(\S+)", frame))
        windows.append((float(values["Peak_level"]), float(values["RMS_level"]), int(float(values["Number_of_samples"]))))
    return windows


def _overall_rms(windows: list[tuple[float, float, int]]) -> float:
    energy = sum(n * 10 ** (rms / 10) for _, rms, n in windows)
    samples = sum(n for _, _, n in windows)
    return 10 * math.log10(energy / samples) if energy > 0 else -math.inf


def _noise_floor(windows: list[tuple[float, float, int]], window: int) -> float:
    """The quietest whole window (a short last window is too little to judge, unless it is all there is)."""
    whole = [rms for _, rms, n in windows if n == window] or [rms for _, rms, _ in windows]
    return min(whole, default=-math.inf)


def _edge_silences(log: str, duration: float) -> tuple[float, float]:
    """Seconds of silence touching the start and the end of the file, from silencedetect's log."""
    starts = [float(t) for t in re.findall(r"silence_start: (\S+)", log)]
    ends = [float(t) for t in re.findall(r"silence_end: (\S+)", log)]
    spans = [(start, ends[i] if i < len(ends) else duration) for i, start in enumerate(starts)]
    head = spans[0][1] - spans[0][0] if spans and spans[0][0] <= _EDGE else 0.0
    tail = spans[-1][1] - spans[-1][0] if spans and spans[-1][1] >= duration - _EDGE else 0.0
    return head, tail


def _constant_bitrate(path: Path, stream: dict) -> bool | None:
    if stream["codec_name"] != "mp3":
        return None
    mode = MP3(path).info.bitrate_mode
    return None if mode == BitrateMode.UNKNOWN else mode == BitrateMode.CBR


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
