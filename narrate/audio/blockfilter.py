"""A recursive (IIR) filter run as matrix products: the same output as running it sample after sample, at the
speed of a matrix multiply.

A filter of a few biquads has a state of a few numbers; over a stretch of `m` samples its output is a fixed
linear map of those samples and the state at the stretch's start (y = T x + G s, T the m x m matrix of the
impulse response), and so is its state at the end. A chunk of audio is cut into stretches, the states at their
starts found by the same algebra one level up (stretches grouped in `g`, the groups' starts from one small
product), and every stretch's output is then two matrix products over the whole chunk. numpy has no IIR filter
of its own and a per-sample loop in Python is hundreds of times slower; this costs about 70 multiply-adds a
sample in BLAS (2-4 ns here). The state is carried from chunk to chunk in double precision, so a stream
filtered in chunks of any size is the stream filtered whole.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

Biquad = tuple[float, float, float, float, float]  # b0, b1, b2, a1, a2 (a0 = 1)


def _state_space(sections: Sequence[Biquad]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A, B, C, D of the biquads run one after the other (each in transposed direct form II, two states each),
    read off by stepping the filter from each unit state and from a unit input."""
    order = 2 * len(sections)

    def step(state: np.ndarray, x: float) -> tuple[float, np.ndarray]:
        after = np.empty(order)
        for n, (b0, b1, b2, a1, a2) in enumerate(sections):
            s1, s2 = state[2 * n], state[2 * n + 1]
            y = b0 * x + s1
            after[2 * n], after[2 * n + 1] = b1 * x - a1 * y + s2, b2 * x - a2 * y
            x = y
        return x, after

    a = np.empty((order, order))
    c = np.empty(order)
    for j in range(order):
        c[j], a[:, j] = step(np.eye(order)[j], 0.0)
    d, b = step(np.zeros(order), 1.0)
    return a, b, c, d


def _powers(matrix: np.ndarray, count: int) -> list[np.ndarray]:
    """matrix ** 0 .. matrix ** (count - 1)"""
    out = [np.eye(len(matrix))]
    for _ in range(count - 1):
        out.append(matrix @ out[-1])
    return out


class _Matrices:
    """What a BlockFilter multiplies by, made once per filter and shape (a few ms: once per file would show)."""

    @staticmethod
    @functools.cache
    def of(sections: tuple[Biquad, ...], stretch: int, group: int, most: int) -> _Matrices:
        return _Matrices(sections, stretch, group, most)

    def __init__(self, sections: Sequence[Biquad], m: int, g: int, most: int):
        a, b, c, d = _state_space(sections)
        order = len(a)
        self.order, self.m, self.g = order, m, g
        self.groups = -(-most // (m * g))  # the most groups in one part
        self.most = self.groups * m * g
        powers = _powers(a, m + 1)
        # impulse response h[0] = d, h[k] = c A^(k-1) b; within a stretch y = T x + G s
        impulse = np.array([d] + [c @ powers[k - 1] @ b for k in range(1, m)])
        toeplitz = np.zeros((m, m))
        for i in range(m):
            toeplitz[i, :i + 1] = impulse[i::-1]
        self.t = np.ascontiguousarray(toeplitz.T, np.float32)  # X @ T.T
        self.t64 = toeplitz
        self.g_rows = np.array([c @ powers[i] for i in range(m)])  # (m, order): the start state's share of y[i]
        self.g32 = np.ascontiguousarray(self.g_rows.T, np.float32)
        # a stretch's inputs' share of the state at its end: columns A^(m-1-i) b
        self.f = np.stack([powers[m - 1 - i] @ b for i in range(m)], axis=1)  # (order, m)
        self.f32 = np.ascontiguousarray(self.f.T, np.float32)
        self.a_powers = powers  # A^r for a last stretch of r < m samples
        step = powers[m]  # A^m: one stretch
        steps = _powers(step, g + 1)
        # within a group: state at stretch i = M^i S + sum_{l<i} M^(i-1-l) u_l
        self.within_start = np.concatenate([p.T for p in steps[:g]], axis=1)  # (order, g*order)
        within = np.zeros((g * order, g * order))
        for i in range(g):
            for l in range(i):
                within[l * order:(l + 1) * order, i * order:(i + 1) * order] = steps[i - 1 - l].T
        self.within = within
        # a group's inputs' share of the state at its end: sum_l M^(g-1-l) u_l
        self.group_end = np.concatenate([steps[g - 1 - l].T for l in range(g)], axis=0)  # (g*order, order)
        jump = steps[g]  # M^g: one group
        jumps = _powers(jump, self.groups + 1)
        # group starts: S_j = N^j s + sum_{l<j} N^(j-1-l) v_l, for j = 0 .. groups
        self.across_start = np.concatenate([p.T for p in jumps], axis=1)  # (order, (groups+1)*order)
        across = np.zeros((self.groups * order, (self.groups + 1) * order))
        for j in range(self.groups + 1):
            for l in range(j):
                across[l * order:(l + 1) * order, j * order:(j + 1) * order] = jumps[j - 1 - l].T
        self.across = across


class BlockFilter:
    """`sections` (biquads, one after the other) over a stream given in chunks: filter(x) returns the output
    for x and keeps the state for the next chunk. Stretches of `stretch` samples, grouped `group` at a time;
    a chunk of more than `most` samples is filtered in parts."""

    def __init__(self, sections: Sequence[Biquad], stretch: int = 64, group: int = 32, most: int = 1 << 18):
        self._m = _Matrices.of(tuple(sections), stretch, group, most)
        self.state = np.zeros(self._m.order)

    def filter(self, x: np.ndarray) -> np.ndarray:
        """The filter's output for the float32 samples `x`, the stream so far being the state."""
        mx = self._m
        if len(x) > mx.most:
            return np.concatenate([self.filter(x[at:at + mx.most]) for at in range(0, len(x), mx.most)])
        order, m, g = mx.order, mx.m, mx.g
        whole = len(x) // m
        out = np.empty(len(x), np.float32)
        if whole:
            stretches = x[:whole * m].reshape(whole, m)
            inputs = (stretches @ mx.f32).astype(np.float64)  # (whole, order)
            groups = -(-whole // g)
            padded = np.zeros((groups * g, order))
            padded[:whole] = inputs
            padded = padded.reshape(groups, g * order)
            ends = padded @ mx.group_end  # (groups, order)
            starts = (self.state @ mx.across_start[:, :(groups + 1) * order]
                      + ends.reshape(-1) @ mx.across[:groups * order, :(groups + 1) * order])
            starts = starts.reshape(groups + 1, order)
            states = (starts[:-1] @ mx.within_start + padded @ mx.within).reshape(groups * g, order)
            y = stretches @ mx.t
            y += states[:whole].astype(np.float32) @ mx.g32
            out[:whole * m] = y.reshape(-1)
            last = whole - 1
            self.state = mx.a_powers[m] @ states[last] + inputs[last]
        rest = len(x) - whole * m
        if rest:
            tail = x[whole * m:].astype(np.float64)
            out[whole * m:] = mx.t64[:rest, :rest] @ tail + mx.g_rows[:rest] @ self.state
            self.state = mx.a_powers[rest] @ self.state + mx.f[:, m - rest:] @ tail
        return out
