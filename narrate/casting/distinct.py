"""Choose a voice for every part so that no two sound alike and none is hard to follow, by measurement.

Parts are cast busiest first (the narrator first of all). Each takes the first candidate, in this order, that
keeps the rules: whole voices of its gender (the book's accent first, then the library's order), speakers of
multi-speaker models of its gender (for all but the MAIN_PARTS busiest parts, these come first), variants of
its gender's whole voices (the shifts nearest its own pitch first, across voices; the shifts offered are packed
MIN_APART apart by measurement, see _ladder), and only then variants of the other gender's voices, those
nearest library.OTHER_GENDER_SHIFT toward its gender first. A part of unknown gender (neutral) fits every voice; a speaker whose gender
the model's published metadata does not give fits the gender its measured pitch says (GENDER_PITCH).

The rules, on measured audio (measure.py):
- distinct: two parts on one base voice (library.base_voice) are at least MIN_APART semitones apart in median
  pitch; on different base voices they differ anyway.
- intelligible: a voice's word recall is at least MIN_RECALL_RATIO times that of the engine's reference voice
  (its first whole voice, unshifted), measured the same way. Relative, because the recogniser hears engines
  unequally (espeak-ng's en-us ~0.25, hibari's heart ~0.92 on the same passage).
When no candidate keeps both, the part takes the intelligible candidate farthest from its base's other voices
and is named in `crowded`; a voice whose engine cannot say it (not downloaded, offline) is passed over and
named in `unavailable` (and in `unfetched` when a download failed), one whose recall is too low in `rejected`.
A host that gives no answer is tried once per cast: its other voices are passed over at once (download.py).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain, combinations

from narrate.casting.library import (
    SHIFT_RANGE,
    SHIFT_STEP,
    Candidate,
    base_voice,
    ideal_shift,
    shifted,
)
from narrate.casting.measure import Measurement, describe
from narrate.casting.recall import RecogniserMissing
from narrate.errors import EngineError
from narrate.model import NARRATOR, Voice
from narrate.voicelib import DownloadError
from narrate.voicelib.download import one_try_per_host

MIN_APART = 2.0  # semitones: a smaller step in median pitch does not make one voice into two
# Half the reference's recall, from hibari heart's measured curve (README, "Auto-casting by measurement"): ~0.92
# within +/-2 semitones, >= 0.68 from -7.5 to +3, then a cliff (+4.5: 0.30, -9: 0.29) where the shift breaks
# the voice up. The floor sits at the cliff: a voice under it the recogniser (and a listener) loses.
MIN_RECALL_RATIO = 0.5

MAIN_PARTS = 8  # the busiest parts, narrator included, take whole voices before speakers of a multi-speaker model
FINE_STEP = 0.5  # semitones: the shifts tried for a part that no voice keeps MIN_APART from the others
GENDER_PITCH = 52.0  # MIDI semitones, ~165 Hz: below it a speaker of unpublished gender counts as male

Measure = Callable[[Voice, bool], Measurement]  # (voice, with_recall) -> its measurement


@dataclass(frozen=True)
class Role:
    name: str
    gender: str  # male | female | neutral
    lines: int
    fixed: Voice | None = None  # voices.yaml gives it this voice: kept, and the others kept apart from it


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    semitones: float
    same_base: bool


@dataclass
class Choices:
    voices: dict[str, Voice] = field(default_factory=dict)
    pitches: dict[str, float] = field(default_factory=dict)  # each part's median pitch, MIDI semitones
    recalls: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.0  # the lowest recall a voice may have
    reference: str = ""  # the voice the threshold is relative to, and its recall
    reference_recall: float = 0.0
    rejected: dict[str, str] = field(default_factory=dict)  # voice -> why it is not followed well enough
    unavailable: dict[str, str] = field(default_factory=dict)  # voice file (Candidate.source) -> why it is not here
    unfetched: set[str] = field(default_factory=set)  # those of `unavailable` a download failed for (offline, 404)
    failed_shifts: list[tuple[str, float]] = field(default_factory=list)  # (base, shift) too hard to follow
    ladders: dict[str, list] = field(default_factory=dict)  # base -> its variants a cast may use (_ladder)
    crowded: list[str] = field(default_factory=list)  # parts no voice kept MIN_APART from their base's others


def choose(roles: list[Role], pool: list[Candidate], measure: Measure, language: str = "") -> Choices:
    """A voice for every role, by the rules above. `pool`: whole voices and speakers (library.candidates)."""
    choices = Choices()
    with one_try_per_host():  # a host that gives no answer costs one connect timeout, not one per voice on it
        _set_threshold(choices, pool, measure)
        for role in roles:
            if role.fixed is not None:
                choices.voices[role.name] = role.fixed
                choices.pitches[role.name] = measure(role.fixed, False).pitch
        order = sorted((r for r in roles if r.fixed is None), key=lambda r: (r.name != NARRATOR, -r.lines, r.name))
        for n, role in enumerate(order):
            preference = _preference(role, pool, language, n < MAIN_PARTS, measure, choices)
            _cast(role, preference, lambda role=role: _finer(role, pool), measure, choices)
    return choices


def nearest_pair(voices: dict[str, Voice], pitches: dict[str, float]) -> Pair | None:
    """The two parts most alike: the closest in pitch of those on one base voice, else the closest of all."""
    pairs = [Pair(a, b, abs(pitches[a] - pitches[b]), base_voice(voices[a]) == base_voice(voices[b]))
             for a, b in combinations(sorted(voices), 2) if not math.isnan(pitches[a] - pitches[b])]
    return min(pairs, key=lambda p: (not p.same_base, p.semitones, p.a, p.b), default=None)


def _set_threshold(choices: Choices, pool: list[Candidate], measure: Measure) -> None:
    for candidate in (c for c in pool if c.kind == "voice"):
        try:
            recall = measure(candidate.voice, True).recall
        except RecogniserMissing:
            raise
        except EngineError as err:
            _pass_over(candidate, err, choices)
            continue
        choices.reference, choices.reference_recall = describe(candidate.voice), recall or 0.0
        choices.threshold = MIN_RECALL_RATIO * (recall or 0.0)
        return
    raise EngineError("no voice to cast with: " + "; ".join(f"{v}: {why}" for v, why in choices.unavailable.items()))


def _preference(role: Role, pool: list[Candidate], language: str, main: bool, measure: Measure,
                choices: Choices) -> Iterator[Candidate]:
    """`role`'s candidates, best first; `main`: one of the MAIN_PARTS busiest parts (whole voices before
    speakers of a multi-speaker model, which minor parts take first)."""
    region = language.lower() if "-" in language else None

    def fits(c: Candidate) -> bool:  # a speaker whose gender is not published may fit: its pitch decides
        return role.gender == "neutral" or c.gender == role.gender or (c.kind == "speaker" and c.gender == "neutral")

    def ordered(found: Iterator[Candidate]) -> list[Candidate]:
        return sorted(found, key=lambda c: (region is not None and c.accent != region, c.rank))

    whole = ordered(c for c in pool if c.kind == "voice")
    own = [c for c in whole if fits(c)]
    speakers = ordered(c for c in pool if c.kind == "speaker" and fits(c))
    yield from chain(own, speakers) if main else chain(speakers, own)
    for voices in (own, [c for c in whole if not fits(c)]):
        rungs = [r for c in voices for r in _ladder(c, measure, choices)]
        yield from sorted(rungs, key=lambda r: abs(r.shift - ideal_shift(r, role.gender)))  # stable: voices' order


def _ladder(whole: Candidate, measure: Measure, choices: Choices) -> list[Candidate]:
    """The variants of `whole` a cast may use: from its own pitch outward, each way, each the smallest shift
    (in SHIFT_STEP) whose measured pitch is MIN_APART from the one before. Packed this tightly, as many parts
    as can be told apart fit within the shifts a listener can follow."""
    if whole.base in choices.ladders or whole.source in choices.unavailable:
        return choices.ladders.get(whole.base, [])
    rungs: list[Candidate] = []
    try:
        start = measure(whole.voice, False).pitch
        for direction in (-1, 1):
            last, shift = start, direction * MIN_APART
            while (variant := shifted(whole, shift)) is not None:
                pitch = measure(variant.voice, False).pitch
                if abs(pitch - last) >= MIN_APART:
                    rungs.append(variant)
                    last, shift = pitch, shift + direction * MIN_APART
                else:
                    shift += direction * SHIFT_STEP
    except EngineError as err:
        _pass_over(whole, err, choices)
    choices.ladders[whole.base] = rungs
    return rungs


def _cast(role: Role, preference: Iterator[Candidate], fallback: Callable[[], Iterator[Candidate]],
          measure: Measure, choices: Choices) -> None:
    """Give `role` the first of `preference` that keeps both rules; failing that, the intelligible one of those
    and of `fallback` (finer shifts, measured only now) farthest from its base's other voices."""
    crowding: list[tuple[float, Candidate, float]] = []  # (gap to the nearest on its base, candidate, pitch)
    for candidate in preference:
        pitch = _usable_pitch(candidate, role, measure, choices)
        if pitch is None:
            continue
        gap = _gap(candidate.voice, pitch, choices)
        if gap < MIN_APART:
            crowding.append((gap, candidate, pitch))
        elif _intelligible(candidate, measure, choices):
            _take(role, candidate.voice, pitch, measure, choices)
            return
    for candidate in fallback():
        pitch = _usable_pitch(candidate, role, measure, choices)
        if pitch is not None:
            crowding.append((_gap(candidate.voice, pitch, choices), candidate, pitch))
    for _, candidate, pitch in sorted(crowding, key=lambda c: -c[0]):
        if not _too_far(candidate, choices) and _intelligible(candidate, measure, choices):
            _take(role, candidate.voice, pitch, measure, choices)
            choices.crowded.append(role.name)
            return
    raise EngineError(f"no voice left that can be followed for {role.name}: every candidate's recall is below "
                      f"{choices.threshold:.2f}")


