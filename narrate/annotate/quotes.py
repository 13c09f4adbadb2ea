"""Find the dialogue in a story: which quote marks the book uses, where each quotation opens and
closes, and which pieces of dialogue are one utterance.

Every decision is made on a paragraph's *visible* text (markup removed) and mapped back to source
offsets at the end, so emphasis around a quote mark does not hide it.

A quote mark is read in three steps:
1. apostrophes are set aside (single-quote books only): don't, 'cause, rock 'n' roll;
2. each remaining mark gets a role from its glyph and from what sits either side of it
   (space before and a word after opens; a word or punctuation before and space after closes);
3. marks whose role is still open to doubt (straight quotes, spaced marks) alternate open/close.

Then: a quotation left open at a paragraph's end runs on if the next paragraph opens with a mark, else
it ends there (with a warning); a short quotation inside a sentence of narration (a title, a term) is a
mention, not speech; two pieces split by a speech tag in mid-sentence are one utterance. Dash-style
dialogue (—Come in, she said.) has no marks to read: it runs from the dash to the tag.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

from narrate.annotate.speechverbs import (
    PARTICLE_VERBS,
    SPEECH_INFINITIVES,
    SPEECH_VERBS,
)
from narrate.errors import at

QuoteStyle = Literal["double", "single", "guillemet", "dash"]


class Role(Enum):
    OPEN = "open"
    CLOSE = "close"
    EITHER = "either"  # decided by alternation
    WEAK_CLOSE = "weak-close"  # a word then a mark: closes, or is a plural possessive / dropped g (goin')


# The glyphs of each style and what the glyph alone says (None: nothing, as for straight marks).
# Guillemets point either way by language (« » or » «), so only their surroundings decide.
MARKS: dict[QuoteStyle, dict[str, Role | None]] = {
    "double": {'"': None, "\u201c": Role.OPEN, "\u201d": Role.CLOSE, "\u201e": Role.OPEN, "\u201f": Role.OPEN},
    "single": {"'": None, "\u2018": Role.OPEN, "\u2019": Role.CLOSE, "\u201a": Role.OPEN, "\u201b": Role.OPEN},
    "guillemet": {"\u00ab": None, "\u00bb": None},
    "dash": {},
}
QUOTE_GLYPHS = "".join(glyph for marks in MARKS.values() for glyph in marks) + "\u2039\u203a"
DASHES = "\u2014\u2015\u2013"  # em dash, horizontal bar, en dash
OPENING_CONTEXT = "([{" + DASHES + QUOTE_GLYPHS  # a mark after these (or space) may open
CLOSING_CONTEXT = ")]},.;:!?\u2026" + DASHES + QUOTE_GLYPHS  # a mark before these (or space) may close
SENTENCE_END = ".!?\u2026"
CLAUSE_PUNCTUATION = ".,;:"

# Words that are spelt with a leading apostrophe; a mark before them is not an opening quote.
# Left out on purpose: elisions that are also words a quotation may start with (Is, Er, Ere, Round).
ELISIONS = frozenset(
    "tis twas twill twould twere em cause cos coz til bout nuff cept gainst kay ello im ave n un uns "
    "s d ll m re t ve".split()
)
DECADE = re.compile(r"\d\ds?")  # '90s
WORD = re.compile(r"[^\W_]+")  # letters and digits

# Dash-style dialogue has no closing mark; narration inside it is found from the tag that starts it.
_PARTICLE_TAGS = {f"{verb} {particle}" for verb, particle in PARTICLE_VERBS.items()}  # went on, broke in
_TAG_VERBS = SPEECH_VERBS | SPEECH_INFINITIVES | _PARTICLE_TAGS
_VERB = "|".join(re.escape(verb) for verb in sorted(_TAG_VERBS, key=len, reverse=True))
_NAME = r"(?:(?:Mr|Mrs|Ms|Dr|St)\.\s+)?[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,2}"
_SPEAKER = rf"(?:he|she|they|I|we|{_NAME})"
DASH_TAG = re.compile(rf"(?<=[,!?\u2026])\s+(?:{_SPEAKER}\s+(?:\w+ly\s+)?(?:{_VERB})|(?:{_VERB})\s+{_SPEAKER})\b")
DASH_TAG_END = re.compile(r"[.;:!?\u2026](?=\s|$)")
_DASH = rf"(?:--|[{DASHES}])"
DASH_LEAD = re.compile(rf"\s*{_DASH}(?!-)")  # —Come up, Kinch! / --What is your name?
DASH_INSERT = re.compile(rf"(?<=\s){_DASH}(?=[^\s-])")  # —Hola —dijo él—. ¿Cómo estás?
DASH_INSERT_END = re.compile(_DASH)

# A quotation after one of these words (he whispered "go") is speech, not a mention; naming verbs
# (a place called "Home") introduce mentions.
SPEECH_CONTEXT = frozenset(SPEECH_VERBS | SPEECH_INFINITIVES) - {"called", "calls"}
WORD_BEFORE = re.compile(r"[^\W\d_]\s*$")
MENTION_MAX_WORDS = 4


@dataclass(frozen=True)
class ParagraphSpan:
    """A paragraph of the source and the markup inside it (never spoken, never a quote mark)."""

    start: int
    end: int
    markup: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Dialogue:
    """One piece of dialogue: its spoken words (source offsets, marks and edge spaces excluded)."""

    start: int
    end: int
    utterance: int


@dataclass(frozen=True)
class _Mark:
    at: int  # index into the paragraph's visible text
    role: Role


@dataclass(frozen=True)
class View:
    """A paragraph's visible characters and, for each, its offset in the source."""

    text: str
    offsets: Sequence[int]


