"""The cast table, auto-casting that keeps voices apart, unused-character warnings, and voices.yaml merged in place."""
from collections import Counter
from dataclasses import replace
from pathlib import Path

from narrate import pipeline
from narrate.casting.cast import build_casting, unused_characters
from narrate.casting.castfile import cast_table, write_voices
from narrate.casting.config import load_config
from narrate.model import Book, Character, Script, Segment

STORY = """The Quay

The rain had not stopped for three days when Orrin Vale came down to the quay with his collar up.

"You're late," said Petra.

"The road flooded," Orrin said. "Again. The whole valley is a lake."

Petra shook her head. "Then we leave at dawn, whatever the water does."

"Dawn is too early," said Captain Hesk. He folded the chart twice and tucked it into his coat. "We wait for the tide."

"And the cargo?" Orrin asked.

"Stays dry," said Hesk.
"""

USER_FILE = """# Casting for the quay  (my own notes: keep them)
language: en
narrator: {voice: en-us, rate: 165}   # steady

characters:
  Petra:                    # the ferrywoman
    voice: en-gb-x-rp+f4
    pitch: 40
  Marisol: {voice: en+f2}   # from the sequel

# pools for anyone not cast above
defaults:
  male: [en+m1, en+m2]
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def script_of(speakers: list[str], characters: tuple[Character, ...] = (), source: str = "") -> Script:
    """A script whose n-th dialogue segment is spoken by speakers[n], with a line of narration before each."""
    segments = []
    for n, speaker in enumerate(speakers):
        segments.append(Segment(1, len(segments), "narration", "And then:", 0, 0, n))
        segments.append(Segment(1, len(segments), "dialogue", f"Line {n} here.", 0, 0, n, speaker=speaker,
                                utterance=n))
    book = Book(path="made-up.txt", source=source, encoding="utf-8", title="Made up", author=None, chapters=())
    return Script(book=book, segments=tuple(segments), characters=characters)


def test_table_shows_each_speakers_aliases_and_where_the_gender_came_from(tmp_path):
    characters = (Character("Ada", ("Ada Quill", "Miss Quill"), "female", 2, "text pronouns"),
                  Character("Bo", (), "male", 1, "title"), Character("Cy", (), "neutral", 1, ""))
    script = script_of(["Ada", "Bo", "Ada", "Cy"], characters)
    path = write(tmp_path / "voices.yaml", "characters:\n  Bo: {gender: female}\n")
    config = load_config(path)
    rows = {row.speaker: row for row in cast_table(script, config, build_casting(config, characters))}
    assert (rows["Ada"].aliases, rows["Ada"].gender, rows["Ada"].gender_source) == (
        ("Ada Quill", "Miss Quill"), "female", "text pronouns")
    assert (rows["Bo"].gender, rows["Bo"].gender_source) == ("female", "voices.yaml")  # the file's word wins
    assert (rows["Cy"].gender, rows["Cy"].gender_source) == ("neutral", "")


def test_table_counts_lines_and_words_per_speaker_with_narrator_and_unknown_rows(tmp_path):
    config = load_config(None)
    characters = (Character("Ada", gender="female", lines=3), Character("Bo", gender="male", lines=1))
    script = script_of(["Ada", "Bo", "Ada", "unknown", "Ada"], characters)
    casting = build_casting(config, characters)
    rows = cast_table(script, config, casting)
    assert [(r.speaker, r.lines, r.words) for r in rows] == [
        ("narrator", 5, 10), ("Ada", 3, 9), ("Bo", 1, 3), ("unknown", 1, 3)]
    by_name = {r.speaker: r for r in rows}
    assert by_name["Ada"].voice_id == casting.characters["Ada"].voice and by_name["Ada"].source == "auto"
    assert by_name["Ada"].gender == "female" and by_name["narrator"].gender is None
    assert by_name["unknown"].voice_id == casting.unattributed.voice
    assert by_name["narrator"].voice_id == casting.narrator.voice and by_name["narrator"].source == "default"


def test_a_split_quote_is_one_line_of_its_speaker():
    script = script_of(["Ada", "Ada"])
    script = replace(script, segments=tuple(replace(s, utterance=7) if s.kind == "dialogue" else s
                                            for s in script.segments))
    config = load_config(None)
    ada = next(r for r in cast_table(script, config, build_casting(config, [])) if r.speaker == "Ada")
    assert ada.lines == 1 and ada.words == 6


def test_auto_casting_keeps_every_speaker_apart_from_the_narrator_and_each_other(tmp_path):
    config = load_config(write(tmp_path / "voices.yaml", """
