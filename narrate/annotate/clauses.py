"""Narration read closely enough to attribute speech: tokens, sentences, and who a clause is about (a name,
a pronoun, or a noun phrase such as "the old man")."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from narrate.annotate.names import AGE_WORDS, Mention
from narrate.annotate.speechverbs import (
    DETERMINERS,
    FEMALE_NOUNS,
    MALE_NOUNS,
    OBJECT_PRONOUNS,
    PARTICLE_VERBS,
    PERSON_NOUNS,
    SPEECH_INFINITIVES,
    SPEECH_NOUNS,
    SPEECH_VERBS,
    SUBJECT_PRONOUNS,
    TITLES,
)
from narrate.model import Segment

TOKEN = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*|[.!?;:,\u2014\u2013\u2026]+|-{2,}|[^\s_*]")  # markdown emphasis marks are not tokens
CLAUSE_END = frozenset(".!?;:…")
SENTENCE_END_CHARS = frozenset(".!?…")
ADVERBS = frozenset("then again now still presently too also".split())
NOUN_PHRASE_STOPS = frozenset("""
to with in at on of from for by as and but or who whom whose which that while when where after before into upon
was were is had has have did does could would should might must will shall not then again
""".split())
# Words that cannot follow a sentence's subject as its verb ("Tom and Mary", "Tom of Warwick").
SUBJECT_STOPS = frozenset("to with in at on of from for by as and or who whom which that".split())
# Lower-case words after a name that do not make it a clause's subject ("himself and Natasha than he").
NOT_VERBS = (
    frozenset("than so too nor if because though although but then himself herself themselves".split())
    | SUBJECT_STOPS
    | DETERMINERS
)
# Whose a possessive is: "his voice" speaks for "he".
POSSESSORS = {"his": "he", "her": "she", "my": "i"}
MODALS = frozenset("should would could might must may can will shall".split())
CLAUSE_OPENERS = frozenset("and but then when as while so till until".split())
# Words that open a sentence with a phrase of time, place or circumstance before its subject, and how far into
# the sentence that subject may be ("At the juncture Moze returned.", "As the doctor left he paused.").
OPENERS_BEFORE_SUBJECT = frozenset("at in on after before upon with from by during as when while".split())
OPENER_WORDS = 6
# Words a narration puts before a name as part of how it calls someone ("little Amy", "poor Tom").
NAME_EPITHETS = frozenset("little old young poor dear good big".split())
# How long an "of"/"in" phrase after a description may be, and the nouns that make it say how, not who.
QUALIFIER_WORDS = 3
MANNER_NOUNS = frozenset("tone manner way whisper undertone breath hurry rage fury anger surprise astonishment".split())
UNNAMED_SPEAKERS = frozenset("one another someone somebody".split())
PLURAL_NOUNS = frozenset("men women people children boys girls others ladies gentlemen folk crowd".split())
# Determiners that point back to someone already in the story ("the boy", "his step-son").
DEFINITE = frozenset("the his her my our their this that".split())


@dataclass
class Tok:
    """A word, a punctuation mark, or a whole name mention ("Mr. Darcy") of the narration."""

    kind: str  # "name", "word" or "punct"
    text: str
    start: int
    end: int
    mention: Mention | None = None

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return self.kind == "word"


@dataclass(frozen=True)
class Ref:
    """Who a tag or a sentence names, before resolution: a name, a pronoun or a noun phrase."""

    kind: str  # "name", "pronoun", "phrase", "reply"
    position: int
    mention: Mention | None = None
    word: str = ""  # the pronoun, or the noun phrase
    voice: bool = False  # "X's voice", "his voice"
    shown: str = ""  # a noun phrase as the text writes it: "a thin, elderly gentleman", "a man in the crowd"


def _generation(epithet: Tok, name: Tok) -> bool:
    """"young Mr. Quill", "old Mrs. Hale": the age word tells one of two people who share the titled name
    apart (names.AGE_WORDS), so it stays with the name the character model knows, not dropped as "little Amy"'s."""
    return epithet.low in AGE_WORDS and name.text.split()[0].rstrip(".").lower() in TITLES


