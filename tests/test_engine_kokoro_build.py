"""A book built through the CLI with kokoro voices, on the stand-in model (tools/make_tiny_kokoro.py: a tone per
voice instead of speech): each voice is heard where it speaks, at the book's rate, and a build without the
files and without the network stops before synthesis, saying what to fetch and where to put it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from audio_tools import loud_seconds, playing_time, probe

pytest.importorskip("kokoro_onnx")
pytest.importorskip("onnx")
np = pytest.importorskip("numpy")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import make_tiny_kokoro as tiny

STORY = """The Lamp

The keeper climbed the stairs at dusk and checked the glass for salt.

"Is the lamp ready?" asked Tom.

The keeper nodded, wiped his hands, and struck the match.
"""
VOICES = """narrator: {engine: kokoro, voice: af_bella}
unattributed: {engine: kokoro, voice: bf_emma}
characters:
  Tom: {gender: male, engine: kokoro, voice: am_adam}
output: {format: [mp3], bitrate: 64k}
"""


def narrate(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "narrate", *map(str, args)], capture_output=True, text=True,
                          env=env, check=False)


def hz(voice: str) -> float:
    return tiny.BASE_HZ + tiny.HZ_PER_UNIT * tiny.VOICES[voice]


def decoded(path: Path, rate: int = 22050) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate),
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, "<i2") / 32768.0


def band_share(pcm: np.ndarray, centre: float, rate: int = 22050) -> float:
    """The share of the audio's energy within 10 Hz of `centre`."""
    power = np.abs(np.fft.rfft(pcm)) ** 2
    freqs = np.fft.rfftfreq(len(pcm), 1 / rate)
    return float(power[np.abs(freqs - centre) <= 10].sum() / power.sum())


@pytest.fixture
def book(tmp_path):
    (tmp_path / "lamp.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "voices.yaml").write_text(VOICES, encoding="utf-8")
    return tmp_path


def test_a_book_in_kokoro_voices(book, tmp_path, narrate_env):
    tiny.write(tmp_path / "voices" / "kokoro")
    env = {**narrate_env(tmp_path / "cache"), "NARRATE_VOICES_DIR": str(tmp_path / "voices")}
    result = narrate("build", book / "lamp.txt", "--voices", book / "voices.yaml", "-o", book / "out", "-q", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # -q: nothing from the libraries either (phonemizer warns on "This has been ...")
    chapter = book / "out" / "01 - The Lamp.mp3"
    assert probe(chapter)["streams"][0]["sample_rate"] == "22050"  # Kokoro's 24 kHz brought to the book's rate
    assert 10 < playing_time(chapter) < 30 and loud_seconds(chapter) > 8  # tones, not silence
    pcm = decoded(chapter)
    narrator, tom, unattributed = band_share(pcm, hz("af_bella")), band_share(pcm, hz("am_adam")), \
        band_share(pcm, hz("bf_emma"))
    assert narrator > 0.75 and 0.05 < tom < 0.2  # the narrator says most of it, Tom his one short line
    assert unattributed < 0.01  # every quote was attributed: the unattributed voice is never heard


def test_without_the_files_offline_the_build_says_what_to_fetch(book, tmp_path, narrate_env):
    env = {**narrate_env(tmp_path / "cache"), "NARRATE_VOICES_DIR": str(tmp_path / "none"),
           "https_proxy": "http://127.0.0.1:9", "no_proxy": "", "NO_PROXY": ""}  # no network, at once
    result = narrate("build", book / "lamp.txt", "--voices", book / "voices.yaml", "-o", book / "out", env=env)
    assert result.returncode == 3, result.stderr
    assert "kokoro:af_bella: cannot download https://github.com/thewh1teagle/kokoro-onnx/releases/download/" \
           "model-files-v1.0/kokoro-v1.0.onnx" in result.stderr
    assert f"place it at {tmp_path / 'none' / 'kokoro' / 'kokoro-v1.0.onnx'}" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr and not (book / "out").exists()
