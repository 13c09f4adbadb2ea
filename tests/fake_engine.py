"""A fast stand-in engine for unit tests of the pipeline around the engine (never instead of the real one)."""
from pathlib import Path

from audio_tools import tone_wav
from narrate.engines.base import Engine
from narrate.model import Voice, VoiceInfo


class FakeEngine(Engine):
    engine_id = "fake"
    install_hint = "nothing to install"

    def __init__(self):
        self.spoken: list[tuple[str, str]] = []

    def version(self) -> str:
        return "fake 1"

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(id=v, name=v, language="en", gender="neutral") for v in ("low", "mid", "high", "f1", "m1")]

    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        """A tone whose length follows the text (40 ms a character) and whose pitch follows the voice."""
        self.spoken.append((voice.voice, text))
        tone_wav(Path(out_path), 0.04 * len(text), freq=200 + 40 * len(voice.voice))
