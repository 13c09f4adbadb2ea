"""Helpers for tests that check real audio: tiny WAVs we make, and what ffprobe says of files."""
from __future__ import annotations

import json
import math
import subprocess
import wave
from array import array
from pathlib import Path


def tone_wav(path: Path, seconds: float, rate: int = 22050, freq: float = 440.0) -> Path:
    samples = array("h", (int(8000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(int(seconds * rate))))
    return write_wav(path, samples, rate)


def write_wav(path: Path, samples: array, rate: int = 22050) -> Path:
    """Mono 16-bit WAV of `samples`."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


def probe(path: Path) -> dict:
    result = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def probe_chapters(path: Path) -> list[dict]:
    result = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)["chapters"]


def duration(path: Path) -> float:
    return float(probe(path)["format"]["duration"])


def playing_time(path: Path) -> float:
    """Seconds of audio a player plays: the container's duration less the encoder delay it skips (MP3: ~50 ms)."""
    stream = probe(path)["streams"][0]
    return float(stream["duration"]) - float(stream.get("start_time") or 0)


def loud_seconds(path: Path, threshold_db: float = -40.0) -> float:
    """Seconds of the file that are not silence, via pydub's silence detection."""
    from pydub import AudioSegment
    from pydub.silence import detect_nonsilent

    audio = AudioSegment.from_file(str(path))
    spans = detect_nonsilent(audio, min_silence_len=100, silence_thresh=threshold_db)
    return sum(end - start for start, end in spans) / 1000


def float_samples(path: Path):
    """A mono 16-bit WAV's samples as floats in [-1, 1) (numpy, which the neural engines' extras bring), and
    its sample rate."""
    import numpy as np

    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2") / 32768.0, wav.getframerate()


def rms_db(pcm) -> float:
    import numpy as np

    return 10 * np.log10(np.mean(pcm ** 2))
