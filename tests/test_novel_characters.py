"""The whole-book character model on novel-length stories of our own (tests/novel_story.py): a LitBank excerpt
is ~2,000 words, where a house's name, two men of one surname or a letter's date lines turn up a few times; over
a novel they recur hundreds of times and a wrong character takes whole chains of lines."""
import random
from collections import Counter

from novel_story import Novel, Person, Said, chapters, exchange, pairs_talking, quote

from narrate.annotate import annotate
from narrate.ingest.text import load_book
from narrate.model import CastEntry, Script


def script_of(novel: Novel, tmp_path, cast=()) -> Script:
    path = tmp_path / "novel.txt"
    path.write_text(novel.text, encoding="utf-8")
    return annotate(load_book(path), cast)


def spoken(script: Script) -> list[str]:
    """The speaker of each utterance, in order."""
    speakers, last = [], None
    for segment in script.segments:
        if segment.kind == "dialogue" and segment.utterance != last:
            speakers.append(segment.speaker)
            last = segment.utterance
    return speakers


def lines_of(script: Script) -> Counter:
    return Counter(spoken(script))


# ---- a house's name is nobody


NORA = Person("Nora", {"Nora": 6, "Nora Vail": 1, "Miss Vail": 2}, "she")
ASHBY = Person("Ashby", {"Mr. Ashby": 5, "Ashby": 2, "Edward Ashby": 1}, "he")
PENROSE = Person("Penrose", {"Mrs. Penrose": 4}, "she")
HOUSE = [
    "Nora came back to Crowmere late in the afternoon.",
    "The lamps of Crowmere were lit one by one.",
    "Crowmere stood grey and silent above the river.",
    "Crowmere seemed to be waiting for something.",
    "Nobody at Crowmere had slept well.",
    "The road from Crowmere to Alderton was deep in mud.",
    "There was to be a dance at the Netherby on Friday.",
    "They walked along the embankment as far as the bridge.",
    "News came from Portugal by the evening mail.",
    "The carriage turned in at the gates of Crowmere.",
    "Crowmere looked its best in the snow.",
]


def house_novel(seed: int = 3) -> Novel:
    """Nora, Mr. Ashby and Mrs. Penrose talk at Crowmere, a house that stands, seems and looks, is called to
    ("Good-bye, Crowmere!") and opens paragraphs of Nora's: never "he" or "she", never speaking."""
    def scene(rng, _chapter):
        paragraphs = [rng.choice(HOUSE) + " " + rng.choice(HOUSE)]
        paragraphs += exchange(rng, *rng.sample([NORA, ASHBY, PENROSE], 2), rng.randint(5, 9))
        paragraphs.append(Said(f"Crowmere was dark when they came in. {quote('I shall never leave Crowmere', '.')}",
                               NORA.name))
        paragraphs.append(Said(f"{quote('Good-bye, Crowmere', '!')} she said, from the embankment.", NORA.name))
        return paragraphs
    return chapters(random.Random(seed), 20, scene, "The House by the River")


def test_a_house_that_stands_and_is_called_to_is_nobody(tmp_path):
    novel = house_novel()
    assert novel.words() > 7000
    script = script_of(novel, tmp_path)
    names = {c.name for c in script.characters}
    assert names == {"Nora", "Mr. Ashby", "Mrs. Penrose"}, names
    said = Counter(zip(novel.speakers, spoken(script)))
    assert said["Ashby", "Mr. Ashby"] == novel.speakers.count("Ashby")


# ---- one surname, two generations; a rank with and without the surname


FATHER = Person("father", {"Mr. Harcourt": 6}, "he")
SON = Person("son", {"Henry": 5, "Henry Harcourt": 1, "young Mr. Harcourt": 2, "Mr. Henry Harcourt": 1}, "he")
GENERAL = Person("general", {"the General": 5, "General Orme": 2}, "he")
ADA = Person("ada", {"Ada": 3, "Miss Quill": 3, "Ada Quill": 1}, "she")
FAMILY = [
    "Mr. Harcourt was a stout man of sixty, and his son Henry Harcourt was the hope of the house.",
    "Young Mr. Harcourt rode over from Brayford most mornings.",
    "General Orme had served in India and never let anyone forget it.",
    "The General took snuff and looked at the fire.",
    "Ada Quill sat by the window with her work.",
    "Miss Quill had not slept.",
]


