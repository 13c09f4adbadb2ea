"""narrate studio's API through Starlette's in-process client: the page, the guard, reading the script, fixing
who speaks (voices.yaml written as the CLI reads it), merging speakers; and the command's start and Ctrl-C."""
import multiprocessing
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient
from studio_story import ALL_NIGHT, NEXT_AFTER_SMALL_ONES, SMALL_ONES, harbour

from narrate import pipeline
from narrate.studio.app import create_app
from narrate.studio.session import Studio, colour

TOKEN = "test-token"


def client_for(story: Path, voices: Path | None = None) -> TestClient:
    client = TestClient(create_app(Studio(story, voices), token=TOKEN), base_url="http://127.0.0.1")
    client.headers["X-Studio-Token"] = TOKEN
    return client


@pytest.fixture
def story(tmp_path) -> Path:
    return harbour(tmp_path)


@pytest.fixture
def client(story) -> TestClient:
    return client_for(story)


def speakers(story: Path) -> dict[int, str]:
    """Who speaks each quote when the CLI's own loading reads the story and its voices.yaml."""
    _config, script = pipeline.load(story)
    return {s.index: s.speaker for s in script.segments if s.kind == "dialogue"}


def test_page_and_book(client):
    page = client.get("/")
    assert page.status_code == 200 and "The Harbour Clock" in page.text and TOKEN in page.text
    assert client.get("/static/studio.js").status_code == 200
    book = client.get("/api/book").json()
    assert [c["index"] for c in book["chapters"]] == [1, 2]
    colours = {row["name"]: row["colour"] for row in book["speakers"]}
    assert {"Ann", "Ben", "Cole", "narrator"} <= set(colours)
    assert len({colours["Ann"], colours["Ben"], colours["Cole"]}) == 3


def test_token_and_host_are_required(story):
    client = TestClient(create_app(Studio(story), token=TOKEN), base_url="http://127.0.0.1")
    assert client.get("/api/book").status_code == 403
    assert client.get("/", headers={"X-Studio-Token": "wrong"}).status_code == 403
    assert client.get(f"/api/book?token={TOKEN}").status_code == 200
    rebound = TestClient(client.app, base_url="http://attacker.example")  # a DNS rebinding's Host
    assert rebound.get(f"/api/book?token={TOKEN}").status_code == 400


def test_segments_paged_and_filtered(client):
    everything = client.get("/api/segments").json()
    assert everything["total"] == 25
    first, second = (client.get(f"/api/segments?offset={o}&limit=10").json()["segments"] for o in (0, 10))
    assert [s["id"] for s in first + second] == list(range(20))
    ann = client.get("/api/segments?speaker=Ann").json()["segments"]
    assert ann and {s["speaker"] for s in ann} == {"Ann"}
    assert {s["chapter"] for s in client.get("/api/segments?chapter=2").json()["segments"]} == {2}
    unsure = client.get("/api/segments?below=0.8").json()["segments"]
    assert unsure and all(s["kind"] == "dialogue" and s["confidence"] < 0.8 for s in unsure)
    marked = [s["low"] for s in everything["segments"]]  # marked for review: quotes under LOW_CONFIDENCE only
    assert marked == [s["kind"] == "dialogue" and s["confidence"] < 0.5 for s in everything["segments"]]
    assert [s["text"] for s in client.get("/api/segments?q=THE%20TIDE").json()["segments"]] == [
        "All night. The tide was wrong and the nets were worse."]


def test_bad_requests_answer_with_a_readable_error(client):
    answer = client.get("/api/segments?below=most")
    assert answer.status_code == 400 and "write a confidence between 0 and 1" in answer.json()["error"]
    answer = client.post("/api/segments/2/speaker", json={"speaker": "Ben"})  # narration
    assert answer.status_code == 400 and "not a quote" in answer.json()["error"]
    answer = client.post("/api/segments/999/speaker", json={"speaker": "Ben"})
    assert answer.status_code == 400 and "has segments 0-24" in answer.json()["error"]
    assert "needs speaker" in client.post("/api/segments/3/speaker", json={}).json()["error"]


