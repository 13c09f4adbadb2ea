"""The clip store: atomic writes, and what `narrate cache info|clear` see and remove."""
import hashlib
import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
from audio_tools import tone_wav

from narrate.state import (
    LAYOUT_VERSION,
    CacheInfo,
    ClipCache,
    atomic_path,
    cache_info,
    cache_root,
    clear_cache,
    store_root,
)


def store_clip(cache: ClipCache, text: str, seconds: float = 0.1) -> Path:
    path = cache.path_for(hashlib.sha256(text.encode()).hexdigest())
    with atomic_path(path) as tmp:
        tone_wav(tmp, seconds)
    return path


def leave_temporary_file(cache: ClipCache, text: str) -> None:
    """What a build killed mid-write leaves: atomic_path's temporary file, in a process that is SIGKILLed."""
    path = cache.path_for(hashlib.sha256(text.encode()).hexdigest())
    code = ("import os, sys; from pathlib import Path; from narrate.state import atomic_path\n"
            "with atomic_path(Path(sys.argv[1])) as tmp:\n"
            "    tmp.write_bytes(b'RIFF' * 100)\n"
            "    os.kill(os.getpid(), 9)\n")
    subprocess.run([sys.executable, "-c", code, str(path)], check=False)
    assert not path.exists()


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "clips" / "x.wav"
    with pytest.raises(RuntimeError), atomic_path(final) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("killed mid-write")
    assert not final.exists() and list(final.parent.iterdir()) == []
    with atomic_path(final) as tmp, wave.open(str(tmp), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050), w.writeframes(b"\0\0" * 10)
    assert final.is_file() and list(final.parent.iterdir()) == [final]


def test_info_counts_clips_and_every_byte_on_disk(tmp_path):
    cache = ClipCache(tmp_path)
    assert cache_info(tmp_path) == CacheInfo(path=store_root(tmp_path) / "clips", clips=0, bytes=0)  # none yet
    clips = [store_clip(cache, text, seconds) for text, seconds in [("one", 0.1), ("two", 0.2), ("three", 0.3)]]
    leave_temporary_file(cache, "four")
    info = cache_info(tmp_path)
    temporary = [p for p in cache.root.rglob(".*") if p.is_file()]
    assert len(temporary) == 1 and temporary[0].stat().st_size == 400
    assert info.clips == 3
    assert info.bytes == sum(p.stat().st_size for p in clips) + 400


def test_clear_removes_clips_and_leftovers_but_nothing_it_did_not_write(tmp_path):
    cache = ClipCache(tmp_path)
    for text in ("one", "two", "three"):
        store_clip(cache, text)
    leave_temporary_file(cache, "four")
    foreign = cache.root / "ab" / "my-song.wav"
    foreign.parent.mkdir(parents=True, exist_ok=True)
    foreign.write_bytes(b"mine")
    beside = tmp_path / "notes.txt"
    beside.write_text("mine too")

    assert clear_cache(tmp_path) == 3
    assert cache_info(tmp_path) == CacheInfo(path=cache.root, clips=0, bytes=0)
    assert foreign.read_bytes() == b"mine" and beside.read_text() == "mine too"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "notes.txt", *(f"v{LAYOUT_VERSION}{rest}" for rest in ("", "/.lock", "/clips", "/clips/ab",
                                                               "/clips/ab/my-song.wav"))]  # emptied shards gone
    assert clear_cache(tmp_path) == 0


def test_default_root_follows_the_environment(cache_dir):
    assert cache_root() == cache_dir
    store_clip(ClipCache(), "hello")
    assert cache_info().clips == 1 and cache_info().path == store_root(cache_dir) / "clips"
    assert clear_cache() == 1 and cache_info().clips == 0


def test_encoded_units_and_killed_builds_scratch_are_counted_and_cleared(tmp_path):
    from narrate.state import masters_root

    store = masters_root(tmp_path)
    store.mkdir(parents=True)
    key = "ab" * 32
    (store / f"{key}.mp3").write_bytes(b"m" * 100)
    (store / f"{key}.aac").write_bytes(b"a" * 50)
    scratch = store / ".run.k2j4x9"
    scratch.mkdir()
    (scratch / "0.mp3").write_bytes(b"s" * 25)
    os.utime(scratch, (time.time() - 120, time.time() - 120))  # a killed build's: older than any running one
    (store / "notes.txt").write_text("not ours")
    assert cache_info(tmp_path).master_bytes == 175
    clear_cache(tmp_path)
    assert sorted(p.name for p in store.iterdir()) == ["notes.txt"]
    assert cache_info(tmp_path).master_bytes == 0


