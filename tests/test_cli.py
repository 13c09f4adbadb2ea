"""The command line: exit codes, messages without tracebacks, stdout only for results, common options."""
import json
import re

import pytest
from cli_tools import run_out as run
from cli_tools import write_story as story

from narrate import __version__

SHORT = "The Visit\n\nMara opened the door. \u201cYou came,\u201d she said.\n\n\u201cOf course,\u201d said Tomas.\n"


@pytest.mark.parametrize("args", [["--version"], ["build", "--version"], ["script", "--version"], ["voices", "--version"]])
def test_version_everywhere(capsys, args):
    code, out, _ = run(capsys, *args)
    assert code == 0 and __version__ in out


def test_missing_story_is_a_clear_error(capsys, tmp_path):
    code, out, err = run(capsys, "script", tmp_path / "nope.txt")
    assert code == 2 and out == ""
    assert "nope.txt" in err and "Traceback" not in err


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\x00\x01\x02\xff" * 200])
def test_empty_or_binary_story(capsys, tmp_path, content):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, _, err = run(capsys, "build", path, "-o", tmp_path / "out")
    assert code == 2 and "bad.txt" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_bad_voices_file_names_line_and_key(capsys, tmp_path):
    voices = story(tmp_path, "narrator:\n  voice: en-us\n  rate: quick\n", "voices.yaml")
    code, _, err = run(capsys, "build", story(tmp_path, SHORT), "--voices", voices, "-o", tmp_path / "out")
    assert code == 2
    assert f"{voices}:3: narrator.rate" in err and "between 80 and 450" in err
    assert not (tmp_path / "out").exists()


def test_unknown_voice_id_lists_nearest(capsys, tmp_path):
    voices = story(tmp_path, "characters:\n  Mara:\n    voice: en-us+f33\n", "voices.yaml")
    code, _, err = run(capsys, "build", story(tmp_path, SHORT), "--voices", voices, "-o", tmp_path / "out")
    assert code == 2 and ":3: characters.Mara.voice" in err and "en-us+f3" in err


@pytest.mark.parametrize("option", [["--chapters", "3-4"], ["--chapters", "two"], ["--speed", "9"]])
def test_bad_options(capsys, tmp_path, option):
    code, _, err = run(capsys, "build", story(tmp_path, SHORT), "-o", tmp_path / "out", *option)
    assert code == 2 and "Traceback" not in err and option[0] in err


def test_debug_shows_the_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "script", tmp_path / "nope.txt", "--debug")
    assert code == 2 and "Traceback" in err


def test_script_formats(capsys, tmp_path):
    path = story(tmp_path, SHORT)
    code, out, _ = run(capsys, "script", path, "--format", "quotes-json")
    quotes = json.loads(out)["quotes"]
    source = path.read_text(encoding="utf-8")
    assert [(source[q["start"]:q["end"]], q["speaker"]) for q in quotes] == [("You came,", "Mara"), ("Of course,", "Tomas")]
    code, out, _ = run(capsys, "script", path, "--format", "json")
    script = json.loads(out)
    assert script["book"]["title"] == "The Visit"
    assert {"chapter", "index", "kind", "speaker", "text", "start", "end", "paragraph", "evidence",
            "confidence"} <= set(script["segments"][0])
    code, out, _ = run(capsys, "script", path, "--format", "yaml")
    assert code == 0 and "segments:" in out
    code, out, _ = run(capsys, "script", path)
    assert code == 0 and "Tomas: Of course," in out


def test_warnings_go_to_stderr_and_quiet_silences_them(capsys, tmp_path):
    path = story(tmp_path, "Story\n\nShe said, \u201cthis never closes.\n\nThe end came.\n")
    code, out, err = run(capsys, "script", path, "--format", "quotes-json")
    assert code == 0 and json.loads(out)["quotes"]
    assert "warning:" in err and f"{path}:3" in err
    code, out, err = run(capsys, "script", path, "--format", "quotes-json", "-q")
    assert code == 0 and err == ""


