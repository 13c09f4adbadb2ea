"""espeak-ng through pyttsx3 (2.99, espeak driver over libespeak-ng), with pyttsx3's quirks contained here.

What pyttsx3 does on Linux, measured, and what this module does about it:

- The first `runAndWait()` of a fresh engine returns before the file is written. We spend that call on an
  empty queue right after creating the engine.
- `runAndWait()` with nothing but property changes queued never returns, and of several `save_to_file()`
  calls queued before one `runAndWait()` only the last is written. Every `runAndWait()` here follows
  exactly one `save_to_file()`.
- libespeak-ng runs every command, parameter changes included, on its own thread, and `runAndWait()` starts
  by cancelling whatever that thread is still doing. Under CPU load that sometimes cancels the utterance
  about to start, leaving a valid WAV with zero frames (35 files in 1,000 with every core busy). We wait
  until the thread is idle before setting properties and before `runAndWait()` (none in 13,000 since); a
  zero-frame file is still retried a few times, then reported.
- `setProperty` is queued until the next `runAndWait()` on a fresh engine, and `getProperty` may not show
  it; rate, pitch and volume are then applied on libespeak-ng's thread. We set voice, rate, pitch and volume
  before every utterance, with that thread idle, and never read them back.
- A voice id espeak does not know is ignored silently: ids are checked against the voice list first.
- Audio is collected with `bytes +=`, quadratic in the length of one call: long texts are spoken in chunks
  of at most MAX_CHUNK_CHARS, cut at sentence (then clause, then word) boundaries, and the frames joined.
- The driver prints "Audio saved to <path>" on stdout for every file: stdout is redirected around calls.
- The driver synthesizes without espeak's PHONEMES flag, so a pronunciation written as espeak phonemes
  (`[[n@t'A:S@]]`) would be spelled out letter by letter; the flag is added to its Synth calls.
- The driver's loop sleeps 10 ms a turn while it waits for the end of the utterance, longer than espeak-ng
  takes to speak most sentences (~4 ms of CPU), so a worker sat idle two thirds of the time. Our engine's driver
  waits on an event that the end of the utterance sets instead (_wake_at_end).
- libespeak-ng's thread does not survive a fork. The engine is created in the process that uses it and is
  created again in a forked child, which re-initialises libespeak-ng there. That is only safe while no
  synthesis is running at the moment of the fork: process pools must use the spawn or forkserver start
  method (narrate.synthesis.local uses spawn).
"""
from __future__ import annotations

import contextlib
import ctypes
import difflib
import os
import re
import sys
import tempfile
import textwrap
import threading
import time
import wave
from collections.abc import Iterator
from functools import cache
from importlib import metadata

import pyttsx3

from narrate.engines.base import Engine
from narrate.errors import EngineError
from narrate.model import Voice, VoiceInfo

# The format pyttsx3's espeak driver writes, and so the format of every file this engine produces.
SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2  # bytes: signed 16-bit
CHANNELS = 1

MAX_CHUNK_CHARS = 1000  # 3,000 words: 10 s in one call, 1 s in 1,000-char chunks, 1.4 s in 300-char chunks
ATTEMPTS = 3  # per chunk, against zero-frame files
IDLE_TIMEOUT_SECONDS = 30.0
IDLE_POLL_SECONDS = 0.0002
LOOP_TURN_SECONDS = 0.01  # pyttsx3's: how often the loop looks at a request to stop, when nothing ends it sooner

INSTALL_HINT = (
    "install espeak-ng (Debian/Ubuntu: sudo apt-get install espeak-ng; Fedora: sudo dnf install espeak-ng; "
    "macOS: brew install espeak-ng) and pyttsx3 (pip install 'pyttsx3>=2.99,<3')"
)

# After . ! ? or an ellipsis, possibly followed by one closing quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])\s+|(?<=[.!?\u2026][\"'\u201d\u2019)\]])\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:\u2013\u2014])\s+")
_GENDERS = {0: "neutral", 1: "male", 2: "female"}  # espeak's codes; 0 is "not specified"

_lock = threading.Lock()  # one pyttsx3 engine per process, and it is not thread-safe
_session: tuple[int, pyttsx3.Engine] | None = None  # (pid that created it, engine)


