"""Unknown words: proper nouns and words no dictionary has, most frequent first, common words left out."""
from narrate import pipeline
from narrate.casting.unknown_words import unknown_words
from narrate.model import Book, Script, Segment


def script_of(*texts: str, skipped: str = "") -> Script:
    segments = [Segment(1, n, "narration", text, 0, 0, n) for n, text in enumerate(texts)]
    if skipped:
        segments.append(Segment(1, len(segments), "skipped", skipped, 0, 0, -1, evidence="skipped:author_note"))
    return Script(Book("s.txt", "", "utf-8", "S", None, ()), tuple(segments))


TEXT = (
    "Quillon walked to the harbour with Mrs. Varga. The boats nodded on the water.",
    "Later, Quillon's sister Ysolde heard the skreel of the gulls. Hope came too; she carried hope.",
    "Footsteps sounded. Varga turned to Quillon and laughed at the skreel.",
)


def test_names_and_unlisted_words_most_frequent_first():
    assert unknown_words(script_of(*TEXT)) == [("Quillon", 3), ("skreel", 2), ("Varga", 2), ("Ysolde", 1)]


def test_common_words_capitalised_at_a_sentence_start_inflected_or_british_are_left_out():
    found = dict(unknown_words(script_of(*TEXT)))
    for common in ("Footsteps", "Later", "nodded", "harbour", "boats", "Hope", "Mrs", "Missus"):
        assert common not in found
    assert dict(unknown_words(script_of("The harbourmaster's glimmerwisps drifted."))) == {}  # compounds


def test_limit_and_known_words_and_skipped_segments():
    script = script_of(*TEXT, skipped="Zarnathrax wrote this author's note.")
    assert unknown_words(script, limit=2) == [("Quillon", 3), ("skreel", 2)]
    assert unknown_words(script, known=["quillon", "Varga"]) == [("skreel", 2), ("Ysolde", 1)]


def test_a_name_only_ever_at_a_sentence_start_is_still_found():
    assert unknown_words(script_of("Zorvessa laughed.", "Zorvessa waved. Then she left.")) == [("Zorvessa", 2)]


def test_gone_lists_its_unusual_name_first(gone_story):
    _config, script = pipeline.load(gone_story)
    words = unknown_words(script)
    assert words[0] == ("Natasha", sum(s.text.count("Natasha") for s in script.segments if s.kind != "skipped"))


def test_words_common_in_english_are_left_out_even_when_the_word_list_lacks_them():
    # web2 has no "began" and keeps "London" capitalised; espeak says both right, as it does other everyday words
    text = ("On Saturday they began the long walk to London with Quillon.",
            "In London the daughters of Varga waited for Quillon.")
    assert unknown_words(script_of(*text)) == [("Quillon", 2), ("Varga", 1)]


def test_a_language_without_a_frequency_table_falls_back_to_the_word_list():
    assert ("Quillon", 3) in unknown_words(script_of(*TEXT), language="xx")
