"""The voice library's store against a stand-in host (tests/voicelib_server.py): the real download code, the
real files of voices that ship in wheels under other voices' names. Downloads whole or not at all, checked,
resumed, shared by concurrent first users, and kept out of the cache's reach."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from voicelib_server import HIBARI_EMMA, PIPER_ALBA, Fault, joe_files

from narrate import cache_limit, state, voicelib
from narrate.errors import EngineError, FolderError
from narrate.voicelib import download

pytest_plugins = ("voicelib_fixtures",)  # its fixtures: server, stand_in, emma_is_heart
ALBA = "en_GB-alba-medium"


def alba_files(root: Path) -> tuple[Path, Path]:
    return root / "piper" / f"{ALBA}.onnx", root / "piper" / f"{ALBA}.onnx.json"


def test_the_voices_folder_is_in_the_cache_folder_unless_narrate_voices_dir_says_where(cache_dir, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.delenv("NARRATE_VOICES_DIR", raising=False)
    assert voicelib.voices_root() == cache_dir / "voices"
    monkeypatch.setenv("NARRATE_VOICES_DIR", str(tmp_path / "mine"))
    assert voicelib.voices_root() == tmp_path / "mine"


def test_a_download_lands_in_the_engines_folder_with_a_record_of_what_was_first_used(stand_in, cache_dir):
    assert voicelib.status("piper", ALBA) == "not downloaded"
    seen = []
    local = voicelib.ensure("piper", ALBA, on_progress=seen.append)
    model, config = alba_files(cache_dir / "voices")
    assert local.paths == (model, config)
    assert model.read_bytes() == joe_files()[0].read_bytes() and config.read_bytes() == joe_files()[1].read_bytes()
    # piper publishes no SHA-256 narrate could ship: the first use records size and digest, the listing says so
    record = json.loads((cache_dir / "voices" / ".records" / "piper" / f"{ALBA}.onnx.json").read_text())
    assert (record["size"], record["sha256"]) == (model.stat().st_size, state.file_digest(model))
    assert record["source"] == stand_in.url + PIPER_ALBA + ".onnx"
    assert voicelib.status("piper", ALBA) == "unverified"
    assert sorted(p.name for p in (cache_dir / "voices" / "piper").iterdir() if not p.name.endswith(".lock")) == \
        [f"{ALBA}.onnx", f"{ALBA}.onnx.json"]  # no .part left
    # progress: every file reported from 0 to its whole size, in order
    totals = {p.file: p.total for p in seen}
    assert totals == {model.name: model.stat().st_size, config.name: config.stat().st_size}
    assert [p.done for p in seen if p.file == model.name][-1] == model.stat().st_size
    assert all(p.what == "piper:en_GB-alba-medium" for p in seen)
    # used again: found, not fetched
    assert voicelib.ensure("piper", ALBA).sha256 == local.sha256
    assert stand_in.gets[PIPER_ALBA + ".onnx"] == 1


def test_a_file_changed_after_its_first_use_is_refused(stand_in, cache_dir):
    voicelib.ensure("piper", ALBA)
    model, _ = alba_files(cache_dir / "voices")
    data = bytearray(model.read_bytes())
    data[1000] ^= 0x01
    model.write_bytes(bytes(data))
    with pytest.raises(voicelib.VoiceFileChanged, match=rf"piper:{ALBA}: .*{ALBA}.onnx has changed since narrate "
                                                        r"first used it .*delete that record.*narrate voices --download"):
        voicelib.ensure("piper", ALBA)


def test_a_corrupted_byte_fails_the_checksum_and_nothing_is_kept(stand_in, emma_is_heart, cache_dir):
    stand_in.faults[HIBARI_EMMA] = Fault(corrupt_at=4096)
    with pytest.raises(voicelib.DownloadError, match=rf"hibari:emma: {stand_in.url}{HIBARI_EMMA} gave a file whose "
                                                     r"SHA-256 is .*not the catalogue's .*nothing was kept"):
        voicelib.ensure("hibari", "emma")
    folder = cache_dir / "voices" / "hibari"
    assert not (folder / "bf_emma.int8.onnx").exists() and not (folder / "bf_emma.int8.onnx.part").exists()
    del stand_in.faults[HIBARI_EMMA]
    assert voicelib.ensure("hibari", "emma").sha256 == emma_is_heart
    assert voicelib.status("hibari", "emma") == "downloaded"


def test_a_download_cut_off_midway_is_resumed_from_where_it_stopped(stand_in, emma_is_heart, cache_dir):
    stand_in.faults[HIBARI_EMMA] = Fault(cut_after=3_000_000)
    local = voicelib.ensure("hibari", "emma")
    assert state.file_digest(local.path) == emma_is_heart
    assert stand_in.gets[HIBARI_EMMA] == 2 and stand_in.ranges == ["bytes=3000000-"]


def test_a_download_redirected_to_another_host_is_resumed_there(stand_in, emma_is_heart, cache_dir):
    stand_in.redirects = True  # the hub sends every file to its CDN; the Range header must follow
    stand_in.faults[HIBARI_EMMA] = Fault(cut_after=1_500_000)
    local = voicelib.ensure("hibari", "emma")
    assert state.file_digest(local.path) == emma_is_heart
    assert stand_in.gets["/cdn" + HIBARI_EMMA] == 2 and stand_in.ranges[-1] == "bytes=1500000-"


def test_a_file_the_host_does_not_have_is_named_with_the_fix(stand_in, cache_dir):
    del stand_in.files[PIPER_ALBA + ".onnx.json"]
    try:
        with pytest.raises(voicelib.DownloadError, match=rf"piper:{ALBA}: {stand_in.url}{PIPER_ALBA}.onnx.json: the "
                                                         r"server answered 404 .*update narrate.*place it at"):
            voicelib.ensure("piper", ALBA)
    finally:
        stand_in.serve(PIPER_ALBA + ".onnx.json", joe_files()[1])


def test_a_voices_folder_that_cannot_be_written_is_named(stand_in, tmp_path, monkeypatch):
    blocked = tmp_path / "voices"
    blocked.write_text("a file, not a folder")
    monkeypatch.setenv("NARRATE_VOICES_DIR", str(blocked))
    with pytest.raises(FolderError, match=rf"{blocked}/piper: cannot keep piper:{ALBA} there .*NARRATE_VOICES_DIR"):
        voicelib.ensure("piper", ALBA)


def test_a_host_that_does_not_resume_sends_the_whole_file_again(stand_in, emma_is_heart, cache_dir):
    stand_in.faults[HIBARI_EMMA] = Fault(cut_after=3_000_000, no_ranges=True)
    local = voicelib.ensure("hibari", "emma")
    assert state.file_digest(local.path) == emma_is_heart and stand_in.gets[HIBARI_EMMA] == 2


def test_a_half_file_left_by_a_killed_download_is_never_used_and_is_finished_later(stand_in, emma_is_heart,
                                                                                  cache_dir):
    folder = cache_dir / "voices" / "hibari"
    folder.mkdir(parents=True)
    (folder / "bf_emma.int8.onnx.part").write_bytes(heart_prefix(2_000_000))
    assert voicelib.status("hibari", "emma") == "not downloaded"
    local = voicelib.ensure("hibari", "emma")
    assert state.file_digest(local.path) == emma_is_heart and stand_in.ranges == ["bytes=2000000-"]


def heart_prefix(size: int) -> bytes:
    from voicelib_server import heart_file

    with open(heart_file(), "rb") as file:
        return file.read(size)


def test_offline_the_error_names_the_voice_the_url_and_where_to_put_the_file(stand_in, cache_dir, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # connection refused
    with pytest.raises(voicelib.DownloadError) as raised:
        voicelib.ensure("piper", ALBA)
    message = str(raised.value)
    assert f"piper:{ALBA}: cannot download http://127.0.0.1:9{PIPER_ALBA}.onnx (" in message
    assert "Connection refused" in message
    assert f"run `narrate voices --download piper:{ALBA}`" in message
    assert f"place it at {alba_files(cache_dir / 'voices')[0]}" in message
    assert isinstance(raised.value, EngineError) and raised.value.exit_code == 3


def test_a_voice_placed_by_hand_is_used_without_a_download(stand_in, tmp_path, monkeypatch):
    mine = tmp_path / "my-voices"  # a folder of piper voices as piper's own downloader leaves them: flat
    mine.mkdir()
    for source in joe_files():
        (mine / source.name.replace("en_US-joe-medium", ALBA)).write_bytes(source.read_bytes())
    monkeypatch.setenv("NARRATE_VOICES_DIR", str(mine))
    assert voicelib.is_downloaded("piper", ALBA)
    assert voicelib.ensure("piper", ALBA).path == mine / f"{ALBA}.onnx"
    assert sum(stand_in.gets.values()) == 0


ENSURE = "from narrate import voicelib; print(voicelib.ensure('piper', 'en_GB-alba-medium').sha256)"


def test_two_processes_using_a_voice_first_at_once_download_it_once(stand_in, cache_dir):
    stand_in.faults[PIPER_ALBA + ".onnx"] = Fault(pause=0.02)  # ~1.3 s: the second starts while the first fetches
    env = {**os.environ, "HF_ENDPOINT": stand_in.url, "NARRATE_CACHE_DIR": str(cache_dir)}
    children = [subprocess.Popen([sys.executable, "-c", ENSURE], env=env, stdout=subprocess.PIPE, text=True)
                for _ in range(2)]
    digests = [child.communicate(timeout=120)[0].strip() for child in children]
    assert [child.returncode for child in children] == [0, 0]
    assert digests[0] == digests[1] != ""
    assert stand_in.gets[PIPER_ALBA + ".onnx"] == 1 and stand_in.gets[PIPER_ALBA + ".onnx.json"] == 1


def test_the_cache_cap_and_cache_clear_leave_the_voices_alone(stand_in, cache_dir):
    voicelib.ensure("piper", ALBA)
    before = sorted(p.relative_to(cache_dir) for p in (cache_dir / "voices").rglob("*"))
    older_clip = cache_dir / "v3" / "clips" / "ab" / ("ab" + "0" * 62 + ".flac")  # what the cap takes first
    older_clip.parent.mkdir(parents=True)
    older_clip.write_bytes(bytes(1000))
    assert cache_limit.trim(0, cache_dir).entries == 1  # a cap of nothing: everything it may evict goes
    assert not older_clip.exists()
    older_clip.write_bytes(bytes(1000))
    state.clear_cache(cache_dir)
    assert not older_clip.exists()
    assert sorted(p.relative_to(cache_dir) for p in (cache_dir / "voices").rglob("*")) == before


def test_fetch_is_there_for_any_url(stand_in, tmp_path):
    url = stand_in.serve("/releases/model-files/tiny.bin", joe_files()[1])
    done = voicelib.fetch(url, tmp_path / "tiny.bin", sha256=state.file_digest(joe_files()[1]),
                          size=joe_files()[1].stat().st_size)
    assert done.downloaded and done.path.read_bytes() == joe_files()[1].read_bytes()
    assert not voicelib.fetch(url, tmp_path / "tiny.bin").downloaded  # there already
    with pytest.raises(download.DownloadError, match=r"gave \d+ bytes, but the catalogue says 12"):
        voicelib.fetch(url, tmp_path / "other.bin", size=12)


def test_unknown_names_and_bad_speakers_are_refused_with_the_fix():
    with pytest.raises(EngineError, match=r"no piper voice 'en_GB-alba-mediun' in narrate's catalogue; nearest: "
                                          r"en_GB-alba-medium"):
        voicelib.ensure("piper", "en_GB-alba-mediun")
    with pytest.raises(EngineError, match=r"the speaker after '#' must be a whole number"):
        voicelib.split_speaker("en_US-libritts_r-medium#one")