narrator: {voice: en+m1}
characters:
  Hal: {voice: en+m2, pitch: 50}
defaults: {male: [en+m1, en+m2, en+m3], female: [en+f1, en+f2], neutral: [en+m5]}
"""))
    found = [Character(f"Man{n}", gender="male", lines=20 - n) for n in range(8)]
    found += [Character(f"Woman{n}", gender="female", lines=10 - n) for n in range(5)]
    found += [Character(f"Someone{n}", lines=1) for n in range(30)]
    casting = build_casting(config, found)
    auto = {c.name: casting.characters[c.name] for c in found}
    everyone = [*casting.characters.values(), casting.narrator, casting.unattributed]
    pairs = Counter((v.voice, v.pitch) for v in everyone)
    assert max(pairs.values()) == 1  # no two speakers share a voice at a pitch
    assert all(v.voice != "en+m1" for v in auto.values())  # the narrator's voice is his alone
    assert all(auto[f"Woman{n}"].voice in ("en+f1", "en+f2") for n in range(5))
    assert all(auto[f"Man{n}"].voice in ("en+m2", "en+m3") for n in range(8))
    # Hal's en+m2 comes back only at other pitches
    assert all(abs(v.pitch - 50) >= 12 for name, v in auto.items() if v.voice == "en+m2")
    assert build_casting(config, list(reversed(found))) == casting  # same book, same voices


def test_a_pitch_from_voices_yaml_is_kept_when_the_voice_is_chosen(tmp_path):
    config = load_config(write(tmp_path / "voices.yaml", """
characters:
  Ona: {gender: female, pitch: 80}
