"""Dialogue tagging: annotate() cuts a Book into narration, dialogue and skipped segments.

The small stories in tests/inputs/quotes/ were written for these tests; each expectation below is what a
reader of that story sees.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from narrate.annotate import annotate
from narrate.ingest.text import load_book
from narrate.model import Script

INPUTS = Path(__file__).parent / "inputs" / "quotes"
SHARED = Path(__file__).parents[2] / "shared"
CHECK_SCRIPT = SHARED / "bench" / "check_script.py"
LITBANK = SHARED / "attribution-dev" / "litbank"

STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def annotated(tmp_path: Path, text: str, name: str = "story.txt", **options) -> Script:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return annotate(load_book(path), **options)


def annotated_input(name: str, **options) -> Script:
    return annotate(load_book(INPUTS / name), **options)


def dialogue(script: Script) -> list[str]:
    return [segment.text for segment in script.segments if segment.kind == "dialogue"]


def utterance_groups(script: Script) -> list[list[str]]:
    """Dialogue texts grouped by utterance id, in order of first appearance."""
    groups: dict[int, list[str]] = {}
    for segment in script.segments:
        if segment.kind == "dialogue":
            groups.setdefault(segment.utterance, []).append(segment.text)
    return list(groups.values())


def line_of(source: str, needle: str) -> int:
    return source[: source.index(needle)].count("\n") + 1


CURLY_DIALOGUE = [
    "You’re late,",
    "The last ferry left ten minutes ago.",
    "Late,",
    "is a matter of opinion.",
    "My grandmother used to say ‘the tide waits for nobody,’ and she was right.",
    "There was a boat here once,",
    "A green one, with a red sail. My father took it out every Sunday.",
    "One Sunday he didn’t come back until dark, and the whole town stood on this pier.",
    "And then …",
    "… and then he walked up the steps as if nothing had happened.",
    "You never told me that,",
    "Because you never asked.",
]


# --- double quotes ---------------------------------------------------------------------------------


def test_curly_quotes_give_every_quoted_passage_and_nothing_else():
    script = annotated_input("curly.txt")
    assert script.book.quote_style == "double"
    assert dialogue(script) == CURLY_DIALOGUE


def test_split_and_multi_paragraph_quotes_are_one_utterance_each():
    groups = utterance_groups(annotated_input("curly.txt"))
    assert ["Late,", "is a matter of opinion."] in groups  # split by "Marco said,"
    assert [CURLY_DIALOGUE[6], CURLY_DIALOGUE[7]] in groups  # runs on into the next paragraph
    assert ["You’re late,"] in groups  # "she said." ends the sentence: a new utterance follows
    assert len(groups) == len(CURLY_DIALOGUE) - 2


def test_unclosed_quote_ends_with_its_paragraph_and_warns_with_the_line():
    script = annotated_input("curly.txt")
    line = line_of(script.book.source, "“Because you never asked.")
    assert len(script.warnings) == 1
    assert script.warnings[0].startswith(f"{script.book.path}:{line}: ")
    assert "not closed" in script.warnings[0] and "assumed it ends there" in script.warnings[0]
    last = [segment for segment in script.segments if segment.kind != "skipped"][-1]
    assert last.kind == "narration" and last.text.startswith("They walked back")


def test_straight_quotes_are_read_like_curly_ones(tmp_path):
    straight = (INPUTS / "curly.txt").read_text(encoding="utf-8").translate(STRAIGHT)
    script = annotated(tmp_path, straight)
    assert dialogue(script) == [text.translate(STRAIGHT) for text in CURLY_DIALOGUE]
    assert len(utterance_groups(script)) == len(CURLY_DIALOGUE) - 2
    assert len(script.warnings) == 1


def test_dialogue_spans_are_the_words_between_the_marks():
    script = annotated_input("curly.txt")
    source = script.book.source
    for segment in script.segments:
        if segment.kind == "dialogue":
            assert source[segment.start : segment.end] == segment.text
            assert not source[segment.start].isspace() and not source[segment.end - 1].isspace()
            assert source[segment.start - 1] in "“ "  # the opening mark or the space after it
    narration = [segment for segment in script.segments if segment.kind == "narration"]
    assert [segment.text for segment in narration][1:4] == ["she said.", "Marco said,", "She laughed."]


def test_nested_quotation_in_the_same_marks_stays_in_its_dialogue(tmp_path):
    script = annotated(tmp_path, "Title\n\n“She told me “never again,” and meant it,” said Ada.\n")
    assert dialogue(script) == ["She told me “never again,” and meant it,"]
    assert script.warnings == ()


def test_an_opening_mark_inside_an_unclosed_quote_starts_a_new_one(tmp_path):
    script = annotated(tmp_path, "Title\n\n“Wait, she said. “Not yet,” and she sat down.\n")
    assert dialogue(script) == ["Wait, she said.", "Not yet,"]
    assert len(script.warnings) == 1 and "still open" in script.warnings[0]


def test_stray_closing_mark_is_narration_with_a_warning(tmp_path):
    script = annotated(tmp_path, "Title\n\nThe door shut behind him.” Nobody moved.\n")
    assert dialogue(script) == []
    assert [segment.kind for segment in script.segments if segment.kind != "skipped"] == ["narration"]
    assert "closing quote mark with no quotation open" in script.warnings[0]


def test_a_quoted_title_inside_a_sentence_is_narration_but_a_quote_after_a_speech_verb_is_not(tmp_path):
    text = "Title\n\nThe radio played “Blue Moon” twice. Then Jo whispered “enough” and switched it off.\n"
    assert dialogue(annotated(tmp_path, text)) == ["enough"]


def test_quote_marks_around_no_words_make_no_segment(tmp_path):
    script = annotated(tmp_path, "Title\n\nHe looked at her. “…” She looked away.\n")
    assert dialogue(script) == []
    assert all(segment.text for segment in script.segments)


def test_unclosed_quote_is_not_carried_across_a_scene_break(tmp_path):
    text = "Title\n\n“I’m going out,\n\n* * *\n\n“Back already?” asked Sam.\n"
    script = annotated(tmp_path, text)
    assert dialogue(script) == ["I’m going out,", "Back already?"]
    assert len(utterance_groups(script)) == 2
    assert len(script.warnings) == 1


# --- other quote styles ----------------------------------------------------------------------------


SINGLE_DIALOGUE = [
    "Don’t you start,",
    "I’ve heard it all from the Smiths’ boy already.",
    "Heard what? I only said the lads’d be round ’cause it’s Friday.",
    "You said, and I quote, “rock ’n’ roll till the cows come home,”",
    "Tell ’em I was goin’ to the Hendersons’ place,",
    "if anyone asks.",
    "It’s the ’90s, Rosie,",
    "Nobody minds.",
]


def test_single_quotes_do_not_break_on_apostrophes():
    script = annotated_input("single.txt")
    assert script.book.quote_style == "single"
    assert dialogue(script) == SINGLE_DIALOGUE
    assert [SINGLE_DIALOGUE[4], SINGLE_DIALOGUE[5]] in utterance_groups(script)
    assert script.warnings == ()


def test_straight_single_quotes_do_not_break_on_apostrophes(tmp_path):
    script = annotated(tmp_path, (INPUTS / "single.txt").read_text(encoding="utf-8").translate(STRAIGHT))
    assert script.book.quote_style == "single"
    assert dialogue(script) == [text.translate(STRAIGHT) for text in SINGLE_DIALOGUE]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "guillemets.txt",
            ["Tu viens ?", "Il est presque minuit.", "J’arrive", "mais je ne trouve pas mon billet."],
        ),
        (
            "guillemets_reversed.txt",
            ["Kommst du?", "Es ist fast Mitternacht.", "Gleich", "ich finde nur meine Fahrkarte nicht."],
        ),
    ],
)
def test_guillemets_either_way_round(name, expected):
    script = annotated_input(name)
    assert script.book.quote_style == "guillemet"
    assert dialogue(script) == expected
    assert [expected[2], expected[3]] in utterance_groups(script)  # split by the speech tag
    narration = [segment.text for segment in script.segments if segment.kind == "narration"]
    assert not any(text.startswith(",") for text in narration)


def test_dash_dialogue_runs_to_the_tag():
    script = annotated_input("dash.txt")
    assert script.book.quote_style == "dash"
    assert dialogue(script) == [
        "Are you coming down?",
        "In a minute,",
        "First I have to finish this chapter.",
        "Hola",
        "¿Dónde estás?",
    ]
    narration = [segment.text for segment in script.segments if segment.kind == "narration"]
    assert "she asked." in narration and "he said." in narration
    assert ["In a minute,", "First I have to finish this chapter."] in utterance_groups(script)


def test_a_double_quote_book_full_of_apostrophes_stays_double(tmp_path):
    text = "Title\n\nIt's Ada's car, 'cause the Smiths' van won't start. \"Get in,\" he said.\n"
    script = annotated(tmp_path, text)
    assert script.book.quote_style == "double"
    assert dialogue(script) == ["Get in,"]


def test_markdown_emphasis_around_quote_marks(tmp_path):
    script = annotated_input("emphasis.md")
    assert dialogue(script) == ["Hello,", "you are late.", "Traffic,", "on the whole coast road.", "Again?"]
    source = script.book.source
    for segment in script.segments:
        if segment.kind == "dialogue":
            assert source[segment.start] not in "*_ " and source[segment.end - 1] not in "* "


# --- blocks, numbering, options --------------------------------------------------------------------


NOTES_STORY = """A/N: Thanks to everyone who read the first part!

