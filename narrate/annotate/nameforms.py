"""How two name forms of one book relate ("Mr. Darcy", "Darcy" and "Fitzwilliam Darcy" are one person; "Mrs.
Lennox" beside "Mary Lennox" her mother; "Lizzy" a pet form of "Elizabeth"), and the gender a tally of pronouns
gives: the judgements characters.py builds its characters from."""
from __future__ import annotations

from collections import Counter

from narrate.annotate.names import Form, title_gender
from narrate.annotate.petnames import known_pet_form

# The pronouns after one form must lean this far one way before its gender keeps it from a character (a "she"
# after "Fitzwilliam" may be anyone's).
FORM_MARGIN = 2
FORM_RATIO = 3
PARENT_TITLES = frozenset(("mrs", "lady"))
# A father's titles: "Mr. Quill" is the father of "Ned Quill" only when the text also writes "young Mr. Quill" or
# "old Mr. Quill" (a man the narration calls by his given name is as often "Mr. Quill" himself).
FATHER_TITLES = frozenset(("mr",))
# How often a full name's first name must stand alone before "Mrs. <surname>" is taken for someone else.
FIRST_NAME_USES = 3
# How often "Mr. <given name> <surname>" must be written in full before plain "Mr. <surname>" is someone else.
TITLED_GIVEN_USES = 10
# How often "Mr. <surname>" and "<rank> <surname>" must each be written before they are two men.
RANKED_USES = 5
# How often "Miss <first name>" must occur before "Miss <surname>" is taken for her elder sister.
SISTER_FIRST_NAME_USES = 2
TITLE_WORDS = {"dr": "doctor", "mr": "mister", "mrs": "missus", "rev": "reverend", "capt": "captain"}
# Titles that go with a given name ("Lady Ada", "Sir John", "Miss Ada", "Uncle Tom"); the others go with a
# surname only ("Colonel Quill", "Mr. Quill").
GIVEN_NAME_TITLES = frozenset("""
sir lady lord miss master uncle aunt dame don brother sister cousin prince princess king queen mother madame
mademoiselle mlle signor signora senor senora
""".split())
# A pet form is this much shorter than the given name, and its stem starts this near the name's start
# ("Lizzy" -> "liz" in "Elizabeth").
PET_SHORTER_BY = 2
PET_STEM_REACH = 1
PET_MIN_LETTERS = 3


def is_pet_form(pet: str, given: str) -> bool:
    """`pet` shortens the given name: "Eliza" or "Lizzy" of "Elizabeth", "Fred" of "Frederick" (not "Jane"
    of "Janet": a pet form is clearly shorter), or is one of the language's pet forms of it ("Peggy" of
    "Margaret": petnames.py)."""
    if known_pet_form(pet, given):
        return True
    pet_low, given_low = pet.lower(), given.lower()
    if pet_low == given_low or len(pet_low) < PET_MIN_LETTERS or len(pet_low) > len(given_low) - PET_SHORTER_BY:
        return False
    if given_low.startswith(pet_low):
        return True
    for ending in ("ie", "ey", "y"):
        if pet_low.endswith(ending):
            stem = pet_low[: -len(ending)]
            if len(stem) > 1 and stem[-1] == stem[-2]:
                stem = stem[:-1]  # "Lizzy" -> "liz"
            at = given_low.find(stem)
            return len(stem) >= PET_MIN_LETTERS and 0 <= at <= PET_STEM_REACH
    return False


def majority(votes: Counter, margin: int = 1) -> str | None:
    male, female = votes.get("male", 0), votes.get("female", 0)
    if male >= female + margin:
        return "male"
    if female >= male + margin:
        return "female"
    return None


def clear_majority(votes: Counter) -> str | None:
    """The gender the pronouns after one form give, when they lean far enough one way (FORM_MARGIN more, and
    FORM_RATIO times as many)."""
    gender = majority(votes, FORM_MARGIN)
    other = "female" if gender == "male" else "male"
    return gender if gender and votes[gender] >= FORM_RATIO * votes.get(other, 0) else None


def compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def joins(form: Form, other: Form, forms: Counter, generations: frozenset = frozenset()) -> bool:
    """`form` is the person `other` names; `generations` holds the (title, surname) the text writes after
    "young" or "old"."""
    return (extends(form, other) and not parent_of(form, other, forms, generations)
            and not elder_sister(form, other, forms))


