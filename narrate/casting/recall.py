"""How well a listener can follow a voice: an offline recogniser's word recall on a standard passage.

pocketsphinx (its English model ships inside its wheel) transcribes the voice saying PASSAGE; the recall is the
share of the passage's words it got right, in order (aligned with difflib: an inserted word costs nothing, a
dropped or wrong one costs one). A recogniser is a harsher listener than a person, and harsher on some engines
than others (espeak-ng's en-us scores ~0.25 where hibari's heart scores ~0.92), so a voice is judged against
its engine's own reference voice, not against a fixed score. Used by auto-casting (measure.py) and
bench/intelligibility.py. pocketsphinx is imported when a recall is measured (`pip install pocketsphinx`).
"""
from __future__ import annotations

import difflib
import re
import subprocess
from functools import cache
from pathlib import Path

from narrate import ffmpeg
from narrate.errors import EngineError

# Plain sentences of everyday words (our own), so that the recogniser's language model is not the limit.
SENTENCES = (
    "The boat came back to the harbour before the storm.",
    "She opened the door and looked at the water for a long time.",
    "We have to find the light before the night is over.",
    "He said the radio was working again this morning.",
    "Please keep the window closed when the wind is strong.",
    "They walked down to the village to buy some bread.",
)
PASSAGE = " ".join(SENTENCES)


class RecogniserMissing(EngineError):
    """pocketsphinx is not installed: no voice's recall can be measured (not one voice's fault)."""


@cache
def _decoder():
    try:
        from pocketsphinx import Decoder
    except ImportError:
        raise RecogniserMissing("`cast --engine` measures how well a recogniser follows each voice, which needs "
                                "pocketsphinx: pip install pocketsphinx (it comes with narrate's neural extras)"
                                ) from None
    return Decoder(loglevel="FATAL", cmn="batch")  # batch: the whole clip's mean, not a slow live estimate


def transcribe(wav: Path) -> str:
    """pocketsphinx's best guess at the words of `wav` (resampled to its 16 kHz mono)."""
    raw = subprocess.run([ffmpeg.tool(), "-v", "error", "-i", str(wav), "-ar", "16000", "-ac", "1", "-f", "s16le",
                          "-"], capture_output=True, check=True).stdout
    decoder = _decoder()
    decoder.start_utt()
    decoder.process_raw(raw, full_utt=True)
    decoder.end_utt()
    return decoder.hyp().hypstr if decoder.hyp() else ""


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def word_accuracy(reference: str, heard: str) -> float:
    """Share of `reference`'s words that `heard` has, in order."""
    ref = words(reference)
    matcher = difflib.SequenceMatcher(a=ref, b=words(heard), autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(ref)


def recall(wav: Path, reference: str = PASSAGE) -> float:
    """The recogniser's word recall of `wav` saying `reference`."""
    return word_accuracy(reference, transcribe(wav))