def family_novel(seed: int = 3) -> Novel:
    """Mr. Harcourt and his son Henry ("young Mr. Harcourt", "Mr. Henry Harcourt"), General Orme ("the
    General") and Ada Quill talk in pairs."""
    return pairs_talking([FATHER, SON, GENERAL, ADA], FAMILY, "The Harcourts", seed)


def test_young_mr_tells_a_son_from_his_father(tmp_path):
    novel = family_novel()
    script = script_of(novel, tmp_path)
    by_name = {c.name: c for c in script.characters}
    assert by_name["Mr. Harcourt"].aliases == ()
    assert set(by_name["Henry"].aliases) == {"Henry Harcourt", "Mr. Henry Harcourt"}
    said = Counter(zip(novel.speakers, spoken(script)))
    assert said["father", "Mr. Harcourt"] > 0.9 * novel.speakers.count("father")
    assert said["son", "Henry"] > 0.9 * novel.speakers.count("son")
    assert said["general", "General Orme"] > 0.9 * novel.speakers.count("general")  # "the General" too


# ---- pet forms the letters do not show


CATHERINE = Person("Catherine", {"Catherine": 4, "Kitty": 3, "Kate": 2, "Catherine Morley": 1}, "she")
MARGARET = Person("Margaret", {"Margaret": 3, "Meg": 3, "Peggy": 2, "Margaret Ross": 1}, "she")
ROSS = Person("Ross", {"Mr. Ross": 3, "Ross": 3}, "he")
FRIENDS = ["Catherine Morley was the youngest of the family.", "Margaret Ross had been at school with her.",
           "Mr. Ross came home late.", "Ross was a quiet man.", "The house was full of visitors."]


def friends_novel(seed: int = 3) -> Novel:
    """Catherine ("Kitty", "Kate"), Margaret ("Meg", "Peggy") and Mr. Ross, Margaret's father."""
    return pairs_talking([CATHERINE, MARGARET, ROSS], FRIENDS, "Kitty", seed, count=16)


def test_pet_forms_of_the_language_join_the_given_name(tmp_path):
    novel = friends_novel()
    script = script_of(novel, tmp_path)
    groups = {frozenset((c.name, *c.aliases)) for c in script.characters}
    assert groups == {frozenset(("Catherine", "Catherine Morley", "Kitty", "Kate")),
                      frozenset(("Margaret", "Margaret Ross", "Meg", "Peggy")), frozenset(("Mr. Ross", "Ross"))}


# ---- two brothers: "Mr." and a rank


MR_WENDLE = Person("mr", {"Mr. Wendle": 4, "William Wendle": 1}, "he")
MRS_WENDLE = Person("mrs", {"Mrs. Wendle": 5}, "she")
ROSE = Person("rose", {"Rose": 4, "Rose Wendle": 1}, "she")
COLONEL = Person("colonel", {"Colonel Wendle": 3, "the Colonel": 2}, "he")
WENDLES = ["Mr. Wendle and his wife had taken the house for the summer.", "Mrs. Wendle was fond of cards.",
           "William Wendle was a lawyer.", "Rose Wendle was nineteen.",
           "Colonel Wendle, his brother, had come from the north.", "Mrs. Wendle smiled at her husband."]


def wendle_novel(seed: int = 3) -> Novel:
    """Mr. Wendle (William), his wife, their daughter Rose and his brother Colonel Wendle."""
    return pairs_talking([MR_WENDLE, MRS_WENDLE, ROSE, COLONEL], WENDLES, "The Wendles", seed)


