"""The whole-book character model (annotate/characters.py): which name forms are one character, which are
nobody, and each character's gender with where it came from. Every story here is written for these tests."""
from collections import Counter

from narrate.annotate.characters import CharacterIndex, is_pet_form, parse_name
from narrate.annotate.names import WordStats, scan_names
from narrate.model import CastEntry


def index_of(forms: dict[str, int], votes: dict[str, dict] | None = None, cast=(), text: str | None = None):
    """The index built from name forms as written ("Mr. Quill": how often), the pronoun votes some of them got
    and, with `text`, how that text uses each word."""
    stats = None
    if text is not None:
        stats = WordStats(cast)
        for paragraph in text.split("\n\n"):
            stats.add(paragraph)
    index = CharacterIndex(cast)
    index.build(Counter({parse_name(name): count for name, count in forms.items()}),
                {parse_name(name): Counter(v) for name, v in (votes or {}).items()}, stats)
    return index


def stats_of(text: str) -> WordStats:
    """How the text, paragraph by paragraph, uses each word."""
    stats = WordStats()
    for paragraph in text.split("\n\n"):
        stats.add(paragraph)
    return stats


def who(index: CharacterIndex, name: str) -> tuple[int, ...]:
    return index.candidates(parse_name(name))


def same(index: CharacterIndex, *names: str) -> bool:
    found = {who(index, name) for name in names}
    return len(found) == 1 and len(found.pop()) == 1


# ---- shared surnames: title, gender, given name


def test_a_lone_surname_the_text_calls_he_is_not_the_miss_who_shares_it():
    index = index_of({"Miss Watson": 3, "Watson": 4}, votes={"Watson": {"male": 2}})
    assert who(index, "Watson") != who(index, "Miss Watson")
    assert index.gender_of(who(index, "Watson")[0]) == "male"


def test_a_lone_given_name_with_a_stray_she_still_joins_the_one_full_name():
    index = index_of({"Fitzwilliam Darcy": 3, "Mr. Darcy": 4, "Fitzwilliam": 2}, votes={"Fitzwilliam": {"female": 1}})
    assert same(index, "Fitzwilliam Darcy", "Fitzwilliam")


def test_mr_never_takes_mrs_beside_his_full_name():
    index = index_of({"William Pardoe": 2, "Mr. Pardoe": 3, "Mrs. Pardoe": 6})
    assert same(index, "William Pardoe", "Mr. Pardoe")
    assert who(index, "Mrs. Pardoe") != who(index, "Mr. Pardoe")
    assert index.gender_of(who(index, "Mr. Pardoe")[0]) == "male"


def test_a_father_never_takes_his_daughters_full_name():
    # "Ysolde" is in no name list: the "she" that follows her given name says she is a woman
    index = index_of({"Ysolde Marrick": 2, "Ysolde": 6, "Mr. Marrick": 5}, votes={"Ysolde": {"female": 4}})
    assert who(index, "Mr. Marrick") != who(index, "Ysolde Marrick")
    assert same(index, "Ysolde", "Ysolde Marrick")


def test_young_mr_surname_tells_a_father_from_his_son_called_by_his_given_name():
    forms = {"Henry Harcourt": 2, "Henry": 6, "Mr. Harcourt": 8}
    text = "Mr. Harcourt sat down. Young Mr. Harcourt stood by the door.\n\nHenry Harcourt laughed."
    index = index_of(forms, text=text)
    assert who(index, "Mr. Harcourt") != who(index, "Henry Harcourt")
    assert same(index, "Henry", "Henry Harcourt")
    # without "young Mr. Harcourt" a man the narration calls "Henry" may be "Mr. Harcourt" himself
    index = index_of(forms, text="Mr. Harcourt sat down.\n\nHenry Harcourt laughed.")
    assert same(index, "Mr. Harcourt", "Henry Harcourt", "Henry")


def test_mr_and_a_rank_each_written_often_are_two_men():
    index = index_of({"John Quill": 2, "Mr. Quill": 6, "Colonel Quill": 6})
    assert same(index, "John Quill", "Mr. Quill") and who(index, "Colonel Quill") != who(index, "Mr. Quill")
    index = index_of({"John Quill": 2, "Mr. Quill": 2, "Colonel Quill": 6})  # "Mr." now and then: the colonel
    assert same(index, "John Quill", "Mr. Quill", "Colonel Quill")


