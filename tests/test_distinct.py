"""Auto-casting's choice (narrate/casting/distinct.py) on made-up measurements: gender, busiest first, speakers of
a multi-speaker model before variants, the 2-semitone rule on measured pitch, the recall floor, voices that
cannot be had. The real engines' audio is measured in test_autocast.py."""
import math

import pytest

from narrate.casting import distinct
from narrate.casting.distinct import MIN_APART, Role, choose, nearest_pair
from narrate.casting.library import Candidate, base_voice
from narrate.casting.measure import Measurement
from narrate.casting.recall import RecogniserMissing
from narrate.errors import EngineError
from narrate.model import Voice

# base voice -> (median pitch in MIDI semitones, recall unshifted)
VOICES = {"ann": (57.0, 0.9), "bea": (58.0, 0.9), "carl": (45.0, 0.9), "dan": (47.0, 0.9), "lib#1": (44.0, 0.9),
          "lib#2": (59.0, 0.9), "lib#3": (46.0, 0.9), "mumble": (50.0, 0.3)}


class FakeMeasure:
    """Pitch: the base's plus 0.9 of the shift (a shift measures a little short of what was asked, as real
    ones do); recall falls `fall` a semitone of shift. Records what it measured."""

    def __init__(self, missing=(), fall=0.01):
        self.missing = set(missing)  # voice files (a multi-speaker model's: "lib") that are not here
        self.fall = fall
        self.recalls: list[Voice] = []
        self.tried_missing = 0

    def __call__(self, voice: Voice, with_recall: bool) -> Measurement:
        if voice.voice.partition("#")[0] in self.missing:
            self.tried_missing += 1
            raise EngineError(f"{voice.voice}: not downloaded")
        pitch, recall = VOICES[voice.voice]
        if with_recall:
            self.recalls.append(voice)
        return Measurement(pitch=pitch + 0.9 * voice.semitones, timbre=(),
                           recall=recall - self.fall * abs(voice.semitones))


def voice(name: str, gender: str, kind: str = "voice", accent: str = "en-us") -> Candidate:
    return Candidate(Voice(engine="fake", voice=name), gender, accent, kind)


def pool(*names: str) -> list[Candidate]:
    known = {"ann": voice("ann", "female"), "bea": voice("bea", "female", accent="en-gb"),
             "carl": voice("carl", "male"), "dan": voice("dan", "male"),
             "lib#1": voice("lib#1", "male", "speaker"), "lib#2": voice("lib#2", "female", "speaker"),
             "lib#3": voice("lib#3", "neutral", "speaker"), "mumble": voice("mumble", "male")}
    return [Candidate(**{**known[n].__dict__, "rank": i}) for i, n in enumerate(names)]


def assert_distinct(choices: distinct.Choices) -> None:
    names = list(choices.voices)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if base_voice(choices.voices[a]) == base_voice(choices.voices[b]):
                assert abs(choices.pitches[a] - choices.pitches[b]) >= MIN_APART, (a, b, choices.pitches)


def test_each_gender_gets_its_own_voices():
    roles = [Role("narrator", "neutral", 0), Role("Ivo", "male", 9), Role("Una", "female", 5)]
    choices = choose(roles, pool("ann", "carl", "bea", "dan"), FakeMeasure())
    assert choices.voices["narrator"].voice == "ann"  # the library's first voice
    assert choices.voices["Ivo"].voice == "carl"
    assert choices.voices["Una"].voice == "bea"  # ann is the narrator's


def test_busiest_first_gets_the_whole_voice():
    roles = [Role("narrator", "female", 0), Role("Minor", "male", 1), Role("Lead", "male", 40)]
    choices = choose(roles, pool("ann", "carl"), FakeMeasure())
    assert choices.voices["Lead"] == Voice(engine="fake", voice="carl")
    assert choices.voices["Minor"].voice == "carl" and choices.voices["Minor"].semitones != 0


def test_minor_parts_take_speakers_of_a_multi_speaker_model_before_any_variant():
    roles = [Role("narrator", "female", 100)] + [Role(f"Man{n}", "male", 50 - n) for n in range(3)]
    choices = choose(roles, pool("ann", "carl", "lib#1", "lib#2", "lib#3"), FakeMeasure())
    assert [choices.voices[f"Man{n}"].voice for n in range(3)] == ["carl", "lib#1", "lib#3"]
    assert not any(v.semitones for v in choices.voices.values())


def test_a_speaker_of_unpublished_gender_is_cast_by_its_measured_pitch():
    roles = [Role("narrator", "neutral", 0), Role("Eve", "female", 3)]
    choices = choose(roles, pool("ann", "lib#3"), FakeMeasure())  # lib#3 measures 46: a man's pitch
    assert choices.voices["Eve"].voice == "ann" and choices.voices["Eve"].semitones  # not lib#3


def test_minor_parts_past_the_main_ones_prefer_speakers_to_whole_voices():
    roles = [Role(f"W{n}", "female", 100 - n) for n in range(distinct.MAIN_PARTS)] + [Role("Extra", "male", 1)]
    choices = choose(roles, pool("ann", "carl", "lib#1"), FakeMeasure())
    assert choices.voices["Extra"].voice == "lib#1"


