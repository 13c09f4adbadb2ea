"""Two name forms whose speech tags answer each other are two people: `"…," said Mr. Quill.` and, in the next
paragraph, `"…," said Ned.` again and again. A father and his son share "Mr. Quill"; the narration calls the son
"Ned" and "Ned Quill", and without this the son's full name takes the father's title and both their lines
(characters.py joins "Mr. Quill" to the one full name it extends).

Read before the character model is built, from the names of each paragraph's narration that stand next to a
speech verb; the model then keeps a titled surname apart from a full name whose given name answered it.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from narrate.annotate.conversation import ParagraphContext
from narrate.annotate.names import Form
from narrate.annotate.speechverbs import SPEECH_VERBS
from narrate.model import Segment

# How often two forms must tag answering paragraphs before they are two people.
ANSWERS = 2
_WORD_AFTER = re.compile(r"\s+([a-z]+)")
_WORD_BEFORE = re.compile(r"([a-z]+)\s+$")

Found = tuple[int, int, Form, bool]  # (start, end, form, possessive), as names.scan_names gives them


def answering_forms(source: str, segments: Sequence[Segment], paragraphs: Sequence[ParagraphContext],
                    found: dict[int, list[Found]]) -> frozenset[tuple[Form, str]]:
    """(a titled surname form, a given name) that tag paragraphs answering each other ANSWERS times or more:
    ("mr", ("Quill",)) and "Ned" when "said Mr. Quill" and "said Ned" (or "said Ned Quill") take turns."""
    tagged: dict[tuple[int, int], Form] = {}
    for paragraph in paragraphs:
        if not any(segments[pos].kind == "dialogue" for pos in paragraph.positions):
            continue
        for pos in paragraph.positions:
            if segments[pos].kind == "narration" and (form := _tag_form(source, found.get(pos, ()))):
                tagged[paragraph.key] = form
                break
    answers: Counter = Counter()
    for (chapter, number), form in tagged.items():
        other = tagged.get((chapter, number + 1))
        if other is None or other == form:
            continue
        for titled, named in ((form, other), (other, form)):
            if titled[0] and len(titled[1]) == 1 and not named[0] and named[1] != titled[1]:
                answers[titled, named[1][0]] += 1
    return frozenset(pair for pair, times in answers.items() if times >= ANSWERS)


def _tag_form(source: str, found: Sequence[Found]) -> Form | None:
    """The name that a speech verb stands right before or after ("said Ned", "Mr. Quill asked")."""
    for start, end, form, possessive in found:
        after = _WORD_AFTER.match(source, end, min(len(source), end + 20))
        before = _WORD_BEFORE.search(source, max(0, start - 20), start)
        if not possessive and any(m is not None and m.group(1) in SPEECH_VERBS for m in (after, before)):
            return form
    return None