def test_miss_surname_is_the_eldest_sister_not_one_called_miss_given_name():
    index = index_of({"Agnes Pellow": 2, "Rose Pellow": 2, "Miss Rose": 3, "Miss Pellow": 4, "Mrs. Pellow": 5})
    assert same(index, "Miss Pellow", "Agnes Pellow")
    assert same(index, "Miss Rose", "Rose Pellow")
    assert who(index, "Mrs. Pellow") not in (who(index, "Agnes Pellow"), who(index, "Rose Pellow"))


def test_miss_and_mrs_of_one_name_are_two_women():
    index = index_of({"Mrs. Tresize": 5, "Miss Tresize": 4})
    assert who(index, "Mrs. Tresize") != who(index, "Miss Tresize")


def test_a_mother_by_title_is_not_her_daughter_called_by_her_given_name():
    index = index_of({"Clemency Rusk": 2, "Clemency": 5, "Lady Rusk": 4}, votes={"Clemency": {"female": 3}})
    assert who(index, "Lady Rusk") != who(index, "Clemency Rusk")


def test_a_rank_goes_with_a_surname_and_only_some_titles_with_a_given_name():
    index = index_of({"Hartley Vane": 3, "Colonel Hartley": 3, "Ada Vane": 2, "Lady Ada": 2})
    assert who(index, "Colonel Hartley") != who(index, "Hartley Vane")
    assert same(index, "Lady Ada", "Ada Vane")


def test_titled_surname_among_several_goes_to_the_one_of_its_gender():
    index = index_of({"Orla Dunmere": 2, "Piers Dunmere": 2, "Mrs. Dunmere": 3},
                     votes={"Orla": {"female": 3}, "Piers": {"male": 3}})
    assert same(index, "Mrs. Dunmere", "Orla Dunmere")


def test_the_general_is_the_one_general():
    index = index_of({"General Rusk": 4, "Tom Hadley": 2})
    assert index.label("the general", "the general", "male") == who(index, "General Rusk")[0]
    assert index.label("the sentry", "a sentry", "male") != who(index, "General Rusk")[0]


def test_the_general_is_the_one_the_narration_names_not_one_mentioned_in_passing():
    # counts as the story finder weighs them: a name said once in a quote counts a quarter
    index = index_of({"General Rusk": 6, "General Orme": 0.25})
    assert index.label("the general", "the general", "male") == who(index, "General Rusk")[0]
    two = index_of({"General Rusk": 6, "General Orme": 3})
    assert two.label("the general", "the general", "male") not in (who(two, "General Rusk")[0], who(two, "General Orme")[0])


def test_a_given_name_written_with_the_title_again_and_again_tells_two_men_apart():
    index = index_of({"John Aldous": 3, "Mr. John Aldous": 12, "Mr. Aldous": 40})
    assert same(index, "John Aldous", "Mr. John Aldous")
    assert who(index, "Mr. Aldous") != who(index, "John Aldous")
    few = index_of({"John Aldous": 3, "Mr. John Aldous": 2, "Mr. Aldous": 40})  # once or twice: the same man
    assert same(few, "Mr. Aldous", "John Aldous")


def test_a_longer_name_agrees_on_the_given_name_too():
    index = index_of({"William Walter Pryce": 2, "Sir Walter Pryce": 3, "Walter Pryce": 2, "Sir Walter": 5})
    assert same(index, "Sir Walter Pryce", "Walter Pryce", "Sir Walter")
    assert who(index, "Sir Walter") != who(index, "William Walter Pryce")


def test_a_title_alone_is_the_one_character_bearing_it():
    index = index_of({"Admiral Trask": 4, "Admiral": 3, "Colonel": 2, "Colonel Hume": 2, "Colonel Brede": 2})
    assert same(index, "Admiral", "Admiral Trask")
    assert who(index, "Colonel") == ()  # two colonels: no telling which


def test_a_husbands_given_name_in_mrs_is_not_a_man():
    index = index_of({"Mrs. James Tolley": 3, "James": 4})
    assert who(index, "James") != who(index, "Mrs. James Tolley")


# ---- pet forms


def test_a_pet_form_joins_the_given_name_it_shortens():
    index = index_of({"Elizabeth Marsh": 3, "Lizzy": 5, "Miss Lizzy": 1, "Eliza": 2, "Fred Marsh": 2, "Frederick": 2})
    assert same(index, "Elizabeth Marsh", "Lizzy", "Miss Lizzy", "Eliza")
    assert not same(index, "Fred Marsh", "Elizabeth Marsh")