def visible(source: str, paragraph: ParagraphSpan) -> View:
    """The paragraph as it reads: its text without the markup ranges."""
    if not paragraph.markup:
        return View(source[paragraph.start : paragraph.end], range(paragraph.start, paragraph.end))
    offsets: list[int] = []
    cursor = paragraph.start
    for start, end in sorted(paragraph.markup):
        offsets.extend(range(cursor, max(cursor, start)))
        cursor = max(cursor, end)
    offsets.extend(range(cursor, paragraph.end))
    return View("".join(source[i] for i in offsets), offsets)


def has_word(text: str) -> bool:
    return WORD.search(text) is not None


# --- style ---------------------------------------------------------------------------------------


def detect_style(texts: Sequence[str]) -> QuoteStyle:
    """The quote style a book's dialogue uses, from the paragraphs' visible texts.

    Each style is scored by its evidence: double quotes and guillemets by their marks, single quotes by
    the marks that cannot be apostrophes, the dash style by paragraphs that open with a dash (one dash
    stands for a pair of marks). Ties go to double quotes, the common case.
    """
    scores: dict[QuoteStyle, int] = {"double": 0, "single": 0, "guillemet": 0, "dash": 0}
    for text in texts:
        scores["double"] += sum(text.count(glyph) for glyph in MARKS["double"])
        scores["guillemet"] += sum(text.count(glyph) for glyph in MARKS["guillemet"])
        scores["single"] += sum(mark.role in (Role.OPEN, Role.CLOSE) for mark in classify(text, "single"))
        scores["dash"] += 2 * (_dash_lead(text) is not None)
    return max(scores, key=lambda style: scores[style])  # dict order puts double first on a tie


def _dash_lead(text: str) -> int | None:
    """Where the speech starts in a paragraph that opens with a dialogue dash, else None."""
    lead = DASH_LEAD.match(text)
    return lead.end() if lead and has_word(text[lead.end() : lead.end() + 40]) else None


# --- marks ---------------------------------------------------------------------------------------


