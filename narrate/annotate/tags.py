"""Speech tags around a quote: `"…," said X`, `X asked`, `X's voice, "…"`, `"…" this from X`, `it was her`,
`he said to Oak`; and vocatives inside a quote ("Barton, do we need medics?")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from narrate.annotate.characters import Mention
from narrate.annotate.clauses import (
    CLAUSE_END,
    CLAUSE_OPENERS,
    POSSESSORS,
    SENTENCE_END_CHARS,
    Ref,
    Tok,
    acting_subject,
    first_word,
    is_adverb,
    looks_like_verb,
    noun_phrase_word,
    skip_adverbs,
    speech_verb_end,
    split_sentences,
    subject_at,
)
from narrate.annotate.speechverbs import (
    DETERMINERS,
    PERSON_NOUNS,
    SPEECH_INFINITIVES,
    SPEECH_NOUNS,
    VERBS_OF_SPEAKING,
)

COPULAS = frozenset("is was were are be been had has have".split())
# "heard her say": the verb of hearing, and what an object pronoun after it says of the speaker.
HEARING = frozenset("hear hears heard overheard".split())
HEARD_PRONOUNS = {"her": "she", "him": "he"}
# Words that open a clause about what happened around the speech, not the speech itself.
SUBORDINATORS = frozenset("as when while whilst after before until since though although if".split())
# Whom a reporting verb tells ("told her that ..."), before its "that".
REPORTED_TO = frozenset("him her them me us you".split())


@dataclass(frozen=True)
class Finding:
    """What a tag (or an action beat) says of a quote's speaker, and how strongly."""

    ref: Ref
    evidence: str
    strength: str  # a speakers.CONFIDENCE key
    addressee: Mention | None = None  # "he said to Oak", "asked Katharine": not the speaker


def tag_after(tokens: list[Tok]) -> Finding | None:
    """A tag opening the narration that follows a quote: `said X`, `X said`, `X's voice`, `this from X`."""
    clause = split_sentences(tokens, frozenset(CLAUSE_END))[:1]
    if not clause:
        return None
    toks = clause[0]
    if (heard := heard_saying(toks)) is not None:
        return heard
    i = first_word(toks)
    if i >= len(toks):
        return None
    words = [t.low for t in toks[i: i + 3]]
    if words[:2] == ["it", "was"] and len(toks) > i + 2:
        target = toks[i + 2]
        if target.kind == "name":
            return Finding(Ref("name", target.start, target.mention), "tag:it-was", "tag-name")
        if target.low in ("him", "her"):
            pronoun = "he" if target.low == "him" else "she"
            return Finding(Ref("pronoun", target.start, word=pronoun), "tag:it-was", "tag-name")
    if words[:2] == ["this", "from"]:
        found = subject_at(toks, i + 2)
        if found:
            return Finding(found[0], "tag:this-from", strength_of(found[0]))
    verb_end = speech_verb_end(toks, i)
    if verb_end is not None:
        found = subject_at(toks, skip_adverbs(toks, verb_end))
        if found:  # "said Tom", or "cried the voice of John" / "cried Tom's voice"
            return Finding(found[0], "tag:said-after", strength_of(found[0]), addressee_at(toks, found[1]))
    if words[:1] in (["came"], ["was"]):
        found = subject_at(toks, i + 1)
        if found and found[0].kind == "phrase" and found[0].word.split()[-1] in SPEECH_NOUNS:
            return Finding(Ref("reply", found[0].position), "tag:came-reply", "turn-taking")
    found = subject_at(toks, i)
    if found is None:
        return None
    ref, j = found
    j = skip_adverbs(toks, j)
    if ref.voice:
        return Finding(ref, "tag:possessive", strength_of(ref))
    if (verb_end := speech_verb_end(toks, j)) is not None:
        if reports_speech(toks, verb_end):
            return None  # "I answered that it was May": what answered the quote, not its tag
        return Finding(ref, "tag:said-after", strength_of(ref), addressee_at(toks, verb_end))
    if ref.kind == "phrase" and ref.word.split()[-1] in SPEECH_NOUNS and j < len(toks) and toks[j].low == "came":
        return Finding(Ref("reply", ref.position), "tag:came-reply", "turn-taking")
    if ref.kind in ("name", "pronoun") and j < len(toks) and toks[j].is_word and toks[j].text[0].islower():
        if toks[j].low not in COPULAS:  # "(Dinah was the cat.)" describes; it does not act
            return Finding(ref, "action", "action-after")
    return None


