"""The figures `narrate check` reports, summed from decoded samples as they arrive: loudness (BS.1770: gated
400-ms blocks of the K-weighted signal, every 100 ms), loudness range (EBU Tech 3342), true peak (truepeak.py),
sample peak, RMS, the quietest 0.5-s window and the silence at either end.

Everything runs on whole chunks in numpy: K-weighting as matrix products (blockfilter.py), per-100-ms sums
and peaks as reductions over long rows. What is kept is a few numbers per 100-ms block.
"""
from __future__ import annotations

import math

import numpy as np

from narrate.audio.blockfilter import Biquad, BlockFilter
from narrate.audio.loudness import SILENT_LUFS, Loudness
from narrate.audio.truepeak import TruePeak

WINDOW_SECONDS = 0.5
SILENCE_DB = -60.0  # room tone is quieter than this (ACX's noise-floor limit)
SILENCE_AMPLITUDE = 10 ** (SILENCE_DB / 20)
SILENCE_MIN_SECONDS = 0.05


def kweighting(rate: int) -> list[Biquad]:
    """BS.1770's K-weighting at `rate`: its high shelf and high-pass as biquads (libebur128's design, which
    ffmpeg's ebur128 filter uses)."""
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
    return [shelf, high_pass]


class Meter:
    """Feed it float32 frames (add: an array of frames x channels, any length), then finish() and read."""

    def __init__(self, rate: int, channels: int):
        self.rate, self.channels = rate, channels
        self.block = max(1, round(rate / 10))  # 100 ms
        self.frames = 0
        self._energy: list[np.ndarray] = []  # per 100-ms block: sum of squares, all channels
        self._weighted: list[np.ndarray] = []  # the same, K-weighted
        self._peak = 0.0
        self._first_loud: int | None = None
        self._last_loud: int | None = None
        self._filters = [BlockFilter(kweighting(rate)) for _ in range(channels)]
        self._true_peaks = [TruePeak() for _ in range(channels)]
        self._partial = np.zeros((0, channels), np.float32)
        self._true_peak = 0.0  # set by finish()

    def add(self, frames: np.ndarray) -> None:
        if len(self._partial):
            frames = np.concatenate([self._partial, frames])
        whole = len(frames) // self.block * self.block
        self._blocks(frames[:whole])
        self._partial = frames[whole:].copy()

    def finish(self) -> None:
        if len(self._partial):
            self._blocks(self._partial, last=True)
            self._partial = self._partial[:0]
        self._true_peak = max(meter.finish() for meter in self._true_peaks)

    def _blocks(self, frames: np.ndarray, last: bool = False) -> None:
        if not len(frames):
            return
        size = len(frames) if last else self.block
        count = len(frames) // size
        energy, weighted, peaks = np.zeros(count), np.zeros(count), np.zeros(count, np.float32)
        for channel in range(self.channels):
            samples = np.ascontiguousarray(frames[:, channel], np.float32)  # one pass over contiguous floats
            blocks = samples.reshape(count, size)
            energy += np.einsum("ij,ij->i", blocks, blocks)
            np.maximum(peaks, np.maximum(blocks.max(axis=1), -blocks.min(axis=1)), out=peaks)
            k = self._filters[channel].filter(samples).reshape(count, size)
            weighted += np.einsum("ij,ij->i", k, k)
            self._true_peaks[channel].add(samples)
        self._energy.append(energy)
        self._weighted.append(weighted)
        self._peak = max(self._peak, float(peaks.max()))
        loud = np.flatnonzero(peaks >= SILENCE_AMPLITUDE)
        if len(loud):
            if self._first_loud is None:
                first = loud[0] * size
                starts = np.abs(frames[first:first + size]).max(axis=1) >= SILENCE_AMPLITUDE
                self._first_loud = self.frames + first + int(np.argmax(starts))
            final = loud[-1] * size
            ends = np.abs(frames[final:final + size]).max(axis=1) >= SILENCE_AMPLITUDE
            self._last_loud = self.frames + final + len(ends) - 1 - int(np.argmax(ends[::-1]))
        self.frames += len(frames)

    def _blocks_of(self, sums: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(sums) if sums else np.zeros(0)

    def loudness(self) -> Loudness:
        weighted = self._blocks_of(self._weighted)
        whole = weighted[:self.frames // self.block]  # a short last block is no part of a gating block
        gated = np.convolve(whole, np.ones(4), "valid") / (4 * self.block) if len(whole) >= 4 else np.zeros(0)
        integrated, threshold = _gated(gated, -10.0)
        short = np.convolve(whole, np.ones(30), "valid") / (30 * self.block) if len(whole) >= 30 else np.zeros(0)
        lra = _loudness_range(short)
        return Loudness(integrated_lufs=integrated, true_peak_dbtp=db(self._true_peak), lra=lra,
                        threshold_lufs=threshold)

    def rms_db(self) -> float:
        energy = self._blocks_of(self._energy).sum()
        return 10 * math.log10(energy / (self.frames * self.channels)) if energy > 0 else -math.inf

    def peak_db(self) -> float:
        return db(self._peak)

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
        return head / self.rate if head / self.rate >= SILENCE_MIN_SECONDS else 0.0

    def tail_silence(self) -> float:
        tail = self.frames if self._last_loud is None else self.frames - 1 - self._last_loud
        return tail / self.rate if tail / self.rate >= SILENCE_MIN_SECONDS else 0.0


def db(amplitude: float) -> float:
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
