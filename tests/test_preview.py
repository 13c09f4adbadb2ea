"""Preview with the real engine: the right passage, the right voices, written where asked."""
from pathlib import Path

import pytest
from audio_tools import duration, loud_seconds

from narrate.errors import ConfigError, InputError
from narrate.pipeline.book import load
from narrate.pipeline.preview import preview_story, preview_text, select

ROOT = Path(__file__).resolve().parents[1]
STORY = ROOT / "stories" / "the-signal-keepers.md"
VOICES = ROOT / "voices.yaml"


def test_selection_by_lines_find_speaker_and_default():
    _config, script = load(STORY, VOICES)
    assert [s.index + 1 for s in select(script, lines="12-16")] == [12, 13, 14, 15, 16]
    found = select(script, find="the MOTOR'S stopped")
    assert any("motor’s stopped" in s.text.lower() for s in found)
    assert len({(s.chapter, s.paragraph) for s in found}) == 1
    assert {s.speaker for s in select(script, speaker="ines")} == {"Ines"}
    assert len([s for s in select(script) if s.kind != "skipped"]) == 5
    assert {s.chapter for s in select(script, chapters="2")} == {2}
    with pytest.raises(InputError, match="no passage has those words"):
        select(script, find="zebra crossing")
    with pytest.raises(InputError, match="Speakers: Bram, Ines, Mara, Tomas"):
        select(script, speaker="Zed")


def test_preview_duration_tracks_the_passage(tmp_path):
    short = preview_story(STORY, tmp_path / "short.wav", VOICES, lines="12-14")
    longer = preview_story(STORY, tmp_path / "long.mp3", VOICES, lines="12-20")
    assert short.path.is_file() and longer.path.is_file()
    assert duration(short.path) == pytest.approx(short.seconds, abs=0.01)
    words = [sum(len(seg.text.split()) for seg in p.segments) for p in (short, longer)]
    assert longer.seconds / short.seconds == pytest.approx(words[1] / words[0], rel=0.3)
    assert loud_seconds(longer.path) > 0.5 * duration(longer.path)


def test_preview_uses_the_speakers_voice(tmp_path):
    passage = preview_story(STORY, tmp_path / "ines.wav", VOICES, speaker="Ines")
    first = passage.segments[0]
    as_ines = preview_text(first.text, tmp_path / "as.wav", VOICES, character="ines")
    as_narrator = preview_text(first.text, tmp_path / "narrator.wav", VOICES)
    one_line = preview_story(STORY, tmp_path / "one.wav", VOICES, lines=str(first.index + 1))
    # the same words in Ines's voice are the same clip; in the narrator's voice they are not
    assert one_line.seconds == pytest.approx(as_ines.seconds, abs=0.001)
    assert abs(as_narrator.seconds - as_ines.seconds) > 0.05


def test_text_preview_errors_name_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="Nearest: en-us"):
        preview_text("Hello.", tmp_path / "x.wav", voice_id="en-usa")
    with pytest.raises(ConfigError, match="casts no such character"):
        preview_text("Hello.", tmp_path / "x.wav", VOICES, character="Zed")


def test_preview_from_the_terminal_starts_its_own_worker_and_leaves_none(tmp_path):
    """The studio passes its warm worker to the renderer; `narrate preview` passes none, and stops the one it
    starts for its lines before it answers."""
    import multiprocessing

    from narrate.state import ClipCache

    def workers():
        return {c.pid for c in multiprocessing.active_children() if c.name == "narrate-synth"}

    before = workers()
    passage = preview_story(STORY, tmp_path / "one.wav", VOICES, lines="12")
    assert passage.seconds > 0.3 and any(ClipCache().root.rglob("*.flac"))  # synthesized: the cache was empty
    assert workers() == before
