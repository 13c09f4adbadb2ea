"""Property: ingest + annotate lose nothing, whatever the story looks like.

Stories are generated from paragraphs of narration and dialogue in every quote style, with apostrophes,
split quotes, speeches running over several paragraphs, unclosed quotes, stray marks, ellipses, nested
quotations, headings, scene breaks and emphasis (*very*, _so_: in .md and .txt alike). For each, the segments
must come in order without overlapping, say exactly the words of their source span (markup aside), and cover
every word of the file once.

A second property checks the reading itself on well-formed stories, where the right answer is known: the
dialogue found is exactly the generated quotations, grouped into the generated utterances.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrate.annotate import annotate
from narrate.ingest.apparatus import SkipPattern
from narrate.ingest.text import load_book
from narrate.model import Book

# (opening mark, closing mark, apostrophe) of each way of writing dialogue
STYLES = {
    "curly": ("“", "”", "’"),
    "straight": ('"', '"', "'"),
    "single-curly": ("‘", "’", "’"),
    "single-straight": ("'", "'", "'"),
    "guillemets": ("« ", " »", "’"),
    "guillemets-reversed": ("»", "«", "’"),
    "dash": ("—", "", "’"),
}
NESTED = {  # a quotation inside a quotation, in the other marks
    "“": ("‘", "’"), '"': ("'", "'"), "‘": ("“", "”"),
    "'": ('"', '"'), "« ": ("“", "”"), "»": ("›", "‹"),
}
PLAIN_WORDS = "lamp keeper harbour night Mara Tomas bell fog rope stairs seven 1911 gone".split()
APOSTROPHE_WORDS = ["don't", "Ada's", "'cause", "the Smiths'", "rock 'n' roll", "'em", "goin'", "o'clock", "'90s"]
TAGS = ["he said", "she asked", "Mara said", "said Tomas", "she went on"]
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def words(text: str) -> list[str]:
    return [word.lower().replace("’", "'") for word in WORD.findall(text)]


def has_word(text: str) -> bool:
    return re.search(r"[^\W_]", text) is not None


@st.composite
def sentences(draw, apostrophe: str, markdown: bool) -> str:
    words = draw(st.lists(st.sampled_from(PLAIN_WORDS + APOSTROPHE_WORDS), min_size=1, max_size=7))
    words = [word.replace("'", apostrophe) for word in words]
    if markdown:
        marker = draw(st.sampled_from(["", "", "*", "_", "**"]))
        where = draw(st.integers(0, len(words) - 1))
        words[where] = f"{marker}{words[where]}{marker}"
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words) + draw(st.sampled_from([".", "!", "?", "…", "...", ","]))


@st.composite
def quotations(draw, opener: str, apostrophe: str, markdown: bool) -> str:
    """What goes between the marks: sentences, perhaps a nested quotation, perhaps trailing off."""
    text = draw(sentences(apostrophe, markdown))
    if opener in NESTED and draw(st.booleans()):
        inner_open, inner_close = NESTED[opener]
        text = f"{text} {inner_open}{draw(sentences(apostrophe, markdown))}{inner_close}"
    lead = draw(st.sampled_from(["", "", "… ", "..."]))
    trail = draw(st.sampled_from(["", "", " …", " "]))
    return lead + text + trail


@st.composite
def dialogue_paragraph(draw, opener: str, closer: str, apostrophe: str, markdown: bool) -> str:
    """Narration and quotations; the last closing mark may be missing (unbalanced or running on)."""
    parts = []
    if draw(st.booleans()):
        parts.append(draw(sentences(apostrophe, markdown)) + " ")
    parts.append(opener + draw(quotations(opener, apostrophe, markdown)) + closer)
    if draw(st.booleans()):
        parts.append(f" {draw(st.sampled_from(TAGS))}{draw(st.sampled_from([',', '.']))} ")
        parts.append(opener + draw(quotations(opener, apostrophe, markdown)) + closer)
    if markdown and draw(st.booleans()):
        parts[-1] = f"*{parts[-1].strip()}*"
    if closer and draw(st.integers(0, 4)) == 0:
        parts[-1] = parts[-1].removesuffix(closer)
    return "".join(parts)


@st.composite
def stories(draw) -> tuple[str, str]:
    """(file suffix, text) of a generated story."""
    markdown = draw(st.booleans())
    emphasis = markdown or draw(st.booleans())  # *very* and _so_ are markup in a .txt too
    opener, closer, apostrophe = STYLES[draw(st.sampled_from(sorted(STYLES)))]
    paragraph = st.one_of(
        sentences(apostrophe, emphasis),
        dialogue_paragraph(opener, closer, apostrophe, emphasis),
        dialogue_paragraph(opener, closer, apostrophe, emphasis),
        st.just("* * *"),
        st.just("## Chapter Two" if markdown else "Chapter Two"),
        st.just(f"{closer or opener} stray mark"),
    )
    body = draw(st.lists(paragraph, min_size=1, max_size=8))
    title = "# The Signal" if markdown else "The Signal"
    separator = draw(st.sampled_from(["\n\n", "\r\n\r\n", "\n  \n"]))
    return (".md" if markdown else ".txt"), separator.join([title, *body]) + "\n"


def markup_mask(book: Book) -> bytearray:
    mask = bytearray(len(book.source))
    for chapter in book.chapters:
        for block in chapter.blocks:
            for start, end in block.markup:
                mask[start:end] = b"\x01" * (end - start)
    return mask


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories())
def test_segments_cover_every_word_once_in_order(story):
    assert_nothing_lost(*story)


APPARATUS = ["[Illustration: A VICARAGE HOUSE.]", "[Illustration]", "END OF VOL. I.", "THE END.", "[Pg 12]", "{37}",
             "By the Author of “The Salt Road.”", "LONDON:\nPRINTED FOR J. HARROW.\n1821.",
             "Printed by T. Weller, Press Row, Bath.", "[Transcriber's Note: errors\n\nwere corrected.]"]


@st.composite
def novels(draw) -> tuple[str, str, list[SkipPattern]]:
    """(file suffix, text, voices.yaml skip: patterns) of a story in volumes with a printed book's apparatus
    between its paragraphs and, as page numbers, inside them."""
    markdown = draw(st.booleans())
    opener, closer, apostrophe = STYLES[draw(st.sampled_from(sorted(STYLES)))]
    paragraph = st.one_of(
        sentences(apostrophe, markdown),
        dialogue_paragraph(opener, closer, apostrophe, markdown),
        st.builds(lambda first, page, second: f"{first}\n{page}\n{second}", sentences(apostrophe, markdown),
                  st.sampled_from(["[Pg 3]", "{4}", "5"]), sentences(apostrophe, markdown)),
        st.sampled_from(APPARATUS),
        st.sampled_from(["VOL. II.", "BOOK THE SECOND", "PART ONE", "CHAPTER I.", "CHAPTER II."]
                        + (["# Volume Two", "## Chapter 3"] if markdown else [])),
    )
    body = draw(st.lists(paragraph, min_size=1, max_size=10))
    skip = draw(st.lists(st.sampled_from([r"(?i).*\bfog\b.*", r"Seven.*", r"\d+"]), max_size=2))
    return (".md" if markdown else ".txt"), "\n\n".join(["The Signal", *body]) + "\n", [SkipPattern(p) for p in skip]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(novels())
def test_a_novels_apparatus_is_skipped_and_nothing_is_lost(story):
    script = assert_nothing_lost(*story)
    fog = any("fog" in pattern.pattern for pattern in story[2])
    for segment in script.segments:
        if segment.text in APPARATUS[:7]:
            assert segment.kind == "skipped" and segment.evidence != "skipped:paragraph", segment
        if fog and segment.kind != "skipped":  # its paragraph, or its line, matched the pattern
            assert not re.search(r"(?i)\bfog\b", segment.text), segment
    assert [chapter.index for chapter in script.book.chapters] == list(range(1, len(script.book.chapters) + 1))


def assert_nothing_lost(suffix: str, text: str, skip: list[SkipPattern] = ()):
    """The segments of the story come in order without overlapping, say the words of their source span and cover
    every word of it once; returns the script."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"story{suffix}"
        path.write_bytes(text.encode("utf-8"))
        script = annotate(load_book(path, skip))
    source = script.book.source
    markup = markup_mask(script.book)
    unmarked = "".join(" " if markup[i] else char for i, char in enumerate(source))

    covered = [0] * len(source)
    previous_end = 0
    for segment in script.segments:
        assert previous_end <= segment.start <= segment.end, "segments out of order or overlapping"
        previous_end = segment.end
        assert words(segment.text) == words(unmarked[segment.start : segment.end]), segment
        if segment.kind != "skipped":
            assert segment.text and has_word(segment.text), segment
            assert not source[segment.start].isspace() and not source[segment.end - 1].isspace()
        for i in range(segment.start, segment.end):
            covered[i] += 1

    uncovered = [m.group() for m in re.finditer(r"[^\W_]", unmarked) if covered[m.start()] != 1]
    assert not uncovered, f"words outside every segment: {uncovered}"
    return script