def test_reassign_writes_an_override_the_cli_reads_and_reports_what_followed(client, story):
    voices = story.parent / "voices.yaml"
    before = speakers(story)
    answer = client.post(f"/api/segments/{SMALL_ONES}/speaker", json={"speaker": "Ben"}).json()
    text = voices.read_text(encoding="utf-8")
    assert text.startswith("# the harbour's cast: kept as written by every fix\n")
    assert "# the narrator stays plain" in text
    assert yaml.safe_load(text)["overrides"] == [{"quote": "Small ones.", "speaker": "Ben"}]
    after = speakers(story)  # the CLI's loading of the same files gives the studio's book
    assert after[SMALL_ONES] == "Ben" and answer["segment"]["speaker"] == "Ben"
    changed = {c["index"]: (c["before"], c["after"]) for c in answer["changed"]}
    assert changed == {i: (before[i], after[i]) for i in after if before[i] != after[i]
                       and i not in (SMALL_ONES, SMALL_ONES - 2)}  # the quote itself and its first piece
    assert changed[NEXT_AFTER_SMALL_ONES] == ("Ann", "Ben")  # the conversation decoded again around the fix
    assert all(c["colour"] == colour(c["after"]) for c in answer["changed"])  # shown in their new speaker's colour
    cast = {row["name"]: row["lines"] for row in client.get("/api/speakers").json()["speakers"]}
    assert cast["Ben"] == sum(1 for speaker in after.values() if speaker == "Ben")  # the cast the page asks next


def test_reassign_names_a_shared_quote_by_its_paragraph_and_again_updates_the_entry(client, story):
    voices = story.parent / "voices.yaml"
    client.post(f"/api/segments/{ALL_NIGHT}/speaker", json={"speaker": "Cole"})
    assert yaml.safe_load(voices.read_text())["overrides"] == [{"chapter": 1, "paragraph": 4, "speaker": "Cole"}]
    found = speakers(story)
    assert found[ALL_NIGHT] == "Cole" and found[ALL_NIGHT + 1] != "Cole"  # only the one quote
    client.post(f"/api/segments/{ALL_NIGHT}/speaker", json={"speaker": "Ann"})
    assert yaml.safe_load(voices.read_text())["overrides"] == [{"chapter": 1, "paragraph": 4, "speaker": "Ann"}]


def test_a_fix_without_voices_yaml_creates_it_beside_the_story(tmp_path):
    story = harbour(tmp_path, voices=None)
    client_for(story).post(f"/api/segments/{SMALL_ONES}/speaker", json={"speaker": "Ben"})
    assert yaml.safe_load((tmp_path / "voices.yaml").read_text())["overrides"][0]["speaker"] == "Ben"


def test_voices_yaml_edited_meanwhile_is_read_not_overwritten(client, story):
    voices = story.parent / "voices.yaml"
    voices.write_text(voices.read_text() + "overrides:\n  - {quote: A child, speaker: Ben}  # by hand\n")
    assert next(s for s in client.get("/api/segments?q=a%20child").json()["segments"])["speaker"] == "Ben"
    client.post(f"/api/segments/{SMALL_ONES}/speaker", json={"speaker": "Cole"})
    text = voices.read_text()
    assert "# by hand" in text and len(yaml.safe_load(text)["overrides"]) == 2


def test_a_broken_voices_yaml_is_named_not_written_over(client, story):
    voices = story.parent / "voices.yaml"
    voices.write_text("narrator: [unclosed\n")
    answer = client.post(f"/api/segments/{SMALL_ONES}/speaker", json={"speaker": "Ben"})
    assert answer.status_code == 400 and f"{voices}:" in answer.json()["error"]
    assert voices.read_text() == "narrator: [unclosed\n"


def test_merge_makes_one_speaker_an_alias_and_moves_its_fixes(client, story):
    voices = story.parent / "voices.yaml"
    client.post(f"/api/segments/{ALL_NIGHT}/speaker", json={"speaker": "Cole"})
    answer = client.post("/api/speakers/merge", json={"alias": "Cole", "into": "Ben"}).json()
    data = yaml.safe_load(voices.read_text())
    assert data["characters"]["Ben"]["aliases"] == ["Cole"]
    assert data["overrides"] == [{"chapter": 1, "paragraph": 4, "speaker": "Ben"}]
    assert "Cole" not in speakers(story).values()
    assert {c["after"] for c in answer["changed"]} == {"Ben"} and answer["changed"]
    assert "Cole" not in {row["name"] for row in answer["speakers"]}
    refused = client.post("/api/speakers/merge", json={"alias": "Zed", "into": "Ben"})
    assert refused.status_code == 400 and "not a speaker of this book" in refused.json()["error"]