def test_variants_on_one_voice_are_two_semitones_apart_by_measurement():
    roles = [Role("narrator", "neutral", 0)] + [Role(f"P{n}", "neutral", 10 - n) for n in range(5)]
    choices = choose(roles, pool("ann"), FakeMeasure())
    assert_distinct(choices)
    assert not choices.crowded
    # +/-2 semitones measure 1.8 apart here: +/-2.25 are the nearest that measure >= 2 from the narrator's, and
    # the next ones are packed as tightly, 2.25 further each
    assert {abs(choices.voices[f"P{n}"].semitones) for n in range(5)} == {2.25, 4.5, 6.75}
    assert 2.0 not in {abs(v.semitones) for v in choices.voices.values()}


def test_a_voice_below_the_recall_floor_is_never_cast():
    roles = [Role("narrator", "neutral", 0), Role("Max", "male", 5)]
    measure = FakeMeasure()
    choices = choose(roles, pool("carl", "mumble"), measure)
    assert choices.threshold == pytest.approx(distinct.MIN_RECALL_RATIO * 0.9)
    assert choices.voices["Max"].voice == "carl" and choices.voices["Max"].semitones  # a variant, not mumble
    assert "fake:mumble" in choices.rejected
    assert all(r >= choices.threshold for r in choices.recalls.values())


def test_shifts_beyond_one_too_hard_to_follow_are_not_measured():
    roles = [Role("narrator", "neutral", 0)] + [Role(f"P{n}", "neutral", 10 - n) for n in range(8)]
    measure = FakeMeasure(fall=0.12)
    choices = choose(roles, pool("ann"), measure)  # recall 0.9 - 0.12/st: under half of 0.9 past 3.75 semitones
    # the shifts offered are 2.25 apart; +/-4.5 are measured too hard to follow, and none further out is measured
    assert {abs(choices.voices[name].semitones) for name in ("narrator", "P0", "P1")} == {0, 2.25}
    assert max(abs(v.semitones) for v in measure.recalls) == 4.5
    # the rest take the finer shifts farthest from the others, never one a part already has
    assert set(choices.crowded) == {f"P{n}" for n in range(2, 8)}
    assert len({v.semitones for v in choices.voices.values()}) == 9
    assert all(r >= choices.threshold for r in choices.recalls.values())


def test_a_voice_that_cannot_be_had_is_passed_over():
    roles = [Role("narrator", "neutral", 0), Role("Ivo", "male", 3)]
    choices = choose(roles, pool("ann", "carl", "dan"), FakeMeasure(missing={"carl"}))
    assert choices.voices["Ivo"].voice == "dan"
    assert list(choices.unavailable) == ["fake:carl"]


def test_a_multi_speaker_model_not_here_is_tried_once_for_all_its_speakers():
    roles = [Role("narrator", "female", 9)] + [Role(f"Man{n}", "male", 5 - n) for n in range(3)]
    measure = FakeMeasure(missing={"lib"})
    choices = choose(roles, pool("ann", "carl", "lib#1", "lib#2", "lib#3"), measure)
    assert measure.tried_missing == 1 and list(choices.unavailable) == ["fake:lib"]
    assert [choices.voices[f"Man{n}"].voice for n in range(3)] == ["carl"] * 3  # then carl's variants


def test_without_the_recogniser_casting_stops_with_how_to_install_it():
    def no_recogniser(voice, with_recall):
        if with_recall:
            raise RecogniserMissing("needs pocketsphinx: pip install pocketsphinx")
        return FakeMeasure()(voice, False)

    with pytest.raises(RecogniserMissing, match="pip install pocketsphinx"):  # not "no voice to cast with"
        choose([Role("narrator", "neutral", 0)], pool("ann", "carl"), no_recogniser)


def test_the_books_accent_comes_first():
    roles = [Role("narrator", "female", 0)]
    assert choose(roles, pool("ann", "bea"), FakeMeasure(), language="en-GB").voices["narrator"].voice == "bea"
    assert choose(roles, pool("ann", "bea"), FakeMeasure(), language="en").voices["narrator"].voice == "ann"


def test_a_voice_voices_yaml_gives_is_kept_and_kept_apart_from():
    fixed = Voice(engine="fake", voice="ann", semitones=1.0)
    roles = [Role("narrator", "neutral", 0, fixed=fixed), Role("Una", "female", 4)]
    choices = choose(roles, pool("ann"), FakeMeasure())
    assert choices.voices["narrator"] is fixed
    assert_distinct(choices)


def test_nearest_pair_prefers_pairs_on_one_base():
    voices = {"a": Voice(voice="x"), "b": Voice(voice="x", pitch=70), "c": Voice(voice="y")}
    pair = nearest_pair(voices, {"a": 50.0, "b": 53.0, "c": 50.5})
    assert (pair.a, pair.b, pair.same_base) == ("a", "b", True) and pair.semitones == pytest.approx(3.0)
    pair = nearest_pair({"a": voices["a"], "c": voices["c"]}, {"a": 50.0, "c": 50.5})
    assert not pair.same_base and pair.semitones == pytest.approx(0.5)
    assert nearest_pair({"a": voices["a"], "c": voices["c"]}, {"a": 50.0, "c": math.nan}) is None
