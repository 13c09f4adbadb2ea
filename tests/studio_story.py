"""A short story of our own for the studio's tests: two chapters, four speakers' worth of quotes, a split quote,
turn-taking that a fix re-decodes, and words ("All night") that two quotes share."""
from pathlib import Path

HARBOUR = """The Harbour Clock

Chapter 1

The clock on the harbour wall had stopped at ten past four, and nobody in Wenmouth could say when.

"Where were you last night?" Ann asked, setting down the lamp.

"Out at the quay," said Ben.

"All night?"

"All night. The tide was wrong and the nets were worse."

Ann looked at the clock. "Then you saw who climbed the tower."

"I saw a lantern," Ben said. "Nothing more."

Chapter 2

In the morning Cole came up from the boatyard with tar on his hands.

"Someone has been at the gears," Cole said. "Look at the marks."

"Fingers," said Ann. "Small ones."

"A child, then?"

"Or someone who wants us to think so."

Ben said nothing, and the clock said nothing either.
"""
VOICES = """# the harbour's cast: kept as written by every fix
narrator: {voice: en-us}   # the narrator stays plain
"""
SMALL_ONES = 21  # "Small ones." (Ann's, the second piece of "Fingers," said Ann); given to Ben, the next quote follows
NEXT_AFTER_SMALL_ONES = 23  # "Or someone who wants us to think so."
ALL_NIGHT = 7  # "All night?": its words are also in the next quote, so a fix names it by chapter and paragraph


def harbour(folder: Path, voices: str | None = VOICES) -> Path:
    story = folder / "harbour.txt"
    story.write_text(HARBOUR, encoding="utf-8")
    if voices is not None:
        (folder / "voices.yaml").write_text(voices, encoding="utf-8")
    return story
