"""Loudness with the real ffmpeg: a tone of known level reads as theory says; gain and limiter reach the target."""
import math
import shutil
import subprocess
from array import array

import pytest

from audio_tools import write_wav
from narrate import ffmpeg, loudness

RATE = 22050


def samples(seconds, rms_db, freq=997.0, rate=RATE):
    """A sine whose RMS is `rms_db` dBFS (its amplitude is 3.01 dB higher)."""
    amplitude = 32767 * math.sqrt(2) * 10 ** (rms_db / 20)
    return array("h", (round(amplitude * math.sin(2 * math.pi * freq * i / rate)) for i in range(int(seconds * rate))))


def speech(tmp_path, name="speech.wav"):
    """A few seconds of real synthetic speech: peaky, like every engine's output."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    path = tmp_path / name
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path),
                    "The harbour lamps came on one by one, and the ferry sounded twice before it left."], check=True)
    return path


def apply(source, out, chain):
    ffmpeg.run(["-i", str(source), "-af", ",".join(chain), "-c:a", "pcm_s16le", str(out)], out)
    return out


def test_a_1khz_tone_reads_as_its_rms_level(tmp_path):
    # BS.1770's -0.691 offset cancels the K-weighting's gain near 1 kHz: a sine at -20 dBFS RMS is -20 LUFS.
    for level in (-20.0, -30.0):
        measured = loudness.measure(write_wav(tmp_path / f"tone{level}.wav", samples(3, level)))
        assert measured.integrated_lufs == pytest.approx(level, abs=0.5)
        assert measured.true_peak_dbtp == pytest.approx(level + 3.01, abs=0.3)


def test_streamed_pcm_measures_like_the_file(tmp_path):
    data = samples(3, -24.0)
    from_file = loudness.measure(write_wav(tmp_path / "tone.wav", data))
    chunks = (data[i:i + 4096].tobytes() for i in range(0, len(data), 4096))
    assert loudness.measure_pcm(chunks, RATE) == from_file


def test_gain_alone_when_the_peaks_have_room(tmp_path):
    source = write_wav(tmp_path / "quiet.wav", samples(3, -30.0))
    gain = loudness.gain_for(loudness.measure(source), target_lufs=-20)
    assert gain.db == pytest.approx(10.0, abs=0.5) and not gain.needs_limiter
    chain = loudness.filters(gain, RATE)
    assert len(chain) == 1 and chain[0].startswith("volume=")
    after = loudness.measure(apply(source, tmp_path / "out.wav", chain))
    assert after.integrated_lufs == pytest.approx(-20.0, abs=1.0)


def test_speech_reaches_the_target_with_true_peaks_held(tmp_path):
    loud = speech(tmp_path)
    quiet = apply(loud, tmp_path / "quiet.wav", ["volume=-12dB"])
    for source in (loud, quiet):
        gain = loudness.gain_for(loudness.measure(source), target_lufs=-20.0, max_true_peak=-3.0)
        assert gain.needs_limiter  # speech peaks sit ~18 dB above its loudness
        out = apply(source, tmp_path / f"out-{source.name}", loudness.filters(gain, RATE))
        after = loudness.measure(out)
        assert after.integrated_lufs == pytest.approx(-20.0, abs=1.0)
        assert after.true_peak_dbtp <= -3.0
        assert ffmpeg.probe(out)["stream"]["duration_ts"] == ffmpeg.probe(source)["stream"]["duration_ts"]


def test_the_limiter_leaves_room_for_a_lossy_encoder(tmp_path):
    source = speech(tmp_path)
    gain = loudness.gain_for(loudness.measure(source), target_lufs=-18.0, max_true_peak=-3.0)
    out = tmp_path / "out.mp3"
    ffmpeg.run(["-i", str(source), "-af", ",".join(loudness.filters(gain, RATE)), "-c:a", "libmp3lame",
                "-b:a", "64k", str(out)], out)
    assert loudness.measure(out).true_peak_dbtp <= -3.0


def test_silence_gets_no_gain(tmp_path):
    measured = loudness.measure(write_wav(tmp_path / "silence.wav", array("h", bytes(2 * RATE))))
    assert measured.integrated_lufs <= loudness.SILENT_LUFS and measured.true_peak_dbtp == -math.inf
    gain = loudness.gain_for(measured)
    assert gain.db == 0 and not gain.needs_limiter and loudness.filters(gain, RATE) == []


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....nothing")
    with pytest.raises(loudness.AudioError, match="bad.wav: ffmpeg failed"):
        loudness.measure(bad)
