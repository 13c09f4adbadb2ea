"""Fast stand-in engines for unit tests of the pipeline around the engine (never instead of the real one).
conftest's `fake_engines` fixture registers them under their ids (and any subclass a test defines).

They run in synthesis worker processes, so what a test wants to learn from them or tell them travels in
the voice's options (files), not in attributes:
- ("log", path): every line spoken is appended to that file as "voice<TAB>text".
- ("tries", path): TroubleEngine appends every line it starts on to that file, the same way.
- ("once", directory): TroubleEngine misbehaves only the first time it meets a marked text.
- ("slow", seconds): every line takes that long.
"""
import hashlib
import os
import signal
import threading
import time
from pathlib import Path

from audio_tools import tone_wav

from narrate.engines.base import Engine
from narrate.errors import EngineError
from narrate.model import Voice, VoiceInfo


def option(voice: Voice, name: str) -> str | None:
    return dict(voice.options).get(name)


def spoken(log: Path) -> list[tuple[str, str]]:
    """(voice, text) of every line a fake engine wrote into the log file `log`, in order."""
    if not log.exists():
        return []
    return [tuple(row.split("\t", 1)) for row in log.read_text(encoding="utf-8").splitlines()]


def record(voice: Voice, text: str, log: str | None) -> None:
    if log:
        with open(log, "a", encoding="utf-8") as file:  # one short append: whole lines, whichever process
            file.write(f"{voice.voice}\t{text}\n")


class FakeEngine(Engine):
    engine_id = "fake"
    install_hint = "nothing to install"

    def version(self) -> str:
        return "fake 1"

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(id=v, name=v, language="en", gender="neutral") for v in ("low", "mid", "high", "f1", "m1")]

    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        """A tone whose length follows the text (40 ms a character) and whose pitch follows the voice."""
        if option(voice, "slow"):  # seconds each line takes, like a neural engine's
            time.sleep(float(option(voice, "slow")))
        tone_wav(Path(out_path), 0.04 * len(text), freq=200 + 40 * len(voice.voice))
        record(voice, text, option(voice, "log"))


class TroubleEngine(FakeEngine):
    """A FakeEngine that misbehaves on marked text: "HANG" hangs forever, "CRASH" kills its own process,
    "FAIL" raises EngineError. With the option ("once", directory) each marked text misbehaves only once."""

    engine_id = "trouble"

    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        record(voice, text, option(voice, "tries"))
        if any(mark in text for mark in ("HANG", "CRASH", "FAIL")) and self._first_time(text, voice):
            if "FAIL" in text:
                raise EngineError(f"trouble engine refuses {text!r}")
            if "CRASH" in text:
                os.kill(os.getpid(), signal.SIGKILL)
            threading.Event().wait()  # hang: nothing ever sets it
        super().synthesize(text, voice, out_path)

    @staticmethod
    def _first_time(text: str, voice: Voice) -> bool:
        directory = option(voice, "once")
        if directory is None:
            return True
        marker = Path(directory) / hashlib.sha256(text.encode()).hexdigest()
        try:
            marker.touch(exist_ok=False)  # atomic: only one process ever creates it
        except FileExistsError:
            return False
        return True


class WarmEngine(FakeEngine):
    """A FakeEngine that notes, in the file the FAKE_WARM_LOG variable names, each process that warmed it up."""

    engine_id = "warm"

    def warm_up(self) -> None:
        with open(os.environ["FAKE_WARM_LOG"], "a", encoding="utf-8") as file:
            file.write(f"{os.getpid()}\n")