The Return

Chapter 1

“Home,” said Lena.

* * *

She unpacked.

Chapter 2

“Again,” said Lena.
"""


def test_non_paragraph_blocks_are_skipped_segments(tmp_path):
    script = annotated(tmp_path, NOTES_STORY)
    skipped = [segment for segment in script.segments if segment.kind == "skipped"]
    assert [segment.evidence for segment in skipped] == [
        "skipped:author_note",
        "skipped:title",
        "skipped:heading",
        "skipped:scene_break",
        "skipped:heading",
    ]
    assert all(segment.paragraph == -1 for segment in skipped)
    assert skipped[0].text == "A/N: Thanks to everyone who read the first part!"


def test_author_notes_can_be_narrated(tmp_path):
    note = annotated(tmp_path, NOTES_STORY, author_notes=True).segments[0]
    assert (note.kind, note.speaker, note.evidence) == ("narration", "narrator", "narration")
    assert note.text.startswith("A/N: Thanks")


def test_segments_are_numbered_in_source_order(tmp_path):
    script = annotated(tmp_path, NOTES_STORY)
    assert [segment.index for segment in script.segments] == list(range(len(script.segments)))
    starts = [segment.start for segment in script.segments]
    assert starts == sorted(starts)
    paragraphs = [(s.chapter, s.paragraph, s.kind) for s in script.segments if s.kind != "skipped"]
    assert paragraphs == [
        (1, 0, "dialogue"), (1, 0, "narration"), (1, 1, "narration"), (2, 0, "dialogue"), (2, 0, "narration"),
    ]
    for segment in script.segments:
        if segment.kind == "narration":
            assert (segment.speaker, segment.evidence) == ("narrator", "narration")
        assert segment.text


# --- real stories ----------------------------------------------------------------------------------


def script_json(script: Script) -> dict:
    """The script as `narrate script --format json` writes it."""
    fields = ("chapter", "index", "kind", "speaker", "text", "start", "end", "paragraph", "evidence", "confidence")
    book = {"title": script.book.title, "author": script.book.author, "path": script.book.path,
            "quote_style": script.book.quote_style}
    return {"book": book, "segments": [{name: getattr(s, name) for name in fields} for s in script.segments]}


def check_script(tmp_path: Path, source: Path, script: Script) -> str:
    if not CHECK_SCRIPT.exists():
        pytest.skip(f"{CHECK_SCRIPT} is not here")
    out = tmp_path / "script.json"
    out.write_text(json.dumps(script_json(script), ensure_ascii=False), encoding="utf-8")
    command = [sys.executable, str(CHECK_SCRIPT), str(source), str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def gone(gone_story) -> Script:
    return annotate(load_book(gone_story))


def test_gone_has_the_dialogue_a_reader_sees(gone):
    pieces = [segment for segment in gone.segments if segment.kind == "dialogue"]
    assert len(pieces) == 28  # every quoted passage of the story, the split one counted twice
    sizes = Counter(Counter(piece.utterance for piece in pieces).values())
    assert sizes == {1: 26, 2: 1}  # one quotation is split by its speech tag
    assert gone.book.quote_style == "double" and gone.warnings == ()


def test_gone_dialogue_sits_between_every_pair_of_quote_marks(gone):
    """Each quote mark of the story's paragraphs opens or closes a dialogue piece (spaces aside)."""
    source = gone.book.source
    edges = set()
    for segment in gone.segments:
        if segment.kind == "dialogue":
            edges.add(len(source[: segment.start].rstrip()) - 1)  # the opening mark
            edges.add(segment.end + len(source[segment.end :]) - len(source[segment.end :].lstrip()))
    paragraphs = [s for s in gone.segments if s.kind != "skipped"]
    body = range(paragraphs[0].start, paragraphs[-1].end + 1)
    marks = {match.start() for match in re.finditer('"', source) if match.start() in body}
    assert marks == edges


