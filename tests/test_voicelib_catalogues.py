"""The catalogues narrate ships (narrate/voicelib/data/): what tools/voice_catalogues.py writes (no drift), hibari's
as its wheel publishes it, and every entry complete: a source for each file, a checksum or a size to expect,
genders only with their source."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from narrate import voicelib

pytest_plugins = ("voicelib_fixtures",)
REPO = Path(__file__).resolve().parents[1]
GENDERS = {"female", "male", "mixed", "unknown"}


def generator():
    spec = importlib.util.spec_from_file_location("voice_catalogues", REPO / "tools" / "voice_catalogues.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shipped(engine: str) -> dict:
    return json.loads((REPO / "narrate" / "voicelib" / "data" / f"{engine}.json").read_text(encoding="utf-8"))


def test_piper_catalogue_is_what_the_script_writes_offline():
    assert generator().piper_catalogue(online=False) == shipped("piper")


def test_hibari_catalogue_is_what_the_script_reads_from_hibaris_wheel():
    pytest.importorskip("hibari")
    from hibari.voices import VOICES

    assert generator().hibari_catalogue() == shipped("hibari")
    for entry in voicelib.catalogue("hibari"):
        (file,) = entry.files
        assert (file.size, file.sha256) == (VOICES[entry.name]["bytes"], VOICES[entry.name]["sha256"])
        assert entry.bundled == bool(VOICES[entry.name].get("bundled"))


@pytest.mark.parametrize("engine", ["piper", "hibari"])
def test_every_entry_is_complete(engine, monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    entries = voicelib.catalogue(engine)
    assert entries and len({e.name for e in entries}) == len(entries)
    for entry in entries:
        assert entry.gender in GENDERS and re.fullmatch(r"[a-z]{2}-[A-Z]{2}", entry.language), entry
        assert entry.gender in ("unknown", "mixed") or entry.gender_source, entry.name  # a gender names its source
        assert not entry.speaker_genders or entry.speaker_genders_source, entry.name
        assert (entry.speakers > 1) == (entry.gender == "mixed"), entry.name
        for file in entry.files:
            assert file.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", file.sha256)
            assert file.size or file.approx_size
            if not entry.bundled:
                assert file.source().startswith("https://huggingface.co/") and file.source().endswith(file.path)


def test_piper_files_follow_the_voice_repositorys_layout(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://mirror.example:8080/")
    alba = voicelib.entry("piper", "en_GB-alba-medium")
    assert [f.source() for f in alba.files] == [
        "http://mirror.example:8080/rhasspy/piper-voices/resolve/main/en/en_GB/alba/medium/en_GB-alba-medium.onnx",
        "http://mirror.example:8080/rhasspy/piper-voices/resolve/main/en/en_GB/alba/medium/en_GB-alba-medium.onnx.json"]
    assert not alba.verified  # piper publishes no SHA-256 narrate could ship: trusted on first use
    assert voicelib.entry("piper", "en_US-libritts_r-medium").speakers == 904


def test_online_the_script_takes_piper_sizes_and_hashes_from_the_hub(stand_in, tmp_path, monkeypatch):
    """The online path against the stand-in host: the repository's voices.json and the hub's tree listing (each
    LFS file's SHA-256), as published, for one voice."""
    from voicelib_server import joe_files

    from narrate.state import file_digest

    model, config = joe_files()
    folder = "en/en_GB/alba/medium"
    published = {"en_GB-alba-medium": {"num_speakers": 1, "files": {
        f"{folder}/en_GB-alba-medium.onnx": {"size_bytes": model.stat().st_size, "md5_digest": "not used"},
        f"{folder}/en_GB-alba-medium.onnx.json": {"size_bytes": config.stat().st_size}}},
        "de_DE-thorsten-low": {"num_speakers": 1, "files": {}}}  # not English: not in narrate's catalogue
    listing = [{"type": "file", "path": f"{folder}/en_GB-alba-medium.onnx",
                "lfs": {"oid": file_digest(model), "size": model.stat().st_size}},
               {"type": "file", "path": f"{folder}/en_GB-alba-medium.onnx.json", "oid": "a git blob id"}]
    for name, body in [("voices.json", published), ("tree.json", listing)]:
        (tmp_path / name).write_text(json.dumps(body), encoding="utf-8")
    stand_in.serve("/rhasspy/piper-voices/resolve/main/voices.json", tmp_path / "voices.json")
    stand_in.serve(f"/api/models/rhasspy/piper-voices/tree/main/{folder}", tmp_path / "tree.json")
    monkeypatch.setenv("HF_ENDPOINT", stand_in.url)
    written = generator().piper_catalogue(online=True)
    [alba] = written["voices"]
    assert alba["name"] == "en_GB-alba-medium" and alba["gender"] == "female"
    assert [(f["size"], f["sha256"]) for f in alba["files"]] == [
        (model.stat().st_size, file_digest(model)), (config.stat().st_size, None)]  # the config: trusted on first use
    assert written["source"].startswith("rhasspy/piper-voices voices.json")
