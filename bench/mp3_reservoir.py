#!/usr/bin/env python3
"""What narrate's MP3 units give up by encoding without LAME's bit reservoir (`-reservoir 0`, so that frames
join anywhere): the same espeak-ng speech encoded at 64k with and without it, decoded, aligned, and compared
with the source by SNR and segmental SNR (20 ms frames that hold speech). Higher is closer to the source.

usage: bench/mp3_reservoir.py [--seconds 300]   (needs numpy: installed with the piper extra)
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_speed import story  # noqa: E402  (the same generated prose as the build benchmark)

RATE = 22050
FRAME = RATE // 50


def pcm(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float64)


def closeness(source: np.ndarray, decoded: np.ndarray) -> tuple[float, float]:
    probe = slice(RATE, 11 * RATE)  # the encoder's delay, found by correlation over ten seconds
    lag = max(range(3000), key=lambda k: float(np.dot(source[probe], decoded[probe.start + k:probe.stop + k])))
    n = min(len(source), len(decoded) - lag)
    signal, error = source[:n], decoded[lag:lag + n] - source[:n]
    snr = 10 * np.log10(np.sum(signal ** 2) / np.sum(error ** 2))
    frames = n // FRAME
    power = np.sum(signal[:frames * FRAME].reshape(frames, FRAME) ** 2, axis=1)
    noise = np.sum(error[:frames * FRAME].reshape(frames, FRAME) ** 2, axis=1)
    speech = power > 1e6
    segmental = np.mean(np.clip(10 * np.log10(power[speech] / np.maximum(noise[speech], 1)), -10, 35))
    return float(snr), float(segmental)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        (folder / "story.txt").write_text(story(int(args.seconds * 2.6)), encoding="utf-8")  # ~2.6 words/s
        subprocess.run(["espeak-ng", "-f", str(folder / "story.txt"), "-w", str(folder / "speech.wav")], check=True)
        source = pcm(folder / "speech.wav")
        print(f"{len(source) / RATE:.0f} s of espeak-ng speech, 64k MP3 at {RATE} Hz")
        print(f"{'reservoir':>9} {'SNR dB':>7} {'segmental SNR dB':>16}")
        for reservoir in ("1", "0"):
            encoded = folder / f"reservoir{reservoir}.mp3"
            subprocess.run(["ffmpeg", "-v", "error", "-i", str(folder / "speech.wav"), "-ar", str(RATE), "-c:a",
                            "libmp3lame", "-b:a", "64k", "-reservoir", reservoir, str(encoded)], check=True)
            snr, segmental = closeness(source, pcm(encoded))
            print(f"{'on' if reservoir == '1' else 'off':>9} {snr:7.2f} {segmental:16.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
