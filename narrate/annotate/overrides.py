"""Manual fixes that survive re-parsing: voices.yaml `overrides:`, an edited script read back, and pins
(`narrate script --pin`).

Each names a speaker for some dialogue; the whole utterance (every piece of a split quote) follows, the evidence
becomes `override`, and the character list is recounted so casting sees the fixed speakers. Given to annotation
as pins (`annotate(..., pins=...)`), they are also decoded around: the quotes that took turns with a pinned
one follow it (choose.py).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
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
    dialogue = Dialogue(script.segments)
    for rule in rules:
        hits = dialogue.hits(rule)
        if not hits:
            what = (f"quote {rule.quote!r}" if rule.quote else f"offsets {rule.start}-{rule.end}" if rule.start is not None
                    else f"chapter {rule.chapter} paragraph {rule.paragraph}")
            warnings.append(f"{rule.where}: override for {what} matches no dialogue; check the words or numbers "
                            f"against `narrate script`.")
        if rule.quote is not None and not rule.every:
            _one_utterance(rule, hits)
        for segment in hits:
            chosen[segment.index] = rule.speaker
    by_utterance = {}
    for segment in dialogue.segments:  # in book order: of an utterance's pieces named differently, the last wins
        if segment.index in chosen:
            by_utterance[_utterance(segment)] = chosen[segment.index]
    fixed = _spread(script, by_utterance, "override", dialogue)
    return replace(fixed, warnings=tuple(warnings))


class Dialogue:
    """A script's dialogue looked up by a rule's words, place or offsets: a fix in the studio applies every
    override of the book again, and matching each against every quote cost ~0.4 s on a novel per fix. Each
    index is made on first use; the segments it offers are then checked with `matches`, so the hits are the ones
    a scan of the book finds, in book order."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self.positions = [n for n, s in enumerate(segments) if s.kind == "dialogue"]  # in the script
        self.segments = [segments[n] for n in self.positions]
        self._text: str | None = None  # every quote's _words, one a line: a rule's words found by str.find
        self._line_starts: list[int] = []
        self._places: dict[tuple[int, int], list[int]] | None = None  # (chapter, 1-based paragraph) -> positions
        self._by_start: list[tuple[int, int]] = []  # (start offset, position), sorted
        self._longest = 0

    def hits(self, rule: Override) -> list[Segment]:
        """The dialogue segments `rule` matches, in book order."""
        return [self.segments[n] for n in self._candidates(rule) if matches(rule, self.segments[n])]

    def _candidates(self, rule: Override) -> list[int] | range:
        """Positions of the quotes the rule may match (at least every one it does), ascending."""
        if rule.quote is not None:
            words = _words(rule.quote)
            return self._containing(words) if words else range(len(self.segments))
        if rule.start is not None and rule.end is not None:
            return self._overlapping(rule.start, rule.end)
        if self._places is None:
            self._places = {}
            for n, segment in enumerate(self.segments):
                self._places.setdefault((segment.chapter, segment.paragraph + 1), []).append(n)
        return self._places.get((rule.chapter, rule.paragraph), [])

    def _containing(self, words: str) -> list[int]:
        if self._text is None:
            lines = [_words(s.text) for s in self.segments]
            self._line_starts, at = [], 0
            for line in lines:
                self._line_starts.append(at)
                at += len(line) + 1
            self._text = "\n".join(lines)  # _words holds no line break, so a find never spans two quotes
        found, at = [], self._text.find(words)
        while at != -1:
            line = bisect_right(self._line_starts, at) - 1
            found.append(line)
            if line + 1 == len(self._line_starts):
                break
            at = self._text.find(words, self._line_starts[line + 1])
        return found

    def pieces(self, utterances: set[int] | dict[int, str]) -> list[int]:
        """Where in the script the pieces of these utterances (_utterance's keys) are: one pass, no list or call
        per quote (a map of every utterance cost ~0.1 s of a fix on a novel)."""
        return [n for n, s in zip(self.positions, self.segments)
                if (s.utterance if s.utterance is not None else -1 - s.index) in utterances]

    def _overlapping(self, start: int, end: int) -> list[int]:
        """Quotes that start before `end` and may end after `start` (none is longer than the longest)."""
        if not self._by_start and self.segments:
            self._by_start = sorted((s.start, n) for n, s in enumerate(self.segments))
            self._longest = max(s.end - s.start for s in self.segments)
        low = bisect_right(self._by_start, (start - self._longest, len(self.segments)))
        high = bisect_left(self._by_start, (end, -1))
        return sorted(n for _, n in self._by_start[low:high])


def _one_utterance(rule: Override, hits: Sequence[Segment]) -> None:
    """A `quote:` rule names one quote (any piece of it): words common enough to be in several would give all of
    them to one speaker ("my dear" reassigned 146 quotes of a novel), so that takes an explicit `all: true`."""
    utterances = {_utterance(s): s for s in hits}
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
    dialogue = Dialogue(script.segments)
    by_utterance: dict[int, str] = {}
    for segment in dialogue.segments:
        name = speaker_of(segment)
        if name is not None:
            by_utterance[_utterance(segment)] = name
    return _spread(script, by_utterance, evidence, dialogue)


def _utterance(segment: Segment) -> int:
    return segment.utterance if segment.utterance is not None else -1 - segment.index


def _spread(script: Script, by_utterance: dict[int, str], evidence: str, dialogue: Dialogue) -> Script:
    """Each utterance's pieces given its speaker; only they are touched (a novel has tens of thousands of
    segments, and a fix in the studio names a few)."""
    if not by_utterance:
        return script
    segments = list(script.segments)
    for n in dialogue.pieces(by_utterance):
        segments[n] = replace(segments[n], speaker=by_utterance[_utterance(segments[n])], evidence=evidence,
                              confidence=1.0)
    counted = Counter(speaker for speaker, _ in {(s.speaker, s.utterance if s.utterance is not None else -1 - s.index)
                                                 for s in map(segments.__getitem__, dialogue.positions)})
    return replace(script, segments=tuple(segments), characters=_with_lines(script.characters, counted))


def recount(characters: Sequence[Character], segments: Sequence[Segment]) -> tuple[Character, ...]:
    """Lines per speaker (utterances), keeping known characters' aliases and gender; new speakers are added."""
    utterances = {(s.speaker, _utterance(s)) for s in segments if s.kind == "dialogue"}
    return _with_lines(characters, Counter(speaker for speaker, _ in utterances))


def _with_lines(characters: Sequence[Character], lines: Counter) -> tuple[Character, ...]:
    known = {c.name: c for c in characters}
    updated = [replace(c, lines=lines.get(c.name, 0)) for c in characters]
    updated += [Character(name=name, lines=count) for name, count in sorted(lines.items())
                if name not in known and name not in (NARRATOR, UNKNOWN)]
    return tuple(updated)
