"""hibari (hibari-tts, Apache-2.0): a 7.9 MB neural model, 24 kHz, ~120x real time on one CPU core.

Only the `heart` voice (US English, female) is in the package. The others (emma, fenrir, fable, kore) come from
narrate's catalogue (narrate.voicelib: hibari's own list, with each file's size and SHA-256): fetched once into
the voices folder on first use, checked on every load, and given to hibari as its model file. A voice already in
hibari's own cache (HIBARI_HOME) is used from there rather than downloaded again.

Pitch is not a hibari control: a different pitch comes from a voice variant (narrate/engines/variants.py).
Noise in hibari's vocoder is seeded, so the same text and voice give the same samples every time.
hibari is an optional extra: it is imported where it is used, so this class loads without it.
"""
from __future__ import annotations

import importlib.util
import json
from functools import cache
from importlib import metadata, resources
from pathlib import Path

from narrate import voicelib
from narrate.engines import neural
from narrate.engines.base import Engine, parse_options
from narrate.model import Voice, VoiceInfo

SEED = 0  # fixes the vocoder's noise: repeated syntheses are bit-identical
OPTIONS = {"sentence_silence": neural.SENTENCE_SILENCE_OPTION}


class HibariEngine(Engine):
    """hibari's voices: `heart`, and the others of its catalogue, downloaded on first use.

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
        ]

    def voice_version(self, voice_id: str) -> str:
        return "" if _registry().get(voice_id, {}).get("bundled") else _voice_digest(voice_id)

    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        neural.check_voice(self, voice.voice)
        options = parse_options(self.engine_id, voice, OPTIONS)
        speed = neural.speed(self.engine_id, voice)
        tts = _models.get(neural.model_key(voice.voice, bool(_registry()[voice.voice].get("bundled"))))
        sentences = tts.stream(text, speed=speed, seed=SEED)
        samples = neural.join_sentences(sentences, tts.sample_rate, options["sentence_silence"])
        neural.write_wav(out_path, samples, tts.sample_rate, voice.volume)


@cache
def _registry() -> dict[str, dict]:
    """hibari's voice list (assets/voices.json): name -> language, gender, model file, sha256, bundled."""
    return json.loads(resources.files("hibari").joinpath("assets", "voices.json").read_text(encoding="utf-8"))


def _load(key: str):
    from hibari import Hibari

    voice_id = neural.key_voice(key)

    # the model file from the voices folder (downloaded now if it is not here: a cluster's worker fetches its own),
    # or hibari's own cache when the user filled it; the voice name still picks hibari's British or US G2P
    model = None if _registry()[voice_id].get("bundled") else str(_model_path(voice_id))
    tts = Hibari(voice=voice_id, model=model, threads=1)  # one core per worker: the pool runs one worker per core
    _ = tts.g2p  # built now rather than inside the first synthesis
    return tts


def _model_path(voice_id: str) -> Path:
    """The voice's model file, checked: from hibari's own cache when the user filled it (HIBARI_HOME), else from
    the voices folder, downloaded first if needed."""
    own = _in_hibaris_cache(voice_id)
    if own is None:
        return voicelib.ensure("hibari", voice_id).path
    _verified(voice_id, own)
    return own


def _voice_digest(voice_id: str) -> str:
    own = _in_hibaris_cache(voice_id)
    return neural.voice_digest("hibari", voice_id) if own is None else f" voice {_verified(voice_id, own)}"


def _in_hibaris_cache(voice_id: str) -> Path | None:
    from hibari.voices import voice_path

    try:
        return Path(voice_path(voice_id, download_missing=False))
    except FileNotFoundError:
        return None


def _verified(voice_id: str, path: Path) -> str:
    entry = voicelib.lookup("hibari", voice_id)
    return voicelib.trust.verify("hibari", entry.id, entry.files[0], path, str(path))


_models = neural.PerProcess(_load)
