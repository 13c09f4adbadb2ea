"""EBU R128 loudness: measured with ffmpeg's ebur128 filter, corrected as plain gain, peaks held by a limiter
only when the gain would push them past the ceiling.

ebur128 rather than loudnorm's analysis: on this machine an hour of 22.05 kHz mono speech takes ~9 s with true
peak (~2 s without), against ~56 s for `loudnorm=print_format=json`, for the same figures (±0.1 LU).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import ffmpeg
from .errors import AudioError

# framelog=verbose keeps the filter's ten-lines-a-second meter out of ffmpeg's (info-level) log.
EBUR128 = "ebur128=peak=true:framelog=verbose"
# Sample peak costs a fifth of true peak (2 s against ~9 s an hour); the margin below covers the overshoot
# between samples that only true peak would see, when deciding whether the limiter is needed.
EBUR128_SAMPLE_PEAK = "ebur128=peak=sample:framelog=verbose"
SAMPLE_PEAK_MARGIN_DB = 0.5
SILENT_LUFS = -70.0  # BS.1770's absolute gate: audio this quiet has no loudness to correct
# Lossy encoders (MP3/AAC at low bitrates) add up to ~1.3 dB of true peak; limit this far below the ceiling.
CODEC_HEADROOM_DB = 1.0
OVERSAMPLE = 4  # the limiter runs at 4x the rate so it holds the peaks between samples too

_NUMBER = r"([-+]?(?:\d+(?:\.\d*)?|inf))"


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float
    lra: float  # loudness range, LU
    threshold_lufs: float  # the relative gate integrated loudness was measured above


@dataclass(frozen=True)
class Gain:
    db: float
    needs_limiter: bool
    limit_dbtp: float  # where the limiter holds the peaks (the ceiling less codec headroom)


def parse_summary(log: str) -> Loudness:
    """The ebur128 filter's closing summary, from ffmpeg's log."""
    _, found, summary = log.rpartition("Summary:")
    values = {
        "integrated": re.search(rf"\bI:\s+{_NUMBER} LUFS", summary),
        "threshold": re.search(rf"Integrated loudness:\s+I:[^\n]*\n\s+Threshold:\s+{_NUMBER}", summary),
        "lra": re.search(rf"\bLRA:\s+{_NUMBER} LU", summary),
        "peak": re.search(rf"\bPeak:\s+{_NUMBER} dBFS", summary),
    }
    missing = [name for name, match in values.items() if match is None]
    if not found or missing:
        raise AudioError(f"ffmpeg's ebur128 filter gave no loudness summary (missing {', '.join(missing) or 'all'}); "
                         f"is this ffmpeg built with it? Log ends: {log.strip()[-300:]}")
    number = {name: float(match[1]) for name, match in values.items()}
    return Loudness(integrated_lufs=number["integrated"], true_peak_dbtp=number["peak"], lra=number["lra"],
                    threshold_lufs=number["threshold"])


def measure(path: str | Path, true_peak: bool = True) -> Loudness:
    """Integrated loudness, peak and loudness range of an audio file's first audio stream.

    With `true_peak=False` the peak is the sample peak (cheaper): pass `SAMPLE_PEAK_MARGIN_DB` more headroom
    to gain_for to decide the limiter as safely."""
    meter = EBUR128 if true_peak else EBUR128_SAMPLE_PEAK
    _, log = ffmpeg.run(["-i", str(path), "-map", "0:a:0", "-af", meter, "-f", "null", "-"], path)
    return parse_summary(log)


def measure_pcm(chunks: Iterable[bytes], sample_rate: int, channels: int = 1,
                subject: str = "audio stream", true_peak: bool = True) -> Loudness:
    """The same, for raw s16le PCM streamed in (e.g. a chapter plan before it is encoded)."""
    meter = EBUR128 if true_peak else EBUR128_SAMPLE_PEAK
    with ffmpeg.Feed(["-f", "s16le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0",
                      "-af", meter, "-f", "null", "-"], subject) as feed:
        for chunk in chunks:
            feed.write(chunk)
        return parse_summary(feed.finish())


def gain_for(measured: Loudness, target_lufs: float = -20.0, max_true_peak: float = -3.0,
             headroom_db: float = CODEC_HEADROOM_DB) -> Gain:
    """The gain that brings `measured` to `target_lufs`, and whether its peaks then need limiting.

    Silence (below the absolute gate) gets no gain: there is nothing to bring up."""
    limit = max_true_peak - headroom_db
    if measured.integrated_lufs <= SILENT_LUFS:
        return Gain(db=0.0, needs_limiter=False, limit_dbtp=limit)
    db = target_lufs - measured.integrated_lufs
    return Gain(db=db, needs_limiter=measured.true_peak_dbtp + db > limit, limit_dbtp=limit)


def filters(gain: Gain, sample_rate: int) -> list[str]:
    """ffmpeg -af filters applying `gain`: a volume change, then (if needed) an oversampled peak limiter.

    alimiter holds sample peaks only; run at 4x the rate, those samples include the peaks between the original
    ones, so the true peak stays at the limit (measured: within 0.1 dB for WAV). level=0 stops it from
    re-normalising its output; latency=1 removes its look-ahead delay, so no sample moves."""
    chain = [f"volume={gain.db:.2f}dB"] if abs(gain.db) >= 0.005 else []
    if gain.needs_limiter:
        limit = 10 ** (gain.limit_dbtp / 20)
        chain += [f"aresample={OVERSAMPLE * sample_rate}", f"alimiter=limit={limit:.5f}:level=0:latency=1",
                  f"aresample={sample_rate}"]
    return chain
