"""gone.txt with the two neural engines (piper for some voices, hibari for others, variants for the rest):
one book at one sample rate, every speaker at one level, and a neural casting preset."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from audio_tools import probe, probe_chapters

ROOT = Path(__file__).resolve().parents[1]
VOICES = ROOT / "tests" / "gone" / "neural.yaml"

pytestmark = pytest.mark.slow  # gone.txt through two neural engines
pytest.importorskip("piper")
pytest.importorskip("hibari")


def narrate(*args, env):
    result = subprocess.run([sys.executable, "-m", "narrate", *map(str, args)], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    return result


def integrated_lufs(path: Path) -> float:
    log = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=framelog=verbose",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    return float(re.search(r"Integrated loudness:\s+I:\s+(-?[\d.]+) LUFS", log)[1])


@pytest.fixture(scope="module")
def env(tmp_path_factory, narrate_env):
    """One cache for the module's narrate runs: the previews reuse the build's clips."""
    return narrate_env(tmp_path_factory.mktemp("neural-cache"), clean=True)


def test_a_mixed_engine_book_has_one_rate_and_its_cast(env, tmp_path, gone_story):
    narrate("build", gone_story, "--voices", VOICES, "-o", tmp_path, "-q", env=env)
    book = tmp_path / "Gone.m4b"
    assert [c["tags"]["title"] for c in probe_chapters(book)] == ["Opening Credits", "Gone", "Closing Credits"]
    assert {probe(mp3)["streams"][0]["sample_rate"] for mp3 in tmp_path.glob("*.mp3")} == {"22050"}
    vtt = (tmp_path / "Gone.vtt").read_text(encoding="utf-8")
    assert {"Clint", "Natasha", "Steve", "Tony", "Narrator"} <= set(re.findall(r"<v ([^>]+)>", vtt))


def test_every_speaker_at_one_level(env, tmp_path, gone_story):
    levels = {}
    for who in ("Clint", "Natasha", "Steve", "Tony"):
        out = tmp_path / f"{who}.wav"
        narrate("preview", gone_story, "--voices", VOICES, "--speaker", who, "--out", out, env=env)
        levels[who] = integrated_lufs(out)
    narrate("preview", gone_story, "--voices", VOICES, "--lines", "3-4", "--out", tmp_path / "narrator.wav", env=env)
    levels["narrator"] = integrated_lufs(tmp_path / "narrator.wav")
    assert max(levels.values()) - min(levels.values()) <= 2.0, levels  # each within ±1 LU of the middle


def test_neural_preset_is_deterministic_and_distinct(env, tmp_path, gone_story):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    narrate("cast", gone_story, "--voices", first, "--write", "--engine", "hibari", env=env)
    narrate("cast", gone_story, "--voices", second, "--write", "--engine", "hibari", env=env)
    assert first.read_text() == second.read_text()
    config = yaml.safe_load(first.read_text())
    voices = [config["narrator"], config["unattributed"], *config["characters"].values()]
    assert {v["engine"] for v in voices} == {"hibari"}
    variants = {(v.get("semitones", 0), v.get("tempo", 1)) for v in voices}
    assert len(variants) == len(voices)