def test_segment_audio_is_the_real_voice_through_the_clip_cache(tmp_path, story):
    """espeak through the preview's renderer: a WAV as long as the quote's line, the same as `narrate preview`."""
    from audio_tools import duration, probe

    from narrate.pipeline.preview import preview_story

    answer = client_for(story).get(f"/api/segments/{SMALL_ONES}/audio")
    assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
    heard = tmp_path / "heard.wav"
    heard.write_bytes(answer.content)
    stream = probe(heard)["streams"][0]
    assert stream["codec_name"] == "pcm_s16le" and int(stream["channels"]) == 1
    assert duration(heard) > 0.3
    expected = preview_story(story, tmp_path / "cli.wav", lines=str(SMALL_ONES + 1))
    assert duration(heard) == pytest.approx(expected.seconds, abs=0.01)


def _synthesis_workers() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.name == "narrate-synth"}


def test_uncached_lines_are_spoken_by_the_one_worker_the_studio_started(story):
    """No worker to start per line (~0.5 s): the studio's own, started with it, speaks every uncached line, and
    stops with it."""
    from narrate.state import ClipCache

    before = _synthesis_workers()
    studio = Studio(story)
    warm = _synthesis_workers() - before
    assert len(warm) == 1  # started with the studio, before any line is asked for
    for index in (SMALL_ONES, NEXT_AFTER_SMALL_ONES, ALL_NIGHT):
        path, keys = studio.audio(index)
        assert path.stat().st_size > 1000 and all(ClipCache().path_for(key).is_file() for key in keys)
        path.unlink()
        assert _synthesis_workers() - before == warm  # the same process, still there
    studio.close()
    assert _synthesis_workers() - before == set()


