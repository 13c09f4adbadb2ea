"""EBU R128 loudness: measured with ffmpeg's ebur128 filter; the mastering chain that brings levelled speech to
the target with its peaks held.

ebur128 rather than loudnorm's analysis: on this machine an hour of 22.05 kHz mono speech takes ~9 s with true
peak (~2 s without), against ~56 s for `loudnorm=print_format=json`, for the same figures (±0.1 LU).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from narrate import ffmpeg
from narrate.errors import AudioError

# framelog=verbose keeps the filter's ten-lines-a-second meter out of ffmpeg's (info-level) log.
EBUR128 = "ebur128=peak=true:framelog=verbose"
# Sample peak costs a fifth of true peak (2 s against ~9 s an hour).
EBUR128_SAMPLE_PEAK = "ebur128=peak=sample:framelog=verbose"
SILENT_LUFS = -70.0  # BS.1770's absolute gate: audio this quiet has no loudness to correct
# Lossy encoders (MP3/AAC at low bitrates) add up to ~1.3 dB of true peak; limit this far below the ceiling.
CODEC_HEADROOM_DB = 1.0
OVERSAMPLE = 4  # the limiter works at 4x the rate, where the peaks between samples are samples
LIMITER_LOSS_LU = 0.7  # loudness the limiter takes off espeak speech brought to -20 LUFS (measured: 0.5-0.9 LU)

_NUMBER = r"([-+]?(?:\d+(?:\.\d*)?|inf))"


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float
    lra: float  # loudness range, LU
    threshold_lufs: float  # the relative gate integrated loudness was measured above


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


def _meter(true_peak: bool) -> str:
    return EBUR128 if true_peak else EBUR128_SAMPLE_PEAK


def measure(path: str | Path, true_peak: bool = True) -> Loudness:
    """Integrated loudness, peak and loudness range of an audio file's first audio stream.

    With `true_peak=False` the peak is the sample peak (cheaper)."""
    _, log = ffmpeg.run(["-i", str(path), "-map", "0:a:0", "-af", _meter(true_peak), "-f", "null", "-"], path)
    return parse_summary(log)


def measure_pcm(chunks: Iterable[bytes], sample_rate: int, channels: int = 1,
                subject: str = "audio stream", true_peak: bool = True) -> Loudness:
    """The same, for raw s16le PCM streamed in (e.g. a chapter plan before it is encoded)."""
    with ffmpeg.Feed(["-f", "s16le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0",
                      "-af", _meter(true_peak), "-f", "null", "-"], subject) as feed:
        for chunk in chunks:
            feed.write(chunk)
        return parse_summary(feed.finish())


def master_filters(target_lufs: float, max_true_peak: float, reference_lufs: float, sample_rate: int) -> list[str]:
    """ffmpeg -af filters that finish audio at `sample_rate` whose speech sits at `reference_lufs` (every voice
    brought there by levels.py): one fixed gain to the target, then a true-peak limiter CODEC_HEADROOM_DB under
    the ceiling.

    Fixed, so that the gain is known before a note is encoded and any part of a chapter can be encoded on its
    own. The gain includes LIMITER_LOSS_LU, the loudness the limiter takes off speech peaks. It is applied in
    double precision (no clipping before the limiter). alimiter holds sample peaks, so it runs on the audio
    oversampled OVERSAMPLE times (as a true-peak meter reads it) and the result is brought back to the rate:
    limited at the rate itself, a voice pushed hard into the limiter came out 2 dB over it between samples
    (-2.2 dBTP from a -4 dB limit) and the codecs added more. level=0 stops it from re-normalising its output;
    latency=1 removes its look-ahead delay, so no sample moves (nor does soxr's resampling: same length, same
    place)."""
    gain = target_lufs - reference_lufs + LIMITER_LOSS_LU
    limit = 10 ** ((max_true_peak - CODEC_HEADROOM_DB) / 20)
    return [f"volume={gain:.2f}dB:precision=double", f"aresample={OVERSAMPLE * sample_rate}:resampler=soxr",
            f"alimiter=limit={limit:.5f}:level=0:latency=1", f"aresample={sample_rate}:resampler=soxr"]
