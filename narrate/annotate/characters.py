"""The characters of a story, built from the whole book before any quote is attributed.

Every name form the text uses ("Mr. Darcy" -> ("mr", ("Darcy",)), found by names.py) is grouped with the
others that denote the same person:

- a full name founds a character; a shorter or titled form joins the one full name it extends ("Darcy",
  "Mr. Darcy" -> "Fitzwilliam Darcy") when their genders agree (a full name's gender is also its given
  name's: the "she" that follows a lone "Ada" makes "Ada Quill" a woman);
- a surname a family shares is told apart by title, gender and given name: "Mr. Quill" never joins "Mrs.
  Quill" nor a woman's full name; "Mr. Quill" and "Colonel Quill", each written often, are brothers; "Mr. Quill"
  is the father of "Ned Quill" when the text writes "young Mr. Quill" or their speech tags answer each other
  (answers.py); "Miss Quill" is the eldest unmarried daughter, never a sister called "Miss
  Ada"; a form several people may bear ("Quill", "Mr. Quill" beside two brothers) stays ambiguous and is
  resolved where it is used;
- a title goes with a surname ("Colonel Quill") and, for the titles that take one, a given name ("Lady Ada",
  "Sir John", "Miss Ada"): "Colonel John" is not "John Quill";
- a pet form joins the one given name it shortens ("Lizzy", "Eliza" -> "Elizabeth") or the language gives it
  ("Peggy", "Meg" -> "Margaret": petnames.py);
- voices.yaml's entries come first and own the forms that extend their names ("Ada Quill" owns "Quill" and
  "Miss Quill") unless another entry claims them; an entry named by a description ("her aunt") stands for
  that description, as if the text had found it;
- a name the text uses as a place ("at Longmere", never acting, never "he" or "she") or a thing is nobody; so is
  one after "at", "to", "of" ... that never speaks, nods or smiles and is never "he" or "she", however often it
  "stood" or "seemed" or is called to ("Good-bye, Longmere!").

Gender comes from the voices.yaml entry, else the pronouns that refer to the name (gender.py), else its title,
else the noun of its description; `gender_source` says which. How two name forms relate is judged in
nameforms.py, which descriptions name nobody in descriptions.py.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from narrate.annotate.castguide import has_name
from narrate.annotate.clauses import describe
from narrate.annotate.descriptions import description_words
from narrate.annotate.givennames import name_gender
from narrate.annotate.labels import Labels
from narrate.annotate.nameforms import (
    GIVEN_NAME_TITLES,
    clear_majority,
    compatible,
    extends,
    is_pet_form,
    joins,
    majority,
    told_apart,
)
from narrate.annotate.names import (  # noqa: F401  (WORD, Mention, WordStats, scan_names: imported from here too)
    WORD,
    Form,
    Mention,
    WordStats,
    display,
    is_description,
    parse_name,
    scan_names,
    title_gender,
)
from narrate.annotate.speechverbs import TITLES
from narrate.model import NARRATOR, CastEntry, Character

# Where a character's gender came from, as `narrate cast` shows it.
FROM_CAST, FROM_PRONOUNS, FROM_TITLE, FROM_NAMES, FROM_DESCRIPTION = (
    "voices.yaml", "text pronouns", "title", "name list", "description")
TITLE_VOTES = 5  # a "Mr." counts this many pronouns
# A name used as a place goes ("at Longmere") is a place when such uses outnumber the pronouns that seem to
# refer to it this many times over (a "he" after a place's name is most often someone else's).
PLACE_OVER_PRONOUNS = 2


# The other gender, for a title that contradicts a name's pronouns.
OPPOSITE = {"male": "female", "female": "male"}


@dataclass
class _Cluster:
    forms: Counter = field(default_factory=Counter)
    cast_name: str | None = None
    cast_gender: str | None = None
    cast_forms: set = field(default_factory=set)
    votes: Counter = field(default_factory=Counter)  # pronouns that refer to it: "male"/"female" -> weight
    titles: Counter = field(default_factory=Counter)  # what its titles say
    names: Counter = field(default_factory=Counter)  # what its given names say (givennames.py)
    nouns: Counter = field(default_factory=Counter)  # what its description's noun says ("the old man")


class CharacterIndex(Labels):
    """The characters of one book and the name forms that denote them."""

    def __init__(self, cast: Sequence[CastEntry] = ()) -> None:
        self.clusters: list[_Cluster] = []
        self._by_form: dict[Form, tuple[int, ...]] = {}
        self._by_label: dict[str, int] = {}
        self.described: set[int] = set()  # characters known only by a description ("the old man")
        self._token_clusters: dict[str, set[int]] = defaultdict(set)
        self.stats: WordStats | None = None
        self._votes: dict[Form, Counter] = {}
        self._surnames: set[str] = set()
        self._generations: frozenset = frozenset()  # (title, surname) written "young Mr. Quill"
        self._answering: frozenset = frozenset()  # (titled surname, given name) that answer each other
        for entry in cast:
            if entry.name.lower() == NARRATOR:  # the one who says "I": the first-person narrator already
                continue
            cid = self._new_cluster()
            self.clusters[cid].cast_name = entry.name
            self.clusters[cid].cast_gender = entry.gender
            self._by_label[entry.name.lower()] = cid
            if not has_name(entry):  # "her aunt": the description the text will use, not a name
                self.described.add(cid)
            for name in (entry.name, *entry.aliases):
                if is_description(name):  # "the old shepherd": the entry's, wherever a tag says it
                    key, _, gender = describe(description_words(name))
                    self._by_label.setdefault(key, cid)
                    if gender:
                        self.clusters[cid].nouns[gender] += 1
                    continue
                if cid in self.described:
                    continue
                form = parse_name(name)
                if form[1]:
                    self.clusters[cid].cast_forms.add(form)
                    self._assign(form, (cid,))

    # ---- building

    def _new_cluster(self) -> int:
        self.clusters.append(_Cluster())
        return len(self.clusters) - 1

    def build(self, forms: Counter, votes: dict[Form, Counter], stats: WordStats | None = None,
              answering: frozenset = frozenset()) -> None:
        """Group the forms found in the text (with how often each occurs) into characters; `votes` are the
        pronouns that refer to each form, `stats` how the book uses each word (to leave out places), `answering`
        the (titled surname, given name) whose speech tags answer each other (answers.py): two people."""
        self.stats = stats
        self._answering = answering
        self._votes = votes
        self._generations = frozenset(stats.generations) if stats is not None else frozenset()
        self._surnames = {f[1][-1] for f in forms if len(f[1]) > 1 or (f[0] and f[0] not in GIVEN_NAME_TITLES)}
        people = [form for form in forms if form in self._by_form or not self._nobody(form)]
        for form in sorted(people, key=lambda f: (len(f[1]) == 1 and not f[0], -len(f[1]), -forms[f], f)):
            candidates = self._by_form.get(form) or self._related_clusters(form, self._form_gender(form), forms)
            if not form[0] and len(form[1]) == 1 and form[1][0].lower() in TITLES:
                titled = self.the_titled(form[1][0].lower())  # "Admiral" alone: the one Admiral Quill
                if titled is None:
                    continue
                candidates = (titled,)
            if not candidates:
                candidates = (self._new_cluster(),)
            self._assign(form, candidates)
            if len(candidates) == 1:
                cluster = self.clusters[candidates[0]]
                cluster.forms[form] += forms[form]
                cluster.votes.update(votes.get(form, Counter()))
                if gender := title_gender(form[0]):
                    cluster.titles[gender] += TITLE_VOTES * forms[form]
                if gender := self._given_name_gender(form):
                    cluster.names[gender] += forms[form]
        self._join_pet_forms(forms)

    def _nobody(self, form: Form) -> bool:
        """A name the book uses as a place or a thing ("at Longmere", "the _Kestrel_"), never "he" or "she"."""
        stats = self.stats
        if stats is None or form[0]:
            return False
        referred = sum(self._votes.get(form, Counter()).values())  # "he" or "she" after it
        if not referred and (stats.is_thing(form) or stats.is_place(form) or stats.never_a_person(form)):
            return True
        return stats.is_where(form) and stats.after_where[form[1][0]] > PLACE_OVER_PRONOUNS * referred

    def _given_name_gender(self, form: Form) -> str | None:
        """What the name list says of the form's given name: the first of a full name, one after a title that
        takes a given name ("Lady Ada"), or a lone name nobody bears as a surname."""
        title, tokens = form
        if (title and title not in GIVEN_NAME_TITLES) or (len(tokens) == 1 and tokens[0] in self._surnames):
            return None
        return name_gender(tokens[0])

    def _form_gender(self, form: Form) -> str | None:
        """A form's gender: its title's, else its given name's, else its pronouns' when they agree clearly,
        else (a full name) its given name's pronouns ("Ada" ... "she")."""
        gender = title_gender(form[0]) or self._given_name_gender(form)
        gender = gender or clear_majority(self._votes.get(form, Counter()))
        if gender is None and not form[0] and len(form[1]) > 1:
            gender = clear_majority(self._votes.get(("", form[1][:1]), Counter()))
        return gender

    def _cluster_gender(self, cid: int) -> str | None:
        """A character's gender while it is built: also what its full names' given names say (the pronouns after
        them, and the name list for a voices.yaml entry's: "Edward Ashby" takes "Mr. Ashby", never "Mrs. Ashby")."""
        if (gender := self.gender_of(cid)) is not None:
            return gender
        given = Counter()
        for form in self._known(cid):
            if not form[0] and len(form[1]) > 1:
                given.update(self._votes.get(("", form[1][:1]), Counter()))
                if form in self.clusters[cid].cast_forms and (listed := name_gender(form[1][0])):
                    given[listed] += 1
        return majority(given)

    def _related_clusters(self, form: Form, gender: str | None, forms: Counter) -> tuple[int, ...]:
        """Clusters that this shorter or titled form can belong to (by shared name tokens)."""
        title, tokens = form
        related = []
        for cid in sorted(set.union(set(), *(self._token_clusters.get(t, set()) for t in tokens))):
            cluster = self.clusters[cid]
            known = set(cluster.forms) | cluster.cast_forms
            owns = cluster.cast_name and self._surname_agrees(form, cid)
            joined = any(joins(form, other, forms, self._generations) or (owns and extends(other, form)) for other in known)
            joined = joined and not told_apart(form, known, forms) and not self._answered(form, known)
            if joined and compatible(gender, self._cluster_gender(cid)):
                related.append(cid)
        if not related and not title and len(tokens) == 1 and gender is not None and not self._given_name_gender(form):
            # a lone name whose few pronouns say otherwise than every character bearing it ("Fitzwilliam", "she"),
            # but not one whose title says so too: "Watson", "he", is not "Miss Watson"
            return tuple(cid for cid in self._related_clusters(form, None, forms)
                         if set(self.clusters[cid].titles) != {OPPOSITE.get(gender)})
        if not title and len(tokens) == 1 and gender is None and len(related) > 1 and tokens[0] in self._surnames:
            # a bare surname is the man's of a family, the one the text calls "Mr." ("Quill" beside "Mr. Quill",
            # "Mrs. Quill" and the voices.yaml entry "Ada Quill"), unless pronouns say otherwise
            genders = {cid: self._cluster_gender(cid) for cid in related}
            men = [cid for cid, known in genders.items()
                   if known == "male" and any(title_gender(f[0]) == "male" for f in self.clusters[cid].forms)]
            others = [known for cid, known in genders.items() if cid not in men]
            if len(men) == 1 and not self.clusters[men[0]].cast_name and all(known == "female" for known in others):
                return (men[0],)
        cast = [cid for cid in related if self.clusters[cid].cast_name]
        related = cast or related  # voices.yaml's entries own the forms that extend their names
        if len(related) > 1 and not title and len(tokens) > 1:
            # "Ada Quill" beside the entries "Ada" and "Miss Quill": the one with her given name
            given = [cid for cid in related if any(f[1][0] == tokens[0] for f in self._known(cid))]
            related = given if len(given) == 1 else related
        if len(related) > 1 and title == "miss" and tokens[-1] in self._surnames:
            # "Miss Quill" is the eldest: not a sister the text calls "Miss Ada"
            elder = [cid for cid in related if not self._younger_sister(cid, forms)]
            return tuple(elder) if len(elder) == 1 else ()
        if len(related) > 1 and title:
            # "Mr. Quill" beside "Mrs. Quill" and "Ada Quill": an exact title match is the same person; else
            # the one whose gender the text shows is the title's ("Mrs. Quill" beside "Ada Quill", whom "she"
            # follows, and "John Quill", of no gender yet)
            same_title = [cid for cid in related if any(f[0] == title for f in self.clusters[cid].forms)]
            same_gender = [cid for cid in related if gender and self._cluster_gender(cid) == gender]
            return tuple(same_title or (same_gender if len(same_gender) == 1 else ()))
        return tuple(related)

    def _answered(self, form: Form, known: set) -> bool:
        """"Mr. Quill" beside "Ned Quill" (or "Ned") when "said Mr. Quill" and "said Ned" answer each other."""
        return bool(self._answering) and any(
            not f[0] and (form, f[1][0]) in self._answering and f[1] != form[1] for f in known)

    def _known(self, cid: int) -> set:
        return set(self.clusters[cid].forms) | self.clusters[cid].cast_forms

    def _surname_agrees(self, form: Form, cid: int) -> bool:
        """A full name may join a voices.yaml entry of a shorter name ("Sir John" owns "Sir John Quill") when the
        entry has no other surname already ("Sir John Quill" there: not "John Abney")."""
        surnames = {f[1][-1] for f in self._known(cid) if len(f[1]) > 1 or (f[0] and f[0] not in GIVEN_NAME_TITLES)}
        return len(form[1]) < 2 or not surnames or form[1][-1] in surnames

    def _younger_sister(self, cid: int, forms: Counter) -> bool:
        """The text calls her "Miss <given name>" ("Miss Ada" of "Ada Quill"): not the eldest."""
        return any(forms.get(("miss", f[1][:1]), 0) for f in self.clusters[cid].forms if len(f[1]) > 1)

    def _join_pet_forms(self, forms: Counter) -> None:
        """A lone given name found on its own ("Lizzy", "Eliza") and the one character whose given name it
        shortens ("Elizabeth Quill") are one, when their genders agree: the pet form joins the given name's
        character, or the given name's joins the pet form's when voices.yaml names the pet form."""
        surnames = {f[1][-1] for f in forms if len(f[1]) > 1 or (f[0] and f[0] not in GIVEN_NAME_TITLES)}
        given: dict[str, set[int]] = defaultdict(set)
        for cid, cluster in enumerate(self.clusters):
            for title, tokens in cluster.forms:
                if len(tokens) > 1 and not title:
                    given[tokens[0]].add(cid)
                elif len(tokens) == 1 and (not title or title in GIVEN_NAME_TITLES) and tokens[0] not in surnames:
                    given[tokens[0]].add(cid)
        for form in [f for f in forms if not f[0] and len(f[1]) == 1]:
            pet = form[1][0]
            if len(self._by_form.get(form, ())) != 1 or pet in surnames:
                continue
            own = self._by_form[form][0]
            targets = {cid for name, cids in given.items() if is_pet_form(pet, name) for cid in cids} - {own}
            if len(targets) != 1:
                continue
            target = targets.pop()
            if not compatible(self._cluster_gender(own), self._cluster_gender(target)):
                continue
            if self._only_given_name(own, pet, target) and not self.clusters[own].cast_name:
                self._merge(own, target)
            elif self.clusters[own].cast_name and not self.clusters[target].cast_name:
                self._merge(target, own)

    def _only_given_name(self, cid: int, given: str, target: int) -> bool:
        """Every form of the character is this given name, alone, after a title that takes a given name, or
        before a surname of `target` ("Lizzy", "Miss Lizzy", "Miss Lizzy Quill" for Elizabeth Quill)."""
        surnames = {f[1][-1] for f in self.clusters[target].forms if len(f[1]) > 1 or f[0]}
        for title, tokens in self.clusters[cid].forms:
            if tokens[0] != given or (title and title not in GIVEN_NAME_TITLES):
                return False
            if len(tokens) > 1 and (len(tokens) > 2 or tokens[-1] not in surnames):
                return False
        return True

    def _merge(self, source: int, target: int) -> None:
        """Every form of `source` now denotes `target`; `source` is left empty."""
        moved, into = self.clusters[source], self.clusters[target]
        for form, candidates in self._by_form.items():
            if source in candidates:
                self._by_form[form] = tuple(dict.fromkeys(target if c == source else c for c in candidates))
        for clusters in self._token_clusters.values():
            if source in clusters:
                clusters.discard(source)
                clusters.add(target)
        into.forms.update(moved.forms)
        into.votes.update(moved.votes)
        into.titles.update(moved.titles)
        into.names.update(moved.names)
        self.clusters[source] = _Cluster()

    def join(self, form: Form, into: Form) -> None:
        """The character `form` denotes is the one `into` does ("Barton" is "Clint": samename.py)."""
        source, target = self._by_form.get(form, ()), self._by_form.get(into, ())
        if len(source) == 1 and len(target) == 1 and source != target:
            self._merge(source[0], target[0])

    def _assign(self, form: Form, candidates: tuple[int, ...]) -> None:
        self._by_form[form] = candidates
        if len(candidates) == 1:
            for token in form[1]:
                self._token_clusters[token].add(candidates[0])

    # ---- queries

    def candidates(self, form: Form) -> tuple[int, ...]:
        return self._by_form.get(form, ())

    def name(self, cid: int) -> str:
        cluster = self.clusters[cid]
        if cluster.cast_name:
            return cluster.cast_name
        best = max(cluster.forms, key=lambda f: (cluster.forms[f] * (1.5 if f[0] else 1), len(f[1]), display(f)))
        return display(best)

    def aliases(self, cid: int) -> tuple[str, ...]:
        main = self.name(cid)
        if cid in self.described:
            return ()
        return tuple(sorted({display(f) for f in self.clusters[cid].forms} - {main}))

    def gender_of(self, cid: int) -> str | None:
        return self.gender_and_source(cid)[0]

    def gender_source(self, cid: int) -> str:
        """Where the character's gender came from: voices.yaml, the text's pronouns, a title, a description."""
        return self.gender_and_source(cid)[1]

    def gender_and_source(self, cid: int) -> tuple[str | None, str]:
        cluster = self.clusters[cid]
        if cluster.cast_gender in ("male", "female"):
            return cluster.cast_gender, FROM_CAST
        gender = majority(cluster.votes + cluster.titles + cluster.names + cluster.nouns)
        if gender is None:
            return None, ""
        sources = ((FROM_PRONOUNS, cluster.votes), (FROM_TITLE, cluster.titles), (FROM_NAMES, cluster.names),
                   (FROM_DESCRIPTION, cluster.nouns))
        for source, votes in sources:
            if majority(votes) == gender:
                return gender, source
        return gender, FROM_PRONOUNS

    def character(self, cid: int, lines: int) -> Character:
        """The character as the script lists it."""
        gender, source = self.gender_and_source(cid)
        return Character(self.name(cid), self.aliases(cid), gender or "neutral", lines, source)

    def learn_gender(self, cid: int, gender: str) -> None:
        """A pronoun just resolved to this character: what it says about the gender counts from now on."""
        self.clusters[cid].votes[gender] += 1

    def mentions(self, cid: int) -> int:
        return sum(self.clusters[cid].forms.values())

    def relative(self, cid: int, title: str) -> int | None:
        """The character with this one's surname and that title: (Mr. Bennet, "mrs") -> Mrs. Bennet."""
        forms = self.clusters[cid].forms
        surnames = {f[1][-1] for f in forms if f[0] in ("mr", "mrs", "miss") or len(f[1]) > 1}
        for form, candidates in self._by_form.items():
            if form[0] == title and form[1][-1] in surnames and candidates != (cid,) and len(candidates) == 1:
                return candidates[0]
        return None
