"""The studio's fixes of several quotes at once and of a speaker's gender, rate and pitch, through the API:
written to voices.yaml as the CLI reads it, one step for undo."""
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
