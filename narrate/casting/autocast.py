"""`cast --write --engine ID`: a whole cast from one engine's voices, distinct and intelligible by measurement
(distinct.py chooses, library.py offers, measure.py measures), and the nearest pair of any cast.

A speaker voices.yaml gives a voice of that engine keeps it (the others are kept apart from it); everyone else,
the narrator and the unattributed voice included, is cast again, at the rate and volume they had.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from narrate.casting import distinct, library
from narrate.casting.cast import Casting
from narrate.casting.config import Config
from narrate.errors import EngineError
from narrate.model import NARRATOR, UNKNOWN, Character, Voice


def auto_casting(casting: Casting, characters: Iterable[Character], config: Config, engine_id: str,
                 measure: distinct.Measure) -> tuple[Casting, distinct.Choices]:
    """`casting` with every voice not fixed by voices.yaml chosen again from `engine_id`'s voices."""
    found = {c.name: c for c in characters}
    data = config.data

    def kept(voice: Voice, given: bool) -> Voice | None:
        return voice if given and voice.engine == engine_id else None

    roles = [distinct.Role(NARRATOR, "neutral", 0, kept(casting.narrator, bool(data.narrator.voice))),
             distinct.Role(UNKNOWN, "neutral", 0, kept(casting.unattributed, bool(data.unattributed.voice)))]
    for name, voice in casting.characters.items():
        spec = data.characters.get(name)
        gender = (spec.gender if spec else None) or (found[name].gender if name in found else "neutral")
        lines = found[name].lines if name in found else 0
        roles.append(distinct.Role(name, gender, lines, kept(voice, casting.sources.get(name) == "voices.yaml")))
    choices = distinct.choose(roles, library.candidates(engine_id, config), measure, data.language)

    def cast(name: str, was: Voice) -> Voice:
        chosen = choices.voices[name]
        return chosen if chosen is was else replace(chosen, rate=was.rate, volume=was.volume)

    characters_cast = {name: cast(name, voice) for name, voice in casting.characters.items()}
    sources = {name: "voices.yaml" if characters_cast[name] is voice else "auto"
               for name, voice in casting.characters.items()}
    return replace(casting, narrator=cast(NARRATOR, casting.narrator),
                   unattributed=cast(UNKNOWN, casting.unattributed), characters=characters_cast,
                   sources=sources), choices


def cast_voices(casting: Casting) -> dict[str, Voice]:
    """Every part's voice: the narrator's, the unattributed voice's and each character's."""
    return {NARRATOR: casting.narrator, UNKNOWN: casting.unattributed, **casting.characters}


def nearest_pair(casting: Casting, measure: distinct.Measure) -> tuple[distinct.Pair | None, dict[str, float]]:
    """The two parts of `casting` most alike (distinct.nearest_pair) and every part's median pitch. Raises
    EngineError, before measuring anything, when a voice is not downloaded yet (a listing fetches nothing)."""
    voices = cast_voices(casting)
    missing = sorted({library.voice_file(v) for v in voices.values() if not library.is_here(v)})
    if missing:
        raise EngineError(f"{', '.join(missing)} not downloaded yet: narrate voices --download "
                          f"{' '.join(missing)}")
    pitches = {name: measure(voice, False).pitch for name, voice in voices.items()}
    return distinct.nearest_pair(voices, pitches), pitches