def classify(text: str, style: QuoteStyle) -> list[_Mark]:
    """The quote marks of `style` in `text` with their roles; apostrophes are left out."""
    glyphs = MARKS[style]
    marks = []
    for i, char in enumerate(text):
        if char not in glyphs:
            continue
        if style == "single":
            role = _single_role(text, i)
        else:
            role = _role(text, i, glyphs[char])
        if role is not None:
            marks.append(_Mark(i, role))
    return marks


def _role(text: str, i: int, glyph_role: Role | None) -> Role:
    """What a mark's surroundings say, else what its glyph says, else alternation decides."""
    before = text[i - 1] if i > 0 else None
    after = text[i + 1] if i + 1 < len(text) else None
    may_open = before is None or before.isspace() or before in OPENING_CONTEXT
    may_close = after is None or after.isspace() or after in CLOSING_CONTEXT
    if may_open and not may_close:
        return Role.OPEN
    if may_close and not may_open:
        return Role.CLOSE
    return glyph_role or Role.EITHER


def _single_role(text: str, i: int) -> Role | None:
    """Role of a single quote mark, or None for an apostrophe."""
    word_before = i > 0 and text[i - 1].isalnum()
    word_after = i + 1 < len(text) and text[i + 1].isalnum()
    if word_before and word_after:
        return None  # don't, Ada's, rock'n'roll
    if word_after:
        following = WORD.match(text, i + 1)
        if following and (following.group().lower() in ELISIONS or DECADE.fullmatch(following.group())):
            return None  # 'cause, 'em, ’tis, '90s
    if word_before:
        return Role.WEAK_CLOSE  # the Smiths' car, goin' home — or the end of a quotation
    return _role(text, i, MARKS["single"][text[i]])


# --- quotations ----------------------------------------------------------------------------------


@dataclass
class _Piece:
    start: int  # visible indices: the text between the marks
    end: int
    opened_at: int  # source offset of the opening mark (for warnings)
    closed_by_mark: bool = False  # ended by a quote mark, not by the paragraph's end
    continued: bool = False  # carries on a quotation from the previous paragraph
    carried_on: bool = False  # runs on into the next paragraph


class _RunReader:
    """Walks the paragraphs of one run (paragraphs a speech may continue across) and collects pieces."""

    def __init__(self, source: str, views: list[View], style: QuoteStyle, path: str):
        self.source, self.views, self.style, self.path = source, views, style, path
        self.marks = [classify(view.text, style) for view in views]
        self.warnings: list[str] = []

    def warn(self, offset: int, message: str) -> None:
        self.warnings.append(f"{at(self.path, self.source.count(chr(10), 0, offset) + 1)}: {message}")

    def pieces(self) -> list[list[_Piece]]:
        if self.style == "dash":
            return [_dash_pieces(view) for view in self.views]
        result: list[list[_Piece]] = []
        carried: _Piece | None = None
        for k, view in enumerate(self.views):
            found, carried = self._paragraph(k, view, carried)
            result.append(found)
        return result

    def _paragraph(self, k: int, view: View, carried: _Piece | None) -> tuple[list[_Piece], _Piece | None]:
        """The pieces of paragraph k, and the one still open at its end if the next paragraph carries it on."""
        found: list[_Piece] = []
        marks = self.marks[k]
        piece, depth = None, 0  # depth > 1: inside a quotation nested in the same marks
        if carried is not None:  # its opening mark starts this paragraph (checked before carrying)
            piece, depth = _Piece(marks[0].at + 1, len(view.text), carried.opened_at, continued=True), 1
            marks = marks[1:]
        runs_on = k + 1 < len(self.views) and self._opens_paragraph(k + 1)
        for m, mark in enumerate(marks):
            rest = marks[m + 1 :]
            if piece is None:
                if mark.role in (Role.OPEN, Role.EITHER):
                    piece, depth = _Piece(mark.at + 1, len(view.text), view.offsets[mark.at]), 1
                elif mark.role is Role.CLOSE:
                    self.warn(
                        view.offsets[mark.at],
                        "closing quote mark with no quotation open; read as narration — add the opening mark "
                        "if this is speech",
                    )
            elif _closes(view.text, mark, rest, depth, runs_on):
                depth -= 1
                if depth == 0:
                    piece.end, piece.closed_by_mark = mark.at, True
                    found.append(piece)
                    piece = None
            elif mark.role is Role.OPEN and _nests(rest, depth):
                depth += 1
            elif mark.role is Role.OPEN:
                self.warn(
                    piece.opened_at,
                    "quotation opened here is still open when the next one opens; assumed it ends there — "
                    "add the missing closing mark",
                )
                piece.end = mark.at
                found.append(piece)
                piece, depth = _Piece(mark.at + 1, len(view.text), view.offsets[mark.at]), 1
        if piece is None:
            return found, None
        found.append(piece)
        if runs_on:
            piece.carried_on = True
            return found, piece
        self.warn(
            piece.opened_at,
            "quotation opened here is not closed by the end of its paragraph; assumed it ends there — "
            "add the closing mark if it should end sooner",
        )
        return found, None

    def _opens_paragraph(self, k: int) -> bool:
        """Whether paragraph k starts with an opening mark (a speech carried on from the paragraph before)."""
        text, marks = self.views[k].text, self.marks[k]
        first_char = len(text) - len(text.lstrip())
        return bool(marks) and marks[0].at == first_char and marks[0].role in (Role.OPEN, Role.EITHER)


