"""Kokoro-82M (hexgrad, Apache-2.0 weights) through kokoro-onnx: 54 voices in nine languages, 24 kHz; the 41
in English, Spanish, French, Hindi, Italian and Brazilian Portuguese are spoken here (see UNSPOKEN).

Every voice is a style array in one voices file beside one model, both fetched once into the voices folder
from kokoro-onnx's release (narrate/voicelib, catalogue data/kokoro.json; ~337 MB together) and checked on
every later load. The voice's name says its language and gender (`af_bella`: American English, female), and
the language picks espeak-ng's phonemes (kokoro-onnx ships its own espeak-ng library).

What this module does about kokoro-onnx's defaults:
- kokoro-onnx speaks a short line as one batch, leaving the model's own ~0.1 s between sentences. Here each
  sentence is spoken on its own, trimmed and joined with `sentence_silence`, as the other neural engines do;
  a sentence beyond the model's 510 phonemes is split by kokoro-onnx at its clauses.
- kokoro-onnx lets onnxruntime use every core for one batch; here one thread a session, and the pool's threads
  share the one model (onnxruntime runs without the GIL; kokoro-onnx locks espeak-ng for phonemizing only).

Pitch is not a Kokoro control: a different pitch comes from a voice variant (narrate/engines/variants.py).
The model is deterministic: the same text and voice give the same samples.
kokoro-onnx is an optional extra: it is imported where it is used, so this class loads without it.
"""
from __future__ import annotations

import importlib.util
import logging
import re
import zipfile
from importlib import metadata

from narrate import voicelib
from narrate.engines import neural
from narrate.engines.base import Engine, parse_options
from narrate.errors import EngineError
from narrate.model import Voice, VoiceInfo

CATALOGUE = "kokoro"  # narrate/voicelib/data/kokoro.json
SAMPLE_RATE = 24000  # Kokoro's rate (kokoro_onnx.config.SAMPLE_RATE)
CLAUSE_PAUSE = 0.1  # seconds after a clause where kokoro-onnx splits a sentence too long for one batch
OPTIONS = {"sentence_silence": neural.SENTENCE_SILENCE_OPTION}
# a voice's first letter -> the espeak-ng language kokoro-onnx phonemizes with (Kokoro's language codes)
ESPEAK_LANGUAGES = {"a": "en-us", "b": "en-gb", "e": "es", "f": "fr-fr", "h": "hi", "i": "it", "p": "pt-br"}
# Voices whose phonemes espeak-ng cannot make (kokoro-onnx's README points to misaki's G2P for them): espeak-ng
# reads Japanese kanji as "Chinese letter", and its Mandarin phonemes are not the ones Kokoro's Mandarin voices
# learned. They stay in the catalogue (facts) but not among the voices the engine offers, and a voices.yaml that
# names one is refused with this reason before anything is downloaded.
UNSPOKEN = {"j": "Japanese", "z": "Mandarin"}
# a full stop after one of these (or after a single letter, an initial) ends no sentence
_TITLES = {"mr", "mrs", "ms", "mx", "dr", "st", "mt", "prof", "sr", "jr", "capt", "col", "gen", "lt", "sgt", "rev",
           "hon", "messrs", "no", "vs"}
_SENTENCE_END = re.compile(r"""(\w*)[.!?…]+["'”’)\]]*(?=\s+["'“‘(\[]*[A-Z0-9])""")


class KokoroEngine(Engine):
    """Kokoro-82M's voices, e.g. `af_bella`, `bm_george`; the model and voices files are fetched on first use.

    `Voice.rate` (words per minute) sets Kokoro's speed (170 wpm = 1.0, from 85 to 340), `Voice.volume` scales
    the samples, `Voice.pitch` is ignored (use `semitones`). Options: sentence_silence (seconds).
    """

    engine_id = "kokoro"
    options = OPTIONS
    install_hint = "pip install 'narrate[kokoro]'"
    parallel = "threads"  # one model (~300 MB of weights) serves every thread; see the module docstring
    # The int8 export of the same release ran 0.76x real time on one thread of a loaded 2-core machine (README);
    # the full-precision model was not run here.
    speed_class = "slow"

    def version(self) -> str:
        return f"kokoro-onnx {metadata.version('kokoro-onnx')}"

    def voice_version(self, voice_id: str) -> str:
        _check_language(voice_id)
        return neural.voice_digest(self.engine_id, voice_id)  # the model's and voices file's, fetched if need be

    def available(self) -> bool:
        return importlib.util.find_spec("kokoro_onnx") is not None and importlib.util.find_spec("onnxruntime") is not None

    def voices(self) -> list[VoiceInfo]:
        """The catalogue's voices narrate can speak (what casting chooses from)."""
        return [info for info in neural.catalogue_voices(self.engine_id) if info.id[0] not in UNSPOKEN]

    def suggest_voices(self, voice_id: str) -> list[str] | None:
        if voice_id[:1] in UNSPOKEN and voicelib.entry(CATALOGUE, voice_id):
            return None  # a real Kokoro voice: using it says why narrate cannot (_check_language), not "unknown"
        return super().suggest_voices(voice_id)

    def unspoken(self, voice_id: str) -> str | None:
        return f"{UNSPOKEN[voice_id[0]]}: needs misaki" if voice_id[:1] in UNSPOKEN else None

    def warm_up(self) -> None:
        """Loads the model when its files are here (every voice shares them); never downloads."""
        first = voicelib.catalogue(CATALOGUE)[0].name
        if voicelib.is_downloaded(CATALOGUE, first):
            _models.get(_key(voicelib.ensure(CATALOGUE, first).paths))

    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        _check_language(voice.voice)
        neural.check_voice(self, voice.voice)
        options = parse_options(self.engine_id, voice, OPTIONS)
        speed = neural.speed(self.engine_id, voice)
        files = voicelib.ensure(CATALOGUE, voice.voice)  # fetched if missing, checked, else a clear EngineError
        kokoro, style = _models.get(_key(files.paths)), _styles.get(f"{_key(files.paths)}\n{voice.voice}")
        language = ESPEAK_LANGUAGES[voice.voice[0]]
        gap = options["sentence_silence"]
        phonemes = (kokoro.tokenizer.phonemize(sentence, language) for sentence in sentences(text))
        said = (kokoro.create(p, style, speed=speed, is_phonemes=True, sentence_pause=gap,
                              clause_pause=CLAUSE_PAUSE)[0] for p in phonemes if p)
        neural.write_wav(out_path, neural.join_sentences(said, SAMPLE_RATE, gap), SAMPLE_RATE, voice.volume)