def _usable_pitch(candidate: Candidate, role: Role, measure: Measure, choices: Choices) -> float | None:
    """The candidate's measured pitch, or None when it cannot be cast: not here, too far shifted, silent, or a
    speaker of unpublished gender whose pitch is not the role's gender."""
    voice = candidate.voice
    if describe(voice) in choices.rejected or candidate.source in choices.unavailable or _too_far(candidate,
                                                                                                   choices):
        return None
    try:
        pitch = measure(voice, False).pitch
    except RecogniserMissing:
        raise
    except EngineError as err:
        _pass_over(candidate, err, choices)
        return None
    if math.isnan(pitch):
        choices.rejected[describe(voice)] = "no voiced speech measured"
        return None
    if candidate.gender != role.gender and candidate.kind == "speaker" and _sounds(pitch) != role.gender:
        return None  # a speaker whose gender is not published, and whose pitch says it is not the role's
    return pitch


def _finer(role: Role, pool: list[Candidate]) -> Iterator[Candidate]:
    """For a part no candidate keeps apart: its gender's whole voices (else any) at every FINE_STEP shift."""
    whole = [c for c in pool if c.kind == "voice"]
    own = [c for c in whole if role.gender == "neutral" or c.gender == role.gender] or whole
    steps = range(round(SHIFT_RANGE[0] / FINE_STEP), round(SHIFT_RANGE[1] / FINE_STEP) + 1)
    for voice in own:
        yield from (v for v in (shifted(voice, n * FINE_STEP) for n in steps) if v is not None)


