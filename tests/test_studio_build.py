"""The studio's Build button through the API: `pipeline.build` as `narrate build` runs it, one at a time, the
page's other requests answered meanwhile, the files the manifest names served (and nothing else), errors in the
CLI's words; one real espeak build whose files play."""
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient
from studio_story import harbour

from narrate.studio.app import create_app
from narrate.studio.session import Studio

TOKEN = "test-token"
LAMP = """The Lamp

Chapter 1

The lamp was lit at dusk, as it always was.

"Is it bright enough?" asked Mira.

Chapter 2

By morning it had gone out, and nobody had seen it go.
"""
SLOW_FAKE = """narrator: {engine: fake, voice: mid, options: {slow: 0.2}}
characters:
  Mira: {engine: fake, voice: high}
"""


def client_for(story: Path, out: Path) -> TestClient:
    client = TestClient(create_app(Studio(story), token=TOKEN, out=out), base_url="http://127.0.0.1")
    client.headers["X-Studio-Token"] = TOKEN
    return client


def lamp(folder: Path, voices: str = SLOW_FAKE) -> Path:
    story = folder / "lamp.txt"
    story.write_text(LAMP, encoding="utf-8")
    (folder / "voices.yaml").write_text(voices, encoding="utf-8")
    return story


def test_build_runs_once_at_a_time_the_page_stays_usable_then_its_files_are_served(tmp_path, fake_engines):
    out = tmp_path / "book"
    client = client_for(lamp(tmp_path), out)
    assert client.get("/api/build").json()["state"] == "idle"
    started = client.post("/api/build")
    assert started.status_code == 202 and started.json()["state"] == "running"
    again = client.post("/api/build")
    assert again.status_code == 409 and "already running" in again.json()["error"]
    assert client.get("/api/segments").status_code == 200  # the page is answered while it builds
    done = client.app.state.builder.wait(120)
    assert done["state"] == "done", done
    names = [f["name"] for f in done["files"]]
    assert names[-1].endswith(".m4b") and sum(name.endswith(".mp3") for name in names) >= 2
    assert set(names) <= {p.name for p in out.iterdir()}
    assert client.get("/api/build").json()["files"] == done["files"]
    m4b = client.get(f"/api/build/files/{names[-1]}")
    assert m4b.status_code == 200 and m4b.headers["content-type"] == "audio/mp4"
    assert m4b.content == (out / names[-1]).read_bytes()
    assert client.get("/api/build/files/manifest.json").status_code == 404  # only the book's files
    for outside in ("..%2Flamp.txt", "..%2F..%2Fvoices.yaml", "%2Fetc%2Fpasswd"):  # nothing out of the folder
        assert client.get(f"/api/build/files/{outside}").status_code == 404
    assert client.get(f"/api/build/files/{names[-1]}", headers={"X-Studio-Token": ""}).status_code == 403

    assert client.post("/api/build").status_code == 202  # nothing changed: current, as `narrate build` says
    current = client.app.state.builder.wait(60)
    assert current["stage"] == "current" and "nothing changed" in current["summary"]
    assert current["files"] == done["files"]
    reopened = client_for(tmp_path / "lamp.txt", out).get("/api/build").json()  # the studio started again
    assert reopened["state"] == "idle" and reopened["files"] == done["files"]


def test_a_build_error_reads_as_the_cli_prints_it(tmp_path, fake_engines, narrate_env, cache_dir):
    story = lamp(tmp_path)
    not_a_folder = tmp_path / "taken"
    not_a_folder.write_text("a file where the book would go")
    client = client_for(story, not_a_folder)
    client.post("/api/build")
    failed = client.app.state.builder.wait(60)
    assert failed["state"] == "failed" and failed["exit_code"] == 2
    cli = subprocess.run([sys.executable, "-m", "narrate", "build", str(story), "-o", str(not_a_folder)],
                         capture_output=True, text=True, env=narrate_env(cache_dir), timeout=120, check=False)
    assert cli.returncode == 2 and cli.stderr.strip() == f"error: {failed['error']}"


def test_a_real_espeak_build_from_the_studio_plays(tmp_path):
    from audio_tools import duration

    out = tmp_path / "out"
    client = client_for(harbour(tmp_path), out)
    client.post("/api/build")
    done = client.app.state.builder.wait(600)
    assert done["state"] == "done", done
    files = [f for f in done["files"] if f["audio"]]
    assert any(f["name"].endswith(".m4b") for f in files) and len(files) >= 3
    for entry in files:
        served = tmp_path / f"served-{entry['name']}"
        served.write_bytes(client.get(f"/api/build/files/{entry['name']}").content)
        assert duration(served) > 0 and duration(served) == duration(out / entry["name"])


def test_closing_the_studio_stops_a_running_build(tmp_path, fake_engines):
    """Ctrl-C on `narrate studio` while the page's build runs: the build unwinds at its next line (its workers
    stopped), rather than dying with the process mid-way."""
    out = tmp_path / "book"
    client = client_for(lamp(tmp_path, SLOW_FAKE.replace("slow: 0.2", "slow: 2")), out)
    client.post("/api/build")
    builder = client.app.state.builder
    while builder.status()["state"] == "running" and builder.status()["stage"] != "synthesize":
        builder.wait(0.05)
    builder.stop()
    stopped = builder.status()
    assert stopped["state"] == "failed" and "stopped" in stopped["error"], stopped
    assert not builder.thread.is_alive() and not (out / "manifest.json").exists()
