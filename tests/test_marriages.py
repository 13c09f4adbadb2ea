"""A married name (annotate/marriages.py): the sentence that tells a wedding joins "Miss X" and "Mrs. Y"."""
from narrate.annotate.marriages import married_names
from narrate.annotate.names import WordStats, scan_names
from narrate.model import Segment


def weddings(text: str) -> list:
    stats = WordStats()
    stats.add(text)
    narration = Segment(index=0, kind="narration", text=text, start=0, end=len(text), chapter=1, paragraph=0)
    return married_names(text, [narration], {0: scan_names(text, stats)})


def test_the_wedding_sentence_joins_the_maiden_and_the_married_name():
    assert weddings("Miss Dane married Mr. Crofton in May. Mrs. Crofton was happy.") == [
        (("mrs", ("Crofton",)), ("miss", ("Dane",)))]
    assert weddings("In June Miss Dane became Mrs. Crofton.") == [(("mrs", ("Crofton",)), ("miss", ("Dane",)))]


def test_no_wedding_no_join():
    assert weddings("Miss Dane danced with Mr. Crofton. Mrs. Crofton watched.") == []
    assert weddings("Miss Dane sat down. Mr. Crofton was married long ago. Mrs. Crofton came in.") == []


def test_a_mrs_written_before_the_wedding_is_another_woman():
    assert weddings("Mrs. Crofton had a son. Miss Dane married Mr. Crofton. Mrs. Crofton wept.") == []
