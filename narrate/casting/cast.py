"""Who speaks with which voice: Config + Script -> Casting -> Lines (what the engine will say, keyed for the cache)."""
from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from typing import Iterable, Iterator, Literal

from narrate.casting import pronounce
from narrate.casting.config import CharacterSpec, Config, VoiceSpec, where
from narrate.casting.normalize import speakable
from narrate.casting.sentences import clip_texts
from narrate.engines import get_engine, variants
from narrate.errors import ConfigError
from narrate.model import (
    BOOK_SAMPLE_RATE,
    NARRATOR,
    UNKNOWN,
    CastEntry,
    Character,
    Line,
    Script,
    Segment,
    Voice,
)

Source = Literal["voices.yaml", "auto", "default"]

# Auto-casting: once every voice of a pool is taken, its voices again at these pitches (espeak 0-99, from the
# voice's own 50), far apart first. A pitch closer than MIN_PITCH_GAP to one that a speaker already has with
# that voice is used only when no well-separated one is left.
PITCH_STEPS = (0, 16, -16, 30, -30)
MIN_PITCH_GAP = 12


@dataclass(frozen=True)
class Casting:
    narrator: Voice
    unattributed: Voice
    characters: dict[str, Voice]
    sources: dict[str, Source]  # where each character's voice came from
    # voices.yaml `pronounce:` with each key made speech-ready like the text it is matched against: the
    # book's entries, and per character that has its own, the book's merged with its own (its own win)
    book_pronounce: dict[str, str] = field(default_factory=dict)
    pronounce: dict[str, dict[str, str]] = field(default_factory=dict)

    def voice_for(self, speaker: str) -> Voice:
        if speaker == NARRATOR:
            return self.narrator
        return self.characters.get(speaker, self.unattributed)

    def pronunciations_for(self, speaker: str) -> dict[str, str]:
        return self.pronounce.get(speaker, self.book_pronounce)


def cast_entries(config: Config) -> list[CastEntry]:
    """What annotation needs to know of the characters voices.yaml names."""
    return [CastEntry(name=name, aliases=tuple(spec.aliases), gender=spec.gender)
            for name, spec in config.data.characters.items()]


def _voice(spec: VoiceSpec, voice_id: str, speed: float) -> Voice:
    rate = round((spec.rate or Voice.rate) * speed)
    return Voice(engine=spec.engine, voice=voice_id, rate=rate,
                 pitch=Voice.pitch if spec.pitch is None else spec.pitch,
                 volume=Voice.volume if spec.volume is None else spec.volume,
                 options=tuple(sorted((k, str(v)) for k, v in spec.options.items())),
                 semitones=spec.semitones, tempo=spec.tempo)


def build_casting(config: Config, characters: Iterable[Character], speed: float = 1.0) -> Casting:
    """Cast every speaker: voices.yaml first, then the default pools, deterministically.

    Speakers without a voice in voices.yaml are dealt one, most-lines-first, each the first pool voice (in the
    pool's order, most distinct first) that nobody has yet; when the pool runs out, its voices again at other
    pitches, so no two speakers share a voice and pitch. The deal is made as if nobody had a voice in
    voices.yaml, so that casting one speaker there changes no other speaker's voice; only a speaker whose dealt
    voice a voices.yaml voice then takes is dealt again, from the voices left. Nobody is auto-cast to the
    narrator's or the unattributed voice while the pool has others, and a speaker's gender (voices.yaml's,
    else the story's) picks the pool. voices.yaml characters the story never names are dealt last."""
    data = config.data
    narrator = _voice(data.narrator, config.narrator_voice, speed)
    unattributed = _voice(data.unattributed, config.unattributed_voice, speed)
    voices: dict[str, Voice] = {}
    sources: dict[str, Source] = {}
    for name, spec in data.characters.items():
        if spec.voice:
            voices[name], sources[name] = _voice(spec, spec.voice, speed), "voices.yaml"
    found = {c.name: c for c in characters if c.name not in (NARRATOR, UNKNOWN)}
    order = sorted(found, key=lambda n: (-found[n].lines, n))
    order += [name for name in data.characters if name not in found and name not in voices]

    def deal(name: str, pitches: dict[str, list[int]], as_if_uncast: bool = False) -> Voice:
        """The next free voice for `name`; `as_if_uncast`: as if voices.yaml did not give it one."""
        spec = CharacterSpec() if as_if_uncast and name in voices else data.characters.get(name, CharacterSpec())
        gender = spec.gender or (found[name].gender if name in found else None) or "neutral"
        pool = config.pools[gender]
        others = [v for v in pool if v not in (narrator.voice, unattributed.voice)]
        voice_id, pitch = next(_free_voices(others or pool, pitches, spec.pitch))
        pitches[voice_id].append(pitch)
        return replace(_voice(spec, voice_id, speed), pitch=pitch)

    unbiased = _pitches_of([narrator, unattributed])  # the deal as if voices.yaml gave nobody a voice
    dealt = {name: deal(name, unbiased, as_if_uncast=True) for name in order}
    cast = list(voices.values())
    kept = {name: v for name, v in dealt.items() if name not in voices and not _clashes(v, cast)}
    pitches = _pitches_of([narrator, unattributed, *cast, *kept.values()])
    for name in order:
        if name not in voices:
            voices[name] = kept[name] if name in kept else deal(name, pitches)
            sources[name] = "default" if name in data.characters else "auto"
    book_pronounce = _speakable_keys(data.pronounce, data.language)
    pronounce = {name: {**book_pronounce, **_speakable_keys(spec.pronounce, data.language)}
                 for name, spec in data.characters.items() if spec.pronounce}
    return Casting(narrator=narrator, unattributed=unattributed, characters=voices, sources=sources,
                   book_pronounce=book_pronounce, pronounce=pronounce)