def test_what_is_a_pet_form():
    assert is_pet_form("Lizzy", "Elizabeth") and is_pet_form("Eliza", "Elizabeth") and is_pet_form("Fred", "Frederick")
    assert is_pet_form("Peggy", "Margaret") and is_pet_form("Kitty", "Catherine") and is_pet_form("Ned", "Edward")
    assert not is_pet_form("Peggy", "Catherine")
    assert not is_pet_form("Jane", "Janet")  # a pet form is clearly shorter
    assert not is_pet_form("Sally", "Rosalind")  # its stem starts the name, or nearly
    assert not is_pet_form("Ed", "Edward")  # too short to tell


# ---- voices.yaml's cast


def test_a_cast_full_name_owns_its_surname_and_miss_surname():
    cast = (CastEntry("Ada Quill"),)
    index = index_of({"Ada Quill": 1, "Quill": 3, "Miss Quill": 2, "Tom Quill": 2}, cast=cast)
    ada = who(index, "Ada Quill")
    assert who(index, "Quill") == ada and who(index, "Miss Quill") == ada
    assert who(index, "Tom Quill") != ada


def test_a_cast_full_name_is_of_its_given_names_gender():
    index = index_of({"Mrs. Ashby": 6, "Mr. Ashby": 4, "Ashby": 3}, cast=(CastEntry("Edward Ashby"),))
    assert same(index, "Edward Ashby", "Mr. Ashby", "Ashby") and who(index, "Mrs. Ashby") != who(index, "Mr. Ashby")


def test_a_bare_surname_is_the_one_man_of_a_family():
    index = index_of({"Mr. Quill": 4, "Mrs. Quill": 4, "Quill": 3}, cast=(CastEntry("Ada Quill"),))
    assert same(index, "Quill", "Mr. Quill") and who(index, "Mr. Quill") != who(index, "Ada Quill")
    index = index_of({"Mr. Quill": 4, "Mrs. Quill": 4, "Quill": 3}, votes={"Quill": {"female": 4}})
    assert same(index, "Quill", "Mrs. Quill")  # unless the pronouns after it say she


def test_two_cast_entries_share_a_surname_by_gender():
    cast = (CastEntry("Ada Quill", gender="female"), CastEntry("Tom Quill", gender="male"))
    index = index_of({"Miss Quill": 2, "Mr. Quill": 2, "Quill": 3}, cast=cast)
    assert who(index, "Miss Quill") == who(index, "Ada Quill")
    assert who(index, "Mr. Quill") == who(index, "Tom Quill")
    assert len(who(index, "Quill")) == 2  # either: resolved where it is used


def test_a_cast_short_name_takes_only_the_full_name_of_its_own_surname():
    cast = (CastEntry("Sir John"), CastEntry("Miss Abney"), CastEntry("Ada"))
    index = index_of({"Sir John Quill": 5, "John Abney": 2, "Ada Abney": 2, "Miss Abney": 3}, cast=cast)
    assert who(index, "Sir John Quill") == who(index, "Sir John")
    assert who(index, "John Abney") != who(index, "Sir John")
    assert who(index, "Ada Abney") == who(index, "Ada")  # her given name, not the family's "Miss"


def test_a_house_is_nobody():
    text = "They dined at Abney Lodge. Abney Lodge stood on the hill.\n\nSir John rode home."
    index = index_of({"Abney Lodge": 2, "Sir John": 1}, text=text)
    assert who(index, "Abney Lodge") == ()


def test_a_cast_description_stands_for_that_description():
    cast = (CastEntry("her aunt", gender="female"), CastEntry("a thin, elderly gentleman"))
    index = index_of({"Mara": 4}, cast=cast)
    aunt = index.labelled("her aunt")
    assert aunt is not None and aunt in index.described and index.gender_of(aunt) == "female"
    assert index.label("the thin elderly gentleman", "a thin, elderly gentleman", "male") == 1
    assert who(index, "her aunt") == () and not WordStats(cast).is_name("her")


# ---- nobody


PLACE_STORY = """Hester rode to Longmere in the rain. At Longmere the inn was shut, so she went on.

The road from Longmere ran along the cliff. Hester turned back towards Longmere at dusk.

"Longmere is no place for a horse," said Hester."""


def test_a_name_used_as_a_place_goes_is_nobody():
    forms = {"Hester": 5, "Longmere": 4}
    index = index_of(forms, votes={"Hester": {"female": 2}}, text=PLACE_STORY)
    assert who(index, "Longmere") == ()
    assert len(who(index, "Hester")) == 1


