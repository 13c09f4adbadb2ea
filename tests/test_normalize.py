"""speakable(): one test per rule on minimal examples, then what espeak-ng really says before and after, then
plain prose and a real story (its speed on a novel: bench/normalize_speed.py)."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from narrate.casting.normalize import speakable


@pytest.mark.parametrize("text, spoken", [
    ("She had 42 cats.", "She had forty-two cats."),
    ("A crowd of 1,234,567 people.", "A crowd of one million two hundred and thirty-four thousand five hundred and "
                                     "sixty-seven people."),
    ("It was -5 outside.", "It was minus five outside."),
    ("Agent 007 waited.", "Agent zero zero seven waited."),
    ("Pages 10–12.", "Pages ten to twelve."),
])
def test_numbers(text, spoken):
    assert speakable(text) == spoken


def test_numbers_inside_words_and_versions_stay():
    text = "MI6 sent 3D maps of version 1.2.3 as mp3 files."
    assert speakable(text) == text


@pytest.mark.parametrize("text, spoken", [
    ("She came 1st, he came 22nd.", "She came first, he came twenty-second."),
    ("The 3rd and the 101st.", "The third and the one hundred and first."),
])
def test_ordinals(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("In 1999 it rained.", "In nineteen ninety-nine it rained."),
    ("In 2005 it snowed.", "In two thousand and five it snowed."),  # num2words' reading, as espeak says it
    ("The year 1066.", "The year ten sixty-six."),
    ("Back in the 1990s.", "Back in the nineteen nineties."),
    ("Music of the '60s and 1800s.", "Music of the sixties and eighteen hundreds."),
])
def test_years_and_decades(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("Pi is 3.14 or so.", "Pi is three point one four or so."),
    ("A 0.5 chance.", "A zero point five chance."),
])
def test_decimals(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("It cost $5.", "It cost five dollars."),
    ("It cost $1.", "It cost one dollar."),
    ("It cost $5.50.", "It cost five dollars and fifty cents."),
    ("It cost £3.50.", "It cost three pounds and fifty pence."),
    ("It cost €10.", "It cost ten euro."),
    ("It cost $0.99.", "It cost ninety-nine cents."),
    ("It cost $1,000.", "It cost one thousand dollars."),
    ("It cost $2.5 million.", "It cost two point five million dollars."),
    ("It cost 5 dollars.", "It cost five dollars."),
])
def test_currency(text, spoken):
    assert speakable(text) == spoken


def test_percentages():
    assert speakable("Up 50% and then 3.5 % down.") == "Up fifty percent and then three point five percent down."


@pytest.mark.parametrize("text, spoken", [
    ("Meet at 10:30 sharp.", "Meet at ten thirty sharp."),
    ("Meet at 10:05 sharp.", "Meet at ten oh five sharp."),
    ("Meet at 10:00 sharp.", "Meet at ten o'clock sharp."),
    ("Meet at 7pm sharp.", "Meet at seven PM sharp."),
    ("Meet at 7 p.m. sharp.", "Meet at seven PM sharp."),
    ("Meet at 9:15 a.m. sharp.", "Meet at nine fifteen AM sharp."),
    ("She left at 7 p.m. Nobody saw her.", "She left at seven PM. Nobody saw her."),  # the sentence still ends
])
def test_times(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("Mr. and Mrs. Hale met Ms. Ito.", "Mister and Missus Hale met Miz Ito."),
    ("Then Dr. Okafor left.", "Then Doctor Okafor left."),
    ("Capt. Reyes and Lt. Moss.", "Captain Reyes and Lieutenant Moss."),
    ("The view from Mt. Tamsin.", "The view from Mount Tamsin."),
    ("We prayed at St. Brigid's.", "We prayed at Saint Brigid's."),
    ("We walked down Quill St. to the river.", "We walked down Quill Street to the river."),
    ("She lived on 42nd St. for years.", "She lived on forty-second Street for years."),
    ("Larch St. was empty.", "Larch Street was empty."),
    ("She lives on Larch St.", "She lives on Larch Street."),  # the sentence's period stays
    ("His house on Cedar Dr. burned.", "His house on Cedar Drive burned."),
    ("Tom Reyes Jr. spoke.", "Tom Reyes Junior spoke."),
    ("Cats vs. dogs.", "Cats versus dogs."),
    ("Pens, ink, etc. We had it all.", "Pens, ink, et cetera. We had it all."),
    ("Fruit, e.g. plums, and trees, i.e., elms.", "Fruit, for example plums, and trees, that is, elms."),
    ("Room No. 9.", "Room number nine."),
])
def test_abbreviations(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("Wait . . . what?", "Wait … what?"),
    ("Wait.... what?", "Wait… what?"),
    ("He paused—then ran.", "He paused — then ran."),
    ("He paused--then ran.", "He paused — then ran."),
    ("He paused - then ran.", "He paused — then ran."),
])
def test_ellipses_and_dashes(text, spoken):
    assert speakable(text) == spoken


def test_an_interrupted_line_keeps_its_dash():
    assert speakable("\u201cI only meant—\u201d") == "\u201cI only meant—\u201d"


@pytest.mark.parametrize("text, spoken", [
    ("DO IT NOW!", "do it now!"),
    ("LET US GO.", "let us go."),
    ("I DON'T KNOW.", "I don't know."),
    ("CALL THE FBI!", "call the FBI!"),  # the acronym in a shout stays
    ("He said NEVER.", "He said never."),  # a lone dictionary word of 4+ letters
    ("Ask ALICE'S mother.", "Ask Alice's mother."),  # a name is capitalised
])
def test_shouted_capitals(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text", [
    "The FBI, NASA and the USA.", "She works in IT.", "The US army.", "Watch TV, OK?", "J.R.R. Tolkien wrote it.",
])
def test_acronyms_and_short_capitals_stay(text):
    assert speakable(text) == text


@pytest.mark.parametrize("text, spoken", [
    ("See https://www.example.com/a-b.", "See www dot example dot com slash a dash b."),
    ("Write to ana.ruiz@example.org today.", "Write to ana dot ruiz at example dot org today."),
    ("Go to example.com now.", "Go to example dot com now."),
])
def test_addresses(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("Henry VIII ate.", "Henry the eighth ate."),
    ("Elizabeth II's crown.", "Elizabeth the second's crown."),
    ("Chapter IV", "Chapter four"),
    ("World War II ended.", "World War two ended."),
])
def test_roman_numerals(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text", ["Then I ran.", "Malcolm X spoke.", "The part I wrote.", "He ate a MIX of nuts."])
def test_letters_that_are_no_numeral_stay(text):
    assert speakable(text) == text


def test_other_languages_get_their_own_number_words():
    assert speakable("Elle a 21 ans.", "fr") == "Elle a vingt et un ans."
    assert speakable("Er ist 21.", "de-DE") == "Er ist einundzwanzig."
    assert speakable("Ela tem 21 anos.", "pt-br") == "Ela tem vinte e um anos."


def test_english_rules_are_not_applied_to_other_languages():
    assert speakable("Mr. Dupont à 10:30, $5.", "fr") == "Mr. Dupont à 10:30, $5."


def test_a_language_num2words_lacks_keeps_its_digits():
    assert speakable("Kuna 21.", "sw") == "Kuna 21."


def test_plain_prose_passes_through_unchanged():
    prose = ("The lighthouse keeper climbed the stairs at dusk, counting them under her breath as she always did. "
             "\u201cAnother storm,\u201d she said to the cat, who did not answer. I watched from the shore; "
             "it was late, and the gulls had gone quiet\u2026 Nobody came.")
    assert speakable(prose) == prose


# ---- old books and plain-text exports (issue 17, item 4) ----

@pytest.mark.parametrize("text, spoken", [
    ("Bread, cheese, &c.", "Bread, cheese, et cetera."),
    ("Bread, &c., and wine.", "Bread, et cetera, and wine."),
    ("Hats &c. &c. Nobody came.", "Hats et cetera et cetera. Nobody came."),
])
def test_et_cetera_written_the_old_way(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("On the 3d of May.", "On the third of May."),
    ("Dated May 23d, 1815.", "Dated May twenty-third, eighteen fifteen."),
    ("His 2d wife came.", "His second wife came."),
    ("Yours of the 22d inst. arrived.", "Yours of the twenty-second inst. arrived."),
    ("The 103d regiment.", "The one hundred and third regiment."),
    ("By the 2d of June.", "By the second of June."),
])
def test_old_ordinals(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text", ["A 3d printer hummed.", "In 3d at last.", "It cost 2s 3d then.",
                                  "The 12d and the 13d.", "She drew a 2d map."])
def test_what_only_looks_like_an_old_ordinal_stays(text):
    assert speakable(text) == text


@pytest.mark.parametrize("text, spoken", [
    ("The ——shire militia came.", "The blank-shire militia came."),
    ("The ----shire militia came.", "The blank-shire militia came."),
    ("Then Mr. —— left.", "Then Mister Blank left."),
    ("Ask Capt. ——, he knows.", "Ask Captain Blank, he knows."),
])
def test_a_blanked_name_is_read_blank(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("If 5 < 6 it holds.", "If five less than six it holds."),
    ("If 7>2 it holds.", "If seven greater than two it holds."),
    ("When x >= y, stop.", "When x greater than or equal to y, stop."),
    ("When x ≤ y, stop.", "When x less than or equal to y, stop."),
    ("If 5 &lt; 6 it holds.", "If five less than six it holds."),
])
def test_comparison_signs_are_said(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text", ["I <3 you.", "Go -> there.", "A <b>bold</b> tag.", "Tom <tom@x> wrote."])
def test_angle_brackets_that_compare_nothing_stay(text):
    spoken = speakable(text)
    assert "less" not in spoken and "greater" not in spoken


@pytest.mark.parametrize("text, spoken", [
    ("Tom &amp; Jerry, caf&eacute; &mdash; now.", "Tom & Jerry, café — now."),
    ("It&#8217;s &#x41;.", "It’s A."),
    ("AT&T and R&D, &nothing; here.", "AT&T and R&D, &nothing; here."),  # no whole, known entity
])
def test_whole_entities_are_read_as_their_characters(text, spoken):
    assert speakable(text) == spoken


def test_an_entity_cannot_bring_phonemes_in():
    assert "[[" not in speakable("&#91;&#91;h@'loU]]")


# ---- what espeak-ng says ----

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def phonemes(text: str) -> str:
    """espeak-ng's phoneme mnemonics; a new line marks a clause break (a pause)."""
    return subprocess.run(["espeak-ng", "-q", "-x", "--", text], capture_output=True, text=True,
                          check=True).stdout.strip()