# ---- clips kept as FLAC (issue 17, item 19)

SENTENCE = "The lamp was lit before dark, and the gulls went quiet on the narrow harbour wall."


def espeak_line(text: str = SENTENCE):
    from narrate.casting.cast import clip_key
    from narrate.engines import get_engine
    from narrate.model import Line, Segment, Voice

    voice = Voice(engine="espeak", voice="en-us")
    segment = Segment(chapter=1, index=0, kind="narration", text=text, start=0, end=len(text), paragraph=0)
    return Line(segment=segment, voice=voice, text_to_speak=text,
                key=clip_key(voice, get_engine("espeak").version(), text))


def wav_samples(path: Path) -> tuple[int, bytes]:
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate(), wav.readframes(wav.getnframes())


def test_a_real_clip_is_kept_as_flac_and_reads_back_sample_for_sample(tmp_path, cache_dir):
    from narrate.engines import get_engine
    from narrate.state import clip_samples, read_clip, sealed_clip
    from narrate.synthesis import synthesize

    line = espeak_line()
    spoken = tmp_path / "spoken.wav"  # what the engine writes: the samples a clip must give back
    get_engine("espeak").synthesize(line.text_to_speak, line.voice, str(spoken))
    rate, pcm = wav_samples(spoken)
    data = sealed_clip(rate, pcm)
    assert data[:4] == b"fLaC" and len(data) <= 0.6 * spoken.stat().st_size  # espeak's speech: ~half a WAV's bytes
    info, samples = clip_samples(data)
    assert (info.frames, info.sample_rate) == (len(pcm) // 2, rate)
    # digests, not the bytes: a failing comparison of 200 kB would have pytest diff them for many minutes
    assert hashlib.sha256(samples).hexdigest() == hashlib.sha256(pcm).hexdigest()
    # another FLAC decoder reads the same samples: narrate's record is a metadata block readers skip
    kept = tmp_path / "kept.flac"
    kept.write_bytes(data)
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(kept), "-f", "s16le", "-"], capture_output=True,
                             check=True).stdout
    assert hashlib.sha256(decoded).hexdigest() == hashlib.sha256(pcm).hexdigest()
    # the same line through the synthesis workers lands in the store as such a clip; espeak is not bit-identical
    # from call to call (up to ~12 ms, shared/notes/engine-facts.md), so its length is compared with a tolerance
    [clip] = synthesize([line], ClipCache())
    assert Path(clip.path).suffix == ".flac" and Path(clip.path).read_bytes()[:4] == b"fLaC"
    assert clip.sample_rate == rate and abs(clip.frames - len(pcm) // 2) <= 0.02 * rate
    assert read_clip(Path(clip.path)).frames == clip.frames


def test_a_clip_is_proved_whole_without_decoding_it(tmp_path):
    from narrate.state import CorruptEntry, clip_info, sealed_clip

    samples = bytes(range(256)) * 40
    data = bytearray(sealed_clip(22050, samples))
    assert clip_info(bytes(data)).frames == len(samples) // 2
    for where in (20, len(data) // 2, len(data) - 1):  # stream info, the frames, the last byte
        flipped = bytearray(data)
        flipped[where] ^= 0x10
        with pytest.raises(CorruptEntry):
            clip_info(bytes(flipped))
    tone_wav(tmp_path / "old.wav", 0.1)  # a clip of layout 2 (a WAV) is not one of this layout
    with pytest.raises(CorruptEntry):
        clip_info((tmp_path / "old.wav").read_bytes())


def test_a_clip_carries_its_inner_pauses_so_cues_are_timed_without_decoding_it(cache_dir, monkeypatch):
    from narrate.audio import pauses, subtitles
    from narrate.state import read_clip, read_clip_samples
    from narrate.synthesis import synthesize

    [clip] = synthesize([espeak_line("The tide turned at noon. The boats came home. Nobody spoke of the storm.")],
                        ClipCache())
    info, samples = read_clip_samples(clip.path)
    found = pauses.inner_pauses(samples, info.sample_rate)
    assert len(found) >= 2  # between its three sentences
    assert read_clip(Path(clip.path)).pauses == tuple(found) and info.pause_params == pauses.PARAMS

    def no_decoding(*_args, **_kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(subtitles, "pcm", no_decoding)
    assert subtitles._pauses(clip) == found