class EspeakEngine(Engine):
    """espeak-ng voices: `en-us`, `en-gb-scotland`, ... optionally with a variant: `en-us+f3`, `en+m3`.

    `Voice.rate` is words per minute (espeak clamps it to 80-450), `Voice.pitch` 0-99, `Voice.volume` 0-1.
    """

    engine_id = "espeak"
    options = {}  # none: voices.yaml refuses any at load
    install_hint = INSTALL_HINT
    speed_class = "fast"

    def version(self) -> str:
        return f"pyttsx3 {metadata.version('pyttsx3')} / espeak-ng {_espeak_ng_version()}"

    def available(self) -> bool:
        try:
            _espeak_library()
        except (ImportError, OSError, RuntimeError):  # pyttsx3 raises RuntimeError when libespeak-ng is missing
            return False
        return True

    def voices(self) -> list[VoiceInfo]:
        """The espeak voices, then the variants; a variant id (`+f3`) goes after any voice id: `en-us+f3`."""
        bases, variants = _voice_lists()
        return bases + variants

    def suggest_voices(self, voice_id: str) -> list[str] | None:
        base, plus, variant = voice_id.partition("+")
        bases, variants = (frozenset(info.id for info in infos) for infos in _voice_lists())
        base_ok = base in bases
        variant_ok = not plus or "+" + variant in variants
        if base_ok and variant_ok:
            return None
        base_choices = [base] if base_ok else _nearest(base, bases)
        variant_choices = [plus + variant] if variant_ok else _nearest("+" + variant, variants)
        return [b + v for b in base_choices for v in variant_choices][:3]

    def warm_up(self) -> None:
        _voice_lists()  # starts libespeak-ng in this process and lists the voices every synthesis checks

    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        self._check(voice)
        chunks = split_text(text)
        with tempfile.TemporaryDirectory(prefix="narrate-espeak-") as workdir:
            with _lock, _stdout_discarded():
                tts = _process_engine()
                parts = [_speak(tts, chunk, voice, os.path.join(workdir, str(i))) for i, chunk in enumerate(chunks)]
            _join_wavs(parts, out_path)

    def _check(self, voice: Voice) -> None:
        suggestions = self.suggest_voices(voice.voice)
        if suggestions is not None:
            nearest = f"nearest: {', '.join(suggestions)}; " if suggestions else ""
            raise EngineError(f"unknown espeak voice {voice.voice!r}; {nearest}`narrate voices` lists them all")
        if voice.options:
            names = ", ".join(name for name, _ in voice.options)
            raise EngineError(f"the espeak engine takes no voice options, got: {names}; remove them")


def split_text(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """`text` in order as chunks of at most `limit` characters, whitespace collapsed, cut at the largest
    boundary that fits: between sentences, then clauses, then words. Blank text gives no chunks."""
    words = text.replace("\0", " ").split()  # a NUL would end the C string libespeak-ng reads
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(words)):
        for clause in _CLAUSE_END.split(sentence) if len(sentence) > limit else [sentence]:
            pieces.extend(textwrap.wrap(clause, limit, break_on_hyphens=False))
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 1 + len(piece) <= limit:
            chunks[-1] += " " + piece
        else:
            chunks.append(piece)
    return chunks


def _speak(tts: pyttsx3.Engine, text: str, voice: Voice, stem: str) -> str:
    """Speak one chunk into a new file named after `stem`; return the file's path."""
    for attempt in range(1, ATTEMPTS + 1):
        path = f"{stem}-{attempt}.wav"  # a fresh name: a late write from a failed attempt cannot pass for this one
        _wait_until_idle()
        tts.setProperty("voice", voice.voice)
        tts.setProperty("rate", int(voice.rate))
        tts.setProperty("pitch", int(voice.pitch))
        tts.setProperty("volume", float(voice.volume))
        tts.save_to_file(text, path)
        _wait_until_idle()
        tts.runAndWait()
        if _frame_count(path):
            return path
    raise EngineError(
        f"espeak-ng produced no audio for {textwrap.shorten(text, 60)!r} (voice {voice.voice}) in {ATTEMPTS} "
        "attempts; run the build again, and report it if it keeps failing"
    )


def _process_engine() -> pyttsx3.Engine:
    """This process's pyttsx3 engine: created on first use, and again in a process forked after that."""
    global _session
    if _session is not None and _session[0] == os.getpid():
        return _session[1]
    from pyttsx3.drivers.espeak import EspeakDriver

    if _session is not None:
        # Inherited through a fork: libespeak-ng's thread stayed in the parent. Drop the inherited engine
        # first (its destructor unregisters the synthesis callback), then let the next driver initialise
        # libespeak-ng again in this process.
        _session = None
        EspeakDriver._moduleInitialized = False
    _read_phoneme_brackets()
    tts = pyttsx3.Engine("espeak")  # not pyttsx3.init(): that may hand back an engine that already ran
    _wake_at_end(tts.proxy._driver)
    tts.runAndWait()  # a fresh engine's first runAndWait returns early: spend it on an empty queue
    _session = (os.getpid(), tts)
    return tts


def _wake_at_end(driver) -> None:
    """The driver's startLoop, waiting on an event set by endLoop (which the end of the utterance calls from
    libespeak-ng's thread) rather than sleeping 10 ms a turn; otherwise as pyttsx3 2.99 runs it."""
    ended = threading.Event()
    end_loop = driver.endLoop

    def end_loop_and_wake() -> None:
        end_loop()
        ended.set()

    def start_loop() -> None:
        ended.clear()
        driver._looping = True
        driver._proxy.setBusy(False)  # runs the queued commands: properties, the file to save
        if driver._text_to_say:
            driver._start_synthesis(driver._text_to_say)
        while driver._looping:
            driver.iterate()
            ended.wait(LOOP_TURN_SECONDS)

    driver.endLoop = end_loop_and_wake
    driver.startLoop = start_loop