def tag_before(tokens: list[Tok]) -> Finding | None:
    """A tag closing the narration that precedes a quote: `X said,` `He added in a low tone:` `X's voice,`."""
    if not tokens:
        return None
    clauses = split_sentences(tokens, frozenset(".!?;…"))
    if not clauses:
        return None
    toks = clauses[-1]
    if (heard := heard_saying(toks)) is not None:
        return heard
    if tokens[-1].kind == "punct" and tokens[-1].text[-1] in SENTENCE_END_CHARS:
        return said_and_stopped(toks)  # otherwise a finished sentence is an action beat, not a tag
    for k, tok in enumerate(toks):
        found = subject_at(toks, k)
        if found and found[0].voice:
            return Finding(found[0], "tag:possessive", strength_of(found[0]))
        if speech_verb_end(toks, k) is None or reports_speech(toks, speech_verb_end(toks, k)) \
                or in_subordinate_clause(toks, k):
            continue
        if (ref := subject_before(toks, k)) is not None:
            return Finding(ref, "tag:said-before", strength_of(ref), addressee_at(toks, speech_verb_end(toks, k)))
        found = subject_at(toks, skip_adverbs(toks, speech_verb_end(toks, k)))
        if found and not found[0].voice:
            return Finding(found[0], "tag:said-before", strength_of(found[0]))
        if ends_clause(toks, speech_verb_end(toks, k)) and (ref := last_clause_subject(toks, k)) is not None:
            # "Hester pointed at the gulls and cried:"; "He beckoned Ned into the hall and said:" is not Ned's
            return Finding(ref, "tag:said-before", strength_of(ref), object_between(toks, ref, k))
    return None


def in_subordinate_clause(toks: list[Tok], verb: int) -> bool:
    """The speech verb sits in a clause opened by "as", "when", "while" ... and another follows it ("As the young
    woman spoke, he rose and said:"): it tells what happened before, the tag is the later verb's."""
    k = verb - 1
    while k >= 0 and toks[k].kind != "punct":
        k -= 1
    if not (k + 1 < verb and toks[k + 1].low in SUBORDINATORS):
        return False
    return any(speech_verb_end(toks, later) is not None for later in range(verb + 1, len(toks)))


def reports_speech(toks: list[Tok], verb_end: int) -> bool:
    """The speech verb reports what was said ("When I told her that I must go, she asked:"): its clause is
    narration, not the tag of the quote."""
    k = verb_end + 1 if verb_end < len(toks) and toks[verb_end].low in REPORTED_TO else verb_end
    return k < len(toks) and toks[k].low == "that"


def heard_saying(toks: list[Tok]) -> Finding | None:
    """"Mary heard her say", "she heard one voice say", "to hear the Rabbit say": the one heard speaks, not the
    one who hears (a name just before the verb of hearing is not the speaker)."""
    for k, tok in enumerate(toks):
        if tok.low not in HEARING:
            continue
        hearer = toks[k - 1].mention if k > 0 and toks[k - 1].kind == "name" else None
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if nxt is not None and nxt.low in HEARD_PRONOUNS and _speaking(toks, k + 2):
            ref = Ref("pronoun", nxt.start, word=HEARD_PRONOUNS[nxt.low])
            return Finding(ref, "tag:heard-say", "tag-pronoun", hearer)
        start = k + 2 if nxt is not None and nxt.low in DETERMINERS and k + 2 < len(toks) \
            and toks[k + 2].kind == "name" else k + 1  # "the Rabbit": a name after its article
        found = subject_at(toks, start)
        if found is not None and not found[0].voice and found[0].kind != "pronoun" and _speaking(toks, found[1]):
            return Finding(found[0], "tag:heard-say", strength_of(found[0]), hearer)
    return None


