"""Fixes of several quotes at once (a selection on the page): each quote as `Studio.reassign` writes it, so the
fast path for one fix serves a selection too, all checked before any is written, and one step for undo."""
from __future__ import annotations

from narrate.errors import InputError
from narrate.studio.session import Change, Studio, utterance_key


def reassign_all(studio: Studio, indices: list[int], speaker: str) -> list[Change]:
    """Give every quote of `indices` to `speaker`; returns the other quotes that changed with them."""
    chosen = list(dict.fromkeys(indices))
    if not chosen:
        raise InputError("select one quote or more to reassign.")
    with studio.lock:
        for index in chosen:
            kind = studio.segment(index).kind
            if kind != "dialogue":
                raise InputError(f"segment {index} is {kind}, not a quote: only quotes have a speaker to fix.")
        steps = len(studio.undone)
        found: dict[int, Change] = {}
        try:
            for index in chosen:
                for change in studio.reassign(index, speaker):
                    first = found.get(change.index, change)  # its speaker before the first fix, after the last
                    found[change.index] = Change(change.index, change.text, first.before, change.after)
        finally:
            if len(studio.undone) - steps > 1:  # the selection's fixes undone as one
                studio.undone[steps:] = [(studio.undone[steps][0], studio.undone[-1][1])]
        picked = {utterance_key(studio.segment(index)) for index in chosen}
        return [c for c in found.values()
                if c.before != c.after and utterance_key(studio.segment(c.index)) not in picked]
