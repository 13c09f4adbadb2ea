"""`narrate check`: measure every audio file in a folder and judge it against the loudness targets or ACX's rules.

One decode per file (measure_file): ffmpeg decodes it and K-weights a copy (BS.1770's filters) onto a pipe;
_Meter sums 100-ms blocks as they arrive: integrated loudness and loudness range, RMS level, sample and true
peak (4x oversampled, beside the loudest samples), noise floor (the quietest 0.5-s window), the room tone at
either end and the decoded length. Rate, channels and bitrate come from the file's headers (mutagen; ffprobe
for .m4b). Files are measured side by side, one per core, the largest first. `bench/check_speed.py` times it
against plainly decoding the same files and compares the figures with the meter before it was made faster.

What a file costs beyond decoding it (measured on a built novel): the two K-weighting biquads in ffmpeg (about
half the decode of an AAC file: they run sample by sample), the pipe, and numpy's few passes over each column.
Tried and left: ffmpeg's ebur128 with true peak (9x the decode), K-weighting in numpy by FFT or by a recursion
vectorised across segments (each costs more than ffmpeg's biquads).
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import mutagen
import numpy as np
from mutagen.mp3 import BitrateMode
from numpy.lib.stride_tricks import sliding_window_view

from narrate import ffmpeg
from narrate.audio.loudness import SILENT_LUFS, Loudness
from narrate.errors import InputError

AUDIO_EXTENSIONS = ("mp3", "m4b", "wav", "flac", "opus")
WINDOW_SECONDS = 0.5
SILENCE_DB = -60.0  # room tone is quieter than this (ACX's noise-floor limit)
SILENCE_AMPLITUDE = 10 ** (SILENCE_DB / 20)
_SILENCE_MIN_SECONDS = 0.05

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
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # numpy and ffmpeg let go of the GIL
        reports = dict(zip(order, pool.map(lambda path: check_file(path, targets), order)))
    return [reports[path] for path in files]


def check_file(path: str | Path, targets: Targets | None = None) -> FileReport:
    measured = measure_file(Path(path))
    return FileReport(path=Path(path), measurements=measured, checks=judge(measured, targets or default_targets()))


def measure_file(path: Path) -> Measurements:
    """Every figure of the file from one decode: ffmpeg decodes it, and K-weights a copy (BS.1770's two
    biquads), into 32-bit floats on a pipe; the blocks are summed here as they arrive (_Meter)."""
    info = _stream_info(path)
    meter = _Meter(info.rate, min(info.channels, 2))
    with ffmpeg.Reader(["-threads", "1", "-filter_complex_threads", "1", "-i", str(path),
                        "-filter_complex", _decode_graph(info.rate, info.channels),
                        "-map", "[out]", "-f", "f32le", "-"], path) as stream:
        for chunk in stream.chunks(meter.chunk_bytes):
            meter.add(chunk)
    meter.finish()
    return Measurements(
        codec=info.codec, sample_rate=info.rate, channels=info.channels, bitrate_kbps=info.kbps,
        constant_bitrate=info.constant_bitrate, duration=meter.frames / info.rate, loudness=meter.loudness(),
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


def _kweighting(rate: int) -> list[str]:
    """BS.1770's K-weighting at `rate`: its high shelf and high-pass as ffmpeg biquads (libebur128's design,
    which ffmpeg's ebur128 filter uses)."""
    k = math.tan(math.pi * 1681.974450955533 / rate)
    q = 0.7071752369554196
    vh = 10 ** (3.999843853973347 / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    k = math.tan(math.pi * 38.13547087602444 / rate)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    high_pass = (1.0, -2.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    return [f"biquad=b0={b0!r}:b1={b1!r}:b2={b2!r}:a0=1:a1={a1!r}:a2={a2!r}:precision=f32"
            for b0, b1, b2, a1, a2 in (shelf, high_pass)]


def _decode_graph(rate: int, channels: int) -> str:
    """The decoded audio (more than two channels mixed down to stereo) beside its K-weighted copy, as one
    stream: for mono [audio, weighted], for stereo [left, right, weighted left, weighted right]."""
    layout, joined, mapping = (("mono", "stereo", "0.FC-FL|1.FC-FR") if channels == 1 else
                               ("stereo", "4.0", "0.FL-FL|0.FR-FR|1.FL-FC|1.FR-BC"))
    # frames of a second (p=0: the last one not padded): ffmpeg's cost per frame is most of what the filters
    # add to the decoding at its own ~1000 samples a frame
    return (f"[0:a:0]asetnsamples=n={rate}:p=0,aformat=sample_fmts=flt:channel_layouts={layout},asplit[raw][k];"
            f"[k]{','.join(_kweighting(rate))},aformat=sample_fmts=flt[weighted];"
            f"[raw][weighted]join=inputs=2:channel_layout={joined}:map={mapping}[out]")


def _interpolator(phases: int = 4, reach: int = 32, beta: float = 9.0, cutoff: float = 0.97) -> np.ndarray:
    """Taps that give the signal at 1/4, 2/4 and 3/4 of the way between two samples (four times oversampled, as
    BS.1770's true peak is read), from `reach` samples either side: a Kaiser-windowed sinc passing up to
    `cutoff` of the Nyquist frequency (ffmpeg's resampler's defaults). One row per phase, taps for samples
    p - reach + 1 .. p + reach. A shorter or lower filter reads low on what lies near the Nyquist frequency:
    the very overshoot a limiter working at the sample rate leaves (a .m4b ffmpeg read at -2.8 dBTP read -3.5
    through 8 taps a side at 0.9)."""
    offsets = np.arange(-reach + 1, reach + 1)
    rows = []
    for phase in range(1, phases):
        t = phase / phases - offsets
        window = np.i0(beta * np.sqrt(np.clip(1 - (t / (reach + 0.5)) ** 2, 0, None))) / np.i0(beta)
        taps = cutoff * np.sinc(cutoff * t) * window
        rows.append(taps / taps.sum())
    return np.array(rows, np.float32)


_TAPS = _interpolator()
_REACH = _TAPS.shape[1] // 2
_NEAR = 10 ** (-3 / 20)  # a peak between samples lies beside a sample within 3 dB of it
_CHUNK_BLOCKS = 50  # 5 s read at a time: numpy's cost per call is then nothing beside its cost per sample


class _Meter:
    """Loudness (BS.1770: gated 400-ms blocks of the K-weighted signal, every 100 ms), loudness range (EBU
    Tech 3342), true peak (4x oversampled, beside the samples that could reach it), sample peak, RMS, the
    quietest 0.5-s window and the silence at either end, from the decoded stream as it arrives.

    Each column of a chunk is copied out once and read whole by numpy (a pass over contiguous floats is several
    times quicker than one striding across the interleaved stream); what is kept is a few numbers per block."""

    def __init__(self, rate: int, channels: int):
        self.rate, self.channels = rate, channels
        self.block = max(1, round(rate / 10))  # 100 ms
        self.chunk_bytes = self.block * _CHUNK_BLOCKS * 2 * channels * 4  # both copies
        self.frames = 0
        self._energy: list[np.ndarray] = []  # per 100-ms block: sum of squares, all channels
        self._weighted: list[np.ndarray] = []  # the same, K-weighted
        self._peak = 0.0
        self._true_peak = 0.0
        self._first_loud: int | None = None
        self._last_loud: int | None = None
        # each channel's samples before the chunk, for the true peak between them and the chunk's
        self._tails = [np.zeros(2 * _REACH, np.float32) for _ in range(channels)]
        self._partial = np.zeros((0, 2 * channels), np.float32)

    def add(self, chunk: bytes) -> None:
        data = np.frombuffer(chunk, "<f4").reshape(-1, 2 * self.channels)
        if len(self._partial):
            data = np.concatenate([self._partial, data])
        whole = len(data) // self.block * self.block
        self._blocks(data[:whole])
        self._partial = data[whole:].copy()

    def finish(self) -> None:
        if len(self._partial):
            self._blocks(self._partial, last=True)
            self._partial = self._partial[:0]
        for channel in range(self.channels):  # the last intervals, against silence after the end
            self._true_peaks(channel, np.concatenate([self._tails[channel], np.zeros(2 * _REACH, np.float32)]))

    def _blocks(self, data: np.ndarray, last: bool = False) -> None:
        if not len(data):
            return
        size = len(data) if last else self.block
        count = len(data) // size
        energy, weighted, peaks = np.zeros(count), np.zeros(count), np.zeros(count, np.float32)
        for channel in range(self.channels):
            samples = np.empty(2 * _REACH + len(data), np.float32)  # the channel's samples before, then these
            samples[:2 * _REACH] = self._tails[channel]
            samples[2 * _REACH:] = data[:, channel]
            blocks = samples[2 * _REACH:].reshape(count, size)
            energy += np.einsum("ij,ij->i", blocks, blocks)
            np.maximum(peaks, np.maximum(blocks.max(axis=1), -blocks.min(axis=1)), out=peaks)
            self._true_peaks(channel, samples)
        for column in range(self.channels, 2 * self.channels):
            blocks = np.ascontiguousarray(data[:, column]).reshape(count, size)
            weighted += np.einsum("ij,ij->i", blocks, blocks)
        self._energy.append(energy)
        self._weighted.append(weighted)
        self._peak = max(self._peak, float(peaks.max()))
        loud = np.flatnonzero(peaks >= SILENCE_AMPLITUDE)
        if len(loud):
            if self._first_loud is None:
                first = loud[0] * size
                starts = np.abs(data[first:first + size, :self.channels]).max(axis=1) >= SILENCE_AMPLITUDE
                self._first_loud = self.frames + first + int(np.argmax(starts))
            final = loud[-1] * size
            ends = np.abs(data[final:final + size, :self.channels]).max(axis=1) >= SILENCE_AMPLITUDE
            self._last_loud = self.frames + final + len(ends) - 1 - int(np.argmax(ends[::-1]))
        self.frames += len(data)

    def _true_peaks(self, channel: int, samples: np.ndarray) -> None:
        """The largest value between samples (the channel's last 2 * _REACH before the chunk, then the chunk's)
        on the intervals [p, p+1] that have their taps (_REACH samples either side), looked for beside the
        samples within 3 dB of the loudest value so far. The next chunk starts with the samples it needs."""
        self._tails[channel] = samples[-2 * _REACH:]
        first, last = _REACH, len(samples) - _REACH - 1
        if last < first:
            return
        size = np.abs(samples[first:last + 2])  # every sample those intervals touch
        self._true_peak = max(self._true_peak, float(size.max()))
        if not self._true_peak:  # digital silence so far: nothing between its samples either
            return
        near = size >= self._true_peak * _NEAR
        starts = np.flatnonzero(near[:-1] | near[1:]) + first  # the intervals beside a sample near the peak
        if len(starts):
            windows = sliding_window_view(samples, 2 * _REACH)[starts - _REACH + 1]  # views, copied once here
            # einsum rather than @: no OpenBLAS thread pool spinning beside check's own threads
            self._true_peak = max(self._true_peak, float(np.abs(np.einsum("ij,kj->ik", windows, _TAPS)).max()))

    def _blocks_of(self, sums: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(sums) if sums else np.zeros(0)

    def loudness(self) -> Loudness:
        weighted = self._blocks_of(self._weighted)
        whole = weighted[:self.frames // self.block]  # a short last block is no part of a gating block
        gated = np.convolve(whole, np.ones(4), "valid") / (4 * self.block) if len(whole) >= 4 else np.zeros(0)
        integrated, threshold = _gated(gated, -10.0)
        short = np.convolve(whole, np.ones(30), "valid") / (30 * self.block) if len(whole) >= 30 else np.zeros(0)
        lra = _loudness_range(short)
        return Loudness(integrated_lufs=integrated, true_peak_dbtp=_db(self._true_peak), lra=lra,
                        threshold_lufs=threshold)

    def rms_db(self) -> float:
        energy = self._blocks_of(self._energy).sum()
        return 10 * math.log10(energy / (self.frames * self.channels)) if energy > 0 else -math.inf

    def peak_db(self) -> float:
        return _db(self._peak)

    def noise_floor_db(self) -> float:
        """The quietest whole 0.5-s window (a short last window is too little to judge, unless it is all)."""
        energy = self._blocks_of(self._energy)
        per_window = round(WINDOW_SECONDS * 10)
        whole = self.frames // (self.block * per_window)
        if whole:
            quietest = energy[:whole * per_window].reshape(whole, per_window).sum(axis=1).min()
            mean = quietest / (per_window * self.block * self.channels)
        else:
            mean = energy.sum() / max(1, self.frames * self.channels)
        return 10 * math.log10(mean) if mean > 0 else -math.inf

    def head_silence(self) -> float:
        head = self.frames if self._first_loud is None else self._first_loud
        return head / self.rate if head / self.rate >= _SILENCE_MIN_SECONDS else 0.0

    def tail_silence(self) -> float:
        tail = self.frames if self._last_loud is None else self.frames - 1 - self._last_loud
        return tail / self.rate if tail / self.rate >= _SILENCE_MIN_SECONDS else 0.0


def _db(amplitude: float) -> float:
    return 20 * math.log10(amplitude) if amplitude > 0 else -math.inf


def _lufs(mean_square: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -0.691 + 10 * np.log10(mean_square)


def _gated(blocks: np.ndarray, relative: float) -> tuple[float, float]:
    """BS.1770's gated loudness of these blocks' mean squares, and the relative gate it used."""
    loud = blocks[_lufs(blocks) > SILENT_LUFS]
    if not len(loud):
        return SILENT_LUFS, SILENT_LUFS + relative
    gate = float(_lufs(np.array([loud.mean()]))[0]) + relative
    kept = loud[_lufs(loud) > gate]
    return float(_lufs(np.array([kept.mean()]))[0]) if len(kept) else SILENT_LUFS, gate


def _loudness_range(short_term: np.ndarray) -> float:
    """EBU Tech 3342: the spread (10th to 95th percentile) of the 3-s loudness, above -70 LUFS and 20 LU under
    their mean."""
    loud = short_term[_lufs(short_term) > SILENT_LUFS]
    if not len(loud):
        return 0.0
    gate = float(_lufs(np.array([loud.mean()]))[0]) - 20
    levels = _lufs(loud[_lufs(loud) > gate])
    return float(np.percentile(levels, 95) - np.percentile(levels, 10)) if len(levels) else 0.0


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
