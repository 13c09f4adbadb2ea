"""The studio's fixes of several quotes at once and of a speaker's gender, rate and pitch, through the API:
written to voices.yaml as the CLI reads it, one step for undo."""
import re
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient
from studio_story import ALL_NIGHT, SMALL_ONES, harbour

from narrate import pipeline
from narrate.studio.app import create_app
from narrate.studio.session import Studio

TOKEN = "test-token"


@pytest.fixture
def story(tmp_path) -> Path:
    return harbour(tmp_path)


@pytest.fixture
def client(story, tmp_path) -> TestClient:
    client = TestClient(create_app(Studio(story), token=TOKEN, out=tmp_path / "out"), base_url="http://127.0.0.1")
    client.headers["X-Studio-Token"] = TOKEN
    return client


def speakers(story: Path) -> dict[int, str]:
    _config, script = pipeline.load(story)
    return {s.index: s.speaker for s in script.segments if s.kind == "dialogue"}


def test_several_quotes_reassigned_at_once_and_undone_as_one(client, story):
    voices = story.parent / "voices.yaml"
    original = voices.read_text()
    assert speakers(story)[ALL_NIGHT] != "Cole" and speakers(story)[SMALL_ONES] != "Cole"
    answer = client.post("/api/segments/speaker", json={"ids": [SMALL_ONES, ALL_NIGHT], "speaker": "Cole"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [s["speaker"] for s in body["segments"]] == ["Cole", "Cole"]
    assert {SMALL_ONES, ALL_NIGHT}.isdisjoint(c["index"] for c in body["changed"])
    found = speakers(story)
    assert found[SMALL_ONES] == "Cole" and found[ALL_NIGHT] == "Cole"  # what `narrate build` reads
    assert len(yaml.safe_load(voices.read_text())["overrides"]) == 2
    assert client.post("/api/undo").status_code == 200
    assert voices.read_text() == original  # one undo for the whole selection


def test_a_selection_with_narration_is_refused_before_anything_is_written(client, story):
    voices = story.parent / "voices.yaml"
    original = voices.read_text()
    narration = next(s["id"] for s in client.get("/api/segments").json()["segments"] if s["kind"] == "narration")
    answer = client.post("/api/segments/speaker", json={"ids": [SMALL_ONES, narration], "speaker": "Cole"})
    assert answer.status_code == 400 and f"segment {narration} is narration, not a quote" in answer.json()["error"]
    assert voices.read_text() == original
    bad = client.post("/api/segments/speaker", json={"ids": "all", "speaker": "Cole"})
    assert bad.status_code == 400 and "ids (a list of segment numbers)" in bad.json()["error"]


def test_gender_rate_and_pitch_are_written_as_the_cli_reads_them(client, story):
    from narrate.casting.cast import build_casting

    ben = next(s["id"] for s in client.get("/api/segments?speaker=Ben").json()["segments"])
    before = client.get(f"/api/segments/{ben}/audio").content
    answer = client.post("/api/speakers/settings", json={"name": "Ben", "rate": 230, "pitch": 20, "gender": "female"})
    assert answer.status_code == 200, answer.text
    row = next(r for r in answer.json()["speakers"] if r["name"] == "Ben")
    assert (row["rate"], row["pitch"], row["gender"]) == (230, 20, "female")
    assert yaml.safe_load((story.parent / "voices.yaml").read_text())["characters"]["Ben"] == {
        "rate": 230, "pitch": 20, "gender": "female"}
    config, script = pipeline.load(story)
    voice = build_casting(config, script.characters).voice_for("Ben")  # what `narrate build` reads
    assert (voice.rate, voice.pitch) == (230, 20)
    assert client.get(f"/api/segments/{ben}/audio").content != before
    client.post("/api/undo")
    assert "Ben" not in (yaml.safe_load((story.parent / "voices.yaml").read_text()).get("characters") or {})


def test_the_narrators_rate_keeps_its_comment_and_bad_settings_are_named(client, story):
    voices = story.parent / "voices.yaml"
    assert client.post("/api/speakers/settings", json={"name": "narrator", "rate": 150}).status_code == 200
    assert re.search(r"^narrator: \{voice: en-us, rate: 150\} +# the narrator stays plain$", voices.read_text(),
                     re.MULTILINE), voices.read_text()
    written = voices.read_text()
    for request, said in [({"name": "Ben", "rate": 20}, "rate 20: write a whole number from 80 to 450"),
                          ({"name": "Ben", "pitch": "high"}, "pitch 'high': write a whole number from 0 to 99"),
                          ({"name": "Ben", "gender": "robot"}, "gender 'robot': choose male, female, neutral"),
                          ({"name": "narrator", "gender": "male"}, "the narrator has no gender to set"),
                          ({"name": "Ben", "volume": 1}, "the cast table sets gender, rate and pitch only"),
                          ({"name": "Zed", "rate": 150}, "'Zed' is not a speaker of this book")]:
        answer = client.post("/api/speakers/settings", json=request)
        assert answer.status_code == 400 and said in answer.json()["error"], (request, answer.text)
    assert voices.read_text() == written


def test_the_voice_picker_offers_every_engines_voices_and_espeaks_variants(client, fake_engines, monkeypatch):
    from narrate.engines import base

    installed = base.engine_ids()
    monkeypatch.setattr(base, "engine_ids", lambda: sorted([*installed, "fake"]))  # as if installed as a plugin
    offered = client.get("/api/voices").json()["voices"]
    assert {"en-us", "en-us+f3", "en-gb-x-rp+m3"} <= set(offered)  # the narrator's engine: plain ids, variants
    assert {"fake:low", "fake:f1"} <= set(offered)  # another engine's, as voices.yaml's engine:voice form
    assert not any(v.startswith("+") or ":+" in v for v in offered)  # a variant alone is no voice


def test_recast_to_another_engines_voice_writes_engine_and_voice(client, story, fake_engines):
    from narrate.casting.cast import build_casting

    answer = client.post("/api/speakers/voice", json={"name": "Ben", "voice": "fake:mid"})
    assert answer.status_code == 200, answer.text
    assert yaml.safe_load((story.parent / "voices.yaml").read_text())["characters"]["Ben"] == {"engine": "fake",
                                                                                                "voice": "mid"}
    config, script = pipeline.load(story)
    voice = build_casting(config, script.characters).voice_for("Ben")
    assert (voice.engine, voice.voice) == ("fake", "mid")
    assert {"name": "Ben", "engine": "fake", "voice": "mid"}.items() <= \
        next(row for row in answer.json()["speakers"] if row["name"] == "Ben").items()
    wrong = client.post("/api/speakers/voice", json={"name": "Ann", "voice": "fake:midd"})
    assert wrong.status_code == 400 and "fake has no such voice. Nearest: mid" in wrong.json()["error"]