def test_the_command_prints_its_url_serves_and_stops_on_ctrl_c(story, narrate_env, cache_dir):
    process = subprocess.Popen([sys.executable, "-m", "narrate", "studio", str(story), "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=narrate_env(cache_dir))
    try:
        url = re.search(r"http://\S+", process.stdout.readline())[0]
        assert url.startswith("http://127.0.0.1:") and "token=" in url
        base = url.split("/?")[0]
        with urllib.request.urlopen(url.replace("/?", "/api/book?"), timeout=30) as reply:
            assert reply.status == 200
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(f"{base}/api/book", timeout=30)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
    finally:
        process.kill()
        process.wait()


def test_another_host_only_when_asked_and_with_a_warning(story, narrate_env, cache_dir):
    process = subprocess.Popen([sys.executable, "-m", "narrate", "studio", str(story), "--no-browser",
                                "--host", "127.0.0.2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=narrate_env(cache_dir))
    try:
        url = re.search(r"http://\S+", process.stdout.readline())[0]
        assert url.startswith("http://127.0.0.2:")
        with urllib.request.urlopen(url.replace("/?", "/api/book?"), timeout=30) as reply:
            assert reply.status == 200  # its own address is a Host it answers
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        assert "--host 127.0.0.2: anyone who can reach this address" in process.stderr.read()
    finally:
        process.kill()
        process.wait()


def test_a_port_in_use_is_a_clear_error(story, narrate_env, cache_dir):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "narrate", "studio", str(story), "--no-browser", "--port",
                                 str(port)], check=False, capture_output=True, text=True, env=narrate_env(cache_dir),
                                timeout=60)
    assert result.returncode == 2 and f"--port {port}: cannot listen" in result.stderr, result.stderr


def test_rename_keeps_the_old_name_as_an_alias(client, story):
    voices = story.parent / "voices.yaml"
    client.post(f"/api/segments/{SMALL_ONES}/speaker", json={"speaker": "Ben"})
    answer = client.post("/api/speakers/rename", json={"name": "Ben", "to": "Benjamin"})
    assert answer.status_code == 200, answer.text
    data = yaml.safe_load(voices.read_text())
    assert data["characters"]["Benjamin"]["aliases"] == ["Ben"]
    assert data["overrides"] == [{"quote": "Small ones.", "speaker": "Benjamin"}]
    found = speakers(story)
    assert "Ben" not in found.values() and found[SMALL_ONES] == "Benjamin"
    assert {c["before"] for c in answer.json()["changed"]} == {"Ben"}
    taken = client.post("/api/speakers/rename", json={"name": "Benjamin", "to": "Ann"})
    assert taken.status_code == 400 and "merge Benjamin into Ann instead" in taken.json()["error"]


def test_undo_and_redo_put_voices_yaml_back_and_refuse_over_a_hand_edit(client, story):
    voices = story.parent / "voices.yaml"
    original = voices.read_text()
    client.post(f"/api/segments/{SMALL_ONES}/speaker", json={"speaker": "Ben"})
    fixed = voices.read_text()
    client.post("/api/speakers/merge", json={"alias": "Cole", "into": "Ben"})
    client.post("/api/undo")
    assert voices.read_text() == fixed and "Cole" in speakers(story).values()
    answer = client.post("/api/undo").json()
    assert voices.read_text() == original and speakers(story)[SMALL_ONES] == "Ann"
    assert {c["index"]: c["after"] for c in answer["changed"]}[SMALL_ONES] == "Ann"
    assert "nothing to undo" in client.post("/api/undo").json()["error"]
    client.post("/api/redo")
    assert voices.read_text() == fixed
    voices.write_text(fixed + "# a note by hand\n")
    refused = client.post("/api/undo")
    assert refused.status_code == 400 and "changed outside the studio" in refused.json()["error"]
    assert voices.read_text().endswith("# a note by hand\n")


def test_undoing_the_fix_that_made_voices_yaml_removes_it(tmp_path):
    story = harbour(tmp_path, voices=None)
    client = client_for(story)
    client.post(f"/api/segments/{SMALL_ONES}/speaker", json={"speaker": "Ben"})
    client.post("/api/undo")
    assert not (tmp_path / "voices.yaml").exists()


def test_recast_writes_the_voice_and_the_quote_sounds_of_it(client, story):
    from narrate.casting.cast import build_casting

    ben = next(s["id"] for s in client.get("/api/segments?speaker=Ben").json()["segments"])
    before = client.get(f"/api/segments/{ben}/audio").content
    assert "en-gb-x-rp" in client.get("/api/voices").json()["voices"]
    answer = client.post("/api/speakers/voice", json={"name": "Ben", "voice": "en-gb-x-rp+m3"})
    assert answer.status_code == 200, answer.text
    assert yaml.safe_load((story.parent / "voices.yaml").read_text())["characters"]["Ben"]["voice"] == "en-gb-x-rp+m3"
    config, script = pipeline.load(story)
    assert build_casting(config, script.characters).voice_for("Ben").voice == "en-gb-x-rp+m3"  # what build uses
    assert client.get(f"/api/segments/{ben}/audio").content != before
    wrong = client.post("/api/speakers/voice", json={"name": "Ben", "voice": "en-gb-x-rq"})
    assert wrong.status_code == 400 and "Nearest: en-gb-x-rp" in wrong.json()["error"]


def test_split_an_alias_off_into_its_own_character(client, story):
    client.post("/api/speakers/merge", json={"alias": "Cole", "into": "Ben"})
    assert "Cole" not in speakers(story).values()
    answer = client.post("/api/speakers/split", json={"name": "Ben", "alias": "Cole"})
    assert answer.status_code == 200, answer.text
    characters = yaml.safe_load((story.parent / "voices.yaml").read_text())["characters"]
    assert "aliases" not in (characters["Ben"] or {}) and "Cole" in characters
    assert "Cole" in speakers(story).values()
    assert {c["after"] for c in answer.json()["changed"]} == {"Cole"}
    refused = client.post("/api/speakers/split", json={"name": "Ben", "alias": "Ann"})
    assert refused.status_code == 400 and "is not another name of Ben" in refused.json()["error"]


def test_recast_the_narrator_keeps_its_line_and_comment(client, story):
    assert client.post("/api/speakers/voice", json={"name": "narrator", "voice": "en-gb-x-rp"}).status_code == 200
    text = (story.parent / "voices.yaml").read_text()
    assert re.search(r"^narrator: \{voice: en-gb-x-rp\} +# the narrator stays plain$", text, re.MULTILINE), text