@needs_espeak
def test_espeak_no_longer_pauses_between_a_title_and_the_name():
    assert "\n" in phonemes("Dr. Smith")
    assert "\n" not in phonemes(speakable("Dr. Smith"))


@needs_espeak
def test_espeak_no_longer_spells_abbreviations():
    assert "Elt'i:" in phonemes("Lt. Dan")  # "L T"
    assert "Elt'i:" not in phonemes(speakable("Lt. Dan"))
    assert "v,i:;'Es" in phonemes("cats vs. dogs")  # "V S"
    assert "v,i:;'Es" not in phonemes(speakable("cats vs. dogs"))


@needs_espeak
def test_espeak_says_the_amount_before_the_currency():
    before, after = phonemes("$5"), phonemes(speakable("$5"))
    assert before.index("d'0l3") < before.index("f'aIv")  # "dollar five"
    assert after.index("f'aIv") < after.index("d'0l3")  # "five dollars"


@needs_espeak
def test_espeak_reads_a_year_as_a_year():
    assert "h'VndrI2d" in phonemes("in 1999")  # "nineteen hundred and ninety nine"
    assert "h'VndrI2d" not in phonemes(speakable("in 1999"))


@needs_espeak
def test_espeak_no_longer_spells_a_shouted_it():
    assert ",aIt'i:" in phonemes("DO IT NOW")  # "I T"
    assert ",aIt'i:" not in phonemes(speakable("DO IT NOW"))