def test_mr_and_colonel_of_one_surname_written_again_and_again_are_two_men(tmp_path):
    novel = wendle_novel()
    script = script_of(novel, tmp_path)
    groups = {frozenset((c.name, *c.aliases)) for c in script.characters}
    assert frozenset(("Mr. Wendle", "William Wendle")) in groups
    assert frozenset(("Colonel Wendle",)) in groups
    said = Counter(zip(novel.speakers, spoken(script)))
    assert said["colonel", "Colonel Wendle"] > 0.9 * novel.speakers.count("colonel")


# ---- a married name


CROFTON = Person("crofton", {"Mr. Crofton": 3}, "he")
VILLAGE = ["The village was quiet that year.", "Miss Dane walked to church alone.", "Mr. Crofton had bought the mill."]
WEDDING = ("Miss Dane was married to Mr. Crofton in the spring, and Mrs. Crofton came back to the village in "
           "June.")


def wedding_novel(seed: int = 3, mother: bool = False) -> Novel:
    """Miss Dane and Mr. Crofton talk for ten chapters, marry, and she talks as Mrs. Crofton for ten more; with
    `mother`, she stays Miss Dane and Mr. Crofton's mother, Mrs. Crofton, talks with her son from the start."""
    maiden, married = Person("lucy", {"Miss Dane": 3}, "she"), Person("lucy", {"Mrs. Crofton": 3}, "she")
    his_mother = Person("mother", {"Mrs. Crofton": 3}, "she")
    told = set()

    def scene(rng, chapter):
        paragraphs = [rng.choice(VILLAGE)]
        if chapter == 11 and not told:
            paragraphs.append(WEDDING)
            told.add(chapter)
        if mother:
            pair = (CROFTON, his_mother) if rng.random() < 0.5 else (maiden, CROFTON)
        else:
            pair = (maiden if chapter <= 10 else married, CROFTON)
        return paragraphs + exchange(rng, *pair, rng.randint(5, 9))
    return chapters(random.Random(seed), 20, scene, "The Mill", scenes=2)


def test_miss_surname_married_is_then_mrs_of_his_name(tmp_path):
    novel = wedding_novel()
    script = script_of(novel, tmp_path)
    groups = {frozenset((c.name, *c.aliases)) for c in script.characters}
    assert groups == {frozenset(("Mrs. Crofton", "Miss Dane")), frozenset(("Mr. Crofton",))}, groups


def test_a_mrs_written_before_the_wedding_is_someone_else(tmp_path):
    novel = wedding_novel(mother=True)
    script = script_of(novel, tmp_path)
    groups = {frozenset((c.name, *c.aliases)) for c in script.characters}
    assert frozenset(("Miss Dane",)) in groups and frozenset(("Mrs. Crofton",)) in groups


# ---- voices.yaml's full names among a family's titles


MISS_QUILL = Person("ada", {"Miss Quill": 4, "Ada": 2}, "she")
MR_QUILL = Person("mr", {"Mr. Quill": 4, "Quill": 2}, "he")
MRS_QUILL = Person("mrs", {"Mrs. Quill": 4}, "she")
MR_ASHBY = Person("ashby", {"Ashby": 3, "Mr. Ashby": 3}, "he")
MRS_ASHBY = Person("mrs ashby", {"Mrs. Ashby": 3}, "she")
QUILLS = ["Mr. Quill came in from the yard, and he shut the door.", "Miss Quill was reading.", "Mrs. Quill had a cold.",
          "Ashby was a friend of the family; he called on Sundays.", "Mrs. Ashby never came with him."]


def test_a_cast_full_name_takes_the_titles_of_its_gender_and_a_bare_surname_is_the_mans(tmp_path):
    novel = pairs_talking([MISS_QUILL, MR_QUILL, MRS_QUILL, MR_ASHBY, MRS_ASHBY], QUILLS, "The Quills")
    script = script_of(novel, tmp_path, cast=(CastEntry("Ada Quill"), CastEntry("Edward Ashby")))
    groups = {frozenset((c.name, *c.aliases)) for c in script.characters}
    assert groups == {frozenset(("Ada Quill", "Ada", "Miss Quill")), frozenset(("Mr. Quill", "Quill")),
                      frozenset(("Mrs. Quill",)), frozenset(("Edward Ashby", "Ashby", "Mr. Ashby")),
                      frozenset(("Mrs. Ashby",))}, groups
    assert {c.name: c.gender for c in script.characters}["Edward Ashby"] == "male"


