"""What the neural engines (piper.py, hibari.py) share: voice options, rate to speed, joining sentences, WAV
writing, and one model per process.

Both run an ONNX model through onnxruntime, one sentence at a time, and return float samples. The models pad
every sentence with silence of their own (hibari: ~0.3 s of digital silence before and ~0.45 s after), so a
line of three sentences would carry ~1.5 s of gaps that narrate's pauses know nothing about. Each sentence is
trimmed to its sound and the sentences are joined with `sentence_silence` seconds, the same for both engines.

numpy comes with the engines' extras: it is imported where it is used, so that an engine's class loads without
it and can say how to install it.
"""
from __future__ import annotations

import os
import threading
import wave
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Generic, TypeVar

from narrate import voicelib
from narrate.engines.base import Option
from narrate.errors import EngineError
from narrate.model import Voice, VoiceInfo

if TYPE_CHECKING:
    import numpy as np

    from narrate.engines.base import Engine

NOMINAL_WPM = 170  # Voice.rate that maps to the engines' own speed 1.0
MIN_SPEED, MAX_SPEED = 0.5, 2.0  # beyond these both models mumble or drawl; `tempo` variants go further
SENTENCE_SILENCE = 0.25  # seconds between sentences of one line: DESIGN.md's default sentence pause
SILENCE_DBFS = -60.0  # quieter than this, in 10 ms frames, counts as the model's padding
KEEP_BEFORE, KEEP_AFTER = 0.02, 0.06  # seconds kept around the sound: onsets and decays stay whole

T = TypeVar("T")


SENTENCE_SILENCE_OPTION = Option(float, SENTENCE_SILENCE, 0.0, 2.0, "seconds of silence between sentences")


def check_voice(engine: Engine, voice_id: str) -> None:
    """Raises EngineError, naming the nearest valid ids, when the engine has no voice `voice_id`."""
    suggestions = engine.suggest_voices(voice_id)
    if suggestions is not None:
        nearest = f"nearest: {', '.join(suggestions)}; " if suggestions else ""
        raise EngineError(
            f"unknown {engine.engine_id} voice {voice_id!r}; {nearest}`narrate voices --engine {engine.engine_id}` "
            "lists them"
        )


def catalogue_voices(engine_id: str) -> list[VoiceInfo]:
    """The downloadable voices of the engine's catalogue (bundled ones are the engine's to list), as ids."""
    return [
        VoiceInfo(id=entry.name, language=entry.language, gender=entry.gender,
                  name=f"{entry.accent}, {entry.quality}" + (f", {entry.speakers} speakers" if entry.speakers > 1 else ""))
        for entry in voicelib.catalogue(engine_id) if not entry.bundled
    ]


def voice_digest(engine_id: str, name: str) -> str:
    """What names a catalogue voice's files in clip keys (" voice <sha256>"): a re-downloaded or updated voice
    is synthesized again. Fetches the voice when it is not here yet, so that the digest is the file's."""
    return f" voice {voicelib.digest_of(engine_id, name)}"


def speed(engine_id: str, voice: Voice) -> float:
    """`Voice.rate` (words per minute) as the engine's speed factor: 170 wpm is 1.0, 255 wpm is 1.5."""
    factor = voice.rate / NOMINAL_WPM
    if not MIN_SPEED <= factor <= MAX_SPEED:
        raise EngineError(
            f"the {engine_id} engine speaks from {MIN_SPEED * NOMINAL_WPM:.0f} to {MAX_SPEED * NOMINAL_WPM:.0f} "
            f"words per minute, got rate {voice.rate}; change the voice's rate, or use a `tempo` variant for more"
        )
    return factor


def join_sentences(sentences: Iterable[np.ndarray], sample_rate: int, gap: float) -> np.ndarray:
    """The sentences' float samples, each trimmed to its sound, joined with `gap` seconds of silence."""
    import numpy as np

    trimmed = [trim(sentence, sample_rate) for sentence in sentences]
    trimmed = [sentence for sentence in trimmed if sentence.size]
    if not trimmed:
        return np.zeros(0, np.float32)
    silence = np.zeros(round(gap * sample_rate), np.float32)
    pieces = [trimmed[0]]
    for sentence in trimmed[1:]:
        pieces += [silence, sentence]
    return np.concatenate(pieces).astype(np.float32, copy=False)


def trim(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """`samples` without the padding before and after the sound (10 ms frames under SILENCE_DBFS)."""
    import numpy as np

    frame = sample_rate // 100
    count = len(samples) // frame
    if count == 0:
        return samples[:0]
    power = np.square(samples[: count * frame].reshape(count, frame), dtype=np.float64).mean(axis=1)
    loud = np.flatnonzero(power > 10 ** (SILENCE_DBFS / 10))
    if not loud.size:
        return samples[:0]
    start = max(0, loud[0] * frame - round(KEEP_BEFORE * sample_rate))
    end = min(len(samples), (loud[-1] + 1) * frame + round(KEEP_AFTER * sample_rate))
    return samples[start:end]


def write_wav(path: str, samples: np.ndarray, sample_rate: int, volume: float) -> None:
    """Float samples (full scale ±1) times `volume`, as a mono 16-bit WAV file."""
    import numpy as np

    pcm = np.clip(samples * volume, -1.0, 1.0) * 32767.0
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(np.round(pcm).astype("<i2").tobytes())


def model_key(voice_id: str, bundled: bool) -> str:
    """What a loaded model is kept under in a process (PerProcess): a downloaded voice also by the voices folder
    it came from, so a process whose folder changes (NARRATE_VOICES_DIR) finds the voice there again, or fails
    to. The model loader takes the voice back with `key_voice`."""
    return voice_id if bundled else f"{voice_id}\n{voicelib.voices_root()}"


def key_voice(key: str) -> str:
    return key.partition("\n")[0]

class PerProcess(Generic[T]):
    """Values made on first use, one per key and process.

    onnxruntime's thread pool does not survive a fork, and a model loaded before a fork would be copied into
    every worker: a forked child makes its own values again, on first use, in the child.
    """

    def __init__(self, make: Callable[[str], T]):
        self._make = make
        self._lock = threading.Lock()  # engines that run in threads share one model per process
        self._pid = os.getpid()
        self._values: dict[str, T] = {}

    def get(self, key: str) -> T:
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._values = os.getpid(), {}
            if key not in self._values:
                self._values[key] = self._make(key)
            return self._values[key]