def _closes(text: str, mark: _Mark, rest: list[_Mark], depth: int, runs_on: bool) -> bool:
    """Whether `mark` closes the innermost open quotation; `rest` are the paragraph's marks after it,
    `runs_on` tells whether the next paragraph carries the speech on."""
    if mark.role in (Role.CLOSE, Role.EITHER):
        return True
    if mark.role is not Role.WEAK_CLOSE:
        return False
    if depth > 1:
        return sum(later.role in (Role.CLOSE, Role.EITHER) for later in rest) >= depth - 1
    if rest:  # 'the Smiths' car,' she said — a stronger closing mark follows: this one is an apostrophe
        return rest[0].role is Role.OPEN
    # The last mark: it closes, unless the speech runs on into the next paragraph and no speech tag
    # follows it ('I was goin' home.  ¶  'And then…' — but 'Hello there' she said.  ¶  'Hi.')
    following_words = WORD.findall(text[mark.at + 1 : mark.at + 40].lower())[:3]
    return not runs_on or bool(SPEECH_CONTEXT.intersection(following_words))


def _nests(rest: list[_Mark], depth: int) -> bool:
    """Whether an opening mark met inside a quotation starts a nested one (“the “Spectator,” and…”):
    enough closing marks follow to close it and every quotation around it."""
    closers = sum(later.role is not Role.OPEN for later in rest)
    openers = len(rest) - closers
    return closers - openers >= depth + 1


def _dash_pieces(view: View) -> list[_Piece]:
    """Dialogue of a paragraph that opens with a dash, minus narration inserted into it."""
    text = view.text
    cursor = _dash_lead(text)
    if cursor is None:
        return []
    dash_at = view.offsets[len(text) - len(text.lstrip())]
    pieces = []
    while cursor < len(text):
        insert = _next_dash_insert(text, cursor)
        if insert is None:
            pieces.append(_Piece(cursor, len(text), dash_at))
            break
        pieces.append(_Piece(cursor, insert[0], dash_at))
        cursor = insert[1]
        while cursor < len(text) and (text[cursor].isspace() or text[cursor] in CLAUSE_PUNCTUATION):
            cursor += 1  # —dijo él—. ¿Dónde estás?  The full stop ends the tag, not the speech.
    return pieces


