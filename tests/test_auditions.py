"""Auditions: a clip per voice (or per speaker) saying who it is, spoken by the real engine through the cache."""
import wave

import pytest

from narrate.casting.cast import build_casting
from narrate.casting.castfile import cast_table
from narrate.casting.config import builtin_config, load_config
from narrate.engines import get_engine
from narrate.errors import InputError
from narrate.ffmpeg import probe
from narrate.model import Book, Character, Script, Segment, Voice
from narrate.pipeline.auditions import (
    Audition,
    cast_auditions,
    engine_auditions,
    write_auditions,
)


def test_every_english_voice_then_the_main_variants_on_en_us():
    auditions = engine_auditions("en")
    english = [v.id for v in get_engine("espeak").voices() if v.language.startswith("en")]
    labels = [a.label for a in auditions]
    assert labels[:len(english)] == english
    # the variants on the voice the default pools cast (en+m1), not on the narrator's en-us
    assert labels[len(english):] == [f"en+{g}{n}" for g, count in (("f", 5), ("m", 8)) for n in range(1, count + 1)]
    assert builtin_config("en").pools["male"][0] in labels and builtin_config("en").pools["female"][0] in labels
    f3 = auditions[labels.index("en+f3")]
    assert f3.voice == Voice(voice="en+f3") and f3.text == "This is en plus f3."
    assert len(engine_auditions("en", all_variants=True)) > len(auditions) + 50


def test_another_language_gets_its_own_default_voice_and_a_language_nobody_speaks_is_an_error():
    german = engine_auditions("de")
    assert german[0].label == "de" and "de+m3" in [a.label for a in german]
    with pytest.raises(InputError, match="--lang xx: no voice"):
        engine_auditions("xx")


def test_clips_are_written_through_the_cache_and_say_their_words(tmp_path):
    auditions = [Audition("short", Voice(voice="en-us+f3"), "This is en-us plus f3."),
                 Audition("long", Voice(voice="en+m3"), "This is en plus m3, reading a much longer sentence aloud.")]
    progress = []
    paths = write_auditions(tmp_path / "out", auditions, on_progress=progress.append)
    assert [p.name for p in paths] == ["short.mp3", "long.mp3"]
    seconds = [float(probe(p)["format"]["duration"]) for p in paths]
    assert 1.0 < seconds[0] < seconds[1] < 8
    assert progress[-1].cached == 0
    again = []
    write_auditions(tmp_path / "wav", auditions, fmt="wav", on_progress=again.append)
    assert again[-1].cached == 2  # the second time nothing is spoken again
    with wave.open(str(tmp_path / "wav" / "short.wav")) as clip:
        assert clip.getnchannels() == 1
        assert clip.getnframes() / clip.getframerate() == pytest.approx(seconds[0], abs=0.1)


def test_each_speaker_introduces_themselves_in_their_voice_with_their_pronunciation(tmp_path):
    path = tmp_path / "voices.yaml"
    path.write_text("characters:\n  Natasha: {voice: en-us+f3, pitch: 66}\n"
                    "pronounce: {Natasha: Nah-tah-sha}\n", encoding="utf-8")
    config = load_config(path)
    segments = (Segment(1, 0, "narration", "She came in.", 0, 12, 0),
                Segment(1, 1, "dialogue", "Hello there.", 13, 25, 0, speaker="Natasha", utterance=0),
                Segment(1, 2, "dialogue", "Who said that?", 26, 40, 1, speaker="Bram", utterance=1))
    characters = (Character("Natasha", gender="female", lines=1), Character("Bram", gender="male", lines=1),
                  Character("Silent", lines=0))
    script = Script(Book("s.txt", "", "utf-8", "S", None, ()), segments, characters)
    casting = build_casting(config, characters)
    auditions = cast_auditions(cast_table(script, config, casting), casting)
    by_label = {a.label: a for a in auditions}
    assert set(by_label) == {"narrator", "Natasha", "Bram"}  # no lines, no audition; the narrator always
    assert by_label["Natasha"].text == "I am Nah-tah-sha, voiced by en-us plus f3, at pitch sixty-six."
    assert by_label["Natasha"].voice == casting.characters["Natasha"]
    assert by_label["narrator"].text == f"I am the narrator, voiced by {casting.narrator.voice.replace('+', ' plus ')}."
    paths = write_auditions(tmp_path / "cast", auditions, fmt="wav")
    assert sorted(p.name for p in paths) == ["Bram.wav", "Natasha.wav", "narrator.wav"]
    assert len({p.read_bytes() for p in paths}) == 3
