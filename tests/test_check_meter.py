"""check's meter against the computations it shortens: K-weighting as matrix products against the biquads run
sample by sample, the true peak found by bounds against interpolating every interval, the loudness against
ffmpeg's ebur128 on real speech, and libsndfile's decoding against ffmpeg's."""
import itertools
import math
import shutil
import subprocess

import numpy as np
import pytest

from narrate import ffmpeg
from narrate.audio import check, loudness, truepeak
from narrate.audio.blockfilter import BlockFilter
from narrate.audio.meter import kweighting

RATE = 22050


def biquads_by_sample(sections, x):
    """The reference: each biquad in transposed direct form II, one sample at a time, in double precision."""
    y = [float(v) for v in x]
    for b0, b1, b2, a1, a2 in sections:
        s1 = s2 = 0.0
        for i, v in enumerate(y):
            out = b0 * v + s1
            s1, s2 = b1 * v - a1 * out + s2, b2 * v - a2 * out
            y[i] = out
    return np.array(y)


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_the_block_filter_is_the_biquads_run_sample_by_sample(rate):
    noise = np.random.default_rng(rate)
    x = np.concatenate([0.3 * noise.standard_normal(9000), np.zeros(3000), 0.9 * np.sign(noise.standard_normal(
        3000))]).astype(np.float32)  # noise, silence (the state decaying alone), full-scale square noise
    want = biquads_by_sample(kweighting(rate), x)
    for sizes in ([len(x)], [1, 63, 64, 65, 2047, 2048, 2049, 5000, 3663], [700] * 21 + [300]):
        assert sum(sizes) == len(x)
        block_filter = BlockFilter(kweighting(rate), most=4096)  # chunks beyond 4096 filtered in parts too
        bounds = np.cumsum([0] + sizes)
        got = np.concatenate([block_filter.filter(x[a:b]) for a, b in itertools.pairwise(bounds)])
        assert np.abs(got - want).max() <= 2e-6 * np.abs(want).max()


