"""English pet forms that do not spell the start of the given name they stand for ("Kitty" and "Kate" of
Catherine, "Peggy" and "Meg" of Margaret, "Ned" of Edward): the ones nameforms.is_pet_form cannot see by their
letters. A general table of the language's hypocorisms, not of any book's names."""
from __future__ import annotations

# given name -> its pet forms
_PETS = {
    "catherine": "kitty kate katie kit", "katharine": "kitty kate katie kit", "katherine": "kitty kate katie kit",
    "margaret": "meg peggy maggie madge", "elizabeth": "bess bessie betsy betty beth libby lizzie",
    "mary": "polly molly mamie", "ellen": "nell nelly", "eleanor": "nell nelly", "helen": "nell nelly",
    "frances": "fanny", "susan": "sukey", "susanna": "sukey", "jane": "jenny", "martha": "patty mattie",
    "dorothy": "dolly", "sarah": "sally", "ann": "nancy", "anne": "nancy", "anna": "nancy", "harriet": "hatty",
    "robert": "bob bobby", "william": "bill billy", "richard": "dick", "edward": "ned ted teddy",
    "john": "jack johnny", "henry": "harry hal", "james": "jem jim jemmy", "thomas": "tommy", "charles": "charley",
    "edmund": "ned", "theodore": "ted teddy",
}
PET_FORMS: dict[str, frozenset[str]] = {}
for _given, _pets in _PETS.items():
    for _pet in _pets.split():
        PET_FORMS[_pet] = PET_FORMS.get(_pet, frozenset()) | {_given}


def known_pet_form(pet: str, given: str) -> bool:
    """`pet` is one of the language's pet forms of `given` ("Peggy", "Margaret")."""
    return given.lower() in PET_FORMS.get(pet.lower(), frozenset())