def lex(source: str, seg: Segment, mentions: Sequence[Mention]) -> list[Tok]:
    """The narration's words and punctuation, each name mention as one token."""
    tokens: list[Tok] = []
    spans = iter(sorted(mentions, key=lambda m: m.start))
    mention = next(spans, None)
    for match in TOKEN.finditer(source, seg.start, seg.end):
        while mention is not None and mention.end <= match.start():
            mention = next(spans, None)
        if mention is not None and mention.start <= match.start() < mention.end:
            if not tokens or tokens[-1].mention is not mention:
                tokens.append(Tok("name", source[mention.start: mention.end], mention.start, mention.end, mention))
            continue
        kind = "word" if match.group()[0].isalpha() else "punct"
        tokens.append(Tok(kind, match.group(), match.start(), match.end()))
    return tokens


def split_sentences(tokens: list[Tok], ends: frozenset = SENTENCE_END_CHARS) -> list[list[Tok]]:
    sentences: list[list[Tok]] = [[]]
    for tok in tokens:
        sentences[-1].append(tok)
        if tok.kind == "punct" and any(ch in ends for ch in tok.text):
            sentences.append([])
    return [s for s in sentences if any(t.kind != "punct" for t in s)]


def first_word(tokens: list[Tok]) -> int:
    i = 0
    while i < len(tokens) and tokens[i].kind == "punct":
        i += 1
    return i


def is_adverb(tok: Tok) -> bool:
    return tok.is_word and ((tok.low.endswith("ly") and len(tok.low) > 4) or tok.low in ADVERBS)


def skip_adverbs(tokens: list[Tok], i: int) -> int:
    while i < len(tokens) and is_adverb(tokens[i]):
        i += 1
    return i


def speech_verb_end(tokens: list[Tok], i: int) -> int | None:
    """If a speech verb ("said", "went on", "managed to say") starts at `i`, the index after it."""
    if i >= len(tokens) or not tokens[i].is_word:
        return None
    word = tokens[i].low
    nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
    if word in PARTICLE_VERBS and nxt == PARTICLE_VERBS[word]:
        return i + 2
    if nxt == "to" and i + 2 < len(tokens) and tokens[i + 2].low in SPEECH_INFINITIVES:
        return i + 3
    if word in SPEECH_VERBS:
        return i + 1
    return None


def subject_at(tokens: list[Tok], i: int) -> tuple[Ref, int] | None:
    """A name, pronoun or noun phrase starting at `i` that can be the subject of a verb."""
    if i >= len(tokens):
        return None
    tok = tokens[i]
    nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
    if tok.kind == "name":
        if not tok.mention.possessive:
            return Ref("name", tok.start, tok.mention), i + 1
        if nxt in SPEECH_NOUNS:
            return Ref("name", tok.start, tok.mention, voice=True), i + 2
        return None
    if not tok.is_word:
        return None
    if tok.low in NAME_EPITHETS and nxt and tokens[i + 1].kind == "name" and not _generation(tok, tokens[i + 1]):
        return subject_at(tokens, i + 1)  # "added little Amy", "said old Cotter": the name says who
    if tok.low in SUBJECT_PRONOUNS:
        return Ref("pronoun", tok.start, word=tok.low), i + 1
    if tok.low in UNNAMED_SPEAKERS:  # "said another": someone in the crowd, with a voice of their own
        described = noun_phrase_at(tokens, i)  # "cried another female"
        if described is not None and described[0].kind == "phrase" and described[0].word.split()[-1] in PERSON_NOUNS:
            return described
        return Ref("phrase", tok.start, word=tok.low), i + 1
    possessor = POSSESSORS.get(tok.low)
    if possessor and (nxt in SPEECH_NOUNS or said_by_a_thing(tokens, i + 1)):
        return Ref("pronoun", tok.start, word=possessor, voice=True), i + 2
    if tok.low in DETERMINERS:
        return noun_phrase_at(tokens, i)
    return None


def said_by_a_thing(tokens: list[Tok], i: int) -> bool:
    """A noun that is no person, then a speech verb: "his advice concluded", "her tone insisted" speak for
    the one they belong to."""
    if i + 1 >= len(tokens) or not tokens[i].is_word or tokens[i].low in PERSON_NOUNS:
        return False
    return noun_phrase_word(tokens[i]) and speech_verb_end(tokens, i + 1) is not None


def noun_phrase_at(tokens: list[Tok], i: int) -> tuple[Ref, int] | None:
    """`the old man`, `a thin, elderly gentleman`, `his mother's voice`, `the voice of John Reed`."""
    words, j = phrase_words(tokens, i)
    if len(words) < 2:
        return None
    if j < len(tokens) and tokens[j].kind == "name" and not tokens[j].mention.possessive:
        return Ref("name", tokens[j].start, tokens[j].mention), j + 1  # "the poet Syme": the name says who
    if words[-1] in SPEECH_NOUNS and j + 1 < len(tokens) and tokens[j].low == "of" and tokens[j + 1].kind == "name":
        return Ref("name", tokens[j + 1].start, tokens[j + 1].mention, voice=True), j + 2
    voice = words[-1] in SPEECH_NOUNS and words[-2].endswith(("'s", "’s"))
    shown = "" if voice else as_written(tokens[i: j + len(qualifier(tokens, j, words[-1]))])
    return Ref("phrase", tokens[i].start, word=" ".join(words), voice=voice, shown=shown), j


