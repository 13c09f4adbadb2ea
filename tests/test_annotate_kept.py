"""Annotations kept in the cache come back equal to a fresh annotation, and only for the same book, cast and code."""
import pytest

import narrate.annotate as annotation
from narrate.annotate.kept import annotate_kept
from narrate.ingest import load_book
from narrate.model import CastEntry
from narrate.state import store_root

STORY = ("The Lantern Ferry\n\nChapter One\n\nThe ferry left at dusk. \u201cMind the rope,\u201d said Oda.\n\n"
         "\u201cI always do,\u201d Perrin answered. He coiled it twice.\n")


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "ferry.txt"
    path.write_text(STORY, encoding="utf-8")
    return load_book(path)


@pytest.fixture
def annotations(monkeypatch):
    """How many times the real annotation ran."""
    calls = []
    real = annotation.annotation

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(annotation, "annotation", counted)
    return calls


def test_the_second_time_the_kept_annotation_is_the_same_script(book, annotations):
    first = annotate_kept(book, (), False, "narrator")
    again = annotate_kept(book, (), False, "narrator")
    assert again == first and len(annotations) == 1
    assert [s.speaker for s in again.segments if s.kind == "dialogue"] == ["Oda", "Perrin"]


def test_another_cast_or_book_is_annotated_afresh(book, annotations, tmp_path):
    plain = annotate_kept(book, (), False, "narrator")
    with_cast = annotate_kept(book, (CastEntry("Oda", gender="male"),), False, "narrator")
    def oda(script):
        return next(c.gender for c in script.characters if c.name == "Oda")

    assert len(annotations) == 2 and oda(with_cast) == "male" != oda(plain)
    edited = tmp_path / "ferry.txt"
    edited.write_text(STORY.replace("Mind the rope", "Mind the oar"), encoding="utf-8")
    texts = [s.text for s in annotate_kept(load_book(edited), (), False, "narrator").segments]
    assert any("Mind the oar" in text for text in texts) and len(annotations) == 3


def test_an_unreadable_record_is_annotated_afresh(book, annotations, cache_dir):
    first = annotate_kept(book, (), False, "narrator")
    records = list((store_root(cache_dir) / "scripts").glob("*.json"))
    assert records
    for record in records:
        record.write_text("{broken", encoding="utf-8")
    assert annotate_kept(book, (), False, "narrator") == first and len(annotations) == 2


def test_a_voice_given_to_a_found_speaker_does_not_annotate_again(book, annotations):
    found = annotate_kept(book, (), False, "narrator")
    recast = annotate_kept(book, (CastEntry("Oda"), CastEntry("Perrin")), False, "narrator")
    assert recast == found and len(annotations) == 1


def test_an_entry_naming_nobody_found_is_annotated_with(book, annotations):
    found = annotate_kept(book, (), False, "narrator")
    with_stranger = annotate_kept(book, (CastEntry("Oda"), CastEntry("Quill")), False, "narrator")
    assert len(annotations) == 2
    assert "Quill" not in {c.name for c in found.characters}
    assert "Quill" in {c.name for c in with_stranger.characters}