def _next_dash_insert(text: str, cursor: int) -> tuple[int, int] | None:
    """The next narration inside dash dialogue: (start, end) or None."""
    tag = DASH_TAG.search(text, cursor)
    dash = DASH_INSERT.search(text, cursor)
    if dash and (tag is None or dash.start() < tag.start()):
        end = DASH_INSERT_END.search(text, dash.end())
        return dash.start(), end.end() if end else len(text)
    if tag:
        end = DASH_TAG_END.search(text, tag.end())
        return tag.start(), end.end() if end else len(text)
    return None


# --- utterances ----------------------------------------------------------------------------------


def find_dialogue(
    source: str, run: Sequence[ParagraphSpan], style: QuoteStyle, path: str, utterance_ids: Iterator[int]
) -> tuple[list[list[Dialogue]], list[str]]:
    """The dialogue of each paragraph in `run` and the warnings met on the way.

    `run` is a sequence of consecutive paragraphs across which a speech may continue (a chapter's
    paragraphs between headings and scene breaks). Utterance ids come from `utterance_ids` in order.
    """
    views = [visible(source, paragraph) for paragraph in run]
    reader = _RunReader(source, views, style, path)
    result: list[list[Dialogue]] = []
    carried: int | None = None  # utterance id of a speech running on from the paragraph before
    for view, pieces in zip(views, reader.pieces()):
        dialogue: list[Dialogue] = []
        last: _Piece | None = None
        for piece in _spoken(view.text, pieces):
            if last is None:
                joins = carried if piece.continued else None
            else:
                joins = dialogue[-1].utterance if _splits(view.text, last, piece, style) else None
            utterance = next(utterance_ids) if joins is None else joins
            dialogue.append(Dialogue(view.offsets[piece.start], view.offsets[piece.end - 1] + 1, utterance))
            last = piece
        carried = dialogue[-1].utterance if last and last.carried_on else None
        result.append(dialogue)
    return result, reader.warnings


def _spoken(text: str, pieces: list[_Piece]) -> list[_Piece]:
    """Pieces trimmed of edge whitespace; those without a word, and mentions, are not dialogue at all."""
    kept = []
    for piece in pieces:
        start, end = piece.start, piece.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if has_word(text[start:end]) and not _is_mention(text, piece):
            kept.append(replace(piece, start=start, end=end))
    return kept


def _is_mention(text: str, piece: _Piece) -> bool:
    """A short quotation inside a sentence of narration — a title, a term, a word named — not speech:
    a duet from “Zampa” upon the piano; the house known as “the house,” to tell it apart.

    Speech follows punctuation, the paragraph's start or a speech verb (he whispered "go"); a mention
    follows an ordinary word and is a few words long, not a question or an exclamation.
    """
    if piece.continued or not piece.closed_by_mark:
        return False
    lead_in = text[max(0, piece.start - 1 - 60) : piece.start - 1]  # the opening mark is at start - 1
    if not WORD_BEFORE.search(lead_in) or SPEECH_CONTEXT.intersection(lead_in.lower().split()[-2:]):
        return False
    inner = text[piece.start : piece.end].strip()
    return len(WORD.findall(inner)) <= MENTION_MAX_WORDS and inner[-1:] not in "!?"


def _splits(text: str, previous: _Piece, piece: _Piece, style: QuoteStyle) -> bool:
    """Whether `piece` carries on the utterance of `previous`, the piece before it in the paragraph:
    a quotation split by a speech tag mid-sentence."""
    if style == "dash":
        return True  # a dash paragraph is one speaker's speech; the gaps are tags
    between = text[previous.end : piece.start].strip().strip(QUOTE_GLYPHS + DASHES).strip()
    if not has_word(between) or between[-1] in SENTENCE_END + ":;":
        return False  # two quotations side by side, or the narration ends its sentence first
    ends_sentence = text[previous.end - 1] in SENTENCE_END
    starts_lower = text[piece.start].islower()
    # “Late,” he said, “is a matter of opinion.” / “Why?” she asked, “why now?”
    return not ends_sentence or starts_lower
