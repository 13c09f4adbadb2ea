"""A woman's married name: "Miss Dane was married to Mr. Crofton in the spring", and from then on the book calls
her "Mrs. Crofton". The character model (characters.py) joins a short form only to a full name it extends, so
without this the bride is two characters, two voices, either side of her wedding.

Read from the narration: a sentence that names "Miss X" and "Mr. Y" (or "Mrs. Y") with a word of marrying
between or around them ("married", "wedded", "became Mrs."), when the book never wrote "Mrs. Y" before that sentence
(else "Mrs. Y" is someone already there: the bridegroom's mother).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from narrate.annotate.names import Form
from narrate.model import Segment

MARRYING = re.compile(r"\b(?:marri\w*|marry|wed|wedded|weds|bride|becomes? Mrs|became Mrs)\b", re.IGNORECASE)
# The two names are this close (characters) in one sentence, and the word of marrying this close around them.
REACH = 120
AROUND = 40
# A sentence ends between them: a full stop that is not a title's ("Mr.").
SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)[.!?]\s")

Found = tuple[int, int, Form, bool]  # (start, end, form, possessive), as names.scan_names gives them


def married_names(source: str, segments: Sequence[Segment], names: dict[int, list[Found]]) -> list[tuple[Form, Form]]:
    """(the married name "Mrs. Y", the maiden name "Miss X") for each wedding the narration tells; `names` holds
    the names found in each segment (by its index in `segments`), quotes too."""
    first_written: dict[Form, int] = {}
    for found in names.values():
        for start, _, form, _ in found:
            first_written[form] = min(first_written.get(form, start), start)
    pairs: dict[Form, Form] = {}
    for found in (found for pos, found in names.items() if segments[pos].kind == "narration"):
        for k, (start, end, form, _) in enumerate(found):
            for other_start, other_end, other, _ in found[k + 1:]:
                if other_start - end > REACH:
                    break
                between = source[end: other_start]
                around = source[max(0, start - AROUND): other_end + AROUND]
                if SENTENCE_END.search(between) or not MARRYING.search(around):
                    continue
                bride, groom = _bride_and_groom(form, other)
                if bride is None or groom is None:
                    continue
                married = ("mrs", groom[1])
                if first_written.get(married, start) >= start and married in first_written:
                    pairs.setdefault(married, bride)
    return list(pairs.items())


def _bride_and_groom(one: Form, other: Form) -> tuple[Form | None, Form | None]:
    """"Miss X" and "Mr. Y" (or "Mrs. Y"), in either order, of one-word surnames that differ."""
    for bride, groom in ((one, other), (other, one)):
        if bride[0] == "miss" and groom[0] in ("mr", "mrs") and len(groom[1]) == 1 and groom[1] != bride[1][-1:]:
            return bride, groom
    return None, None