def _pitches_of(voices: Iterable[Voice]) -> dict[str, list[int]]:
    """Voice id -> the pitches speakers have it at."""
    pitches: dict[str, list[int]] = defaultdict(list)
    for voice in voices:
        pitches[voice.voice].append(voice.pitch)
    return pitches


def _clashes(voice: Voice, others: Iterable[Voice]) -> bool:
    """Too close to one of `others` to tell apart: the same voice at a pitch less than MIN_PITCH_GAP away."""
    return any(o.voice == voice.voice and abs(o.pitch - voice.pitch) < MIN_PITCH_GAP for o in others)


def _free_voices(candidates: list[str], pitches: dict[str, list[int]],
                 fixed_pitch: int | None) -> Iterator[tuple[str, int]]:
    """(voice id, pitch) choices among `candidates`, best first: a voice nobody has, at its own pitch (or the
    speaker's `pitch:`); then each voice at the PITCH_STEPS that are well apart from every pitch speakers have
    it at; then at any pitch nobody has it at. Only a hundred speakers on one voice would leave none: then it
    is shared."""
    if fixed_pitch is None:
        well_apart = [Voice.pitch + step for step in PITCH_STEPS]
        any_free = sorted(range(100), key=lambda p: (abs(p - Voice.pitch), p))
    else:
        well_apart = any_free = [fixed_pitch]
    for voice_id in candidates:
        if not pitches[voice_id]:
            yield voice_id, well_apart[0]
    for pitch in well_apart:
        for voice_id in candidates:
            if all(abs(pitch - taken) >= MIN_PITCH_GAP for taken in pitches[voice_id]):
                yield voice_id, pitch
    for pitch in any_free:
        for voice_id in candidates:
            if pitch not in pitches[voice_id]:
                yield voice_id, pitch
    yield candidates[0], any_free[0]


def _speakable_keys(entries: dict[str, str], language: str) -> dict[str, str]:
    """Pronunciation entries keyed as speakable() writes the word, since that is the text they are applied to."""
    return {speakable(word, language): spoken for word, spoken in entries.items()}


def check_voice_ids(config: Config) -> None:
    """Every voice id in voices.yaml must exist in its engine: an unknown one is an error listing the nearest."""
    data = config.data
    specs = [("narrator.voice", data.narrator, config.narrator_voice),
             ("unattributed.voice", data.unattributed, config.unattributed_voice)]
    specs += [(f"characters.{name}.voice", spec, spec.voice) for name, spec in data.characters.items() if spec.voice]
    pools = [(f"defaults.{gender}.{n}", VoiceSpec(), voice)
             for gender, ids in config.pools.items() for n, voice in enumerate(ids)]
    for key, spec, voice_id in specs + pools:
        engine = get_engine(spec.engine)
        suggestions = engine.suggest_voices(voice_id)
        if suggestions is not None:
            near = ", ".join(suggestions) if suggestions else "none close"
            raise ConfigError(f"{where(config, key)}: {key}: voice '{voice_id}' does not exist in engine "
                              f"'{engine.engine_id}'. Nearest: {near}. `narrate voices` lists them all.")