def _speaking(toks: list[Tok], i: int) -> bool:
    """A verb of speech at `i`, bare ("say") or not ("said")."""
    return i < len(toks) and (toks[i].low in SPEECH_INFINITIVES or speech_verb_end(toks, i) is not None)


def said_and_stopped(toks: list[Tok]) -> Finding | None:
    """A sentence that ends on its speech verb ("Then Mrs. Griffin spoke."): the quote after it is hers."""
    if toks[-1].text != ".":
        return None
    for k in range(len(toks) - 1, -1, -1):
        end = speech_verb_end(toks, k) if toks[k].low in VERBS_OF_SPEAKING else None
        if end is not None and ends_clause(toks, end):
            ref = subject_before(toks, k) or voice_before(toks, k)
            return Finding(ref, "tag:said-before", strength_of(ref)) if ref is not None else None
    return None


def voice_before(tokens: list[Tok], verb: int) -> Ref | None:
    """A voice that ends right before the verb, whose it is: "Buck Mulligan's gay voice went on" (his name),
    "her low voice went on" (she)."""
    if verb < 2 or tokens[verb - 1].low not in SPEECH_NOUNS:
        return None
    for k in range(verb - 2, max(-1, verb - 5), -1):
        tok = tokens[k]
        if tok.kind == "name" and tok.mention.possessive:
            return Ref("name", tok.start, tok.mention, voice=True)
        if tok.low in POSSESSORS:
            return Ref("pronoun", tok.start, word=POSSESSORS[tok.low], voice=True)
        if not tok.is_word:
            return None
    return None


def ends_in_colon(tokens: list[Tok]) -> bool:
    """Narration ending in a colon, with or without a dash after it ("and said sternly:--")."""
    text = "".join(t.text for t in tokens[-2:] if t.kind == "punct") if tokens and tokens[-1].kind == "punct" else ""
    return text.rstrip("-\u2014\u2013 ").endswith(":")


def ends_clause(tokens: list[Tok], i: int) -> bool:
    """Nothing but adverbs and punctuation from `i` to the end."""
    i = skip_adverbs(tokens, i)
    return all(tok.kind == "punct" for tok in tokens[i:])


def last_clause_subject(tokens: list[Tok], verb: int) -> Ref | None:
    """The subject of the last clause before `verb` that has one: "Jack cracked his fingers and Father Arnall
    looked at his book and said:" is Father Arnall's tag."""
    for i in range(verb - 1, -1, -1):
        tok = tokens[i]
        if tok.kind == "name" and acting_subject(tokens, i):
            return Ref("name", tok.start, tok.mention)
        if tok.low in ("he", "she") and acting_subject(tokens, i):
            return Ref("pronoun", tok.start, word=tok.low)
        if tok.low == "the" and (described := described_subject(tokens, i)) is not None:
            return described  # "The old lady felt Tom's shirt, and said:" is hers, not Tom's
    return None


def described_subject(tokens: list[Tok], i: int) -> Ref | None:
    """A description of a person opening a clause at `i` and followed by a verb ("The old lady reached ...")."""
    before = tokens[i - 1] if i > 0 else None
    if before is not None and before.kind != "punct" and before.low not in CLAUSE_OPENERS:
        return None
    found = subject_at(tokens, i)
    if found is None or found[0].kind != "phrase" or found[0].word.split()[-1] not in PERSON_NOUNS:
        return None
    return found[0] if found[1] < len(tokens) and looks_like_verb(tokens[found[1]]) else None


