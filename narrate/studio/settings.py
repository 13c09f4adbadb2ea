"""A speaker's gender, rate and pitch from the cast table, checked against voices.yaml's bounds before the file
is written (so the error names the setting, not a temporary file), then written as any fix is (undo included)."""
from __future__ import annotations

from narrate.errors import InputError
from narrate.model import NARRATOR
from narrate.studio import voicesfile
from narrate.studio.session import Change, Studio

GENDERS = ("male", "female", "neutral")
BOUNDS = {"rate": (80, 450, "words per minute"), "pitch": (0, 99, "espeak's 0-99, 50 plain")}


def checked(name: str, settings: dict) -> dict:
    """The settings given (gender, rate, pitch), each checked; an error names the setting and the fix."""
    unknown = set(settings) - {"gender", *BOUNDS}
    if unknown:
        raise InputError(f"{', '.join(sorted(unknown))}: the cast table sets gender, rate and pitch only.")
    if not settings:
        raise InputError("give a gender, rate or pitch to change.")
    gender = settings.get("gender")
    if "gender" in settings:
        if name == NARRATOR:
            raise InputError("the narrator has no gender to set: give it a voice instead.")
        if gender not in GENDERS:
            raise InputError(f"gender {gender!r}: choose {', '.join(GENDERS)}.")
    for key, (low, high, unit) in BOUNDS.items():
        if key in settings:
            value = settings[key]
            if type(value) is not int or not low <= value <= high:
                raise InputError(f"{key} {value!r}: write a whole number from {low} to {high} ({unit}).")
    return settings


def set_settings(studio: Studio, name: str, settings: dict) -> list[Change]:
    """Write the speaker's (or the narrator's) settings to voices.yaml; returns the quotes that changed."""
    if name != NARRATOR:
        studio._check_speaker(name)
    settings = checked(name, settings)
    with studio.lock:
        studio.reload_if_changed()
        return studio._fix(lambda: voicesfile.write_settings(studio.voices_path, name, settings))