def sentences(text: str) -> list[str]:
    """`text` cut after each sentence's end: a . ! ? or … (and closing quotes) before a capital or a digit,
    unless the full stop follows a title (Mr., Dr.) or an initial."""
    pieces, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        word = end.group(1)
        if end.group(0)[len(word)] == "." and (word.lower() in _TITLES or len(word) == 1):
            continue
        pieces.append(text[start:end.end()])
        start = end.end()
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def _key(paths) -> str:
    """The model's and voices file's paths as one key of _models."""
    return "\n".join(str(path) for path in paths)


def _check_language(voice_id: str) -> None:
    if voice_id[:1] in UNSPOKEN and voicelib.entry(CATALOGUE, voice_id):
        raise EngineError(
            f"kokoro voice {voice_id!r} speaks {UNSPOKEN[voice_id[0]]}, which narrate cannot give Kokoro: it makes "
            f"phonemes with espeak-ng, and Kokoro's {UNSPOKEN[voice_id[0]]} voices need misaki's; choose an English, "
            "Spanish, French, Hindi, Italian or Portuguese voice (`narrate voices --engine kokoro`)")


def _style(key: str):
    """The voice's style array ([510, 1, 256]: a row per phoneme count) from the voices file, read once per
    process, or EngineError when the file lacks the voice."""
    import numpy as np

    model_path, voices_path, voice_id = key.split("\n")
    voices = _models.get(f"{model_path}\n{voices_path}").voices
    if voice_id not in voices:
        held = sorted(voices.keys())
        raise EngineError(
            f"kokoro voice {voice_id!r} is not in {voices_path}, which holds {len(held)} voices "
            f"({', '.join(held[:8])}{', ...' if len(held) > 8 else ''}), so it is not Kokoro v1.0's voices file: "
            f"delete it and run `narrate voices --download kokoro:{voice_id}` to fetch it again")
    return np.asarray(voices[voice_id], dtype=np.float32)


def _load(paths: str):
    import onnxruntime
    from kokoro_onnx import Kokoro
    from onnxruntime.capi import onnxruntime_pybind11_state as runtime

    # phonemizer warns on stderr when espeak-ng's words and the text's do not pair up ("words count mismatch"),
    # which changes nothing it returns
    logging.getLogger("phonemizer").setLevel(logging.ERROR)

    model_path, voices_path = paths.split("\n")
    session_options = onnxruntime.SessionOptions()
    session_options.intra_op_num_threads = session_options.inter_op_num_threads = 1  # see the module docstring
    session_options.log_severity_level = 3  # errors only: its warnings would land on the user's terminal
    try:
        session = onnxruntime.InferenceSession(model_path, session_options, providers=["CPUExecutionProvider"])
        return Kokoro.from_session(session, voices_path)
    # onnxruntime's errors derive from Exception alone; numpy's for a voices file that is no .npz are these
    except (runtime.Fail, runtime.InvalidProtobuf, runtime.InvalidGraph, runtime.NoSuchFile, ValueError, OSError,
            zipfile.BadZipFile) as err:
        raise EngineError(f"kokoro: cannot load {model_path} with {voices_path} ({type(err).__name__}: {err}); "
                          "delete the damaged file and run `narrate voices --download kokoro:af_heart` to fetch "
                          "it again") from None


_models = neural.PerProcess(_load)  # model and voices paths -> kokoro_onnx.Kokoro
_styles = neural.PerProcess(_style)  # paths and voice -> its style array (numpy's npz reader is not thread-safe)
