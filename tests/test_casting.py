"""Casting: voices.yaml first, then deterministic auto-casting from the pools; voice ids checked against espeak."""
import pytest

from narrate.casting.cast import build_casting, cast_entries, check_voice_ids, lines_for
from narrate.casting.config import load_config
from narrate.errors import ConfigError
from narrate.model import Character, Segment


def config_from(tmp_path, text):
    path = tmp_path / "voices.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


YAML = """
narrator: {voice: en-us, rate: 160}
characters:
  Mara: {aliases: [Quill], gender: female, voice: en-us+f3, rate: 180, pitch: 60}
  Tomas: {gender: male}
defaults: {male: [en-us, en+m1, en+m2], female: [en+f1, en+f4], neutral: [en+m5]}
unattributed: {voice: en+m7}
"""


def test_cast_voices_first_then_pools_busiest_first(tmp_path):
    config = config_from(tmp_path, YAML)
    found = [Character("Bram", gender="male", lines=2), Character("Ines", gender="female", lines=9),
             Character("Otto", gender="male", lines=5), Character("Zed", lines=1)]
    casting = build_casting(config, found)
    assert casting.narrator.voice == "en-us" and casting.narrator.rate == 160
    assert casting.characters["Mara"].voice == "en-us+f3" and casting.characters["Mara"].pitch == 60
    assert casting.sources["Mara"] == "voices.yaml"
    # the speakers first, busiest first: the first free male pool voices (en-us is the narrator's)
    assert casting.characters["Otto"].voice == "en+m1"  # 5 lines before Bram's 2
    assert casting.characters["Bram"].voice == "en+m2"
    # Tomas is in voices.yaml without a voice and never speaks: dealt last, a male voice at another pitch
    assert casting.characters["Tomas"].voice == "en+m1" and casting.characters["Tomas"].pitch != 50
    assert casting.sources["Tomas"] == "default"
    assert casting.characters["Ines"].voice == "en+f1" and casting.sources["Ines"] == "auto"
    assert casting.characters["Zed"].voice == "en+m5"
    assert casting.voice_for("unknown").voice == "en+m7"
    assert casting.voice_for("narrator") == casting.narrator
    assert build_casting(config, list(reversed(found))) == casting  # deterministic


def test_speed_scales_every_rate(tmp_path):
    config = config_from(tmp_path, YAML)
    fast = build_casting(config, [], speed=1.5)
    assert fast.narrator.rate == 240 and fast.characters["Mara"].rate == 270


def test_cast_entries_carry_aliases_and_gender(tmp_path):
    entries = cast_entries(config_from(tmp_path, YAML))
    assert entries[0].name == "Mara" and entries[0].aliases == ("Quill",) and entries[0].gender == "female"


def test_lines_skip_skipped_and_use_the_speakers_voice(tmp_path):
    casting = build_casting(config_from(tmp_path, YAML), [])
    segments = [Segment(1, 0, "skipped", "A/N", 0, 3, -1, evidence="skipped:author_note"),
                Segment(1, 1, "narration", "She turned.", 4, 15, 0),
                Segment(1, 2, "dialogue", "Hello.", 17, 23, 0, speaker="Mara"),
                Segment(1, 3, "dialogue", "Who?", 25, 29, 1, speaker="unknown")]
    lines = lines_for(segments, casting)
    assert [l.voice.voice for l in lines] == ["en-us", "en-us+f3", "en+m7"]
    assert len({l.key for l in lines}) == 3


def test_unknown_voice_id_lists_the_nearest(tmp_path):
    config = config_from(tmp_path, "narrator: {voice: en-us}\ncharacters:\n  Tony:\n    voice: en-us+m33\n")
    with pytest.raises(ConfigError) as caught:
        check_voice_ids(config)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'voices.yaml'}:4: characters.Tony.voice:"), message and "'en-us+m33' does not exist" in message and "en-us+m3" in message


def test_valid_voice_ids_pass(tmp_path):
    check_voice_ids(config_from(tmp_path, YAML))


def test_spoken_text_is_speech_ready_but_the_segment_keeps_the_words(tmp_path):
    casting = build_casting(config_from(tmp_path, YAML), [])
    segment = Segment(1, 0, "narration", "Dr. Reyes paid $5 in 1999.", 0, 26, 0)
    line = lines_for([segment], casting)[0]
    assert line.segment.text == "Dr. Reyes paid $5 in 1999."
    assert line.text_to_speak == "Doctor Reyes paid five dollars in nineteen ninety-nine."
    plain = lines_for([Segment(1, 0, "narration", "Doctor Reyes paid.", 0, 18, 0)], casting)[0]
    assert plain.text_to_speak == "Doctor Reyes paid."


STABLE = """
narrator: {voice: en-us}
defaults: {male: [en+m1, en+m2, en+m3, en+m4], female: [en+f1, en+f2, en+f3, en+f4], neutral: [en+m5]}
"""
SPEAKERS = [Character("Ada", gender="female", lines=30), Character("Bea", gender="female", lines=20),
            Character("Cal", gender="male", lines=15), Character("Dot", gender="female", lines=10),
            Character("Eli", gender="male", lines=5)]


def test_casting_one_speaker_changes_no_other_speakers_voice(tmp_path):
    before = build_casting(config_from(tmp_path, STABLE), SPEAKERS).characters
    # Bea, auto-cast to en+f2 so far, is given a voice and pitch nobody has: everyone else keeps theirs
    after = build_casting(config_from(tmp_path, STABLE + "characters:\n  Bea: {voice: en-gb+f4, pitch: 70}\n"),
                          SPEAKERS).characters
    assert after["Bea"].voice == "en-gb+f4"
    assert {n: v for n, v in after.items() if n != "Bea"} == {n: v for n, v in before.items() if n != "Bea"}


def test_a_speaker_whose_voice_is_taken_moves_and_nobody_else(tmp_path):
    before = build_casting(config_from(tmp_path, STABLE), SPEAKERS).characters
    assert before["Ada"].voice == "en+f1"
    # Eli is cast to Ada's voice: Ada moves to a voice nobody has; the others stay
    after = build_casting(config_from(tmp_path, STABLE + "characters:\n  Eli: {voice: en+f1}\n"),
                          SPEAKERS).characters
    assert after["Ada"] != before["Ada"] and after["Ada"].voice not in {v.voice for n, v in after.items() if n != "Ada"}
    assert {n: after[n] for n in ("Bea", "Cal", "Dot")} == {n: before[n] for n in ("Bea", "Cal", "Dot")}
