"""Gender evidence (annotate/gender.py): what it reads, and that one very long sentence costs time in proportion
to its length (counted in token reads, not timed)."""
from collections import Counter

from narrate.annotate import clauses
from narrate.annotate.clauses import Tok, split_sentences
from narrate.annotate.gender import clause_pronouns, gender_votes
from narrate.annotate.names import Mention

UNIT = ("Hester", "saw", "Ivo", "by", "the", "quay", ",", "and", "Ivo", "waved", "to", "her", ",", "and", "she",
        "smiled", ",")


def tokens(units: int) -> list[Tok]:
    """One sentence of `units` clauses that name two people, then a full stop."""
    out, at = [], 0
    for _ in range(units):
        for word in UNIT:
            end = at + len(word)
            if word[0].isupper():
                out.append(Tok("name", word, at, end, Mention(at, end, ("", (word,)), False, ())))
            else:
                out.append(Tok("word" if word[0].isalpha() else "punct", word, at, end))
            at = end + 1
    out.append(Tok("punct", ".", at, at + 1))
    return out


def reads(units: int, monkeypatch) -> int:
    """How many times gender_votes reads a token's lower-case text for a sentence of `units` clauses."""
    count = Counter()
    low = Tok.low

    def counting(self):
        count["reads"] += 1
        return low.fget(self)

    monkeypatch.setattr(clauses.Tok, "low", property(counting))
    gender_votes([split_sentences(tokens(units))])
    monkeypatch.setattr(clauses.Tok, "low", low)
    return count["reads"]


def test_one_long_sentence_costs_in_proportion_to_its_length(monkeypatch):
    small, large = reads(100, monkeypatch), reads(800, monkeypatch)
    assert large < 10 * small  # 8 times the words; a pass per name (the old cost) made it ~64 times


def test_a_clause_subject_gets_the_first_he_or_she_of_its_clause():
    sentence = split_sentences(tokens(1))[0]
    pronouns = clause_pronouns(sentence)
    assert pronouns[0] == "female"  # "Hester ... she smiled"
    words = [t.text for t in sentence]
    assert pronouns[words.index("smiled")] is None  # nothing after it


def test_but_opens_a_clause_with_a_subject_of_its_own():
    words = "Ivo waited , but she came late .".split()
    sentence = [Tok("word" if w[0].isalpha() else "punct", w, k, k + 1) for k, w in enumerate(words)]
    assert clause_pronouns(sentence)[0] is None
