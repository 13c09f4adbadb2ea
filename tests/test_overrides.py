"""Manual attribution fixes: voices.yaml overrides and an edited script read back by `build --script`."""
import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from narrate.annotate import overrides
from narrate.annotate.overrides import (
    Dialogue,
    Override,
    apply_overrides,
    matches,
    recount,
)
from narrate.annotate.scriptio import render, render_review
from narrate.errors import ConfigError
from narrate.pipeline.book import load

SAMPLE = Path(__file__).resolve().parents[1] / "stories" / "the-signal-keepers.md"
STORY = ("The Visit\n\n"
         "Mara opened the door. \u201cYou came,\u201d she said.\n\n"
         "\u201cOf course,\u201d said Tomas. \u201cI always do.\u201d\n\n"
         "\u201cWell,\u201d came a voice from the stairs, \u201cnot always.\u201d\n")


@pytest.fixture()
def story(tmp_path):
    path = tmp_path / "visit.txt"
    path.write_text(STORY, encoding="utf-8")
    return path


def speakers(script):
    return [(s.text, s.speaker, s.evidence) for s in script.segments if s.kind == "dialogue"]


def test_overrides_by_quote_and_by_paragraph_cover_the_whole_utterance(story, tmp_path):
    voices = tmp_path / "voices.yaml"
    voices.write_text("overrides:\n"
                      "  - {quote: 'NOT ALWAYS', speaker: Ines}\n"
                      "  - {chapter: 1, paragraph: 2, speaker: Bram}\n"
                      "  - {quote: 'never said', speaker: Mara}\n", encoding="utf-8")
    _config, script = load(story, voices)
    said = speakers(script)
    assert said[0][1] == "Mara" and said[0][2] != "override"
    assert [s[1:] for s in said[1:3]] == [("Bram", "override")] * 2
    assert [s[1:] for s in said[3:]] == [("Ines", "override")] * 2  # the split quote follows as one utterance
    assert any(f"{voices}:4: override for quote 'never said' matches no dialogue" in w for w in script.warnings)
    lines = {c.name: c.lines for c in script.characters}
    assert lines["Ines"] == 1 and lines["Bram"] == 2 and lines.get("Tomas", 0) == 0


def test_override_needs_a_quote_or_a_place(story, tmp_path):
    voices = tmp_path / "voices.yaml"
    voices.write_text("overrides:\n  - {chapter: 1, speaker: Bram}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"voices.yaml:2: overrides.0: needs `quote:`"):
        load(story, voices)


def test_edited_script_is_read_back(story, tmp_path):
    _config, script = load(story)
    data = json.loads(render(script, "json"))
    first = next(s for s in data["segments"] if s["kind"] == "dialogue")
    first["speaker"] = "Ines"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data), encoding="utf-8")
    _config, fixed = load(story, None, edited)
    assert speakers(fixed)[0][1:] == ("Ines", "override:script")
    assert speakers(fixed)[1][1] == speakers(script)[1][1]  # untouched quotes keep their attribution

    story.write_text(STORY.replace("opened", "flung open"), encoding="utf-8")  # offsets move
    _config, stale = load(story, None, edited)
    assert any("no longer match the story" in w for w in stale.warnings)


def test_broken_script_file_is_a_clear_error(story, tmp_path):
    bad = tmp_path / "edited.json"
    bad.write_text('{"segments": [{"kind": "dialogue", "start": "x"}]}', encoding="utf-8")
    with pytest.raises(ConfigError, match="segment 1: a dialogue segment needs integer start/end"):
        load(story, None, bad)
    with pytest.raises(ConfigError, match="no such script file"):
        load(story, None, tmp_path / "none.json")


def test_review_lists_least_certain_first(story):
    _config, script = load(story)
    text = render_review(script)
    confidences = [float(line.split()[0]) for line in text.splitlines() if line[:1].isdigit()]
    assert confidences == sorted(confidences) and len(confidences) == 5
    assert "overrides:" in text


TEASING = ("The Garden\n\n"
           "\u201cMy dear, the roses,\u201d said Ines.\n\n"
           "Bram laughed. \u201cYes, my dear.\u201d\n\n"
           "\u201cMy dear Bram, you never look.\u201d\n")