def qualifier(tokens: list[Tok], j: int, head: str) -> list[Tok]:
    """The "of" or "in the" phrase that tells one person from another after the head noun: "a dame of fifty", "a
    man in the crowd" (not "a man in a low voice", "the girl in despair": how, not who)."""
    if head not in PERSON_NOUNS or j + 1 >= len(tokens) or tokens[j].low not in ("of", "in"):
        return []
    if tokens[j].low == "in" and tokens[j + 1].low != "the":
        return []
    k = j + 1
    while k < len(tokens) and k - j <= QUALIFIER_WORDS and noun_phrase_word(tokens[k]):
        k += 1
    words = [t.low for t in tokens[j + 1: k]]
    if not words or k - j > QUALIFIER_WORDS or any(w in SPEECH_NOUNS or w in MANNER_NOUNS for w in words):
        return []
    return tokens[j:k]


def as_written(tokens: list[Tok]) -> str:
    """Words with the commas between them, lower-cased as the labels are: "a thin, elderly gentleman"."""
    text = ""
    for tok in tokens:
        text += tok.low if tok.kind == "punct" or not text else " " + tok.low
    return text.rstrip(",")


def phrase_words(tokens: list[Tok], i: int) -> tuple[list[str], int]:
    """The words of the noun phrase opening at `i` and the index after it. The phrase ends at its first
    person noun, or before a participle ("the man, staring")."""
    words: list[str] = [tokens[i].low]
    j = i + 1
    while j < len(tokens) and len(words) <= 4:
        tok = tokens[j]
        nxt = tokens[j + 1] if j + 1 < len(tokens) else None
        between_adjectives = nxt is not None and (noun_phrase_word(nxt) or ly_adjective(tokens, j + 1))
        if tok.text == "," and len(words) > 1 and between_adjectives and words[-1] not in PERSON_NOUNS:
            j += 1  # "a thin, elderly gentleman"
            continue
        if not (noun_phrase_word(tok) or ly_adjective(tokens, j)) or (tok.low.endswith("ing") and len(words) > 1):
            break
        words.append(tok.low)
        j += 1
        if tok.low in PERSON_NOUNS or tok.low in SPEECH_NOUNS or tok.low in PLURAL_NOUNS:
            break
    return words, j


def ly_adjective(tokens: list[Tok], k: int) -> bool:
    """An adjective that looks like an adverb, inside a noun phrase: "elderly", "lonely", "stately"."""
    nxt = tokens[k + 1] if k + 1 < len(tokens) else None
    return is_adverb(tokens[k]) and tokens[k].low.endswith("ly") and nxt is not None and (
        noun_phrase_word(nxt) or nxt.kind == "name"
    )


def noun_phrase_word(tok: Tok) -> bool:
    return (
        tok.is_word
        and tok.low not in NOUN_PHRASE_STOPS
        and tok.low not in SPEECH_VERBS
        and tok.low not in OBJECT_PRONOUNS
        and not is_adverb(tok)
    )