def _pass_over(candidate: Candidate, err: EngineError, choices: Choices) -> None:
    """`candidate`'s voice file cannot be had: not downloaded and not fetched now (offline, or not on its host),
    or its engine cannot say it."""
    choices.unavailable[candidate.source] = str(err)
    if isinstance(err, DownloadError):
        choices.unfetched.add(candidate.source)


def _sounds(pitch: float) -> str:
    """male or female by median pitch: adult men speak around 85-155 Hz, women around 165-255 Hz."""
    return "male" if pitch < GENDER_PITCH else "female"


def _too_far(candidate: Candidate, choices: Choices) -> bool:
    """A variant shifted further, the same way, than one of its base that was too hard to follow: a
    recogniser follows a voice less the further it is shifted, so it is not measured (each recall costs
    seconds)."""
    shift = candidate.shift
    return any(b == candidate.base and s * shift > 0 and abs(shift) >= abs(s) for b, s in choices.failed_shifts)


def _gap(voice: Voice, pitch: float, choices: Choices) -> float:
    """Semitones to the nearest part on the same base voice (infinite when none is)."""
    base = base_voice(voice)
    gaps = [abs(pitch - choices.pitches[name]) for name, v in choices.voices.items() if base_voice(v) == base]
    return min(gaps, default=math.inf)


def _intelligible(candidate: Candidate, measure: Measure, choices: Choices) -> bool:
    recall = measure(candidate.voice, True).recall or 0.0
    if recall < choices.threshold:
        choices.rejected[describe(candidate.voice)] = f"recall {recall:.2f} < {choices.threshold:.2f}"
        if candidate.shift:
            choices.failed_shifts.append((candidate.base, candidate.shift))
        return False
    return True


def _take(role: Role, voice: Voice, pitch: float, measure: Measure, choices: Choices) -> None:
    choices.voices[role.name] = voice
    choices.pitches[role.name] = pitch
    choices.recalls[role.name] = measure(voice, True).recall or 0.0
