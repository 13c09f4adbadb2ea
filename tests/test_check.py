"""`check` with real files: one built to ACX's rules passes; each rule broken on purpose fails that rule."""
import math
import random
import wave
from array import array

import pytest

from narrate.audio import check, containers
from narrate.errors import InputError

RATE = 44100


def signal(*parts, rate=RATE):
    """Samples from parts: ("silence", seconds), ("tone", seconds, rms dB), ("noise", seconds, rms dB)."""
    out = array("h")
    noise = random.Random(7)
    for kind, seconds, *level in parts:
        count = int(seconds * rate)
        if kind == "silence":
            out.extend(array("h", bytes(2 * count)))
        elif kind == "tone":
            amplitude = 32767 * math.sqrt(2) * 10 ** (level[0] / 20)
            out.extend(round(amplitude * math.sin(2 * math.pi * 997 * i / rate)) for i in range(count))
        else:  # uniform noise: RMS is amplitude / sqrt(3)
            amplitude = 32767 * math.sqrt(3) * 10 ** (level[0] / 20)
            out.extend(round(noise.uniform(-amplitude, amplitude)) for _ in range(count))
    return out


def audio_file(path, data, rate=RATE, bitrate="192k", extra=()):
    wav = path.with_suffix(".master.wav")
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    if path.suffix == ".wav":
        wav.rename(path)
        return path
    containers.encode(wav, path, path.suffix[1:], bitrate)
    wav.unlink()
    return path


ACX_LIKE = [("silence", 0.7), ("tone", 4.0, -17.0), ("silence", 2.0)]  # overall RMS -19.6 dB


def failed(report):
    return sorted(c.name for c in report.checks if c.passed is False)


def test_a_file_built_to_acx_rules_passes(tmp_path):
    report = check.check_file(audio_file(tmp_path / "01 - One.mp3", signal(*ACX_LIKE)), check.ACX)
    m = report.measurements
    assert failed(report) == [] and report.passed
    assert (m.codec, m.sample_rate, m.channels, m.constant_bitrate) == ("mp3", 44100, 1, True)
    assert m.bitrate_kbps == pytest.approx(192, abs=1)
    assert m.rms_db == pytest.approx(-17 + 10 * math.log10(4 / 6.7), abs=0.3)
    assert m.loudness.true_peak_dbtp == pytest.approx(-14.0, abs=0.5)  # MP3 coding shifts it a little
    assert m.noise_floor_db < -90  # the room tone here is digital silence
    assert m.head_silence == pytest.approx(0.7, abs=0.03) and m.tail_silence == pytest.approx(2.0, abs=0.03)
    assert m.duration == pytest.approx(6.7, abs=0.01)
    assert [c.name for c in report.checks] == ["loudness", "RMS level", "true peak", "sample peak", "noise floor",
                                               "sample rate", "bitrate", "channels", "head silence",
                                               "tail silence", "duration"]
    assert report.checks[2] == check.Check("true peak", f"{m.loudness.true_peak_dbtp:.1f} dBTP", "≤ -3 dBTP", True)


def test_a_file_made_too_loud_fails_level_and_peak(tmp_path):
    loud = audio_file(tmp_path / "loud.mp3", signal(("silence", 0.7), ("tone", 4.0, -4.0), ("silence", 2.0)))
    assert failed(check.check_file(loud, check.ACX)) == ["RMS level", "true peak"]
    assert failed(check.check_file(loud, check.default_targets(-20))) == ["loudness", "true peak"]


def test_missing_head_room_tone_fails(tmp_path):
    report = check.check_file(audio_file(tmp_path / "a.mp3", signal(*ACX_LIKE[1:])), check.ACX)
    assert failed(report) == ["head silence"] and report.measurements.head_silence < 0.05


def test_noise_in_the_room_tone_fails_the_noise_floor(tmp_path):
    noisy = signal(("noise", 0.7, -50.0), ("tone", 4.0, -17.0), ("noise", 2.0, -50.0))
    report = check.check_file(audio_file(tmp_path / "a.mp3", noisy), check.ACX)
    assert report.measurements.noise_floor_db == pytest.approx(-50, abs=1.0)
    assert failed(report) == ["head silence", "noise floor", "tail silence"]


def test_low_rate_and_bitrate_fail_acx(tmp_path):
    report = check.check_file(audio_file(tmp_path / "a.mp3", signal(*ACX_LIKE, rate=22050), rate=22050,
                                         bitrate="64k"), check.ACX)
    assert failed(report) == ["bitrate", "sample rate"]


def test_default_targets_judge_loudness_and_true_peak_only(tmp_path):
    on_target = audio_file(tmp_path / "a.wav", signal(("tone", 3.0, -20.0)))
    report = check.check_file(on_target, check.default_targets(-20.0))
    assert report.passed
    judged = {c.name: c for c in report.checks if c.passed is not None}
    assert sorted(judged) == ["loudness", "true peak"] and judged["loudness"].limit == "-21 to -19 LUFS"
    assert not check.check_file(on_target, check.default_targets(-16.0)).passed