def _read_phoneme_brackets() -> None:
    """Make the driver's espeak_Synth calls read [[...]] as phonemes (see the module docstring)."""
    espeak = _espeak_library()
    if getattr(espeak.Synth, "reads_phonemes", False):
        return
    synth = espeak.Synth

    def synth_with_phonemes(*args, flags=espeak.CHARS_AUTO, **kwargs):
        return synth(*args, flags=flags | espeak.PHONEMES, **kwargs)

    synth_with_phonemes.reads_phonemes = True
    espeak.Synth = synth_with_phonemes


def _wait_until_idle() -> None:
    """Wait until libespeak-ng's thread has run every queued command (see the module docstring)."""
    espeak = _espeak_library()
    deadline = time.monotonic() + IDLE_TIMEOUT_SECONDS
    while espeak.IsPlaying():
        if time.monotonic() > deadline:
            raise EngineError(f"espeak-ng stayed busy for {IDLE_TIMEOUT_SECONDS:.0f} s; run the build again")
        time.sleep(IDLE_POLL_SECONDS)


def _frame_count(path: str) -> int:
    try:
        with wave.open(path, "rb") as wav:
            return wav.getnframes()
    except (FileNotFoundError, EOFError, wave.Error):  # not written, or not completely
        return 0


def _join_wavs(parts: list[str], out_path: str) -> None:
    with wave.open(out_path, "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(SAMPLE_RATE)
        for part in parts:
            with wave.open(part, "rb") as wav:
                if wav.getparams()[:3] != (CHANNELS, SAMPLE_WIDTH, SAMPLE_RATE):
                    raise EngineError(
                        f"pyttsx3 wrote {wav.getframerate()} Hz, {wav.getnchannels()} channel(s), "
                        f"{8 * wav.getsampwidth()}-bit audio, not the expected {SAMPLE_RATE} Hz mono 16-bit; "
                        "install pyttsx3>=2.99,<3"
                    )
                out.writeframes(wav.readframes(wav.getnframes()))


@contextlib.contextmanager
def _stdout_discarded() -> Iterator[None]:
    """Send whatever is written to stdout meanwhile, at the Python level and at fd 1, to /dev/null.

    pyttsx3 print()s from libespeak-ng's thread, to whatever sys.stdout is at that moment; native code
    writes to fd 1 directly.
    """
    if sys.stdout is not None:
        sys.stdout.flush()  # what was printed before belongs on stdout
    saved_fd = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            with contextlib.redirect_stdout(sink):
                yield
    finally:
        os.dup2(saved_fd, 1)
        os.close(saved_fd)


def _nearest(word: str, choices: frozenset[str]) -> list[str]:
    """Up to three of `choices` closest to `word`, ignoring case (`en-US` finds `en-us`)."""
    by_lower = {choice.lower(): choice for choice in choices}
    return [by_lower[c] for c in difflib.get_close_matches(word.lower(), by_lower, n=3, cutoff=0.5)]


@cache
def _voice_lists() -> tuple[list[VoiceInfo], list[VoiceInfo]]:
    """(voices, variants), each sorted by id; listing them needs libespeak-ng initialised."""
    with _lock:
        tts = _process_engine()
        voices = [
            VoiceInfo(
                id=voice.id.rpartition("/")[2],  # pyttsx3's id is espeak's file name, e.g. gmw/en-us
                name=voice.name.strip(),
                language=voice.languages[0] if voice.languages else "",
                gender=(voice.gender or "neutral").lower(),
            )
            for voice in tts.getProperty("voices")
        ]
        espeak = _espeak_library()
        spec = espeak.VOICE(languages=b"variant")  # espeak's way to list the variants (files in voices/!v)
        variants = [
            VoiceInfo(
                id="+" + variant.identifier.decode().partition("/")[2],
                name=variant.name.decode(),
                language="variant",
                gender=_GENDERS.get(variant.gender, "neutral"),
            )
            for variant in espeak.ListVoices(ctypes.pointer(spec))
        ]
    return sorted(voices, key=lambda v: v.id), sorted(variants, key=lambda v: v.id.lower())


@cache
def _espeak_library():
    """pyttsx3's ctypes binding of libespeak-ng, imported on first use: it loads the library."""
    from pyttsx3.drivers import _espeak

    return _espeak


@cache
def _espeak_ng_version() -> str:
    espeak_info = ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.c_void_p)(("espeak_Info", _espeak_library().dll))
    return espeak_info(None).decode()