def test_voices_lists_ids_language_gender(capsys):
    code, out, _ = run(capsys, "voices", "--lang", "en")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    ids = {row[0] for row in rows if row}
    assert {"en-us", "en-gb-x-rp", "+f3", "+m3"} <= ids and "fr-fr" not in ids
    assert any(row[:3] == ["en-us", "en-us", "male"] for row in rows), out[:500]


def test_cache_info_and_clear(capsys, tmp_path, cache_dir):
    path = story(tmp_path, SHORT)
    code, _, _ = run(capsys, "build", path, "-o", tmp_path / "out", "--format", "mp3", "-q")
    assert code == 0
    code, out, _ = run(capsys, "cache", "info")
    clips = int(re.search(r": (\d+) clips", out)[1])
    assert code == 0 and clips >= 3 and str(cache_dir) in out
    code, out, _ = run(capsys, "cache", "clear")
    assert out.strip() == f"removed {clips} clips"
    code, out, _ = run(capsys, "cache", "info")
    assert ": 0 clips" in out and "clips; built" not in out  # no book holds anything now


def test_cast_table_and_write_twice_keeps_the_users_comment(capsys, tmp_path):
    path = story(tmp_path, SHORT)
    voices = tmp_path / "voices.yaml"
    voices.write_text("# my casting notes\nnarrator: {voice: en-us}  # keep me\n", encoding="utf-8")
    code, out, err = run(capsys, "cast", path, "--write")
    assert code == 0 and "Mara" in out and "Tomas" in out and "added" in err
    first = voices.read_text(encoding="utf-8")
    assert "# my casting notes" in first and "# keep me" in first and "Mara:" in first and "Tomas:" in first
    code, _, err = run(capsys, "cast", path, "--write")
    assert code == 0 and "already casts everyone" in err
    assert voices.read_text(encoding="utf-8") == first


def test_voice_auditions_are_written(capsys, tmp_path):
    code, out, _ = run(capsys, "voices", "--sample", "--cast", story(tmp_path, SHORT), "--out", tmp_path / "aud")
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "aud").iterdir()) == ["Mara.mp3", "Tomas.mp3", "narrator.mp3"]


def test_unknown_words_lists_names(capsys, tmp_path):
    code, out, _ = run(capsys, "script", story(tmp_path, SHORT), "--unknown-words")
    assert code == 0 and "Tomas" in out


def test_cast_write_creates_a_named_voices_file(capsys, tmp_path):
    target = tmp_path / "new" / "cast.yaml"
    code, _, err = run(capsys, "cast", story(tmp_path, SHORT), "--voices", target, "--write")
    assert code == 0 and "added Mara, Tomas" in err
    assert "Mara:" in target.read_text(encoding="utf-8")


def test_engines_lists_each_with_its_state(capsys):
    code, out, _ = run(capsys, "engines")
    assert code == 0
    for engine in ("espeak", "piper", "hibari"):
        assert re.search(rf"^ {engine} .*(installed|pip install)", out, re.MULTILINE), out


def test_missing_engine_names_its_install_command(capsys, tmp_path, monkeypatch):
    from narrate.engines import base
    from narrate.engines.hibari import HibariEngine

    monkeypatch.setattr(HibariEngine, "available", lambda self: False)
    monkeypatch.delitem(base._engines, "hibari", raising=False)
    voices = story(tmp_path, "narrator: {engine: hibari, voice: heart}\n", "voices.yaml")
    code, _, err = run(capsys, "build", story(tmp_path, SHORT), "--voices", voices, "-o", tmp_path / "out")
    assert code == 3 and "pip install 'narrate[hibari]'" in err


def test_options_of_one_run_do_not_reach_the_next(capsys, tmp_path):
    """-q and --debug belong to one command line (click's context), not to the process."""
    path = story(tmp_path, "“Hello,” said Wren.\n")
    code, _, err = run(capsys, "script", path, "--voices", tmp_path / "missing.yaml", "-q", "--debug")
    assert code == 2 and "Traceback" in err
    code, _, err = run(capsys, "script", path, "--voices", tmp_path / "missing.yaml")
    assert code == 2 and "Traceback" not in err and err.startswith("error: ")
