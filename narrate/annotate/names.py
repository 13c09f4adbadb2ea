"""Proper names in a story: which capitalised words name someone or something, and where they stand.

A capitalised word is a name by how the book uses it (WordStats): inside sentences more often than in lower
case, speaking or acting. An ordinary English word ("Laughter", "Report", "Time": in the word list in lower
case only) must also stand somewhere only a name goes — a speech tag, after a title, said to someone, beside
a word that is only a name ("Gabriel Oak") — or act, or be capitalised inside sentences and never written in
lower case. The word list is loaded on the first such word only.

A name may still be a place, a building, a ship or a firm (`WordStats.is_place`, `is_thing`): the character
model (characters.py) leaves those out.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from narrate.annotate.speechverbs import (
    DETERMINERS,
    FEMALE_TITLES,
    MALE_TITLES,
    NOT_NAMES,
    PERSON_NOUNS,
    SPEECH_NOUNS,
    SPEECH_VERBS,
    TITLES,
)
from narrate.annotate.wordlist import is_common_word
from narrate.model import NARRATOR, CastEntry

WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
# Prepositions a place follows and a person rarely does.
PLACE_PREPOSITIONS = frozenset("in into across through".split())
# Prepositions a place follows as often as a person does ("at Longmere", "to Longmere", "of Longmere"): a
# name after them that never speaks, never acts and is never "he" or "she" is a place.
WHERE_PREPOSITIONS = PLACE_PREPOSITIONS | frozenset("at to from of near towards toward round around beyond".split())
# A name is a place when most of its uses follow WHERE_PREPOSITIONS, at least this often, and this many
# times more often than it is used as a person's name is.
PLACE_USES = 2
PLACE_OVER_PERSON = 4
# Last words of a place's or a firm's name ("Gannet Rock", "Spruce Street", "Berg, Shriner Company").
PLACE_WORDS = frozenset("""
street road lane square park hall house court castle tower bridge river lake sea bay island rock hill mount
mountain valley forest wood avenue abbey church inn station city town village harbour harbor point head cove
lodge cottage manor grange farm rectory parsonage vicarage priory terrace gardens crescent
company bank hotel college school club society railway railroad corporation
""".split())
# Lower-case nouns a capitalised word before them qualifies instead of naming anyone.
MODIFIED_NOUNS = PERSON_NOUNS | SPEECH_NOUNS | PLACE_WORDS
ABBREVIATED_TITLES = frozenset("mr mrs ms dr st rev mme mlle".split())
SENTENCE_END = ".!?"
# A common word ("Good", "Will") names a character once speech tags close with it this often.
TAGGED_NAME_USES = 2
# A common word is a name when it acts this often ("Buck Mulligan frowned", "Oak turned"; not "Laughter seized").
ACTS_OF_A_NAME = 2
# ... or when it is capitalised this often inside sentences, and never written in lower case.
NAME_SPELLINGS = 2
DESCRIBED_TAG_WORDS = 3  # lower-case words between a speech verb and the name that closes the tag
# Words before a title that tell two generations of one name apart ("young Mr. Quill", "old Mr. Quill").
AGE_WORDS = frozenset("young younger old elder junior senior".split())
# Words that give a name ("my name is Pell", "a man named Pell").
NAMING = re.compile(r"\b(?:name is|name was|name's|named)\s+$", re.IGNORECASE)
NAMING_REACH = 16  # characters before a word that NAMING looks at
QUOTE_MARKS = "\"'“”‘’«»"
# What follows a name said to someone (", Jo!") and the verb of a speech tag ("Pink said, …"; not "Report said that").
VOCATIVE_ENDS = tuple(",;!?.—-")
TAG_VERB_ENDS = ("", *",.;:!?\"“”'’—")

Form = tuple[str, tuple[str, ...]]  # (lower-case title or "", name tokens)


@dataclass(frozen=True)
class Mention:
    """A proper name in the text, with the characters it may denote (several when ambiguous)."""

    start: int
    end: int
    form: Form
    possessive: bool
    candidates: tuple[int, ...]


def display(form: Form) -> str:
    title, tokens = form
    if not title:
        return " ".join(tokens)
    shown = title.capitalize() + ("." if title in ABBREVIATED_TITLES else "")
    return " ".join((shown, *tokens))


def parse_name(name: str) -> Form:
    """"Mr. Darcy" -> ("mr", ("Darcy",)); "Clint Barton" -> ("", ("Clint", "Barton"))."""
    tokens = WORD.findall(name)
    if len(tokens) > 1 and tokens[0].lower() in TITLES:
        return tokens[0].lower(), tuple(tokens[1:])
    return "", tuple(tokens)


def is_description(name: str) -> bool:
    """A voices.yaml name that is a description ("her aunt", "the old man", "a voice"), not a name."""
    words = name.split()
    possessor = words[0].endswith(("'s", "’s")) and words[-1].islower()  # "Mis'ess's niece", "Tom's mother"
    return len(words) > 1 and (words[0].lower() in DETERMINERS or name[0].islower() or possessor)


def title_gender(title: str) -> str | None:
    if title in MALE_TITLES:
        return "male"
    if title in FEMALE_TITLES:
        return "female"
    return None


def _origin(words: list, i: int) -> bool:
    """"the gentleman from Carolina", "a girl from Kansas": the name after a person noun and "from" says where
    someone comes from, so it is a place (a person is never "the man from Ada"; "a letter from Ada" has no
    person noun)."""
    return i > 1 and words[i - 1].group().lower() == "from" and words[i - 2].group().lower() in PERSON_NOUNS


def _strip_possessive(word: str) -> tuple[str, bool]:
    for suffix in ("'s", "’s"):
        if word.endswith(suffix) and len(word) > 3:
            return word[: -len(suffix)], True
    return word, False


def _sentence_initial(text: str, start: int) -> bool:
    """True when the word at `start` opens a sentence (or the text): its capital says nothing."""
    i = start - 1
    while i >= 0 and (text[i].isspace() or text[i] in QUOTE_MARKS or text[i] in "_*—-("):
        i -= 1
    if i < 0:
        return True
    if text[i] in SENTENCE_END:
        # "Mr. Darcy": the period of an abbreviated title does not end a sentence
        word = WORD.findall(text[max(0, i - 5): i])
        return not (word and word[-1].lower() in ABBREVIATED_TITLES)
    return False


def _name_run(text: str, words: list[re.Match], last: int) -> list[str]:
    """The capitalised words of the name that ends at words[last] ("Big Medicine" of "Big Medicine said")."""
    first = last
    while first > 0 and words[first - 1].group()[0].isupper() and _adjacent(text, words[first - 1], words[first]):
        first -= 1
    return [_strip_possessive(w.group())[0] for w in words[first: last + 1]]


def _where_a_name_goes(text: str, words: list[re.Match], k: int) -> bool:
    """words[k] stands where only a name goes: closing a tag ("said Good."), after a title ("Mr. Temple"),
    said to someone (", Huckleberry;"), given as a name ("my name is Pell")."""
    word, before = words[k], words[k - 1] if k > 0 else None
    if before is not None and before.group() in SPEECH_VERBS and _ends_tag(text, before, word):
        return True
    if before is not None and before.group().lower() in TITLES and _adjacent(text, before, word):
        return True
    naming = NAMING.search(text, max(0, word.start() - NAMING_REACH), word.start())
    return _called(text, word) or _closes_described_tag(text, words, k) or naming is not None


def _called(text: str, word: re.Match) -> bool:
    """Said to someone, set off by commas ("Don't, Huckleberry; ..."): where only a name or a title goes."""
    return text[word.start() - 2: word.start()] == ", " and text[word.end(): word.end() + 1] in VOCATIVE_ENDS


def _closes_described_tag(text: str, words: list[re.Match], k: int) -> bool:
    """The name closes a tag after a description ("replied the ferryman Talbot.")."""
    if text[words[k].end(): words[k].end() + 1] not in VOCATIVE_ENDS:
        return False
    between = words[max(0, k - DESCRIBED_TAG_WORDS - 1): k]
    verb = next((j for j in range(len(between) - 1, -1, -1) if between[j].group() in SPEECH_VERBS), None)
    if verb is None or between[verb + 1:] == [] or any(not w.group().islower() for w in between[verb + 1:]):
        return False
    return not re.search(r"[^\w\s'’-]", text[between[verb].end(): words[k].start()])


def _leads_tag(text: str, words: list[re.Match], subject: int) -> bool:
    """`X said` next to a quote ("…” Slim stated", "Pink said, …"), not reporting ("Report said that …")."""
    verb_end = words[subject + 1].end()
    if text[verb_end: verb_end + 1] in TAG_VERB_ENDS:
        return True
    first = subject - len(_name_run(text, words, subject)) + 1
    return text[: words[first].start()].rstrip()[-1:] in QUOTE_MARKS


def _ends_tag(text: str, verb: re.Match, word: re.Match) -> bool:
    """`said Good.` / `said Good, solemnly`: the word right after the verb closes the tag."""
    after = text[word.end(): word.end() + 1]
    return text[verb.end(): word.start()] == " " and (not after or after in ".,;:!?")


class WordStats:
    """How each word is used across the book: decides which capitalised words are names."""

    def __init__(self, cast: Sequence[CastEntry] = ()) -> None:
        self.cast_words = {w for entry in cast if not is_description(entry.name) and entry.name.lower() != NARRATOR
                           for name in (entry.name, *entry.aliases) if not is_description(name)
                           for w in WORD.findall(name) if w[0].isupper() and w != "I"}
        self.lower: Counter = Counter()
        self.capital_total: Counter = Counter()
        self.capital_inside: Counter = Counter()  # capitalised, not at a sentence start
        self.speech_subject: Counter = Counter()  # capitalised and followed by a speech verb
        self.tag_subject: Counter = Counter()  # capitalised, after a speech verb, ending the tag ("said Good.")
        self.acting_subject: Counter = Counter()  # capitalised and followed by a past-tense verb
        self.after_the: Counter = Counter()  # capitalised right after "the": a boat, an inn ("the Kestrel")
        self.after_place: Counter = Counter()  # right after "in", "over", "across": a place ("over Dublin bay")
        self.after_where: Counter = Counter()  # right after "at", "to", "from", "of", "in": as a place goes
        self.exclaimed: Counter = Counter()  # right before "!" or "?": "Humph!", "Ivo?"
        self.italic: Counter = Counter()  # written in _italics_: a ship, a newspaper, a book ("the _Times_")
        # capitalised where only a person's name goes: ending a tag, leading one, after a title ("Mr. Temple")
        self.vouched: Counter = Counter()
        self.acting_name: Counter = Counter()  # in the name of a past-tense verb's subject ("Buck Mulligan frowned")
        self.modifier: Counter = Counter()  # before a lower-case noun: "a Welsh voice", "a Swede boy", "Dublin bay"
        self.beside: defaultdict = defaultdict(set)  # capitalised words written right next to it ("Gabriel Oak")
        self.generations: Counter = Counter()  # (title, surname) written after "young" or "old": "young Mr. Quill"

    def add(self, text: str) -> None:
        words = list(WORD.finditer(text))
        for i, match in enumerate(words):
            word, possessive = _strip_possessive(match.group())
            if word[0].islower():
                self.lower[word.lower()] += 1
                continue
            self.capital_total[word] += 1
            if 0 < i < len(words) - 1 and words[i - 1].group().lower() in AGE_WORDS and word.lower() in TITLES:
                self.generations[word.lower(), _strip_possessive(words[i + 1].group())[0]] += 1
            if i > 0 and words[i - 1].group().lower() == "the":
                self.after_the[word] += 1
            if i > 0 and words[i - 1].group().lower() in WHERE_PREPOSITIONS and not possessive:  # not "in Tom's hand"
                self.after_where[word] += 1
                if words[i - 1].group().lower() in PLACE_PREPOSITIONS or _origin(words, i):
                    self.after_place[word] += 1
            if text[match.end(): match.end() + 1] in ("!", "?"):
                self.exclaimed[word] += 1
            if match.start() > 0 and text[match.start() - 1] in "_*":
                self.italic[word] += 1
            if not _sentence_initial(text, match.start()):
                self.capital_inside[word] += 1
            if i > 0 and words[i - 1].group() in SPEECH_VERBS and _ends_tag(text, words[i - 1], match):
                self.tag_subject[word] += 1
            if _where_a_name_goes(text, words, i):
                self.vouched[word] += 1
            following = words[i + 1].group() if i + 1 < len(words) else ""
            spaced = i + 1 < len(words) and not text[match.end(): words[i + 1].start()].strip()
            if spaced and following[:1].isupper():
                self.beside[word].add(_strip_possessive(following)[0])
                self.beside[_strip_possessive(following)[0]].add(word)
            if spaced and not possessive and following in MODIFIED_NOUNS:
                self.modifier[word] += 1
            if spaced and (following in SPEECH_VERBS or (possessive and following in SPEECH_NOUNS)):
                self.speech_subject[word] += 1  # "Tom said", "Steve's voice"
                if _leads_tag(text, words, i):
                    self.vouched.update(_name_run(text, words, i))
            elif following.endswith("ed") and following.islower() and not possessive and _adjacent(text, match, words[i + 1]):
                self.acting_subject[word] += 1  # "Hester closed the book"
                run = _name_run(text, words, i)
                # a name of two words acting ("Parson Wick raised his hat") is a person's; one word must act twice
                self.acting_name.update(run if len(run) == 1 else run * ACTS_OF_A_NAME)

    def is_thing(self, form: tuple) -> bool:
        """A name the text treats as a thing: written "the Kestrel" somewhere, never seen speaking or acting;
        or written in italics, never seen speaking."""
        word = form[1][0]
        if not form[0] and self.italic[word] and not self.speech_subject[word]:
            return True  # "The _Lusitania_ settled": a ship may act, it never speaks
        acts = self.speech_subject[word] or self.acting_subject[word]
        return not form[0] and len(form[1]) == 1 and self.after_the[word] > 0 and not acts

    def is_place(self, form: tuple) -> bool:
        """A name the text treats as a place: "in New York", "Gannet Rock", never seen speaking or acting."""
        word = form[1][0]
        acts = self.speech_subject[word] or self.acting_subject[word]
        named_so = len(form[1]) > 1 and form[1][-1].lower() in PLACE_WORDS
        return not form[0] and (self.after_place[word] > 0 or named_so) and not acts

    def never_a_person(self, form: tuple) -> bool:
        """A one-word name that goes where a place goes ("at Longmere", "the lamps of Longmere") at least
        PLACE_USES times and never speaks nor does what only a person does (never the subject of a speech verb,
        which counts "smiled" and "nodded", nor of a tag): however often the house "stood" or "seemed" and is
        called to in the dialogue ("Good-bye, Longmere!"), it is a place once nothing refers to it as "he" or
        "she" either (the character model's to check)."""
        word = form[1][0]
        return (not form[0] and len(form[1]) == 1 and self.after_where[word] >= PLACE_USES
                and not self.speech_subject[word] and not self.tag_subject[word])

    def is_where(self, form: tuple) -> bool:
        """A name used as a place goes ("at Longmere", "to Longmere", "the road from Longmere"), most of the
        times it is written and at least PLACE_USES times, and far more often than it speaks, acts ("at
        Longmere remained") or stands where only a person's name goes (ending a speech tag, after a title,
        said to someone). Whether "he" or "she" refers back to it is the character model's to check."""
        if form[0]:
            return False
        word = form[1][0]
        where = self.after_where[word]
        as_person = 2 * self.speech_subject[word] + self.vouched[word] + self.acting_subject[word]
        return where >= PLACE_USES and 2 * where >= self.capital_total[word] and where > PLACE_OVER_PERSON * as_person

    def is_name(self, word: str) -> bool:
        if word in self.cast_words:
            return True
        if len(word) < 2 or not word[0].isupper() or word.isupper():
            return False
        if word.lower() in NOT_NAMES and (self.tag_subject[word] < TAGGED_NAME_USES or word.lower() in TITLES):
            return False  # "Good!" is no one, but "said Good." twice names a character
        if self.modifier[word] and not (self.vouched[word] or self.speech_subject[word]):
            return False  # "a Welsh voice", "over Dublin bay": an adjective or a place, nobody's name
        named = self.capital_inside[word] + 2 * self.speech_subject[word] + self.acting_subject[word]
        if named == 0 and self.capital_total[word] >= 2 and not self.lower[word.lower()]:
            # only ever seen opening sentences, but more than once and never as a common word; not an
            # interjection ("Humph!" every time) nor a verb's form ("Kindled by ...")
            exclaimed = 2 * self.exclaimed[word] >= self.capital_total[word]
            verb_like = word.endswith(("ly", "ed", "ing"))
            named = 0 if verb_like or exclaimed or "'" in word or "’" in word else 1
        return named > 0 and self.lower[word.lower()] < named and not self._only_a_common_word(word)

    def _written_as_a_name(self, word: str) -> bool:
        """Capitalised inside sentences again and again, never in lower case, never "the Mall": a rare word
        ("Clint", "Pell") the book uses as a name only."""
        return self.capital_inside[word] >= NAME_SPELLINGS and not self.lower[word.lower()] and not self.after_the[word]

    def _only_a_common_word(self, word: str) -> bool:
        """An ordinary English word ("Laughter", "Report", "Time") never used where only a name goes: not
        ending or leading a speech tag, not after a title, not beside a word that is only a name ("Gabriel Oak")."""
        if self.vouched[word] or self.acting_name[word] >= ACTS_OF_A_NAME or self._written_as_a_name(word):
            return False
        if not is_common_word(word):
            return False
        return not any(
            neighbour.lower() not in NOT_NAMES and not is_common_word(neighbour) for neighbour in self.beside[word]
        )


def scan_names(text: str, stats: WordStats, base: int = 0) -> list[tuple[int, int, Form, bool]]:
    """Proper-name phrases in `text`: (start, end, form, possessive), offsets shifted by `base`."""
    found = []
    words = list(WORD.finditer(text))
    i = 0
    while i < len(words):
        word = words[i].group()
        title = ""
        j = i
        if word.lower() in TITLES and word[0].isupper() and i + 1 < len(words) and _adjacent(text, words[i], words[i + 1]):
            title, j = word.lower(), i + 1
        tokens: list[str] = []
        possessive = False
        end = 0
        while j < len(words) and not possessive:
            token, possessive = _strip_possessive(words[j].group())
            if tokens and not _adjacent(text, words[j - 1], words[j]):
                possessive = False
                break
            if not (token[0].isupper() and token.lower() not in NOT_NAMES if title else stats.is_name(token)):
                possessive = False
                break
            tokens.append(_as_name(token))
            end = words[j].start() + len(token)
            j += 1
        if tokens and i > 0 and words[i - 1].group() == "the":
            i = j  # "the Admiral Benbow", "the Old Man": a place or a description, not a name
            continue
        if tokens:
            first = words[i].start()
            found.append((base + first, base + end, (title, tuple(tokens)), possessive))
            i = j
        else:
            i += 1
    return found


def _as_name(token: str) -> str:
    """A name shouted or set in capitals ("MISS JEMIMA!") is the name as usually written: one character."""
    return token.capitalize() if len(token) > 1 and token.isupper() else token


def _adjacent(text: str, left: re.Match, right: re.Match) -> bool:
    """Two words belong to one name: only a space (or a title's period and a space) between them."""
    gap = text[left.end(): right.start()]
    return gap in (" ", "\n", ". ", ".\n") and (gap[0] != "." or left.group().lower() in ABBREVIATED_TITLES)
