"""Fixtures of the voice library's tests (`pytest_plugins = ("voicelib_fixtures",)`): the stand-in server
(tests/voicelib_server.py) as the hub, and hibari's emma made to be the file it serves."""
from __future__ import annotations

import dataclasses

import pytest
from voicelib_server import HIBARI_EMMA, PIPER_ALBA, heart_file, joe_files, start


@pytest.fixture(scope="module")
def server():
    state, httpd = start()
    model, config = joe_files()
    state.serve(PIPER_ALBA + ".onnx", model)
    state.serve(PIPER_ALBA + ".onnx.json", config)
    state.serve(HIBARI_EMMA, heart_file())
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def stand_in(server, monkeypatch):
    """The stand-in server as the hub (HF_ENDPOINT), counts and faults cleared; voices go to this test's cache."""
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.delenv("NARRATE_VOICES_DIR", raising=False)
    with server.lock:
        server.gets.clear()
        server.ranges.clear()
        server.faults.clear()
        server.redirects = False
    return server


@pytest.fixture
def emma_is_heart(monkeypatch):
    """hibari's emma entry as the file the stand-in serves (heart's model): its size and SHA-256."""
    from narrate.state import file_digest
    from narrate.voicelib import catalogues as catalogue

    heart = heart_file()
    real = catalogue._load

    def patched(engine):
        entries = dict(real(engine))
        if engine == "hibari":
            emma = entries["emma"]
            file = dataclasses.replace(emma.files[0], size=heart.stat().st_size, sha256=file_digest(heart))
            entries["emma"] = dataclasses.replace(emma, files=(file,))
        return entries

    monkeypatch.setattr(catalogue, "_load", patched)
    return file_digest(heart)