def clip_key(voice: Voice, engine_version: str, text: str) -> str:
    """Names a clip in the cache: the same engine, version, voice and words always give the same audio."""
    if voice.is_variant:  # the variant's samples also depend on ffmpeg and the method it offers
        engine_version += " / " + variants.variant_version()
    engine_version += get_engine(voice.engine).voice_version(voice.voice)  # a downloaded voice's files
    payload = json.dumps({"engine": voice.engine, "version": engine_version, "voice": asdict(voice), "text": text,
                          "rate": BOOK_SAMPLE_RATE}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def announcement(part: int, text: str, evidence: str) -> Segment:
    """Words the narrator says that are not part of the script (a chapter title, the credits), as a segment
    so they are cast, cached and timed like any line of the part's audio."""
    return Segment(chapter=part, index=-1, kind="narration", text=text, start=-1, end=-1, paragraph=-1,
                   evidence=evidence)


def lines_for(segments: Iterable[Segment], casting: Casting, language: str = "en",
              whole: bool = False) -> list[Line]:
    """The Lines of the spoken segments (skipped segments produce none), each text made speech-ready, then said
    the way the speaker's `pronounce:` entries (over the book's) say.

    A segment is one Line, unless its text is longer than sentences.MAX_CLIP_CHARS (a letter, a story told, a
    long paragraph): then one Line per sentence (sentences.clip_texts), all in the segment's voice, each with
    the segment as its `segment` but only its own words as the text (so a subtitle cue and the manifest's
    timing still name the segment). `whole`: one Line per segment whatever its length (the chapter titles and
    credits, one clip each).

    The script keeps the words as written; only what the engine is asked to say (and so the cache key) changes."""
    versions: dict[str, str] = {}
    lines = []
    for segment in segments:
        if segment.kind == "skipped" or not segment.text.strip():
            continue
        speaker = segment.speaker if segment.kind == "dialogue" else NARRATOR
        voice = casting.voice_for(speaker)
        if voice.engine not in versions:
            versions[voice.engine] = get_engine(voice.engine).version()
        pieces = [segment.text] if whole else clip_texts(segment.text)
        for piece in pieces:
            text = pronounce.apply(speakable(piece, language), casting.pronunciations_for(speaker))
            lines.append(Line(segment=segment if len(pieces) == 1 else replace(segment, text=piece), voice=voice,
                              text_to_speak=text, key=clip_key(voice, versions[voice.engine], text)))
    return lines


def unused_characters(script: Script, config: Config) -> list[str]:
    """A warning (`file:line: what and the fix`) per voices.yaml character that neither speaks in the story
    nor is named in it, by its name or an alias: a misspelling, or an entry for another story."""
    speakers = {s.speaker for s in script.segments if s.kind == "dialogue"}
    found_names = [c.name for c in script.characters]
    warnings = []
    for name, spec in config.data.characters.items():
        names = [name, *spec.aliases]
        if name in speakers or any(_mentions(script.book.source, n) for n in names):
            continue
        others = [n for n in found_names if n != name]  # the entry itself is among the characters: never "did you mean" it
        close = difflib.get_close_matches(name, others, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        warnings.append(f"{where(config, f'characters.{name}')}: characters.{name}: not found in "
                        f"{script.book.path}: the story never names {' or '.join(map(repr, names))}.{hint} "
                        f"Check the spelling, or remove the entry if it belongs to another story.")
    return warnings


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


# The variants `narrate voices --sample --engine hibari|piper` auditions of the bundled voice (auto-casting,
# casting/autocast.py, chooses its own by measurement). Per gender, (semitones, tempo).
PRESET_VOICES = {"hibari": ("heart", "female"), "piper": ("joe", "male")}
_PRESET_VARIANTS = {
    "same": [(2.0, 1.06), (-2.5, 0.94), (4.0, 1.0), (-4.5, 1.04), (1.0, 0.9)],  # (0, ~1) is the narrator's
    "other": [(-4.0, 0.97), (-6.0, 1.03), (-2.5, 0.92), (-8.0, 1.0), (-5.0, 1.08), (-3.0, 1.0)],
    "neutral": [(-1.5, 1.1), (1.5, 0.92), (-3.5, 1.12)],
}
_PRESET_NARRATOR = (0.0, 0.97)
_PRESET_UNATTRIBUTED = (-1.0, 1.15)


def preset_variants() -> list[tuple[float, float]]:
    """Every (semitones, tempo) a preset may cast, the narrator's and the unattributed voice's first."""
    return [_PRESET_NARRATOR, _PRESET_UNATTRIBUTED, *(v for pool in _PRESET_VARIANTS.values() for v in pool)]