def test_gone_loses_nothing(gone, gone_story, tmp_path):
    assert check_script(tmp_path, gone_story, gone).startswith("nothing_lost=yes")


LITBANK_SAMPLES = [
    "1155_the_secret_adversary",  # curly double quotes
    "1661_the_adventures_of_sherlock_holmes",  # straight double quotes
    "711_allan_quatermain",  # curly single quotes
    "4276_north_and_south",  # straight single quotes
    "4300_ulysses",  # em-dash dialogue
    "4217_a_portrait_of_the_artist_as_a_young_man",  # double-hyphen dialogue
]


def overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return min(a[1], b[1]) > max(a[0], b[0])


@pytest.mark.parametrize("name", LITBANK_SAMPLES)
def test_litbank_loses_nothing_and_finds_the_quotations(name, tmp_path):
    text, gold = LITBANK / f"{name}.txt", LITBANK / f"{name}.json"
    if not (text.exists() and gold.exists()):
        pytest.skip(f"{text} is not here")
    script = annotate(load_book(text))
    assert check_script(tmp_path, text, script).startswith("nothing_lost=yes")
    spans = [(s.start, s.end) for s in script.segments if s.kind == "dialogue"]
    quotes = [(q["start"], q["end"]) for q in json.loads(gold.read_text(encoding="utf-8"))["quotes"]]
    found = [quote for quote in quotes if any(overlap(quote, span) for span in spans)]
    assert len(found) >= 0.9 * len(quotes)
    # The gold leaves out some quoted passages (a quoted chapter title, a speech it skipped): allow a few.
    strays = [span for span in spans if not any(overlap(quote, span) for quote in quotes)]
    assert len(strays) <= 0.25 * len(spans)