# --- well-formed dialogue is found exactly ---------------------------------------------------------


@st.composite
def speech(draw, apostrophe: str, markdown: bool, ending: str | None = None, lower: bool = False) -> str:
    """One quotation's words. A word ending in an apostrophe (goin') never ends it: right before a
    closing mark that is ambiguous to a reader too."""
    text = draw(sentences(apostrophe, markdown))
    if ending is not None:
        text = text.rstrip(".!?…,") + ending
    if lower:
        text = text[0].lower() + text[1:]
    return re.sub(r"(\w['’])([*_]*[.!?…,]*)$", r"\1 now\2", text)


@st.composite
def conversations(draw) -> tuple[str, str, list[list[str]]]:
    """(suffix, text, expected utterances: each a list of its pieces' words) of a well-formed story."""
    markdown = draw(st.booleans())
    emphasis = markdown or draw(st.booleans())  # *very* and _so_ are markup in a .txt too
    name = draw(st.sampled_from(sorted(STYLES)))
    opener, closer, apostrophe = STYLES[name]
    paragraphs, utterances = ["# The Signal" if markdown else "The Signal"], []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["narration", "quote", "split", "two", "running"]))
        if kind == "narration":
            paragraphs.append(draw(sentences(apostrophe, emphasis)))
            continue
        if kind == "running" and name != "dash":  # one speech over paragraphs: only the last one closes
            pieces = [draw(speech(apostrophe, emphasis)) for _ in range(draw(st.integers(2, 3)))]
            paragraphs += [opener + piece for piece in pieces[:-1]] + [opener + pieces[-1] + closer]
            utterances.append(pieces)
            continue
        beat = "" if name == "dash" or draw(st.booleans()) else draw(sentences(apostrophe, emphasis)) + " "
        tag = draw(st.sampled_from(TAGS))
        if name == "dash":  # —Hold on, he said. It isn’t safe.  (the tag ends where its sentence ends)
            first = draw(speech(apostrophe, emphasis, draw(st.sampled_from([",", "!", "?"]))))
            second = draw(speech(apostrophe, emphasis))
            paragraphs.append(f"{opener}{first} {tag}. {second}" if kind != "quote" else opener + second)
            utterances.append([first, second] if kind != "quote" else [second])
        elif kind == "split":  # “Hold on,” he said, “it isn’t safe.”
            first, second = draw(speech(apostrophe, emphasis, ",")), draw(speech(apostrophe, emphasis, lower=True))
            paragraphs.append(f"{beat}{opener}{first}{closer} {tag}, {opener}{second}{closer}")
            utterances.append([first, second])
        elif kind == "two":  # “Hold on,” he said. “It isn’t safe.”
            first = draw(speech(apostrophe, emphasis, draw(st.sampled_from([",", "!", "?"]))))
            second = draw(speech(apostrophe, emphasis))
            paragraphs.append(f"{beat}{opener}{first}{closer} {tag}. {opener}{second}{closer}")
            utterances += [[first], [second]]
        else:
            quote = draw(speech(apostrophe, emphasis))
            paragraphs.append(f"{beat}{opener}{quote}{closer}")
            utterances.append([quote])
    expected = [[words(piece.replace("*", "").replace("_", " ")) for piece in pieces] for pieces in utterances]
    return (".md" if markdown else ".txt"), "\n\n".join(paragraphs) + "\n", expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations())
def test_well_formed_dialogue_is_found_piece_by_piece(story):
    suffix, text, expected = story
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"story{suffix}"
        path.write_text(text, encoding="utf-8")
        script = annotate(load_book(path))
    found: dict[int, list[list[str]]] = {}
    for segment in script.segments:
        if segment.kind == "dialogue":
            found.setdefault(segment.utterance, []).append(words(segment.text))
    assert list(found.values()) == expected
    assert script.warnings == ()
