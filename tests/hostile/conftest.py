"""Hostile inputs (issue 16): each test keeps narrate's state in a folder of its own, never the user's cache."""
import pytest


@pytest.fixture(autouse=True)
def own_state_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"