def test_where_a_person_comes_from_is_a_place_once_written():
    text = ("The hotel was quiet at noon.\n\nThe gentleman from Carolina, walking down the stair, stopped at the "
            "desk.\n\n\"Any letters for me?\"\n\n\"None today, sir,\" said the clerk.")
    index = index_of({"Carolina": 1}, text=text)
    assert who(index, "Carolina") == ()


def test_a_letter_from_someone_leaves_them_a_person():
    text = "Hester read the letter from Ivo twice.\n\n\"He is coming,\" said Hester. Ivo came at noon."
    index = index_of({"Hester": 2, "Ivo": 2}, votes={"Ivo": {"male": 1}}, text=text)
    assert len(who(index, "Ivo")) == 1


def test_a_name_shouted_in_capitals_is_the_name_as_usually_written():
    text = '"MISS JEMIMA!" cried Miss Pinkerton.\n\nMiss Jemima came running.'
    forms = {form for _, _, form, _ in scan_names(text, stats_of(text))}
    assert ("miss", ("Jemima",)) in forms and ("miss", ("JEMIMA",)) not in forms


def test_a_contraction_with_a_curly_apostrophe_is_no_name():
    text = ("“No,” said Ada, “I’ll go, and I’ll stay there, and then I’ll come back.”\n\n"
            "“H’m,” said Ivo, “I’ll see.” Ivo shrugged.")
    stats = stats_of(text)
    assert not stats.is_name("I’ll") and not stats.is_name("H’m") and stats.is_name("Ivo")


def test_a_person_the_text_sends_things_to_is_still_a_person():
    text = ("Hester gave the letter to Ivo. Ivo read it twice.\n\nShe waited for Ivo at the gate. Ivo came at last,"
            " and he smiled.\n\n\"Well?\" said Ivo.")
    index = index_of({"Hester": 2, "Ivo": 5}, votes={"Ivo": {"male": 2}}, text=text)
    assert len(who(index, "Ivo")) == 1


def test_descriptions_of_nobody_are_no_character():
    index = index_of({"Hester": 2}, text="Hester went to the Longmere fair. The Longmere people sang.")
    for key in ("the former", "the latter", "the time", "her the", "the one", "this question", "the pause",
                "the occasion", "her attention", "the moment's recollection enabled"):
        assert index.label(key, key, None) is None, key
    assert index.label("the longmere", "the Longmere", None) is None  # a word the book writes capitalised
    assert index.label("the old man", "an old man", "male") is not None
    assert index.label("the turnpike-keeper", "the turnpike-keeper", None) is not None
    assert index.label("one", "one", None) is not None  # "said one": someone in the crowd


def test_an_interjection_or_a_verb_opening_sentences_is_no_name():
    text = ('"Humph!" The old woman sat down. "Humph! Rain again."\n\nKindled by the fire, the room grew warm. '
            'Kindled at last, the lamp smoked.\n\nHester laughed. Hester said nothing.')
    stats = WordStats()
    for paragraph in text.split("\n\n"):
        stats.add(paragraph)
    assert not stats.is_name("Humph") and not stats.is_name("Kindled") and stats.is_name("Hester")


def test_a_date_line_and_madam_are_no_names():
    text = "Sept. 14.\n\nDear Ma'am, the boat is late. Yes, Ma'am, I know. Sept. 15. Ma'am, it came."
    stats = WordStats()
    stats.add(text)
    assert [form for _, _, form, _ in scan_names(text, stats)] == []


# ---- gender and where it came from


def test_gender_says_where_it_came_from():
    cast = (CastEntry("Orrin", gender="male"),)
    index = index_of({"Orrin": 3, "Mrs. Kell": 2, "Petra": 4, "Georgiana Pike": 3, "Zebedee": 2},
                     votes={"Petra": {"female": 3}, "Georgiana Pike": {"male": 1}}, cast=cast)
    source = {name: index.gender_and_source(who(index, name)[0]) for name in ("Orrin", "Mrs. Kell", "Petra",
                                                                              "Georgiana Pike", "Zebedee")}
    assert source == {"Orrin": ("male", "voices.yaml"), "Mrs. Kell": ("female", "title"),
                      "Petra": ("female", "text pronouns"), "Georgiana Pike": ("female", "name list"),
                      "Zebedee": (None, "")}
    aunt = index.label("the aunt", "her aunt", "female")
    assert index.gender_and_source(aunt) == ("female", "description")
    character = index.character(who(index, "Petra")[0], 7)
    assert (character.name, character.gender, character.gender_source, character.lines) == ("Petra", "female",
                                                                                             "text pronouns", 7)
