"""True peak (BS.1770: the largest value of the signal read four times oversampled), found exactly while
interpolating only the few samples where the peak can be.

Each value between two samples p and p+1 is the interpolator's taps h times the 2 * REACH samples around
them. Summed by parts around p, it is S0 x[p] + H0 d[p] + sum of H_i d[p+i] (d the differences of consecutive
samples, H the taps' partial sums), so its size is at most c0 * max(|x[p]|, |x[p+1]|) + rd * (the largest |d|
in its window), with c0 and rd read off the taps (about 1.0 and 0.78). Speech changes slowly beside its size,
so the bound is close: only samples whose own size comes within that of the largest value found so far (about
one in a hundred in a limited chapter) can have a larger value beside them, and only there is the signal
interpolated. Everything else is proven smaller. A bound by the sample sizes alone (the sum of |h|, 2.6,
times the local peak) leaves ten times as many to interpolate.

The differences are taken per block of BLOCK samples (numpy reduces long rows at memory speed, short ones tens
of times slower), each block judged by the largest difference in it and its neighbours.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

BLOCK = 1024
_SLACK = 1e-4  # float32 sums stray by ~1e-5 of the values; the bound keeps this much in hand


def interpolator(phases: int = 4, reach: int = 32, beta: float = 9.0, cutoff: float = 0.97) -> np.ndarray:
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


TAPS = interpolator()
REACH = TAPS.shape[1] // 2


def bound_factors(taps: np.ndarray) -> tuple[float, float]:
    """c0, rd: every interpolated value between x[p] and x[p+1] is at most c0 * max(|x[p]|, |x[p+1]|) plus rd
    times the largest |x[i+1] - x[i]| for i in p - reach + 1 .. p + reach - 1 (exact algebra on these taps)."""
    taps = taps.astype(np.float64)
    reach = taps.shape[1] // 2
    offsets = np.arange(-reach + 1, reach + 1)
    c0 = rd = 0.0
    for h in taps:
        # y = S0 x[p] + sum_i H_i d[p+i], H_i = sum of taps right of i (i >= 0), minus those up to i (i < 0)
        partial = np.array([h[offsets > i].sum() if i >= 0 else -h[offsets <= i].sum()
                            for i in range(-reach + 1, reach)])
        s0, h0 = h.sum(), partial[reach - 1]
        c0 = max(c0, abs(s0 - h0) + abs(h0))  # S0 x[p] + H0 d[p] = (S0 - H0) x[p] + H0 x[p+1]
        rd = max(rd, np.abs(partial).sum() - abs(h0))
    return c0, rd


_C0, _RD = bound_factors(TAPS)
_PAIR = np.zeros((2 * REACH + 1, 6), np.float32)  # both intervals beside a sample: (q-1, q) and (q, q+1)
_PAIR[:-1, :3] = TAPS.T
_PAIR[1:, 3:] = TAPS.T


class TruePeak:
    """The true peak of one channel given in chunks (add), read after finish(): the largest magnitude of its
    samples and of the values four times oversampled between them, the signal taken as silent before and
    after. A block is judged once its neighbours have arrived, so the last two are carried to the next chunk."""

    def __init__(self, block: int = BLOCK):
        if block < 2 * REACH:
            raise ValueError(f"blocks of at least {2 * REACH} samples, not {block}")
        self.block = block
        self.value = 0.0  # the largest magnitude found so far, samples included
        self.interpolated = 0  # samples whose neighbourhood was interpolated: what the bounds left (tests)
        self._carry = np.zeros(2 * block, np.float32)  # silence before the start, its blocks judged too

    def add(self, samples: np.ndarray) -> None:
        buffer = np.concatenate([self._carry, samples.astype(np.float32, copy=False)])
        size = self.block
        blocks = len(buffer) // size
        if blocks < 3:
            self._carry = buffer
            return
        whole = blocks * size
        magnitude = np.abs(buffer)
        self.value = max(self.value, float(magnitude.max()))  # a sample's size is a lower bound
        steps = np.empty(whole, np.float32)
        if len(buffer) > whole:
            np.subtract(buffer[1:whole + 1], buffer[:whole], out=steps)
        else:  # the last step reaches past the buffer, beyond any window judged here
            np.subtract(buffer[1:whole], buffer[:whole - 1], out=steps[:-1])
            steps[-1] = 0
        np.abs(steps, out=steps)
        step = steps.reshape(blocks, size).max(axis=1).astype(np.float64)
        # blocks 1 .. blocks-2 are judged: a sample's two intervals reach at most REACH + 1 samples into the
        # blocks either side, so their steps lie in those three blocks
        near = np.maximum(np.maximum(step[:-2], step[1:-1]), step[2:])
        floor = (self.value * (1 - _SLACK) - _RD * (1 + _SLACK) * near) / (_C0 * (1 + _SLACK))
        judged = magnitude[size:(blocks - 1) * size].reshape(blocks - 2, size)
        beside = np.flatnonzero(judged > floor[:, None].astype(np.float32)) + size
        if len(beside):
            self.interpolated += len(beside)
            windows = sliding_window_view(buffer, 2 * REACH + 1)[beside - REACH]
            self.value = max(self.value, float(np.abs(windows @ _PAIR).max()))
        self._carry = buffer[(blocks - 2) * size:]

    def finish(self) -> float:
        """The true peak (linear): the stream's end is followed by silence, its last intervals judged."""
        self.add(np.zeros(3 * self.block, np.float32))
        return self.value
