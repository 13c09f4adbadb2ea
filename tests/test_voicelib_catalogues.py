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
