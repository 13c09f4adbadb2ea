"""The voices auto-casting may choose from, per engine: whole voices, speakers of multi-speaker models, and
variants (a whole voice shifted in pitch), each with its gender and accent.

Where they come from: espeak-ng's are the voices.yaml pools (the narrator's voice, then each gender's pool);
a neural engine's are the voices it lists (`Engine.voices()`: bundled, downloaded, or in its catalogue), a
voice id with a speaker mark (`model#12`) being a speaker of a multi-speaker model. A variant is made of a
whole voice (`shifted`): for a neural engine a pitch shift in semitones, for espeak-ng its pitch setting.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from narrate import voicelib
from narrate.casting.config import Config
from narrate.engines import get_engine
from narrate.model import Voice

Kind = Literal["voice", "speaker", "variant"]
GENDERS = ("male", "female", "neutral")
SHIFT_RANGE = (-10.0, 10.0)  # semitones: rubberband keeps formants; recall decides how far each voice may go
SHIFT_STEP = 0.25  # a shift measures a little off what was asked (heart +2 measured +1.96): tried in these steps
ESPEAK_STEPS_PER_SEMITONE = 6  # measured: en-us and en+f1 rise ~13 semitones from pitch 10 to 90
OTHER_GENDER_SHIFT = 5.0  # semitones: a voice cast as the other gender is moved this far toward it first


@dataclass(frozen=True)
class Candidate:
    voice: Voice  # as it would be cast (the speaker's rate is applied when cast)
    gender: str  # male | female | neutral
    accent: str  # language tag, lowercase: en-us, en-gb
    kind: Kind
    rank: int = 0  # the catalogue's order of preference among whole voices (best first)

    @property
    def base(self) -> str:
        return base_voice(self.voice)

    @property
    def source(self) -> str:
        return voice_file(self.voice)

    @property
    def shift(self) -> float:
        """Semitones from its base voice, roughly for espeak-ng's pitch setting; 0 for a whole voice."""
        if self.kind != "variant":
            return 0.0
        if self.voice.engine == "espeak":
            return (self.voice.pitch - Voice.pitch) / ESPEAK_STEPS_PER_SEMITONE
        return self.voice.semitones


def base_voice(voice: Voice) -> str:
    """What a voice is made from: two voices on one base differ only by pitch (and tempo), so they must be
    kept apart in pitch; voices on different bases (two models, two speakers of one model, two espeak-ng
    voice variants) sound different whatever their pitch."""
    return f"{voice.engine}:{voice.voice}"


def candidates(engine_id: str, config: Config) -> list[Candidate]:
    """The whole voices and speakers of `engine_id` that can say the book's language, best first: by the
    catalogue's quality, then its order. Whether a voice is here yet does not rank it: a cast fetches what it
    chooses (offline, what cannot be fetched is passed over), so casting again once they are here chooses the
    same voices."""
    if engine_id == "espeak":
        found = [Candidate(Voice(voice=config.narrator_voice), "neutral", _accent(config.narrator_voice), "voice")]
        for gender in GENDERS:
            found += [Candidate(Voice(voice=v), gender, _accent(v), "voice") for v in config.pools[gender]]
        ranked = list({c.voice: c for c in reversed(found)}.values())[::-1]  # a voice in two lists: its first
    else:
        ranked = [c for _, c in sorted(_neural(engine_id), key=lambda found: found[0])]
    primary = config.data.language.lower().split("-")[0]
    return [replace(c, rank=n) for n, c in enumerate(ranked) if c.accent.split("-")[0] == primary]


def _neural(engine_id: str) -> list[tuple[tuple, Candidate]]:
    """(sort key, candidate) for each voice the engine lists; a multi-speaker model's speakers one by one."""
    infos = get_engine(engine_id).voices()
    bundled_models = {info.name.partition("(")[2].rstrip(")") for info in infos}  # piper's joe is its model's
    found = []
    for order, info in enumerate(infos):
        entry = voicelib.entry(engine_id, info.id)
        if entry is None and info.id in bundled_models:
            continue
        key = (_quality(entry.quality if entry else ""), order)
        accent = info.language.lower().replace("_", "-")
        if entry is not None and entry.speakers > 1:
            found += [(key + (n,), Candidate(Voice(engine=engine_id, voice=f"{info.id}{voicelib.SPEAKER_MARK}{n}"),
                                             _gender(entry.speaker_gender(n)), accent, "speaker"))
                      for n in range(entry.speakers)]
        else:
            found.append((key + (0,), Candidate(Voice(engine=engine_id, voice=info.id), _gender(info.gender),
                                                accent, "voice")))
    return found


def _quality(quality: str) -> int:
    """piper's qualities and Kokoro's grades as one order, best first."""
    if quality.startswith("grade "):
        return "ABCDF".find(quality[6:7]) if quality[6:7] in "ABCDF" else 9
    return {"high": 0, "medium": 1, "low": 3, "x_low": 4}.get(quality, 1)


def voice_file(voice: Voice) -> str:
    """ENGINE:NAME of the voice file it needs (as `narrate voices --download` takes it): a multi-speaker
    model's speakers share their model's."""
    return f"{voice.engine}:{voice.voice.partition(voicelib.SPEAKER_MARK)[0]}"


def is_here(voice: Voice) -> bool:
    """Whether the voice's files are on this machine (bundled, downloaded, or an engine without a library)."""
    name = voice.voice.partition(voicelib.SPEAKER_MARK)[0]
    entry = voicelib.entry(voice.engine, name)
    return entry is None or voicelib.is_downloaded(voice.engine, name)


def ideal_shift(candidate: Candidate, gender: str) -> float:
    """Semitones a variant of `candidate` for a part of `gender` is best shifted by: 0, or for the other
    gender OTHER_GENDER_SHIFT toward it."""
    if {gender, candidate.gender} == {"male", "female"}:
        return OTHER_GENDER_SHIFT if gender == "female" else -OTHER_GENDER_SHIFT
    return 0.0


def shifted(candidate: Candidate, semitones: float) -> Candidate | None:
    """`candidate` (a whole voice) shifted by about `semitones` (espeak-ng: its pitch setting, in whole steps);
    None beyond SHIFT_RANGE or the pitch setting's 0-99."""
    if not SHIFT_RANGE[0] <= semitones <= SHIFT_RANGE[1]:
        return None
    if candidate.voice.engine == "espeak":
        pitch = Voice.pitch + round(semitones * ESPEAK_STEPS_PER_SEMITONE)
        voice = replace(candidate.voice, pitch=pitch) if 0 <= pitch <= 99 else None
    else:
        voice = replace(candidate.voice, semitones=semitones)
    return replace(candidate, voice=voice, kind="variant") if voice else None


def _accent(espeak_voice: str) -> str:
    return espeak_voice.split("+")[0].lower()


def _gender(gender: str) -> str:
    return gender if gender in ("male", "female") else "neutral"
