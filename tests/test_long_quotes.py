"""Long quotations (issue 17, item 3): a letter inside quote marks is said as sentence-sized clips in its
writer's voice, a sentence pause apart, each cue one sentence (or part of one) of that one speaker; the script
keeps the letter as one segment, and the manifest one timing row for it."""
from __future__ import annotations

import pytest

from narrate.audio import layout, subtitles
from narrate.casting.cast import build_casting, lines_for
from narrate.casting.config import Pauses, load_config
from narrate.casting.sentences import MAX_CLIP_CHARS, clip_texts, cut, sentences
from narrate.model import Character, Clip, Segment

# Written for this test: a letter of 26 sentences, one of them far longer than a clip holds.
SENTENCES = [
    "My dear Tomas, I write from the harbour inn, where the rain has kept me three days.",
    "The ferry has not sailed since Monday.",
    "Mr. Quill, the harbour master, says the fog will lift by Sunday, but he said the same last week.",
    ("I walked out along the sea wall this morning, past the rope sheds and the chandler's, past the old "
     "customs house with its broken clock, past the boats drawn up on the shingle with their names half "
     "washed away, and all the way to the lighthouse, where the keeper's wife gave me tea and told me, at "
     "great length and with many digressions about her sister in the north, that no ship had come in."),
] + [f"On the {day} day I counted the gulls again, and there were {n} of them on the roof." for day, n in
     zip(["fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth"],
         ["seven", "nine", "twelve", "four", "six", "eleven", "three", "ten", "five"])] + [
    "Tell Mara I have not forgotten the book she lent me.",
    "Tell her too that the lamp she gave me has been the only light in this room.",
    "The innkeeper's dog sleeps by my door.",
    "I think he pities me.",
    "Yesterday a man came in from the marsh road and said the bridge was down.",
    "Nobody believed him, and then the carter came and said the same.",
    "So I am here until the water falls.",
    "Write to me, if the post still runs.",
    "Burn this letter when you have read it; I would not have the whole town know how low I am.",
    "Give my love to everyone at the mill.",
    "Kiss the children for me.",
    "Your loving brother, Bram.",
]
LETTER = " ".join(SENTENCES)
LONGEST = SENTENCES[3]


def test_a_long_segment_is_cut_into_its_sentences():
    pieces = clip_texts(LETTER)
    assert " ".join(pieces) == LETTER  # every word, once, in order
    assert all(len(piece) <= MAX_CLIP_CHARS for piece in pieces)
    assert len(pieces) > len(SENTENCES)  # each sentence its own clip, the longest one cut at its clauses
    assert pieces[:3] == SENTENCES[:3]  # "Mr. Quill" does not end a sentence
    assert " ".join(pieces[3:pieces.index(SENTENCES[4])]) == LONGEST


def test_a_segment_that_fits_stays_one_clip():
    text = "He read it twice. Then he folded it and put it away."
    assert clip_texts(text) == [text]
    assert clip_texts("x" * (MAX_CLIP_CHARS + 1)) == ["x" * (MAX_CLIP_CHARS + 1)]  # one word cannot be cut


def test_sentences_and_cuts():
    assert sentences("  One.  Two?\n“Three!” she said. Mr. Quill left. ") == [
        "One.", "Two?", "“Three!” she said.", "Mr. Quill left."]
    assert sentences("") == []
    assert cut("a, b, c", 100) == ["a, b, c"]
    parts = cut(LONGEST, 80)
    assert " ".join(parts) == LONGEST and all(len(part) <= 80 for part in parts)


@pytest.fixture
def casting(tmp_path):
    path = tmp_path / "voices.yaml"
    path.write_text("narrator: {voice: en-us}\ncharacters:\n  Bram: {voice: en+m3}\n", encoding="utf-8")
    return build_casting(load_config(path), [Character("Bram", gender="male", lines=1)])


def test_the_letter_is_said_in_its_writers_voice_a_line_per_sentence(casting):
    letter = Segment(1, 4, "dialogue", LETTER, 100, 100 + len(LETTER), 2, speaker="Bram", utterance=3)
    short = Segment(1, 5, "narration", "He put the letter down.", 2000, 2023, 3)
    lines = lines_for([letter, short], casting)
    said = [line for line in lines if line.segment.index == 4]
    assert len(said) == len(clip_texts(LETTER)) and lines[-1].segment == short
    assert {line.voice.voice for line in said} == {"en+m3"}
    assert {(line.segment.speaker, line.segment.kind, line.segment.paragraph, line.segment.utterance)
            for line in said} == {("Bram", "dialogue", 2, 3)}
    assert " ".join(line.segment.text for line in said) == LETTER
    assert all(len(line.segment.text) <= MAX_CLIP_CHARS for line in said)
    assert len({line.key for line in said}) == len(said)
    assert said[2].text_to_speak.startswith("Mister Quill")  # each piece made speakable on its own
    whole = lines_for([letter], casting, whole=True)  # a chapter title or the credits: always one clip
    assert len(whole) == 1 and whole[0].segment == letter


def test_the_plan_puts_a_sentence_pause_between_the_pieces_and_the_manifest_keeps_one_row(casting, tmp_path):
    from audio_tools import tone_wav

    wav = str(tone_wav(tmp_path / "t.wav", 0.5))
    letter = Segment(1, 0, "dialogue", LETTER, 0, len(LETTER), 0, speaker="Bram")
    after = Segment(1, 1, "narration", "He put the letter down.", len(LETTER) + 2, len(LETTER) + 25, 1)
    lines = lines_for([letter, after], casting)
    clips = [Clip(line=line, path=wav, frames=11025, sample_rate=22050) for line in lines]
    pauses = Pauses()
    plan = layout.chapter_plan(None, [letter, after], layout.by_segment(clips), pauses)
    placed = [piece for piece in plan if isinstance(piece, Clip)]
    assert placed == clips
    between = [plan[plan.index(a) + 1] for a in placed[:len(lines) - 2]]  # the pauses inside the letter
    assert all(not isinstance(p, Clip) and p == pytest.approx(pauses.sentence, abs=0.05) for p in between)
    times = subtitles.segment_times(plan)
    assert [row[0] for row in times] == [1, 2]  # the letter is one segment of the script, one row
    cues = subtitles.cues_from_plan(plan)
    assert cues[0].start == pytest.approx(times[0][1], abs=0.001)
    assert cues[-1].end == pytest.approx(times[1][2], abs=0.001)
    assert {cue.speaker for cue in cues[:-1]} == {"Bram"} and cues[-1].speaker == subtitles.NARRATOR_VOICE
    assert " ".join(cue.text for cue in cues[:-1]) == LETTER


def test_cue_text_reads_entities_and_leaves_markup_out():
    assert subtitles.cue_texts("If 5 &lt; 6, _then_ go.") == ["If 5 < 6, then go."]
