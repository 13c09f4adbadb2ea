"""Manual fixes that survive re-parsing: voices.yaml `overrides:`, an edited script read back, and pins
(`narrate script --pin`).

Each names a speaker for some dialogue; the whole utterance (every piece of a split quote) follows, the evidence
becomes `override`, and the character list is recounted so casting sees the fixed speakers. Given to annotation
as pins (`annotate(..., pins=...)`), they are also decoded around: the quotes that took turns with a pinned
one follow it (choose.py).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from narrate.errors import ConfigError
from narrate.model import NARRATOR, UNKNOWN, Character, Script, Segment


@dataclass(frozen=True)
class Override:
    speaker: str
    quote: str | None = None  # words of the quote (any part of it), case and spacing ignored
    chapter: int | None = None  # with paragraph: 1-based, as `narrate script` prints them
    paragraph: int | None = None
    start: int | None = None  # with end: offsets of the quote, as `narrate script --format quotes-json` gives them
    end: int | None = None
    where: str = ""  # file:line of the entry, for warnings
    every: bool = False  # voices.yaml `all: true`: the quote's words may match several quotes, all meant


@lru_cache(maxsize=1 << 16)  # a book's quotes, matched again against every rule at each fix in the studio
def _words(text: str) -> str:
    return " ".join("".join(ch.lower() if ch.isalnum() or ch.isspace() else " " for ch in text).split())


def matches(rule: Override, segment: Segment) -> bool:
    """The rule means this dialogue segment: its words are in it, it is at that chapter and paragraph, or the
    rule's span covers at least half of the shorter of the two."""
    if rule.quote is not None:
        return _words(rule.quote) in _words(segment.text)
    if rule.start is not None and rule.end is not None:
        shared = min(rule.end, segment.end) - max(rule.start, segment.start)
        return shared > 0 and shared * 2 >= min(rule.end - rule.start, segment.end - segment.start)
    return segment.chapter == rule.chapter and segment.paragraph + 1 == rule.paragraph


def apply_overrides(script: Script, rules: Sequence[Override]) -> Script:
    """Give the rules' speakers to the dialogue they match; a rule that matches nothing is a warning."""
    warnings = list(script.warnings)
    chosen: dict[int, str] = {}
    for rule in rules:
        hits = [s for s in script.segments if s.kind == "dialogue" and matches(rule, s)]
        if not hits:
            what = (f"quote {rule.quote!r}" if rule.quote else f"offsets {rule.start}-{rule.end}" if rule.start is not None
                    else f"chapter {rule.chapter} paragraph {rule.paragraph}")
            warnings.append(f"{rule.where}: override for {what} matches no dialogue; check the words or numbers "
                            f"against `narrate script`.")
        if rule.quote is not None and not rule.every:
            _one_utterance(rule, hits)
        for segment in hits:
            chosen[segment.index] = rule.speaker
    fixed = with_speakers(script, lambda s: chosen.get(s.index), "override")
    return replace(fixed, warnings=tuple(warnings))


def _one_utterance(rule: Override, hits: Sequence[Segment]) -> None:
    """A `quote:` rule names one quote (any piece of it): words common enough to be in several would give all of
    them to one speaker ("my dear" reassigned 146 quotes of a novel), so that takes an explicit `all: true`."""
    utterances = {s.utterance if s.utterance is not None else -1 - s.index: s for s in hits}
    if len(utterances) < 2:
        return
    places = [f"chapter {s.chapter} paragraph {s.paragraph + 1}" for s in list(utterances.values())[:3]]
    more = ", ..." if len(utterances) > 3 else ""
    raise ConfigError(f"{rule.where}: overrides: quote {rule.quote!r} is in {len(utterances)} quotes "
                      f"({', '.join(places)}{more}), and an override means one. Add words so that only the one you "
                      f"mean has them, or name it by `chapter:` and `paragraph:` (as `narrate script --review` "
                      f"shows them); or add `all: true` to give all {len(utterances)} to {rule.speaker}.")


def with_speakers(script: Script, speaker_of: Callable[[Segment], str | None], evidence: str) -> Script:
    """Set the speaker that `speaker_of` names (None: keep) on dialogue, spreading it over each utterance."""
    by_utterance: dict[int, str] = {}
    for segment in script.segments:
        name = speaker_of(segment) if segment.kind == "dialogue" else None
        if name is not None:
            by_utterance[segment.utterance if segment.utterance is not None else -1 - segment.index] = name
    if not by_utterance:
        return script

    def fix(segment: Segment) -> Segment:
        key = segment.utterance if segment.utterance is not None else -1 - segment.index
        if segment.kind != "dialogue" or key not in by_utterance:
            return segment
        return replace(segment, speaker=by_utterance[key], evidence=evidence, confidence=1.0)

    segments = tuple(fix(s) for s in script.segments)
    return replace(script, segments=segments, characters=recount(script.characters, segments))


def recount(characters: Sequence[Character], segments: Sequence[Segment]) -> tuple[Character, ...]:
    """Lines per speaker (utterances), keeping known characters' aliases and gender; new speakers are added."""
    utterances = {(s.speaker, s.utterance if s.utterance is not None else -1 - s.index)
                  for s in segments if s.kind == "dialogue"}
    lines = Counter(speaker for speaker, _ in utterances)
    known = {c.name: c for c in characters}
    updated = [replace(c, lines=lines.get(c.name, 0)) for c in characters]
    updated += [Character(name=name, lines=count) for name, count in sorted(lines.items())
                if name not in known and name not in (NARRATOR, UNKNOWN)]
    return tuple(updated)
