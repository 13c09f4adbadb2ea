"""hibari (hibari-tts, Apache-2.0): a 7.9 MB neural model, 24 kHz, ~120x real time on one CPU core.

Only the `heart` voice (US English, female) is in the package; hibari downloads its other voices on first use,
which fails offline. This engine never downloads: it offers the bundled voice and any voice already in hibari's
cache (put there by the user, e.g. `hibari "Hello." --voice emma -o hello.wav` once while online).

Pitch is not a hibari control: a different pitch comes from a voice variant (narrate/engines/variants.py).
Noise in hibari's vocoder is seeded, so the same text and voice give the same samples every time.
hibari is an optional extra: it is imported where it is used, so this class loads without it.
"""
from __future__ import annotations

import importlib.util
import json
from functools import cache
from importlib import metadata, resources

from narrate.engines import neural
from narrate.engines.base import Engine, parse_options
from narrate.errors import EngineError
from narrate.model import Voice, VoiceInfo

SEED = 0  # fixes the vocoder's noise: repeated syntheses are bit-identical
OPTIONS = {"sentence_silence": neural.SENTENCE_SILENCE_OPTION}


class HibariEngine(Engine):
    """hibari's voices: `heart`, and others already downloaded into hibari's cache.

    `Voice.rate` (words per minute) sets hibari's speed (170 wpm = 1.0, from 85 to 340), `Voice.volume`
    scales the samples, `Voice.pitch` is ignored (use `semitones`). Options: sentence_silence (seconds).
    """

    engine_id = "hibari"
    options = OPTIONS
    install_hint = "pip install 'narrate[hibari]'"
    # G2P and the vocoder's glue are Python, under the GIL: two processes ran ~220x real time against ~120x for
    # one on an idle 2-core machine (shared/notes/engine-facts.md); ~240 MB each.
    parallel = "processes"
    speed_class = "fast"

    def version(self) -> str:
        heart = _registry()["heart"]
        return f"hibari-tts {metadata.version('hibari-tts')} (model heart {heart['sha256'][:12]})"

    def available(self) -> bool:
        return importlib.util.find_spec("hibari") is not None and importlib.util.find_spec("onnxruntime") is not None

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(id=name, name=f"{name.title()} ({entry['accent']}, Kokoro {entry['kokoro']})",
                      language=entry["language"], gender=entry["gender"])
            for name, entry in sorted(_registry().items())
            if _usable_offline(name)
        ]

    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        self._check_voice(voice.voice)
        options = parse_options(self.engine_id, voice, OPTIONS)
        speed = neural.speed(self.engine_id, voice)
        tts = _models.get(voice.voice)
        sentences = tts.stream(text, speed=speed, seed=SEED)
        samples = neural.join_sentences(sentences, tts.sample_rate, options["sentence_silence"])
        neural.write_wav(out_path, samples, tts.sample_rate, voice.volume)

    def _check_voice(self, voice_id: str) -> None:
        if voice_id in _registry() and not _usable_offline(voice_id):
            raise EngineError(
                f"hibari voice {voice_id!r} is not downloaded, and narrate never downloads while building; "
                f"fetch it once while online: hibari \"Hello.\" --voice {voice_id} -o hello.wav"
            )
        neural.check_voice(self, voice_id)


@cache
def _registry() -> dict[str, dict]:
    """hibari's voice list (assets/voices.json): name -> language, gender, model file, sha256, bundled."""
    return json.loads(resources.files("hibari").joinpath("assets", "voices.json").read_text(encoding="utf-8"))


def _usable_offline(name: str) -> bool:
    from hibari.voices import voice_path

    try:
        voice_path(name, download_missing=False)
    except FileNotFoundError:
        return False
    return True


def _load(voice_id: str):
    from hibari import Hibari

    tts = Hibari(voice=voice_id, threads=1)  # one core per worker: the pool runs one worker per core
    _ = tts.g2p  # built now rather than inside the first synthesis
    return tts


_models = neural.PerProcess(_load)
