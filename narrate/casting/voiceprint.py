"""What a voice sounds like, from its samples: median pitch (semitones) and a timbre summary (mean MFCC).

numpy only: librosa (pyin, MFCC) would bring scipy, numba and scikit-learn for two numbers. The pitch tracker is
YIN's core (de Cheveigné and Kawahara 2002): per 40 ms frame, the cumulative-mean-normalised difference function
and its first dip under a threshold; frames with no such dip, or too quiet, are unvoiced. The median over
voiced frames is robust to the tracker's occasional octave error. Pitch is in MIDI semitones (69 = 440 Hz), so
two voices' difference is their distance in semitones.
"""
from __future__ import annotations

import numpy as np

FMIN, FMAX = 55.0, 500.0  # Hz: a deep man's voice to a child's, and a female voice shifted up by half an octave
FRAME, HOP = 0.04, 0.01  # seconds
YIN_THRESHOLD = 0.15  # a dip under this in the normalised difference is a period
QUIET_DB = -40.0  # frames this far under the loudest frame are not voiced speech
MFCC_BANDS, MFCC_COEFFS = 26, 12


def median_pitch(samples: np.ndarray, rate: int) -> float:
    """The median pitch of the voiced frames in MIDI semitones; NaN when nothing is voiced."""
    f0 = pitch_track(samples, rate)
    return float(12 * np.log2(np.median(f0) / 440.0) + 69) if f0.size else float("nan")


def pitch_track(samples: np.ndarray, rate: int) -> np.ndarray:
    """The fundamental frequency (Hz) of each voiced frame."""
    frames = _frames(samples, rate)
    if not len(frames):
        return np.zeros(0)
    loud = _frame_db(frames) > _frame_db(frames).max() + QUIET_DB
    frames = frames[loud]
    width = frames.shape[1]
    lag_min, lag_max = int(rate / FMAX), min(int(rate / FMIN), width // 2)
    # difference function d(tau) = r(0) + r_tau(0) - 2 r(tau), from energies and the autocorrelation by FFT
    size = 1 << (2 * width - 1).bit_length()
    spectrum = np.fft.rfft(frames, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[:, : lag_max + 1]
    energy = np.cumsum(np.square(frames), axis=1)
    total = energy[:, -1:]
    head = energy[:, width - 1 - np.arange(lag_max + 1)]  # energy of x[:width - tau]
    tail = np.concatenate([total, total - energy[:, :lag_max]], axis=1)  # energy of x[tau:]
    diff = head + tail - 2 * acf
    diff[:, 0] = 0
    running = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, lag_max + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(running, 1e-12)
    search = cmnd[:, lag_min:]
    below = search < YIN_THRESHOLD
    voiced = below.any(axis=1)
    search, first = search[voiced], below[voiced].argmax(axis=1)
    # the bottom of the dip: the first lag from `first` on whose next value is no lower
    rising = np.ones_like(search, dtype=bool)
    rising[:, :-1] = search[:, 1:] >= search[:, :-1]
    lags = (rising & (np.arange(search.shape[1]) >= first[:, None])).argmax(axis=1)
    return rate / (lags + lag_min + _parabolic(search, lags))


def timbre(samples: np.ndarray, rate: int) -> list[float]:
    """The mean MFCC (coefficients 1-12, without the level) over the loud frames: the spectrum's shape."""
    frames = _frames(samples, rate)
    if not len(frames):
        return [0.0] * MFCC_COEFFS
    frames = frames[_frame_db(frames) > _frame_db(frames).max() + QUIET_DB] * np.hanning(frames.shape[1])
    power = np.square(np.abs(np.fft.rfft(frames, axis=1)))
    bands = np.log(power @ _mel_filters(frames.shape[1], rate).T + 1e-10)
    n = np.arange(MFCC_BANDS)
    dct = np.cos(np.pi / MFCC_BANDS * (n + 0.5)[None, :] * np.arange(1, MFCC_COEFFS + 1)[:, None])
    return [round(float(c), 3) for c in (bands @ dct.T).mean(axis=0) * np.sqrt(2 / MFCC_BANDS)]


def _frames(samples: np.ndarray, rate: int) -> np.ndarray:
    width, hop = int(FRAME * rate), int(HOP * rate)
    samples = np.asarray(samples, dtype=np.float64)
    if len(samples) < width:
        return np.zeros((0, width))
    count = 1 + (len(samples) - width) // hop
    index = np.arange(width)[None, :] + hop * np.arange(count)[:, None]
    return samples[index]


def _frame_db(frames: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.mean(np.square(frames), axis=1) + 1e-12)


def _parabolic(rows: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Each row's dip bottom offset from its lag, by a parabola through it and its neighbours."""
    inner = np.clip(lags, 1, rows.shape[1] - 2)
    pick = np.arange(len(rows))
    a, b, c = rows[pick, inner - 1], rows[pick, inner], rows[pick, inner + 1]
    bend = a - 2 * b + c
    offset = np.where(bend > 0, 0.5 * (a - c) / np.where(bend > 0, bend, 1), 0.0)
    return np.where(inner == lags, np.clip(offset, -1, 1), 0.0)


def _mel_filters(width: int, rate: int) -> np.ndarray:
    """Triangular filters on the mel scale from 80 Hz to 7.6 kHz (or the Nyquist), over rfft bins."""
    def mel(hz):
        return 2595 * np.log10(1 + np.asarray(hz) / 700)

    edges_mel = np.linspace(mel(80), mel(min(7600, rate / 2)), MFCC_BANDS + 2)
    edges = 700 * (10 ** (edges_mel / 2595) - 1)
    freqs = np.fft.rfftfreq(width, 1 / rate)
    low, mid, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.maximum(0, np.minimum((freqs - low) / (mid - low), (high - freqs) / (high - mid)))