def test_check_dir_measures_each_audio_file_acx_only_mp3s(tmp_path):
    audio_file(tmp_path / "01 - One.mp3", signal(*ACX_LIKE))
    audio_file(tmp_path / "02 - Two.mp3", signal(*ACX_LIKE[1:]))
    audio_file(tmp_path / "Book.flac", signal(*ACX_LIKE))
    (tmp_path / "Book.vtt").write_text("WEBVTT\n", encoding="utf-8")
    acx = check.check_dir(tmp_path, check.ACX)
    assert [(r.path.name, r.passed) for r in acx] == [("01 - One.mp3", True), ("02 - Two.mp3", False)]
    assert [r.path.name for r in check.check_dir(tmp_path)] == ["01 - One.mp3", "02 - Two.mp3", "Book.flac"]


def test_nothing_to_check_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no mp3 files to check"):
        check.check_dir(tmp_path, check.ACX)
    with pytest.raises(InputError, match="missing: no such folder"):
        check.check_dir(tmp_path / "missing")


def test_the_command_prints_one_row_per_file_with_its_verdict(tmp_path):
    import subprocess
    import sys

    audio_file(tmp_path / "01 - One.mp3", signal(*ACX_LIKE))
    audio_file(tmp_path / "02 - Two.mp3", signal(*ACX_LIKE[1:]))  # no head room tone
    result = subprocess.run([sys.executable, "-m", "narrate", "check", str(tmp_path), "--acx"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1 and "02 - Two.mp3" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "2 file(s) against the ACX targets"
    assert lines[1].split() == ["file", "LUFS", "dBTP", "RMS", "dB", "floor", "dB", "head", "s", "tail", "s",
                                "length", "verdict"]
    one, two = lines[2:]
    assert one.startswith(" 01 - One.mp3") and one.split()[-1] == "pass"
    assert two.startswith(" 02 - Two.mp3") and two.split()[-3:] == ["FAIL", "head", "silence"]
    assert one.split()[6:10] == ["silent", "0.70", "2.00", "0:07"]  # floor, head, tail, length


def meter_of(raw, chunk_frames, rate=RATE):
    """A Meter fed mono `raw` (a float32 array), `chunk_frames` frames at a time."""
    from narrate.audio.meter import Meter

    meter = Meter(rate, 1)
    for at in range(0, len(raw), chunk_frames):
        meter.add(raw[at:at + chunk_frames, None])
    meter.finish()
    return meter


def figures(meter):
    return (meter.loudness(), meter.rms_db(), meter.peak_db(), meter.noise_floor_db(), meter.head_silence(),
            meter.tail_silence(), meter.frames)


def test_the_figures_do_not_depend_on_how_the_stream_arrives():
    import numpy as np

    noise = np.random.default_rng(3)
    raw = np.concatenate([np.zeros(30000), 0.3 * noise.standard_normal(5 * RATE), np.zeros(12345)]).astype(
        np.float32)
    whole = figures(meter_of(raw, len(raw)))
    for frames in (4410, 1000, 4409 * 3 + 7, 220500, 63):  # blocks, less, odd sizes, the reader's own chunk
        got = figures(meter_of(raw, frames))
        assert got[1:] == pytest.approx(whole[1:], abs=1e-6)
        assert got[0].integrated_lufs == pytest.approx(whole[0].integrated_lufs, abs=1e-5)
        assert got[0].true_peak_dbtp == pytest.approx(whole[0].true_peak_dbtp, abs=1e-5)
        assert got[0].lra == pytest.approx(whole[0].lra, abs=1e-5)


def test_the_true_peak_is_the_peak_of_every_interval_four_times_oversampled():
    """A tone at a quarter of the rate sampled 45 degrees off its crests: every sample is 3 dB under the peak
    between them. The meter, which interpolates only where a value can exceed what it has found, reads what
    interpolating every interval reads."""
    import numpy as np

    from narrate.audio import truepeak

    n = np.arange(3 * RATE)
    fades = np.minimum(1, np.minimum(n, n[::-1]) / RATE)  # no abrupt edge to ring on
    tone = (0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4) * fades).astype(np.float32)
    raw = np.concatenate([np.zeros(RATE, np.float32), tone, np.zeros(RATE, np.float32)])
    padded = np.concatenate([np.zeros(truepeak.REACH), raw, np.zeros(truepeak.REACH)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * truepeak.REACH)
    everywhere = max(np.abs(raw).max(), np.abs(windows @ truepeak.TAPS.T.astype(np.float64)).max())
    measured = meter_of(raw, 44100).loudness().true_peak_dbtp
    assert measured == pytest.approx(20 * np.log10(everywhere), abs=0.01)
    assert measured == pytest.approx(20 * np.log10(0.5), abs=0.1)  # the tone's own crest
    assert 20 * np.log10(np.abs(raw).max()) == pytest.approx(measured - 3.0, abs=0.1)


def test_loudness_agrees_with_ffmpegs_ebur128(tmp_path):
    from narrate.audio import loudness

    path = audio_file(tmp_path / "a.mp3", signal(("silence", 0.5), ("tone", 2.0, -24.0), ("noise", 3.0, -18.0),
                                                 ("tone", 2.0, -30.0), ("silence", 1.0)))
    ours = check.check_file(path).measurements.loudness
    ffmpegs = loudness.measure(path)
    assert ours.integrated_lufs == pytest.approx(ffmpegs.integrated_lufs, abs=0.1)
    assert ours.true_peak_dbtp == pytest.approx(ffmpegs.true_peak_dbtp, abs=0.3)