def told_apart(titled: Form, known: set, forms: Counter) -> bool:
    """"Mr. Quill" beside a character the text keeps calling "Mr. John Quill" in full: the author writes the given
    name to tell him from the one plain "Mr. Quill" is (his elder brother, his uncle). So "Mr. Quill" and "Colonel
    Quill" when the text keeps writing both: a man of rank is called by it, his brother "Mr."; the full name
    "John Quill" is the brother's, unless the text writes "Colonel John Quill"."""
    title, tokens = titled
    if not title or len(tokens) != 1:
        return False
    if title != "mr" and _mister_and_rank(titled, ("mr", tokens), forms) and all(f[0] != title for f in known):
        return True
    return any(
        (f[0] == title and len(f[1]) == 2 and f[1][-1] == tokens[0] and forms.get(f, 0) >= TITLED_GIVEN_USES)
        or _mister_and_rank(titled, f, forms) for f in known
    )


def _mister_and_rank(titled: Form, other: Form, forms: Counter) -> bool:
    """"Mr. Quill" and "Colonel Quill", each written RANKED_USES times or more: two men."""
    titles = {titled[0], other[0]}
    return (titled[1] == other[1] and "mr" in titles and len(titles) == 2 and title_gender(titled[0]) == "male"
            and title_gender(other[0]) == "male" and not titles & GIVEN_NAME_TITLES
            and min(forms.get(titled, 0), forms.get(other, 0)) >= RANKED_USES)


def parent_of(titled: Form, full: Form, forms: Counter, generations: frozenset = frozenset()) -> bool:
    """"Mrs. Lennox" (or "Lady Lennox") beside "Mary Lennox" when the text also calls her plain "Mary": a mother and her
    daughter (the narration calls a grown-up by title and a child by first name), not one person. So "Mr. Quill"
    and "Ned Quill" (or "Mr. Ned Quill") called "Ned", when the text tells the two apart by "young Mr. Quill"."""
    title, tokens = titled
    fathers = title in FATHER_TITLES and (title, tokens[-1]) in generations
    return (
        (title in PARENT_TITLES or fathers)
        and full[0] in ("", title)
        and len(full[1]) > 1
        and tokens == full[1][-1:]
        and forms.get(("", full[1][:1]), 0) >= FIRST_NAME_USES
    )


def elder_sister(titled: Form, full: Form, forms: Counter) -> bool:
    """"Miss Pinkerton" beside "Miss Jemima Pinkerton" when the text also says "Miss Jemima": by convention
    "Miss <surname>" is the eldest unmarried sister and a younger one is "Miss <first name>", so two people."""
    title, tokens = titled
    return (
        title == "miss"
        and len(full[1]) > 1
        and tokens == full[1][-1:]
        and forms.get(("miss", full[1][:1]), 0) >= SISTER_FIRST_NAME_USES
    )


def same_honorific(one: str, other: str) -> bool:
    """Two titles one person may bear: a man's ("Mr." and "Colonel"), not a boy's and a man's ("Master" and
    "Mr."); a woman keeps hers ("Miss Quill" and "Mrs. Quill" are a daughter and her mother, "Lady Quill" a
    third)."""
    if one == other:
        return True
    if title_gender(one) != title_gender(other) or "master" in (one, other):
        return False
    return title_gender(one) == "male"


def extends(short: Form, full: Form) -> bool:
    """`short` names the same person as `full`: "Darcy" or "Mr. Darcy" of "Fitzwilliam Darcy"."""
    title, tokens = short
    if short == full or not set(tokens) <= set(full[1]):
        return False
    if title and full[0] and not same_honorific(title, full[0]):
        return False
    if len(tokens) > 1 and (tokens[0] != full[1][0] or tokens[-1] != full[1][-1]):
        return False  # "Sir Walter Quill" is not "William Walter Quill": a given name and a surname both agree
    if title:
        # a title goes with a surname ("Mr. Darcy"), or a given name when it is one that takes it ("Lady
        # Catherine", "Miss Jemima"; not "Colonel Fitzwilliam" of "Fitzwilliam Darcy")
        return tokens[-1] == full[1][-1] or (tokens[0] == full[1][0] and title in GIVEN_NAME_TITLES)
    return len(tokens) < len(full[1]) or bool(full[0])
