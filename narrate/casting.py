"""Who speaks with which voice: Config + Script -> Casting -> Lines (what the engine will say, keyed for the cache)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Iterable, Literal

from .config import Config, VoiceSpec, where
from .engines import get_engine
from .errors import ConfigError
from .model import NARRATOR, UNKNOWN, CastEntry, Character, Line, Script, Segment, Voice
from .normalize import speakable

Source = Literal["voices.yaml", "auto", "default"]


@dataclass(frozen=True)
class Casting:
    narrator: Voice
    unattributed: Voice
    characters: dict[str, Voice]
    sources: dict[str, Source]  # where each character's voice came from

    def voice_for(self, speaker: str) -> Voice:
        if speaker == NARRATOR:
            return self.narrator
        return self.characters.get(speaker, self.unattributed)


def cast_entries(config: Config) -> list[CastEntry]:
    """What annotation needs to know of the characters voices.yaml names."""
    return [CastEntry(name=name, aliases=tuple(spec.aliases), gender=spec.gender)
            for name, spec in config.data.characters.items()]


def _voice(spec: VoiceSpec, voice_id: str, speed: float) -> Voice:
    rate = round((spec.rate or Voice.rate) * speed)
    return Voice(engine=spec.engine, voice=voice_id, rate=rate,
                 pitch=Voice.pitch if spec.pitch is None else spec.pitch,
                 volume=Voice.volume if spec.volume is None else spec.volume,
                 options=tuple(sorted((k, str(v)) for k, v in spec.options.items())))


def build_casting(config: Config, characters: Iterable[Character], speed: float = 1.0) -> Casting:
    """Cast every speaker: voices.yaml first, then the default pools, deterministically.

    Uncast speakers are taken most-lines-first so the busiest get the first (most distinct) pool voices;
    nobody is auto-cast to the narrator's or the unattributed voice while the pool has others."""
    data = config.data
    narrator = _voice(data.narrator, config.narrator_voice, speed)
    unattributed = _voice(data.unattributed, config.unattributed_voice, speed)
    voices: dict[str, Voice] = {}
    sources: dict[str, Source] = {}
    for name, spec in data.characters.items():
        if spec.voice:
            voices[name], sources[name] = _voice(spec, spec.voice, speed), "voices.yaml"
    taken = {narrator.voice, unattributed.voice, *(v.voice for v in voices.values())}
    found = {c.name: c for c in characters}
    uncast = [name for name in data.characters if name not in voices]
    uncast += sorted((n for n in found if n not in data.characters and n not in (NARRATOR, UNKNOWN)),
                     key=lambda n: (-found[n].lines, n))
    next_in_pool = {gender: 0 for gender in config.pools}
    for name in uncast:
        spec = data.characters.get(name)
        gender = (spec.gender if spec else None) or (found[name].gender if name in found else None) or "neutral"
        pool = config.pools[gender]
        fresh = [v for v in pool if v not in taken] or [v for v in pool if v not in (narrator.voice, unattributed.voice)] or pool
        voice_id = fresh[next_in_pool[gender] % len(fresh)] if fresh is pool else fresh[0]
        next_in_pool[gender] += 1
        taken.add(voice_id)
        voices[name] = _voice(spec or VoiceSpec(), voice_id, speed)
        sources[name] = "auto" if spec is None else "default"
    return Casting(narrator=narrator, unattributed=unattributed, characters=voices, sources=sources)


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
    payload = json.dumps({"engine": voice.engine, "version": engine_version, "voice": asdict(voice), "text": text},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def title_segment(chapter_index: int, title: str) -> Segment:
    """The spoken chapter announcement: not part of the script, but a line of the chapter's audio."""
    return Segment(chapter=chapter_index, index=-1, kind="narration", text=title, start=-1, end=-1,
                   paragraph=-1, evidence="chapter-title")


def lines_for(segments: Iterable[Segment], casting: Casting, language: str = "en") -> list[Line]:
    """One Line per spoken segment (skipped segments produce none), its text made speech-ready.

    The script keeps the words as written; only what the engine is asked to say (and so the cache key) changes."""
    versions: dict[str, str] = {}
    lines = []
    for segment in segments:
        if segment.kind == "skipped" or not segment.text.strip():
            continue
        voice = casting.voice_for(segment.speaker if segment.kind == "dialogue" else NARRATOR)
        if voice.engine not in versions:
            versions[voice.engine] = get_engine(voice.engine).version()
        text = speakable(segment.text, language)
        lines.append(Line(segment=segment, voice=voice, text_to_speak=text,
                          key=clip_key(voice, versions[voice.engine], text)))
    return lines

