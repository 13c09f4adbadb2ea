"""The README's workflow keeps who says what: `narrate cast STORY --write` writes the cast narrate found (names
and genders) beside the story, and running again with it changes no speaker. A written description with a
gender (`her aunt: {voice: en+f2, gender: female}`) must not take over the "she" and "her" of the narration."""
import json

import pytest

from narrate.annotate import annotate
from narrate.casting.config import load_config
from narrate.cli import main
from narrate.ingest.text import load_book
from narrate.model import CastEntry

STORY = """The Visit

Chapter One

Mara Quill came down to breakfast late. Her aunt was already at the table, and Mr. Quill sat reading by the window.

"You are late again," said her aunt.

"I know," Mara said. "The clock in my room has stopped."

"Then wind it," said Mr. Quill, without looking up.

She laughed and took her seat. "You always say that, papa."

"And I am always right," he said.

Her aunt poured the tea. "Will you walk with me to Dunmore after breakfast, Mara?"

"If it does not rain," she answered.

"It will not rain," said her aunt. "It never rains on a Tuesday."

Mr. Quill folded his paper. "That is not true, and you know it."

"It is true enough for me," she said, and smiled at him.

Chapter Two

They walked to Dunmore along the cliff. The wind was high, and Mara held her hat with one hand.

"Do you see the ferry?" asked her aunt.

"I see it," said Mara. "It is late too."

"Everything is late today," her aunt said. "Even the gulls."

Mara laughed. "Gulls are never late. They have nowhere to be."

A man in a blue coat came up the path. "Good morning, ladies," he said. "Is this the way to Dunmore?"

"It is," said Mara. "Straight on, past the church."

"Thank you," said the man, and went on.

"Who was that?" asked her aunt.

"I have no idea," said Mara. "A stranger."

Mara buttoned her coat against the wind and looked at her boots.

The clouds came in low over the water.

"We should go back," she said.
"""


def run(capsys, *args):
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert exited.value.code == 0, err
    return out


def speakers(capsys, story) -> list[tuple[int, str]]:
    quotes = json.loads(run(capsys, "script", story, "--format", "quotes-json"))["quotes"]
    return [(quote["start"], quote["speaker"]) for quote in quotes]


def test_writing_the_found_cast_and_running_again_changes_no_speaker(capsys, tmp_path):
    story = tmp_path / "visit.txt"
    story.write_text(STORY, encoding="utf-8")
    before = speakers(capsys, story)
    assert {"Mara", "her aunt", "Mr. Quill"} <= {speaker for _, speaker in before}
    run(capsys, "cast", story, "--write")
    written = load_config(tmp_path / "voices.yaml").data.characters
    assert written["her aunt"].gender == "female" and written["Mara"].gender == "female"
    assert speakers(capsys, story) == before
    text = (tmp_path / "voices.yaml").read_text(encoding="utf-8")
    run(capsys, "cast", story, "--write")  # a second time adds nobody and changes nothing
    assert (tmp_path / "voices.yaml").read_text(encoding="utf-8") == text
    assert speakers(capsys, story) == before


def test_a_cast_description_with_a_gender_takes_no_pronoun_from_the_text(tmp_path):
    path = tmp_path / "visit.txt"
    path.write_text(STORY, encoding="utf-8")
    book = load_book(path)
    found = annotate(book)
    cast = annotate(book, [CastEntry("her aunt", gender="female")])
    assert [(s.start, s.speaker) for s in cast.segments] == [(s.start, s.speaker) for s in found.segments]
    aunt = next(c for c in cast.characters if c.name == "her aunt")
    assert aunt.aliases == () and aunt.lines == next(c for c in found.characters if c.name == "her aunt").lines


def test_cast_shows_where_each_gender_came_from_and_the_other_names(capsys, tmp_path):
    story = tmp_path / "visit.txt"
    story.write_text(STORY, encoding="utf-8")
    out = run(capsys, "cast", story)
    assert "gender (from)" in out
    mara = next(line for line in out.splitlines() if line.split()[:1] == ["Mara"])
    assert "female (pronouns)" in mara
    assert "Mara is also called: Mara Quill" in out


def test_a_novel_written_back_changes_no_speaker(capsys, tmp_path):
    """The same over a novel (~9,000 words): a house's name, a father and his son of one surname, "the General",
    pet forms, a bride's two names; the cast found is written once and every quote keeps its speaker."""
    import test_novel_characters as novels
    from novel_story import pairs_talking

    people = [novels.FATHER, novels.SON, novels.GENERAL, novels.ADA, novels.NORA, novels.CATHERINE]
    novel = pairs_talking(people, [*novels.FAMILY, *novels.HOUSE, novels.WEDDING], "The Harcourts at Crowmere", seed=11, count=30)
    assert novel.words() > 9000
    story = tmp_path / "novel.txt"
    story.write_text(novel.text, encoding="utf-8")
    before = speakers(capsys, story)
    assert {"Mr. Harcourt", "Henry", "General Orme"} <= {speaker for _, speaker in before}
    run(capsys, "cast", story, "--write")
    assert speakers(capsys, story) == before