def sentence_subject(sentence: list[Tok]) -> Ref | None:
    """Who a narration sentence is about: its opening name, pronoun or person noun phrase followed by
    a verb ("Barton swallowed", "She smiled", "The girl flushed"), or the one after an opening phrase
    ("Trembling, she ...")."""
    first = skip_adverbs(sentence, first_word(sentence))  # "Then the doctor felt ..."
    starts = [first]
    if first < len(sentence) and sentence[first].low in OPENERS_BEFORE_SUBJECT:  # "At the juncture Moze returned."
        starts += [k for k in range(first + 1, min(len(sentence) - 1, first + 1 + OPENER_WORDS))
                   if _opens_clause(sentence, k)][:1]
    commas = [k + 1 for k, t in enumerate(sentence) if t.text == ","]
    starts += commas  # "Amid this halo, as on clouds of flame, a girl was dancing"
    for i in starts:
        found = subject_at(sentence, i)
        if found is not None and found[0].voice and found[0].kind == "phrase":
            found = _owner_of_voice(found[0]), found[1]  # "A man's voice beside her": a man comes on stage
        if found is None or found[0] is None or found[0].voice:
            continue
        ref, j = found
        if ref.kind == "pronoun" and ref.word not in ("he", "she", "i"):
            continue
        if ref.kind == "phrase" and (ref.word.split()[0] not in ("the", "a", "an") or ref.word.split()[-1] not in PERSON_NOUNS):
            continue
        generic = ref.kind == "phrase" and ref.word.split()[0] in ("a", "an")
        if generic and j < len(sentence) and sentence[j].low in MODALS:
            continue  # "A woman should some day write ...": anyone of the kind, not someone on stage
        if j < len(sentence) and sentence[j].is_word and sentence[j].text[0].islower() and sentence[j].low not in SUBJECT_STOPS:
            return ref
        if ref.kind == "name" and _joint_subject(sentence, j):
            return ref  # "Herncastle and I met again": the first of two who act together
        if ref.kind == "phrase" and ref.word.split()[0] in ("a", "an") and j < len(sentence) and sentence[j].low in ("in", "with", "from"):
            return ref  # "A man in oilskins was waiting": someone new comes on stage
    return None


def _opens_clause(sentence: list[Tok], k: int) -> bool:
    """A name or he/she at `k` with a verb after it and no preposition or determiner before it: the subject of
    the clause after an opening phrase ("In front of Tom he paused": he, not Tom)."""
    tok, before = sentence[k], sentence[k - 1].low
    if before in NOUN_PHRASE_STOPS or before in DETERMINERS or not looks_like_verb(sentence[k + 1]):
        return False
    return (tok.kind == "name" and not tok.mention.possessive) or tok.low in ("he", "she")


def _joint_subject(sentence: list[Tok], j: int) -> bool:
    """"and" and a second name or pronoun, then a verb: the name before is a subject too."""
    if j + 2 >= len(sentence) or sentence[j].low != "and":
        return False
    second = sentence[j + 1]
    return (second.kind == "name" or second.low in ("i", "he", "she")) and looks_like_verb(sentence[j + 2])


def _owner_of_voice(ref: Ref) -> Ref | None:
    """The person a described voice belongs to ("a man's voice" -> "a man"), when the owner is a person noun."""
    words = ref.word.split()
    owner = words[-2][:-2] if len(words) > 2 and words[-2].endswith(("'s", "’s")) else ""
    if owner not in PERSON_NOUNS:
        return None
    return Ref("phrase", ref.position, word=" ".join([*words[:-2], owner]))


def acting_subject(tokens: list[Tok], i: int) -> bool:
    """The name (or pronoun) at `i` opens a clause (after a stop, a comma or a conjunction) and a verb-like
    word follows."""
    before = tokens[i - 1] if i > 0 else None
    opens = before is None or before.kind == "punct" or before.low in CLAUSE_OPENERS
    possessive = tokens[i].mention is not None and tokens[i].mention.possessive
    return opens and i + 1 < len(tokens) and looks_like_verb(tokens[i + 1]) and not possessive


def looks_like_verb(tok: Tok) -> bool:
    """A lower-case word that can be a verb after its subject: not "of", "the", "than"."""
    return tok.is_word and tok.text[0].islower() and tok.low not in NOT_VERBS


def clause_subject(sentence: list[Tok], i: int) -> bool:
    """The name at `i` is followed by a verb-like word and not preceded by a determiner or preposition."""
    tok, nxt = sentence[i], sentence[i + 1]
    before = sentence[i - 1].low if i > 0 else ""
    return (
        not tok.mention.possessive
        and nxt.is_word
        and nxt.text[0].islower()
        and nxt.low not in SUBJECT_STOPS
        and before not in DETERMINERS
        and before not in NOUN_PHRASE_STOPS
    )


def describe(phrase: str) -> tuple[str, str, str | None]:
    """A described speaker's key, name and gender: "a tall man" -> ("the tall man", "a tall man", "male")."""
    words = phrase.split()
    if words[-1] in SPEECH_NOUNS and len(words) > 2 and words[-2].endswith(("'s", "’s")):
        words = words[:-1]
        words[-1] = words[-1][:-2]
    shown = " ".join(words)
    if words[0] in ("a", "an", "this", "that"):
        words[0] = "the"
    head = words[-1]
    gender = None if head in PLURAL_NOUNS else "male" if head in MALE_NOUNS else "female" if head in FEMALE_NOUNS else None
    return " ".join(words), shown, gender
