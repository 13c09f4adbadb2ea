"""Gender evidence for name forms, read from the narration: the pronouns that follow a name that acts
("Ragged Dick opened his eyes"), and what a name is said to be ("Emma was a tall woman")."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from narrate.annotate.clauses import (
    NOUN_PHRASE_STOPS,
    Tok,
    acting_subject,
    clause_subject,
    first_word,
    sentence_subject,
)
from narrate.annotate.speechverbs import (
    DETERMINERS,
    FEMALE_NOUNS,
    FEMALE_PRONOUNS,
    MALE_NOUNS,
    MALE_PRONOUNS,
    PERSON_NOUNS,
)

PRONOUN_GENDER = {w: "male" for w in MALE_PRONOUNS} | {w: "female" for w in FEMALE_PRONOUNS}
SUBJECT_GENDER = {"he": "male", "she": "female"}
# A name's first he/his/she-type pronoun within this many tokens after it votes for its gender ("him" and an
# object "her" are most often someone else).
NEARBY_PRONOUN_WINDOW = 20
NEARBY_GENDER = {"he": "male", "his": "male", "himself": "male", "she": "female", "her": "female", "herself": "female"}
# Words that open a clause with a subject of its own ("but she saw"): a pronoun past them is not about the
# sentence's subject.
SUBORDINATORS = frozenset("what that who whom which when while where if as because though although until but".split())
# "Emma was a tall woman" says more about Emma's gender than a pronoun nearby does.
COPULA_GENDER_WEIGHT = 3



def gender_votes(paragraphs: Iterable[list[list[Tok]]]) -> dict:
    """Gender evidence for each name form, from each paragraph's narration sentences: after a sentence's named
    subject, the first he/she-type pronoun of that sentence, else a he/she opening the next sentence; what the
    name is said to be; a clause's subject and its "he"; and the pronoun that follows a name that acts."""
    votes: dict = {}
    for sentences in paragraphs:
        for k, sentence in enumerate(sentences):
            ref = sentence_subject(sentence)
            if ref is not None and ref.kind == "name":
                after = pronouns_after(sentence, ref.position)
                if k + 1 < len(sentences):
                    opening = sentences[k + 1][first_word(sentences[k + 1])] if sentences[k + 1] else None
                    after += [opening.low] if opening is not None and opening.low in ("he", "she") else []
                vote(votes, ref.mention.form, after, PRONOUN_GENDER)
                if gender := copula_gender(sentence, ref.position):
                    votes.setdefault(ref.mention.form, Counter())[gender] += COPULA_GENDER_WEIGHT
            following = clause_pronouns(sentence)
            for i, tok in enumerate(sentence[:-1]):
                # "... and Clint didn't break stride as he flew": a clause's subject and its "he"
                if tok.kind == "name" and (ref is None or tok.start != ref.position) and clause_subject(sentence, i):
                    if gender := following[i]:
                        votes.setdefault(tok.mention.form, Counter())[gender] += 1
        nearby_pronoun_votes(votes, [tok for sentence in sentences for tok in sentence])
    return votes


def vote(votes: dict, form: object, words: list[str], genders: dict[str, str]) -> None:
    gender = next((genders[w] for w in words if w in genders), None)
    if gender:
        votes.setdefault(form, Counter())[gender] += 1


def nearby_pronoun_votes(votes: dict, tokens: list[Tok]) -> None:
    """"Ragged Dick opened his eyes": the gender of a name that opens a clause and acts is hinted by the first
    he/his/she-type pronoun after it, when no other name or person comes between them. ("Hester handed Ivo
    her match" says nothing of Ivo: an object's pronoun is most often the subject's.)"""
    for i, tok in enumerate(tokens[:-1]):
        if tok.kind != "name" or not acting_subject(tokens, i):
            continue
        for k in range(i + 1, min(len(tokens), i + 1 + NEARBY_PRONOUN_WINDOW)):
            near = tokens[k]
            if near.kind == "name" or near.low in PERSON_NOUNS or near.low in ("i", "me", "my", "we", "they", "them"):
                break
            if near.low == "but" or near.text == ";" or ends_sentence_before_other(tokens, k):
                break  # "Carl did not say anything, but she felt his sympathy": a new subject
            gender = NEARBY_GENDER.get(near.low)
            if near.low == "her" and not possessive_her(tokens, k):
                gender = None  # "Tom kissed her": someone else
            if gender:
                votes.setdefault(tok.mention.form, Counter())[gender] += 1
                break


def clause_pronouns(sentence: list[Tok]) -> list[str | None]:
    """For each token, the gender of the first "he" or "she" after it in its clause (up to a "but" or a ";",
    which open a clause with a subject of its own): one pass from the end, so a sentence of any length costs
    time in proportion to its length."""
    found: list[str | None] = [None] * len(sentence)
    gender = None
    for k in range(len(sentence) - 1, 0, -1):
        tok = sentence[k]
        low = tok.low
        if low == "but" or tok.text == ";":
            gender = None
        elif low in SUBJECT_GENDER:
            gender = SUBJECT_GENDER[low]
        found[k - 1] = gender
    return found


def ends_sentence_before_other(tokens: list[Tok], k: int) -> bool:
    """A full stop at `k` not followed by "He"/"She" (which most often goes on about the same one)."""
    following = tokens[k + 1].low if k + 1 < len(tokens) else ""
    return tokens[k].kind == "punct" and tokens[k].text[-1] in ".!?" and following not in ("he", "she")


def possessive_her(tokens: list[Tok], k: int) -> bool:
    """"her eyes", not "to her" or "her." (then she is someone else, an object)."""
    nxt = tokens[k + 1] if k + 1 < len(tokens) else None
    return nxt is not None and nxt.is_word and nxt.low not in NOUN_PHRASE_STOPS and nxt.low not in DETERMINERS


def pronouns_after(sentence: list[Tok], position: int) -> list[str]:
    """The pronouns after `position` that may refer back to a sentence's subject: not "him" nor an
    object "her" ("Vance told him", "he kissed her"), which are someone else, and none in a clause of
    its own ("Philip did not know what she meant")."""
    words = [t for t in sentence if t.start > position]
    found = []
    for k, tok in enumerate(words):
        if tok.low in SUBORDINATORS:
            break
        if tok.low == "her":
            nxt = words[k + 1] if k + 1 < len(words) else None
            if nxt is None or not nxt.is_word or nxt.low in NOUN_PHRASE_STOPS or nxt.low in DETERMINERS:
                continue
        if tok.low in PRONOUN_GENDER and tok.low != "him":
            found.append(tok.low)
    return found


def copula_gender(sentence: list[Tok], position: int) -> str | None:
    """"Emma was a tall, big-boned woman": the gender of the noun the subject is said to be."""
    words = [t for t in sentence if t.start > position and t.is_word]
    if len(words) < 3 or words[0].low not in ("was", "is") or words[1].low not in ("a", "an"):
        return None
    for tok in words[2:7]:
        if tok.low in MALE_NOUNS:
            return "male"
        if tok.low in FEMALE_NOUNS:
            return "female"
    return None
