"""What every test shares: its own state folder (never the user's cache), the reference story gone.txt, and the
fake engines of fake_engine.py registered under their ids.

State: NARRATE_CACHE_DIR is set here and only here. Every test gets an empty folder of its own (`cache_dir`);
fixtures wider than a test (a module's build) run under one temporary folder for the session; a test that
compares two caches switches with `use_cache`; a narrate subprocess gets its environment from `narrate_env`.
"""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from narrate.state import ENV_VAR  # noqa: E402

GONE = Path(__file__).resolve().parents[2] / "shared" / "stories" / "gone.txt"
SYSTEM_PATH = "/usr/bin:/bin:/usr/local/bin"


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory) -> Path:
    """The state folder of whatever runs outside a test's own (module and session fixtures): temporary too."""
    path = tmp_path_factory.mktemp("session-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, str(path))
        yield path


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch, session_cache) -> Path:
    """This test's state folder (clips, kept scripts, levels, the word list): empty at its start."""
    path = tmp_path / "cache"
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


@pytest.fixture
def use_cache(monkeypatch):
    """use_cache(path): from then on, this test's narrate keeps its state in `path` (to compare two caches)."""
    def use(path: Path) -> Path:
        monkeypatch.setenv(ENV_VAR, str(path))
        return path
    return use


@pytest.fixture(scope="session")
def narrate_env():
    """narrate_env(cache): the environment of a narrate subprocess that keeps its state in `cache`; with
    clean=True nothing else of ours leaks in (the system PATH only)."""
    def env(cache: Path, clean: bool = False) -> dict[str, str]:
        return {**({"PATH": SYSTEM_PATH} if clean else os.environ), ENV_VAR: str(cache)}
    return env


@pytest.fixture(scope="session")
def gone_story() -> Path:
    """../shared/stories/gone.txt, someone else's story: read where it lies, never copied into this repository."""
    if not GONE.is_file():
        pytest.skip(f"the reference story is not beside the repository: {GONE}")
    return GONE


@pytest.fixture
def fake_engines(monkeypatch):
    """The engines of fake_engine.py registered for this test (worker processes fork with them); call the
    value with more engine instances (subclasses a test defines) to register those too."""
    from fake_engine import FakeEngine, TroubleEngine, WarmEngine

    from narrate.engines import base

    def register(*engines):
        for engine in engines:
            monkeypatch.setitem(base._engines, engine.engine_id, engine)

    register(FakeEngine(), TroubleEngine(), WarmEngine())
    return register
