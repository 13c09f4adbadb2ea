"""Pronunciation entries: whole words, case-aware, applied to the spoken text only (and so to the cache key)."""
import wave

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrate.casting.cast import build_casting, lines_for, pronounce
from narrate.casting.config import load_config
from narrate.engines import get_engine
from narrate.errors import ConfigError
from narrate.model import Segment, Voice


def test_whole_words_only_and_possessives_keep_their_ending():
    entries = {"Natasha": "Nah-tah-sha"}
    assert pronounce.apply("Natasha's coat, Natasha.", entries) == "Nah-tah-sha's coat, Nah-tah-sha."
    assert pronounce.apply("Natasha’s coat", entries) == "Nah-tah-sha’s coat"
    assert pronounce.apply("Natashas and Anatasha", entries) == "Natashas and Anatasha"


def test_a_key_with_capitals_matches_that_spelling_and_shouting_a_lower_case_key_any_case():
    entries = {"Nice": "Neess", "tomato": "to-mah-to"}
    assert pronounce.apply("Nice was nice. NICE!", entries) == "Neess was nice. Neess!"
    assert pronounce.apply("Tomato or tomato, TOMATO.", entries) == "to-mah-to or to-mah-to, to-mah-to."


def test_longer_keys_first_and_phrases_match_across_spaces():
    entries = {"Clint": "Klint", "Clint Barton": "Klint Bar-tun", "O'Brien": "Oh Bryan"}
    assert pronounce.apply("Clint  Barton met Clint and O’Brien.", entries) == \
        "Klint Bar-tun met Klint and Oh Bryan."


def test_phoneme_strings_go_in_as_written():
    assert pronounce.apply("Yelena waved.", {"Yelena": "[[jEl'e:n@]]"}) == "[[jEl'e:n@]] waved."


def test_no_entries_leave_the_text_alone():
    assert pronounce.apply("Anything at all.", {}) == "Anything at all."


def config_from(tmp_path, text):
    path = tmp_path / "voices.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


CAST = """
narrator: {voice: en-us}
characters:
  Natasha: {voice: en-us+f3}
  Ivan:
    voice: en+m3
    pronounce: {Natasha: Na-tasha, Moscow: Moss-cow}
"""
BOOK_WIDE = """
pronounce:
  Natasha: Nah-tah-sha
  St. Ives: Saint Eye-vz
"""


def test_spoken_text_and_cache_key_change_but_the_script_text_does_not(tmp_path):
    with_entries = build_casting(config_from(tmp_path, CAST + BOOK_WIDE), [])
    without = build_casting(config_from(tmp_path, CAST), [])
    segment = Segment(1, 0, "narration", "Natasha sailed to St. Ives.", 0, 27, 0)
    line = lines_for([segment], with_entries)[0]
    plain = lines_for([segment], without)[0]
    assert line.text_to_speak == "Nah-tah-sha sailed to Saint Eye-vz."
    assert plain.text_to_speak == "Natasha sailed to Saint Ives."
    assert line.key != plain.key
    assert line.segment.text == plain.segment.text == "Natasha sailed to St. Ives."


def test_a_characters_own_entries_win_over_the_books_for_their_lines_only(tmp_path):
    casting = build_casting(config_from(tmp_path, CAST + BOOK_WIDE), [])
    said = [Segment(1, 0, "dialogue", "Natasha, Moscow!", 0, 16, 0, speaker="Ivan"),
            Segment(1, 1, "dialogue", "Natasha, Moscow!", 20, 36, 1, speaker="Natasha"),
            Segment(1, 2, "narration", "Natasha, Moscow!", 40, 56, 2)]
    assert [line.text_to_speak for line in lines_for(said, casting)] == [
        "Na-tasha, Moss-cow!", "Nah-tah-sha, Moscow!", "Nah-tah-sha, Moscow!"]


@pytest.mark.parametrize("entry, needle", [
    ('Natasha: "[[n@t\'A:S@"', "unbalanced phoneme brackets"),
    ('Natasha: ""', "must say how to pronounce"),
    ('"42": forty-two', "must be a word or phrase"),
])
def test_bad_entries_are_errors_naming_the_line_and_the_fix(tmp_path, entry, needle):
    path = tmp_path / "voices.yaml"
    path.write_text(f"characters:\n  Ivan:\n    pronounce:\n      {entry}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:4: characters.Ivan.pronounce."), message
    assert needle in message


def speech_seconds(tmp_path, text):
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}.wav"
    get_engine("espeak").synthesize(text, Voice(), str(path))
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def test_a_respelling_changes_what_espeak_says(tmp_path):
    word = speech_seconds(tmp_path, "Natasha.")
    respelled = speech_seconds(tmp_path, pronounce.apply("Natasha.", {"Natasha": "Natasha Alexandrovna Romanova"}))
    assert respelled > word + 0.5


def test_espeak_reads_a_phoneme_string_as_the_word_not_as_letters(tmp_path):
    word = speech_seconds(tmp_path, "I am Natasha.")
    phonemes = speech_seconds(tmp_path, pronounce.apply("I am Natasha.", {"Natasha": "[[n@t'A:S@]]"}))
    assert phonemes == pytest.approx(word, rel=0.25)


def test_brackets_written_in_a_story_are_not_read_as_phonemes():
    from narrate.casting.normalize import speakable

    assert "[[" not in speakable("He typed [[x]] into the box.")
    assert "[[" not in speakable("[[[h@'loU]]]")  # overlapping marks: a plain replace of '[[' left one


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="[] a.1", max_size=30))
def test_no_story_text_reaches_the_engine_as_phonemes(text):
    from narrate.casting.normalize import speakable

    assert "[[" not in speakable(text)