# ---- a father and his son who answer each other


MR_TOLLARD = Person("father", {"Mr. Tollard": 6}, "he")
TOM = Person("son", {"Tom": 5, "Tom Tollard": 1}, "he")
CALEB = Person("caleb", {"Caleb": 4, "Mr. Garland": 3, "Caleb Garland": 1}, "he")
MRS_GARLAND = Person("mrs", {"Mrs. Garland": 4}, "she")
MILL = ["Mr. Tollard owned the mill, and his son Tom Tollard worked in it.", "Tom was sixteen.",
        "Caleb Garland was the carpenter.", "Mr. Garland had a slow way of speaking.", "Mrs. Garland kept the accounts."]


def test_mr_surname_and_a_given_name_that_answer_each_other_are_two_men(tmp_path):
    """Mr. Tollard and his son Tom (no "young Mr. Tollard" anywhere) talk; Caleb Garland, whom the narration
    calls "Caleb" and "Mr. Garland", never answers himself and stays one man."""
    novel = pairs_talking([MR_TOLLARD, TOM, CALEB, MRS_GARLAND], MILL, "The Mill")
    script = script_of(novel, tmp_path)
    groups = {frozenset((c.name, *c.aliases)) for c in script.characters}
    assert groups == {frozenset(("Mr. Tollard",)), frozenset(("Tom", "Tom Tollard")),
                      frozenset(("Mr. Garland", "Caleb", "Caleb Garland")), frozenset(("Mrs. Garland",))}, groups
    said = Counter(zip(novel.speakers, spoken(script)))
    assert said["father", "Mr. Tollard"] > 0.9 * novel.speakers.count("father")


def test_miss_surname_is_the_sister_who_answers_the_other(tmp_path):
    """Jane Pellow ("Miss Pellow") and her younger sister Kitty Pellow, never "Miss Kitty": "said Miss Pellow"
    answering "said Kitty" tells which sister the title names."""
    jane = Person("jane", {"Miss Pellow": 4, "Jane": 2, "Jane Pellow": 1}, "she")
    kitty = Person("kitty", {"Kitty": 4, "Kitty Pellow": 1}, "she")
    mother = Person("mother", {"Mrs. Pellow": 4}, "she")
    openings = ["Jane Pellow was the eldest of the Pellow girls; Kitty Pellow the youngest.",
                "Miss Pellow disliked the sea.", "Kitty laughed at everything.", "Mrs. Pellow sat by the fire."]
    novel = pairs_talking([jane, kitty, mother], openings, "Sisters")
    groups = {frozenset((c.name, *c.aliases)) for c in script_of(novel, tmp_path).characters}
    assert groups == {frozenset(("Miss Pellow", "Jane", "Jane Pellow")), frozenset(("Kitty", "Kitty Pellow")),
                      frozenset(("Mrs. Pellow",))}, groups


# ---- a kin description and the kin title before a name


def test_her_aunt_is_the_one_aunt_the_book_names(tmp_path):
    """Mara's aunt, "her aunt" in most tags and "Aunt Bell" in some, is one character (one voice)."""
    mara = Person("mara", {"Mara": 5, "Mara Quill": 1}, "she")
    aunt = Person("aunt", {"her aunt": 4, "Aunt Bell": 1}, "she")
    doctor = Person("doctor", {"the doctor": 4}, "he")
    openings = ["Her aunt had lived with them since the winter.", "The doctor came twice a week.",
                "Mr. Quill read the paper.", "Mara walked in the garden with her aunt."]
    novel = pairs_talking([mara, aunt, doctor, MR_QUILL], openings, "The Aunt")
    script = script_of(novel, tmp_path)
    said = Counter(zip(novel.speakers, spoken(script)))
    assert said["aunt", "Aunt Bell"] > 0.9 * novel.speakers.count("aunt"), said