def every_interval(x):
    """The reference true peak: the samples and every interval's three interpolated values, in double."""
    padded = np.concatenate([np.zeros(truepeak.REACH), x.astype(np.float64), np.zeros(truepeak.REACH)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * truepeak.REACH)
    return max(float(np.abs(x).max()), float(np.abs(windows @ truepeak.TAPS.T.astype(np.float64)).max()))


def true_peak(x, chunk):
    meter = truepeak.TruePeak()
    for at in range(0, len(x), chunk):
        meter.add(x[at:at + chunk])
    return meter.finish(), meter.interpolated


def test_the_bound_holds_on_every_window():
    """|value between x[p] and x[p+1]| <= c0 max(|x[p]|, |x[p+1]|) + rd max|step| over the window, for any
    samples (the pruning rests on it)."""
    c0, rd = truepeak.bound_factors(truepeak.TAPS)
    assert 1.0 <= c0 < 1.001 and 0.5 < rd < 1.0
    noise = np.random.default_rng(5)
    reach = truepeak.REACH
    for scale in (0.001, 0.3, 1.0):
        windows = scale * noise.standard_normal((4000, 2 * reach))
        windows[:1000] = np.sign(windows[:1000]) * scale  # the worst signs for some phase
        values = np.abs(windows @ truepeak.TAPS.T.astype(np.float64)).max(axis=1)
        ends = np.maximum(np.abs(windows[:, reach - 1]), np.abs(windows[:, reach]))
        steps = np.abs(np.diff(windows, axis=1)).max(axis=1)
        assert (values <= c0 * ends + rd * steps + 1e-12).all()


def worst_case(amplitude):
    """The samples whose value half-way between its two middle ones is the largest the interpolator can make:
    each tap's sign, so the value is amplitude * sum |taps| (2.6x, +8 dB over every sample)."""
    return amplitude * np.sign(truepeak.TAPS[1]).astype(np.float32)


@pytest.mark.parametrize("chunk", [17, 1000, 2048, 4410, 110250])
def test_the_true_peak_is_every_intervals_even_where_it_far_exceeds_the_samples(chunk):
    noise = np.random.default_rng(chunk)
    quiet = (0.01 * noise.standard_normal(3 * RATE)).astype(np.float32)
    for at in (0, 1023, 2047, 20000, len(quiet) - 64):  # at the start, across blocks, inside, at the end
        x = quiet.copy()
        x[at:at + 64] += worst_case(0.3)
        x[40000 if at < 20000 else 5000] = 0.75  # a louder sample, seen before the pattern or in its chunk
        got, _ = true_peak(x, chunk)
        want = every_interval(x)
        assert want > 2.2 * np.abs(x[at:at + 64]).max() and want > 1.02 * 0.75  # far above every sample
        assert got == pytest.approx(want, rel=1e-6)


def test_the_true_peak_is_every_intervals_on_noise_and_in_silence():
    noise = np.random.default_rng(11)
    for x in (np.zeros(5000, np.float32), (0.5 * noise.standard_normal(20000)).astype(np.float32),
              np.clip(3 * noise.standard_normal(20000), -1, 1).astype(np.float32)):  # clipped: steps near 2
        for chunk in (100, 4096, len(x)):
            got, _ = true_peak(x, chunk)
            assert got == pytest.approx(every_interval(x), rel=1e-6, abs=1e-12)


def espeak(tmp_path, text, voice="en-us", name="speech.wav"):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    path = tmp_path / name
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    return path


SPEECH = ("The harbour lamps came on one by one, and the ferry sounded twice before it left. Stop! Get back from "
          "the edge, Tomas! The tide is turning, and the rocks are sharp.")


def mastered(tmp_path, source, name, gain_db, extra=()):
    """`source` made louder by `gain_db` into the mastering chain (limited to -3 dBTP, as a build does)."""
    chain = loudness.master_filters(-20.0, -3.0, reference_lufs=-22.0 - gain_db, sample_rate=RATE)
    out = tmp_path / name
    ffmpeg.run(["-i", str(source), "-af", ",".join(chain), *extra, str(out)], out)
    return out


def test_the_true_peak_is_every_intervals_on_real_speech_and_interpolates_little(tmp_path):
    import soundfile

    source = espeak(tmp_path, SPEECH)
    for name, gain in (("plain.wav", 0.0), ("limited.mp3", 8.0)):  # as spoken; pushed hard into the limiter
        x = soundfile.read(mastered(tmp_path, source, name, gain), dtype="float32")[0]
        want = every_interval(x)
        for chunk in (1103, 110250):
            got, interpolated = true_peak(x, chunk)
            assert got == pytest.approx(want, rel=1e-6)
            assert interpolated < 0.05 * len(x)  # the bounds rule out all but a few samples' neighbourhoods


@pytest.fixture(scope="module")
def speech_files(tmp_path_factory):
    """Real speech as a build writes it: an MP3 and an AAC .m4b (mono), and a stereo MP3 and FLAC."""
    folder = tmp_path_factory.mktemp("speech")
    source = espeak(folder, SPEECH + " " + SPEECH)
    other = espeak(folder, "Quick, quick, pass me the rope. She said it twice: sixty-six pieces of silver.",
                   voice="en-gb", name="other.wav")
    import soundfile

    left, rate = soundfile.read(source, dtype="float32")
    right = np.zeros_like(left)
    spoken = soundfile.read(other, dtype="float32")[0][:len(left)]
    right[:len(spoken)] = 0.5 * spoken  # another voice, 6 dB lower, then silence
    stereo = folder / "stereo.wav"
    soundfile.write(stereo, np.stack([left, right], axis=1), rate, subtype="PCM_16")
    return [mastered(folder, source, "one.mp3", 2.0, ["-b:a", "64k"]),
            mastered(folder, source, "book.m4b", 2.0, ["-c:a", "aac", "-b:a", "64k"]),
            mastered(folder, stereo, "stereo.mp3", 2.0, ["-b:a", "128k"]),
            mastered(folder, stereo, "stereo.flac", 2.0)]


def test_loudness_agrees_with_ffmpegs_ebur128_on_real_speech(speech_files):
    for path in speech_files:
        ours = check.measure_file(path)
        ffmpegs = loudness.measure(path)
        assert ours.loudness.integrated_lufs == pytest.approx(ffmpegs.integrated_lufs, abs=0.1), path.name
        assert ours.loudness.threshold_lufs == pytest.approx(ffmpegs.threshold_lufs, abs=0.1), path.name
        assert ours.loudness.true_peak_dbtp == pytest.approx(ffmpegs.true_peak_dbtp, abs=0.3), path.name
        assert ours.channels == (2 if path.stem == "stereo" else 1)


FIGURES = {
    "loudness": lambda m: m.loudness.integrated_lufs, "range": lambda m: m.loudness.lra,
    "true peak": lambda m: m.loudness.true_peak_dbtp, "sample peak": lambda m: m.peak_db, "RMS": lambda m: m.rms_db,
    "noise floor": lambda m: m.noise_floor_db, "head": lambda m: m.head_silence, "tail": lambda m: m.tail_silence,
    "duration": lambda m: m.duration,
}


def test_files_decoded_in_process_measure_as_ffmpeg_decodes_them(speech_files, monkeypatch):
    """libsndfile (MP3 through mpg123, FLAC) gives ffmpeg's samples: same length (the MP3's encoder delay and
    padding dropped alike), same figures."""
    in_process = [path for path in speech_files if path.suffix in (".mp3", ".flac")]
    assert all(check._IN_PROCESS.get(check._stream_info(path).codec) for path in in_process)
    ours = [check.measure_file(path) for path in in_process]
    monkeypatch.setattr(check, "_IN_PROCESS", {})
    for path, measured in zip(in_process, ours):
        decoded_by_ffmpeg = check.measure_file(path)
        for name, figure in FIGURES.items():
            a, b = figure(measured), figure(decoded_by_ffmpeg)
            assert a == b or a == pytest.approx(b, abs=0.001), (path.name, name)


def test_a_file_that_is_not_audio_is_an_error_naming_it(tmp_path):
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(2000))
    with pytest.raises(check.AudioError, match="broken.mp3: not a readable audio file"):
        check.measure_file(broken)


def test_an_mp3_cut_short_is_measured_as_far_as_it_goes(speech_files, tmp_path):
    """Half an MP3 (a build interrupted while copying): libsndfile decodes what is there, as ffmpeg would."""
    whole = speech_files[0]
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole.read_bytes()[:whole.stat().st_size // 2])
    measured = check.measure_file(cut)
    assert 0.3 * check.measure_file(whole).duration < measured.duration < 0.7 * check.measure_file(whole).duration


def test_silence_of_one_sample_and_of_none_is_measured(tmp_path):
    import soundfile

    for frames in (1, 2205, 9000):
        path = tmp_path / f"silence{frames}.wav"
        soundfile.write(path, np.zeros(frames, np.float32), RATE, subtype="PCM_16")
        measured = check.measure_file(path)
        assert measured.duration == pytest.approx(frames / RATE)
        assert measured.loudness.true_peak_dbtp == -math.inf and measured.loudness.integrated_lufs == -70.0