def test_an_override_whose_words_are_in_several_quotes_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "garden.txt"
    path.write_text(TEASING, encoding="utf-8")
    voices = tmp_path / "voices.yaml"
    voices.write_text("narrator: {voice: en-us}\noverrides:\n  - {quote: 'my dear', speaker: Ines}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load(path, voices)
    assert str(refused.value).startswith(f"{voices}:3: overrides: quote 'my dear' is in 3 quotes (chapter 1 "
                                         f"paragraph 1, chapter 1 paragraph 2, chapter 1 paragraph 3)")
    assert "all: true" in str(refused.value)

    voices.write_text("overrides:\n  - {quote: 'my dear', speaker: Ines, all: true}\n", encoding="utf-8")
    _config, script = load(path, voices)
    assert [s[1:] for s in speakers(script)] == [("Ines", "override")] * 3

    voices.write_text("overrides:\n  - {quote: 'yes my dear', speaker: Ines}\n", encoding="utf-8")  # one quote
    _config, script = load(path, voices)
    assert [s[1] for s in speakers(script)].count("Ines") >= 1 and speakers(script)[1][1:] == ("Ines", "override")


def test_words_in_both_pieces_of_one_split_quote_are_one_quote(tmp_path):
    path = tmp_path / "door.txt"
    path.write_text("The Door\n\n\u201cCome in,\u201d said Mara, \u201ccome in out of the rain.\u201d\n\n"
                    "Tomas shook his coat.\n", encoding="utf-8")
    voices = tmp_path / "voices.yaml"
    voices.write_text("overrides:\n  - {quote: 'come in', speaker: Ines}\n", encoding="utf-8")
    _config, script = load(path, voices)
    assert [s[1:] for s in speakers(script)] == [("Ines", "override")] * 2


def test_words_in_two_quotes_of_the_sample_story_are_refused(story, tmp_path):
    voices = tmp_path / "voices.yaml"
    voices.write_text("overrides:\n  - {quote: 'always', speaker: Ines}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is in 2 quotes"):  # "I always do." and "not always."
        load(story, voices)


def _scanned(script, rules):
    """The overrides as a scan of every quote gives them: what the index must give."""
    chosen = {}
    for rule in rules:
        for segment in script.segments:
            if segment.kind == "dialogue" and matches(rule, segment):
                chosen[segment.index] = rule.speaker
    by_utterance = {}
    for segment in script.segments:
        if segment.kind == "dialogue" and segment.index in chosen:
            by_utterance[segment.utterance if segment.utterance is not None else -1 - segment.index] = \
                chosen[segment.index]
    fixed = [replace(s, speaker=by_utterance[key], evidence="override", confidence=1.0)
             if s.kind == "dialogue" and (key := s.utterance if s.utterance is not None else -1 - s.index)
             in by_utterance else s for s in script.segments]
    return fixed, recount(script.characters, fixed)


def _sample_rules(script):
    """Overrides of every form over the sample story: words (of one quote, of several, of none), places, spans."""
    rng = random.Random(18)
    dialogue = [s for s in script.segments if s.kind == "dialogue"]
    rules = []
    for n, segment in enumerate(rng.sample(dialogue, 12)):
        words = segment.text.split()
        first = rng.randrange(len(words))
        rules.append(Override(speaker=f"Q{n}", quote=" ".join(words[first:first + rng.randint(1, 4)]), every=True))
        rules.append(Override(speaker=f"P{n}", chapter=segment.chapter, paragraph=segment.paragraph + 1))
        shift = rng.randint(-20, 20)
        rules.append(Override(speaker=f"S{n}", start=segment.start + shift, end=segment.end + shift))
    rules += [Override(speaker="Nobody", quote="zebra crossing"), Override(speaker="Nobody", chapter=9, paragraph=1),
              Override(speaker="Nobody", start=10**9, end=10**9 + 5), Override(speaker="All", quote="!!", every=True)]
    rng.shuffle(rules)
    return rules


def test_indexed_overrides_give_the_script_a_scan_of_every_quote_gives():
    _config, script = load(SAMPLE)
    rules = _sample_rules(script)
    for some in (rules[:1], rules[:5], rules[:-1], rules[1:]):  # "!!" (no words) names every quote
        fixed = apply_overrides(script, some)
        segments, characters = _scanned(script, some)
        assert list(fixed.segments) == segments
        assert fixed.characters == characters
        for rule in some:
            assert Dialogue(script.segments).hits(rule) == [s for s in script.segments
                                                              if s.kind == "dialogue" and matches(rule, s)]


def test_overrides_check_only_the_quotes_their_index_offers(monkeypatch):
    """A fix in the studio applies all of a book's overrides again: each is matched against the few quotes with
    its words, at its place or near its offsets, not against every quote of the book."""
    _config, script = load(SAMPLE)
    quotes = [s for s in script.segments if s.kind == "dialogue"]
    one = next(s for s in quotes if len(s.text) > 40)
    rules = [Override(speaker="Ines", quote=one.text[5:35]),
             Override(speaker="Bram", chapter=one.chapter, paragraph=one.paragraph + 1),
             Override(speaker="Mara", start=one.start, end=one.end)]
    checked = []
    real = overrides.matches
    monkeypatch.setattr(overrides, "matches", lambda rule, segment: checked.append(segment.index) or real(rule, segment))
    fixed = apply_overrides(script, rules)
    assert len(quotes) > 30 and 3 <= len(checked) <= 9  # a scan: 3 x every quote
    assert fixed.segments[one.index].speaker == "Mara" and fixed.segments[one.index].evidence == "override"
