"""Pinning: fixed speakers for some quotes, the rest of the conversation decoded again around them (choose.py);
`narrate script --pin`, voices.yaml `overrides:` and `--review` by the decoder's confidence."""
from __future__ import annotations

import json

import pytest

from narrate.annotate import annotate
from narrate.annotate.overrides import Override
from narrate.cli import main
from narrate.ingest import load_book

# Two people, no tag: who opens is a guess, and everything after follows from it.
FIRE = 'By the fire sat Hester and Ivo.\n\n"Is it late?"\n\n"Nearly."\n\n"Then we sleep."\n\n"Not yet."\n\n"Why not?"\n'


@pytest.fixture
def fire(tmp_path):
    path = tmp_path / "fire.txt"
    path.write_text(FIRE, encoding="utf-8")
    return path


def dialogue(script):
    return [s for s in script.segments if s.kind == "dialogue"]


def run(capsys, *args):
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def test_untagged_turns_alternate_and_one_pin_turns_the_whole_chain(fire):
    book = load_book(fire)
    before = [s.speaker for s in dialogue(annotate(book))]
    assert set(before) == {"Hester", "Ivo"} and all(a != b for a, b in zip(before, before[1:]))
    first = dialogue(annotate(book))[0]
    other = "Hester" if first.speaker == "Ivo" else "Ivo"
    pinned = annotate(book, pins=(Override(speaker=other, start=first.start, end=first.end),))
    after = dialogue(pinned)
    assert [s.speaker for s in after] == [other if s == first.speaker else first.speaker for s in before]
    assert after[0].evidence == "override" and after[0].confidence == 1.0
    assert all("after-pin" in s.evidence for s in after[1:])
    note = next(w for w in pinned.warnings if "pin(s)" in w)
    assert "4 other quote(s) changed" in note and "'Nearly.'" in note


def test_a_pin_naming_someone_the_book_does_not_name_is_a_speaker_of_its_own(fire):
    book = load_book(fire)
    last = dialogue(annotate(book))[-1]
    script = annotate(book, pins=(Override(speaker="The Innkeeper", start=last.start, end=last.end),))
    assert dialogue(script)[-1].speaker == "The Innkeeper"
    assert any(c.name == "The Innkeeper" and c.lines >= 1 for c in script.characters)


def test_a_pin_to_unknown_leaves_the_quote_unattributed(fire):
    book = load_book(fire)
    first = dialogue(annotate(book))[0]
    script = annotate(book, pins=(Override(speaker="unknown", start=first.start, end=first.end),))
    assert dialogue(script)[0].speaker == "unknown"


def test_script_pin_takes_the_scorers_shape_and_says_what_else_changed(capsys, fire, tmp_path):
    code, out, _ = run(capsys, "script", fire, "--format", "quotes-json")
    quotes = json.loads(out)["quotes"]
    other = "Hester" if quotes[0]["speaker"] == "Ivo" else "Ivo"
    pins = tmp_path / "pins.json"
    pins.write_text(json.dumps({"quotes": [{**quotes[0], "speaker": other}]}), encoding="utf-8")
    code, out, err = run(capsys, "script", fire, "--format", "quotes-json", "--pin", pins)
    assert code == 0
    after = json.loads(out)["quotes"]
    assert after[0]["speaker"] == other and after[1]["speaker"] == quotes[0]["speaker"]
    assert "other quote(s) changed speaker" in err


@pytest.mark.parametrize("content", ['{"quotes": [{"start": 5, "speaker": "Ivo"}]}', "not json", '{"lines": []}'])
def test_a_bad_pin_file_is_a_configuration_error_naming_the_shape(capsys, fire, tmp_path, content):
    pins = tmp_path / "pins.json"
    pins.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "script", fire, "--pin", pins)
    assert code == 2 and "quotes" in err and "Traceback" not in err


def test_an_override_in_voices_yaml_is_decoded_around_too(capsys, fire, tmp_path):
    code, out, _ = run(capsys, "script", fire, "--format", "quotes-json")
    quotes = json.loads(out)["quotes"]
    other = "Hester" if quotes[0]["speaker"] == "Ivo" else "Ivo"
    (tmp_path / "voices.yaml").write_text(f'overrides:\n  - {{quote: "Is it late", speaker: {other}}}\n',
                                          encoding="utf-8")
    code, out, _ = run(capsys, "script", fire, "--format", "quotes-json")
    after = json.loads(out)["quotes"]
    assert after[0]["speaker"] == other and after[2]["speaker"] == other and after[1]["speaker"] != other


def test_review_lists_the_least_confident_first(capsys, fire):
    code, out, _ = run(capsys, "script", fire, "--review")
    confidences = [float(line.split()[0]) for line in out.splitlines() if line[:1].isdigit()]
    assert code == 0 and confidences == sorted(confidences) and len(confidences) == 5


def test_a_pin_turns_the_untagged_quotes_around_it_but_a_quote_whose_tag_names_its_speaker_stands(tmp_path):
    text = ('Marguerite and Teodor waited on the pier.\n\n"The boat is late," said Teodor.\n\n"Is it?"\n\n'
            '"An hour at least."\n\n"Then we walk."\n')
    path = tmp_path / "pier.txt"
    path.write_text(text, encoding="utf-8")
    book = load_book(path)
    quotes = dialogue(annotate(book))
    assert quotes[0].speaker == "Teodor"
    second = quotes[1]
    wrong = "Teodor" if second.speaker == "Marguerite" else "Marguerite"
    after = dialogue(annotate(book, pins=(Override(speaker=wrong, start=second.start, end=second.end),)))
    assert after[0].speaker == "Teodor"  # the tag names him: the pin next to it does not move him
    assert after[1].speaker == wrong and after[2].speaker != wrong and after[3].speaker == wrong


def _story(tmp_path, text):
    path = tmp_path / "story.txt"
    path.write_text(text, encoding="utf-8")
    return load_book(path)


# Two scenes a chapter apart: the same old man by his description each time, and once a passing voice.
LIGHTHOUSE = ('Corin Vale and Maud rowed out to the rock.\n\n"Mind the weed," said the old man.\n\n'
              '"I always do," said Maud.\n\n"Shout if you see the seal," cried a voice from the shore.\n\n'
              'They climbed the steps in silence, and the lamp-room was cold. Maud lit the stove and unpacked '
              'the bread and the tea, and for a long while nobody said anything at all while the wind rose.\n\n'
              '"The glass is falling," said the old man.\n\n"Then we stay the night," said Maud.\n\n'
              '"Bring the lamp," cried a voice from below.\n')


def test_pinning_a_quote_tagged_with_a_description_names_the_description_in_its_other_quotes(tmp_path):
    book = _story(tmp_path, LIGHTHOUSE)
    quotes = dialogue(annotate(book))
    assert [q.speaker for q in quotes] == ["the old man", "Maud", "a voice", "the old man", "Maud", "a voice"]
    first = quotes[0]
    script = annotate(book, pins=(Override(speaker="Corin Vale", start=first.start, end=first.end),))
    after = dialogue(script)
    assert after[3].speaker == "Corin Vale" and "after-pin" in after[3].evidence  # "the old man" is Corin Vale
    assert [q.speaker for q in after][1:3] + [after[4].speaker, after[5].speaker] == ["Maud", "a voice", "Maud",
                                                                                        "a voice"]
    voice = annotate(book, pins=(Override(speaker="Corin Vale", start=quotes[2].start, end=quotes[2].end),))
    assert dialogue(voice)[5].speaker == "a voice"  # a passing voice is not one person: the pin names its quote only