@needs_espeak
def test_espeak_says_the_regnal_ordinal_not_roman():
    assert "r,oUm@n" in phonemes("Henry VIII")
    after = phonemes(speakable("Henry VIII"))
    assert "r,oUm@n" not in after and "'eItT" in after  # "eighth"


@needs_espeak
def test_espeak_makes_a_clause_pause_at_a_dash():
    assert "\n" not in phonemes("wait--what")  # only a short pause
    assert "\n" in phonemes(speakable("wait--what"))


@needs_espeak
def test_espeak_says_the_old_forms_as_a_listener_expects():
    assert "s'i:" in phonemes("&c.") and "s'Et3r@" in phonemes(speakable("&c."))  # "and C" → "et cetera"
    assert "d'i:" in phonemes("the 3d of May") and "T'3:d" in phonemes(speakable("the 3d of May"))
    assert "bl'aNk" in phonemes(speakable("the ——shire militia"))
    assert "l'Es" not in phonemes("5 < 6") and "l'Es" in phonemes(speakable("5 &lt; 6"))


# ---- a real story (a novel's worth of text, for speed: bench/normalize_speed.py) ----

@pytest.fixture(scope="module")
def story_paragraphs(gone_story) -> list[str]:
    text = gone_story.read_text(encoding="utf-8", errors="replace")
    return [paragraph for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip()]


def test_normalising_is_idempotent_on_a_real_story(story_paragraphs):
    once = [speakable(paragraph) for paragraph in story_paragraphs]
    assert [speakable(paragraph) for paragraph in once] == once
