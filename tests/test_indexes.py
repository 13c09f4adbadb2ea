"""One numbering everywhere (issue 17, item 15): segments and paragraphs count from 1 in the JSON script, the text
script, `--review`, `preview --lines`, `overrides:` and the manifest's timing; what is no paragraph has none."""
import json
import re

from test_cli_feedback import TALK, run_out, story


def test_json_numbers_are_the_ones_the_text_script_review_and_overrides_use(capsys, tmp_path):
    path = story(tmp_path, TALK)
    _, out, _ = run_out(capsys, "script", path, "--format", "json")
    segments = json.loads(out)["segments"]
    assert [s["index"] for s in segments] == list(range(1, len(segments) + 1))
    heading = segments[0]
    assert heading["kind"] == "skipped" and heading["paragraph"] is None
    assert segments[1]["paragraph"] == 1  # the first paragraph of the chapter

    _, text, _ = run_out(capsys, "script", path)
    numbered = {int(m[1]): m[2] for m in re.finditer(r"^ *(\d+) +\S.*?: (.*?)(?:  \[.*)?$", text, re.MULTILINE)}
    assert all(numbered[s["index"]] == s["text"] for s in segments)

    quote = next(s for s in segments if s["text"] == "Not before dark.")
    _, review, _ = run_out(capsys, "script", path, "--review", "--all")
    assert f"chapter {quote['chapter']} paragraph {quote['paragraph']} (segment {quote['index']})" in review

    voices = story(tmp_path, f"overrides:\n  - {{chapter: {quote['chapter']}, paragraph: {quote['paragraph']}, "
                             f"speaker: Wren}}\n", "voices.yaml")
    _, out, _ = run_out(capsys, "script", path, "--format", "json", "--voices", voices)
    fixed = [(s["text"], s["speaker"]) for s in json.loads(out)["segments"] if s["evidence"] == "override"]
    assert fixed == [("Not before dark.", "Wren")]  # (turn-taking may give Wren the next turn but one too)


def test_the_manifest_timing_numbers_segments_as_the_script_does(capsys, tmp_path, fake_engines):
    voices = story(tmp_path, "narrator: {engine: fake, voice: mid}\n", "voices.yaml")
    path = story(tmp_path, TALK)
    code, _, err = run_out(capsys, "build", path, "--voices", voices, "-o", tmp_path / "out", "--format", "mp3")
    assert code == 0, err
    chapter = next(c for c in json.loads((tmp_path / "out" / "manifest.json").read_text())["chapters"]
                   if c["number"] == 1)
    _, out, _ = run_out(capsys, "script", path, "--format", "json", "--voices", voices)
    spoken = [s["index"] for s in json.loads(out)["segments"] if s["kind"] != "skipped"]
    assert [row[0] for row in chapter["timing"]] == [None, *spoken]  # the title first: no segment of the script