defaults: {female: [en+f1, en+f2]}
"""))
    casting = build_casting(config, [Character("Ada", gender="female", lines=5)])
    assert (casting.characters["Ada"].voice, casting.characters["Ada"].pitch) == ("en+f1", 50)
    assert casting.characters["Ona"].pitch == 80 and casting.characters["Ona"].voice == "en+f2"


def test_characters_the_story_never_names_are_warnings_with_the_line(tmp_path):
    path = write(tmp_path / "voices.yaml", "characters:\n  Ada: {voice: en+f1}\n  Bryn: {aliases: [The Smith]}\n"
                                            "  Cael: {voice: en+m1}\n  Petrra: {voice: en+f2}\n")
    config = load_config(path)
    script = script_of(["Ada", "Petra"], (Character("Ada"), Character("Petra")),
                       source="Ada saw the smith at the forge. Petra waved.")
    warnings = unused_characters(script, config)
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{path}:4: characters.Cael: not found in made-up.txt")
    assert warnings[1].startswith(f"{path}:5: characters.Petrra:") and "Did you mean Petra?" in warnings[1]


def test_an_unnamed_entry_is_never_offered_as_its_own_correction(tmp_path):
    path = write(tmp_path / "voices.yaml", "characters:\n  Mara: {voice: en+f1}\n")
    config = load_config(path)
    script = script_of(["Ada"], (Character("Ada"), Character("Mara")), source="Ada waved.")
    [warning] = unused_characters(script, config)
    assert "characters.Mara: not found" in warning and "Did you mean" not in warning


def test_write_creates_a_file_that_casts_the_same_voices_and_a_second_write_changes_nothing(tmp_path):
    story = write(tmp_path / "quay.txt", STORY)
    config, script = pipeline.load(story)
    casting = build_casting(config, script.characters)
    path = tmp_path / "voices.yaml"
    added = write_voices(path, script, None, casting)
    speakers = {s.speaker for s in script.segments if s.kind == "dialogue"}
    assert set(added) == speakers and len(added) >= 3
    first = path.read_text(encoding="utf-8")
    written = load_config(path)
    again = build_casting(written, script.characters)
    assert {name: again.characters[name] for name in added} == {name: casting.characters[name] for name in added}
    assert all(again.sources[name] == "voices.yaml" for name in added)
    assert write_voices(path, script, written, again) == []
    assert path.read_text(encoding="utf-8") == first


def test_merge_keeps_the_users_entries_order_and_comments_and_adds_the_new_speakers(tmp_path):
    story = write(tmp_path / "quay.txt", STORY)
    path = write(tmp_path / "voices.yaml", USER_FILE)
    config, script = pipeline.load(story)
    casting = build_casting(config, script.characters)
    added = write_voices(path, script, config, casting)
    assert "Petra" not in added and added
    merged = path.read_text(encoding="utf-8")
    lines = merged.splitlines()
    original = USER_FILE.splitlines()
    # the user's lines are all there, in order, and the new ones sit after Marisol, before the pools' comment
    after = original.index("  Marisol: {voice: en+f2}   # from the sequel") + 1
    assert lines[:after] == original[:after]
    new_lines = lines[after:after + len(added)]
    assert [line.split(":")[0].strip() for line in new_lines] == added
    assert lines[after + len(added):] == original[after:]
    assert all("(auto-cast)" in line for line in new_lines)
    recast, script = pipeline.load(story, path)
    assert list(recast.data.characters)[:2] == ["Petra", "Marisol"]
    assert write_voices(path, script, recast, build_casting(recast, script.characters)) == []
    assert path.read_text(encoding="utf-8") == merged


def test_speakers_the_file_names_by_an_alias_are_not_added_again(tmp_path):
    path = write(tmp_path / "voices.yaml", "characters:\n  Petra Sole: {aliases: Petra}\n")
    config = load_config(path)
    script = script_of(["Petra", "Hesk"], (Character("Petra"), Character("Hesk", gender="male")))
    assert write_voices(path, script, config, build_casting(config, script.characters)) == ["Hesk"]
    assert "Hesk: {voice: en+m1, gender: male}" in path.read_text(encoding="utf-8")


def test_two_speakers_named_alike_but_for_case_get_one_entry_and_the_file_loads(tmp_path):
    path = tmp_path / "voices.yaml"
    script = script_of(["Miss Ada", "Miss ADA", "Hesk"],
                       (Character("Miss Ada", gender="female"), Character("Miss ADA", gender="female"),
                        Character("Hesk", gender="male")))
    config = load_config(None)
    added = write_voices(path, script, config, build_casting(config, script.characters))
    assert sorted(name.lower() for name in added) == ["hesk", "miss ada"]
    assert set(load_config(path).data.characters) == set(added)  # voices.yaml's reader takes it


def test_a_file_of_comments_only_keeps_them(tmp_path):
    path = write(tmp_path / "voices.yaml", "# to be filled in\n")
    script = script_of(["Ada"], (Character("Ada", gender="female"),))
    config = load_config(path)
    assert write_voices(path, script, config, build_casting(config, script.characters)) == ["Ada"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# to be filled in\ncharacters:\n  Ada: {voice: en+f1, gender: female}")
    assert load_config(path).data.characters["Ada"].voice == "en+f1"


def test_gone_cast_written_twice_is_stable_and_keeps_a_comment(tmp_path, gone_story):
    story = tmp_path / "gone.txt"
    story.write_bytes(gone_story.read_bytes())
    path = write(tmp_path / "voices.yaml", "# my notes on gone\nnarrator: {voice: en-us}  # keep me\n")
    config, script = pipeline.load(story)  # finds voices.yaml beside the story
    assert "Natasha" in write_voices(path, script, config, build_casting(config, script.characters))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my notes on gone\nnarrator: {voice: en-us}  # keep me\ncharacters:\n")
    config, script = pipeline.load(story)
    assert write_voices(path, script, config, build_casting(config, script.characters)) == []
    assert path.read_text(encoding="utf-8") == text


def test_a_speaker_given_another_pitch_of_a_shared_voice_gets_it_written(tmp_path):
    path = write(tmp_path / "voices.yaml", "defaults: {female: [en+f1]}\n")
    config = load_config(path)
    characters = (Character("Ada", gender="female", lines=2), Character("Bea", gender="female", lines=1))
    script = script_of(["Ada", "Ada", "Bea"], characters)
    assert write_voices(path, script, config, build_casting(config, characters)) == ["Ada", "Bea"]
    written = load_config(path).data.characters
    assert (written["Ada"].voice, written["Ada"].pitch) == ("en+f1", None)
    assert (written["Bea"].voice, written["Bea"].pitch) == ("en+f1", 66)
