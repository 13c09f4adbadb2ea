"""The engine registry: built-ins, third-party engines found through real entry points, and its errors.

Third-party engines are installed for a test by writing a distribution's metadata (dist-info with an
entry_points.txt) and its module into a temporary directory on sys.path, as pip would.
"""
from __future__ import annotations

import sys

import pytest

from narrate.engines import ENTRY_POINT_GROUP, Engine, base, engine_ids, get_engine
from narrate.engines.espeak import EspeakEngine
from narrate.errors import EngineError
from narrate.model import Voice, VoiceInfo

PLUGIN_MODULE = '''
import wave

from narrate.engines import Engine
from narrate.model import VoiceInfo


class BeepEngine(Engine):
    engine_id = "beep"
    install_hint = "sudo apt-get install beep-synth"
    usable = True

    def available(self):
        return self.usable

    def voices(self):
        return [VoiceInfo("beep-low", "Low", "en", "male"), VoiceInfo("beep-high", "High", "en", "female")]

    def synthesize(self, text, voice, out_path):
        with wave.open(out_path, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\\0\\0" * len(text))


class Unusable(BeepEngine):
    usable = False


class NotAnEngine:
    pass
'''


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    monkeypatch.setattr(base, "_engines", {})


def install_plugin(
    directory, monkeypatch, distribution: str, entry_points: dict[str, str], source: str = PLUGIN_MODULE
) -> None:
    """Make `distribution` 1.0 installed: module <distribution>_engines plus the given entry points."""
    module = f"{distribution.replace('-', '_')}_engines"
    (directory / f"{module}.py").write_text(source)
    info = directory / f"{distribution.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n")
    (info / "top_level.txt").write_text(module + "\n")
    lines = "\n".join(f"{name} = {module}:{target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}\n")
    monkeypatch.syspath_prepend(str(directory))
    monkeypatch.delitem(sys.modules, module, raising=False)  # import this test's copy


def test_espeak_is_built_in():
    assert "espeak" in engine_ids()
    assert isinstance(get_engine("espeak"), EspeakEngine)


def test_get_engine_returns_one_instance_per_id():
    assert get_engine("espeak") is get_engine("espeak")


def test_unknown_engine_names_the_installed_ones_and_how_to_add_one():
    with pytest.raises(EngineError) as raised:
        get_engine("festival")
    message = str(raised.value)
    assert "unknown speech engine 'festival'" in message
    assert f"installed engines: {', '.join(engine_ids())}." in message and "espeak" in engine_ids()
    assert "pip install" in message and ENTRY_POINT_GROUP in message
    assert "did you mean" not in message


def test_unknown_engine_suggests_a_near_miss():
    with pytest.raises(EngineError, match="did you mean 'espeak'"):
        get_engine("espek")


def test_third_party_engine_is_found_through_its_entry_point(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "narrate-beep", {"beep": "BeepEngine"})
    assert {"beep", "espeak"} <= set(engine_ids())
    engine = get_engine("beep")
    assert type(engine).__name__ == "BeepEngine" and engine is get_engine("beep")
    assert engine.version() == "narrate-beep 1.0"  # the default: the distribution that ships the class
    out = tmp_path / "beep.wav"
    engine.synthesize("hello", Voice(engine="beep", voice="beep-low"), str(out))
    assert out.stat().st_size > 44


def test_unavailable_engine_names_the_install_command_and_is_not_cached(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "narrate-beep", {"beep": "Unusable"})
    with pytest.raises(EngineError, match="speech engine 'beep' is not available: sudo apt-get install beep-synth"):
        get_engine("beep")
    assert "beep" not in base._engines


def test_plugin_that_fails_to_import_says_what_to_reinstall(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "narrate-broken", {"broken": "BeepEngine"}, "import no_such_module_here\n")
    with pytest.raises(EngineError, match=r"'broken'.*failed to load: No module named 'no_such_module_here'.*"
                                          r"pip install --force-reinstall narrate-broken"):
        get_engine("broken")


def test_entry_point_to_something_that_is_not_an_engine_is_refused(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "narrate-odd", {"odd": "NotAnEngine"})
    with pytest.raises(EngineError, match=r"'odd'.*NotAnEngine \(from narrate-odd\) is not a narrate.engines.Engine"):
        get_engine("odd")


def test_one_id_from_two_packages_is_an_error_naming_both(tmp_path, monkeypatch):
    for directory, distribution in (("a", "narrate-one"), ("b", "narrate-two")):
        (tmp_path / directory).mkdir()
        install_plugin(tmp_path / directory, monkeypatch, distribution, {"beep": "BeepEngine"})
    with pytest.raises(EngineError, match=r"'beep' is registered by several packages \(narrate-one, narrate-two\)"):
        get_engine("beep")


def test_a_plugin_cannot_take_over_a_built_in_id(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "narrate-impostor", {"espeak": "BeepEngine"})
    assert isinstance(get_engine("espeak"), EspeakEngine)


class Listed(Engine):
    engine_id = "listed"
    install_hint = "nothing to install"

    def voices(self):
        return [VoiceInfo("alto", "Alto", "en", "female"), VoiceInfo("bass", "Bass", "en", "male")]

    def synthesize(self, text, voice, out_path):
        raise NotImplementedError  # these tests never synthesize


class Unlisted(Listed):
    def voices(self):
        return []


def test_default_suggest_voices_checks_the_listed_ids():
    assert Listed().suggest_voices("alto") is None
    assert Listed().suggest_voices("alt") == ["alto"]
    assert Listed().suggest_voices("zzzzzz") == []


def test_an_engine_that_lists_no_voices_accepts_any_id():
    assert Unlisted().suggest_voices("anything") is None


def test_default_version_needs_an_installed_distribution():
    with pytest.raises(EngineError, match=r"'listed'.*version is unknown.*override Listed.version\(\)"):
        Listed().version()


def test_engine_requires_synthesize():
    class Silent(Engine):
        engine_id = "silent"
        install_hint = ""

    with pytest.raises(TypeError, match="synthesize"):
        Silent()