def object_between(tokens: list[Tok], ref: Ref, verb: int) -> Mention | None:
    """The first name after a pronoun subject and before its clause's speech verb ("He beckoned Ned into the hall
    and said"): the one the pronoun acts on, so not the pronoun's."""
    if ref.kind != "pronoun":
        return None
    after = [t for t in tokens[:verb] if t.start > ref.position and t.kind == "name" and not t.mention.possessive]
    return after[0].mention if after else None


def subject_before(tokens: list[Tok], verb: int) -> Ref | None:
    """The subject that ends right before the verb at `verb` (adverbs skipped): `Mr. Bennet said`, `the old man said`."""
    b = verb - 1
    while b >= 0 and is_adverb(tokens[b]):
        b -= 1
    for start in range(b, max(-1, b - 5), -1):
        found = subject_at(tokens, start)
        if found and found[1] == b + 1 and not found[0].voice:
            return found[0]
        if start < b and not noun_phrase_word(tokens[start]) and tokens[start].low not in DETERMINERS:
            break
    return None


def addressee_at(tokens: list[Tok], i: int) -> Mention | None:
    """The one spoken to, named right after a tag's verb or subject: `to Oak`, `asked Katharine`, `, addressing
    Oak`, `, turning to Oak`."""
    i = skip_adverbs(tokens, i)
    if i + 1 < len(tokens) and tokens[i].text == "," and tokens[i + 1].is_word:
        words = [t.low for t in tokens[i + 1: i + 3]]
        for turn in ADDRESSING:
            if words[: len(turn)] == list(turn):
                i += 1 + len(turn)
                break
    if i < len(tokens) and tokens[i].low == "to":
        i += 1
    if i < len(tokens) and tokens[i].kind == "name" and not tokens[i].mention.possessive:
        return tokens[i].mention
    return None


# After a tag and a comma, the words that turn to the one spoken to: "said he, addressing Oak", "turning to Oak".
ADDRESSING = (("addressing",), ("turning", "to"), ("turning", "towards"), ("turning", "toward"), ("looking", "at"),
              ("glancing", "at"), ("nodding", "to"), ("bowing", "to"), ("smiling", "at"))


def strength_of(ref: Ref) -> str:
    return {"name": "tag-name", "pronoun": "tag-pronoun", "phrase": "tag-phrase"}.get(ref.kind, "turn-taking")


OBJECT_BEFORE = re.compile(
    r"\b(?:with|to|for|of|by|from|about|at|on|in|into|like|than|and|or|nor|but|without|against|upon)$", re.I
)


# A conjunction that opens a clause (at the start or after a stop or a dash), then a name set off by a comma: a call.
CONJUNCTION_OPENS = re.compile(r"(?:^|[,.!?;:\u2014-])\s*(?:and|but|now|well|so|then)$", re.IGNORECASE)


def is_vocative(text: str, start: int, end: int, person: bool) -> bool:
    """A name said to someone: set off by punctuation ("Barton, do we ..."), or, for a known person,
    closing the quote ("Is the pain bad Nat?")."""
    before = text[:start].rstrip(" \r\n_*\u2026")  # a wrapped line: "Nonsense,\nFergus!"
    after = text[end:].lstrip(" \r\n_*")
    opened = (not before or before[-1] in ",.!?;:\u2014-" or re.search(r"\b(?:dear|dearest|my|oh|o)$", before, re.I)
              or CONJUNCTION_OPENS.search(before))  # "That's my boy!--and Fergus, what have you done?"
    closing = not after.strip(" \r\n.!?\u2026")
    if not before and closing and after.strip().startswith("."):
        return False  # “Bingley.”: a name given in answer, not a call
    set_off = closing or after[0] in ",!?;\u2014" or (after[0] == "." and before.endswith(","))  # "Don't, Jo. It's"
    if not opened and OBJECT_BEFORE.search(before):
        return False  # "I'll go with Sir Jacob!": the object of a preposition is talked about, not to
    return bool(set_off and (opened or (closing and person)))
