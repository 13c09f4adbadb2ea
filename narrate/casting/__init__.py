"""Casting: Script + voices.yaml -> Lines, the exact text each voice will say.

In: the annotated Script (annotate/) and the Config read from voices.yaml (config.py). Out: one Line per spoken
segment, or per sentence of a long one (sentences.py) (cast.py: who speaks with which Voice, the spoken text
made speakable by normalize.py and pronounce.py, a cache key naming all of it). Also here: the cast table and
the voices.yaml writer (castfile.py), the credits the narrator reads (credits.py) and the words an engine may
mispronounce (unknown_words.py).

Entry point: `cast_book` (voices.yaml checked against the engines, then the lines of what is read)."""
from __future__ import annotations

from collections.abc import Sequence

from narrate.casting.cast import build_casting, check_voice_ids, lines_for
from narrate.casting.config import Config
from narrate.model import Character, Line, Segment

__all__ = ["cast_book"]


def cast_book(config: Config, characters: Sequence[Character], announcements: Sequence[Segment],
              segments: Sequence[Segment], speed: float = 1.0) -> list[Line]:
    """The lines of a build, in order: one per announcement (chapter titles, credits), then those of the spoken
    segments (skipped segments have none; a long one has a line per sentence, see lines_for). Raises ConfigError
    naming a voice that no engine has."""
    check_voice_ids(config)
    casting = build_casting(config, characters, speed)
    language = config.data.language
    return lines_for(announcements, casting, language, whole=True) + lines_for(segments, casting, language)
