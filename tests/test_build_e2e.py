"""The whole pipeline for real: espeak-ng through pyttsx3, ffmpeg, on the sample story and on gone.txt."""
import json
import re
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest
import yaml
from audio_tools import duration, loud_seconds, playing_time, probe, probe_chapters

from narrate.audio.cover import prepare_cover, read_cover
from narrate.casting.sentences import clip_texts

ROOT = Path(__file__).resolve().parents[1]
STORY = ROOT / "stories" / "the-signal-keepers.md"
NARRATE = [sys.executable, "-m", "narrate"]


def narrate(*args, env, check=True):
    """`python -m narrate ARGS` in `env` (conftest's narrate_env: a cache, and the system PATH only)."""
    result = subprocess.run([*NARRATE, *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory, narrate_env):
    """The sample story built once, with the environment (and so the cache) the tests after it build in."""
    work = tmp_path_factory.mktemp("build")
    env = narrate_env(work / "cache", clean=True)
    result = narrate("build", STORY, "--voices", ROOT / "voices.yaml", "-o", work / "out", "-j", "2", env=env)
    return work, env, result


@pytest.fixture
def env(narrate_env, cache_dir):
    """The environment of a narrate subprocess that keeps its state in this test's cache_dir."""
    return narrate_env(cache_dir, clean=True)


@pytest.mark.slow
def test_sample_story_becomes_tagged_nonsilent_chapter_mp3s(sample_build):
    work, _env, result = sample_build
    gold = yaml.safe_load((ROOT / "tests" / "stories" / "the-signal-keepers.gold.yaml").read_text())
    titles = ["Opening Credits", *gold["chapters"], "Closing Credits"]
    mp3s = sorted((work / "out").glob("*.mp3"))
    assert [f.name for f in mp3s] == [f"{n:02d} - {t.replace(':', '-')}.mp3" for n, t in enumerate(titles)]
    words = len(re.findall(r"\w+", STORY.read_text(encoding="utf-8")))
    total = spoken = 0.0
    for n, path in enumerate(mp3s, 1):
        stream = probe(path)["streams"][0]
        assert stream["codec_name"] == "mp3" and stream["channels"] == 1
        seconds = duration(path)
        total += seconds
        spoken += loud_seconds(path)
        assert loud_seconds(path) > 0.4 * seconds  # speech, not silence
        tags = mutagen.File(path, easy=True)
        assert tags["title"] == [titles[n - 1]]
        assert tags["album"] == [gold["title"]] and tags["artist"] == [gold["author"]]
        assert tags["tracknumber"] == [f"{n}/{len(mp3s)}"]
    # the voices speak at 145-185 words a minute, plus pauses: the book's length follows its text
    assert words / 185 * 60 < total < words / 120 * 60
    assert spoken > 0.6 * total
    assert "wall time" in result.stdout


@pytest.mark.slow
def test_sample_story_book_file_subtitles_and_manifest(sample_build):
    work, _env, _ = sample_build
    out = work / "out"
    book = out / "The Signal Keepers.m4b"
    chapters = probe_chapters(book)
    assert [c["tags"]["title"] for c in chapters][1:4] == yaml.safe_load(
        (ROOT / "tests" / "stories" / "the-signal-keepers.gold.yaml").read_text())["chapters"]
    for chapter, mp3 in zip(chapters, sorted(out.glob("*.mp3"))):
        length = float(chapter["end_time"]) - float(chapter["start_time"])
        assert length == pytest.approx(playing_time(mp3), abs=0.05)
    vtt = (out / "The Signal Keepers.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    voices = set(re.findall(r"<v ([^>]+)>", vtt))
    assert {"Narrator", "Mara", "Tomas", "Ines", "Bram"} <= voices
    assert len(list(out.glob("*.srt"))) == 5
    manifest = json.loads((out / "manifest.json").read_text())
    assert [c["number"] for c in manifest["chapters"]] == [0, 1, 2, 3, 4]
    assert manifest["voices"]["sha256"] and manifest["book_file"]["file"] == "The Signal Keepers.m4b"
    assert all(len(c["fingerprint"]) == 64 for c in manifest["chapters"])


@pytest.mark.slow
def test_rebuild_comes_from_the_cache_and_chapters_subset(sample_build):
    work, env, _ = sample_build
    again = narrate("build", STORY, "--voices", ROOT / "voices.yaml", "-o", work / "two", "--chapters", "2",
                    env=env)
    files = list((work / "two").iterdir())
    assert sorted(f.name for f in files if f.suffix == ".mp3") == ["02 - Chapter Two- Channel 16.mp3"]
    cached, total = map(int, re.search(r"\((\d+)/(\d+) clips from cache\)", again.stdout).groups())
    assert cached == total > 0
    chapter = work / "two" / "02 - Chapter Two- Channel 16.mp3"
    assert duration(chapter) == pytest.approx(duration(work / "out" / chapter.name), abs=0.1)


@pytest.mark.slow
def test_speed_shortens_the_audio(sample_build, tmp_path):
    work, env, _ = sample_build
    narrate("build", STORY, "--voices", ROOT / "voices.yaml", "-o", tmp_path, "--chapters", "3", "--speed", "1.5",
            "-q", env=env)
    fast = duration(next(tmp_path.glob("*.mp3")))
    normal = duration(work / "out" / "03 - Chapter Three- Light Kept.mp3")
    assert fast < 0.8 * normal


@pytest.mark.slow
def test_gone_builds_with_its_cast(tmp_path, gone_story, env):
    result = narrate("build", gone_story, "--voices", ROOT / "tests" / "gone" / "voices.yaml", "-o", tmp_path / "out",
                     env=env)
    files = sorted((tmp_path / "out").glob("*.mp3"))
    assert [f.name for f in files] == ["00 - Opening Credits.mp3", "01 - Gone.mp3", "02 - Closing Credits.mp3"]
    assert duration(files[1]) > 500
    vtt = (tmp_path / "out" / "Gone.vtt").read_text(encoding="utf-8")
    assert {"Clint", "Natasha", "Steve", "Tony", "Narrator"} <= set(re.findall(r"<v ([^>]+)>", vtt))
    for name in ("Clint", "Natasha", "Steve", "Tony"):
        assert name in result.stdout


def test_script_json_accounts_for_every_word(tmp_path, env):
    result = narrate("script", STORY, "--format", "json", env=env)
    script = json.loads(result.stdout)
    assert {s["kind"] for s in script["segments"]} == {"narration", "dialogue", "skipped"}
    out = tmp_path / "script.json"
    out.write_text(result.stdout)
    check = subprocess.run([sys.executable, str(ROOT.parent / "shared" / "bench" / "check_script.py"), str(STORY),
                            str(out)], capture_output=True, text=True)
    if "No such file" in check.stderr:
        pytest.skip("../shared/bench/check_script.py is not beside the repo")
    assert check.stdout.strip().endswith("nothing_lost=yes offsets_ok=%d/%d uncovered_words=0"
                                         % (len(script["segments"]), len(script["segments"])))


def tiny_png(path):
    """A valid 1x1 PNG, made here rather than shipped."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00"))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.slow
def test_built_chapters_meet_the_loudness_target(sample_build):
    work, env, _ = sample_build
    result = narrate("check", work / "out", env=env)
    assert "all 6 file(s) meet the voices.yaml targets" in result.stdout


@pytest.mark.slow
def test_acx_build_with_cover_passes_the_acx_check(sample_build, tmp_path):
    work, env, _ = sample_build
    cover = tiny_png(tmp_path / "cover.png")
    narrate("build", STORY, "--voices", ROOT / "voices.yaml", "-o", tmp_path / "acx", "--acx", "--format", "mp3",
            "--cover", cover, "-q", env=env)
    result = narrate("check", tmp_path / "acx", "--acx", env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 5 file(s) meet the ACX targets" in result.stdout
    first = sorted((tmp_path / "acx").glob("*.mp3"))[0]
    assert probe(first)["streams"][0]["sample_rate"] == "44100"
    pictures = mutagen.File(first).tags.getall("APIC")
    assert pictures and pictures[0].data == read_cover(cover).data  # the cover made a JPEG, once
    assert not list((tmp_path / "acx").glob("*.m4b"))


def test_check_fails_a_file_made_too_loud(tmp_path, env):
    loud = tmp_path / "loud.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-af", "volume=12dB",
                    "-c:a", "libmp3lame", "-b:a", "64k", str(loud)], check=True)
    result = narrate("check", tmp_path, env=env, check=False)
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "loud.mp3" in result.stderr and "Traceback" not in result.stderr


def summary_counts(stdout):
    encoded = int(re.search(r"\((\d+) encoded", stdout)[1])
    cached, total = map(int, re.search(r"\((\d+)/(\d+) clips from cache\)", stdout).groups())
    return encoded, cached, total


@pytest.mark.slow
def test_rebuild_does_only_what_changed(sample_build, tmp_path):
    work, env, _ = sample_build
    out = tmp_path / "out"
    args = ["build", STORY, "-o", out, "--format", "mp3"]
    first = narrate(*args, "--voices", ROOT / "voices.yaml", env=env)
    assert summary_counts(first.stdout)[0] == 5
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp3")}

    again = narrate(*args, "--voices", ROOT / "voices.yaml", env=env)
    assert "nothing changed since the last build" in again.stdout and "5 parts current" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.mp3")} == before

    # an output deleted: the build is no longer current; only that file is written again, from the cache
    lost = out / "03 - Chapter Three- Light Kept.mp3"
    lost.unlink()
    restored = narrate(*args, "--voices", ROOT / "voices.yaml", env=env)
    encoded, cached, total = summary_counts(restored.stdout)
    assert encoded == 1 and cached == total and lost.is_file()
    before[lost.name] = lost.stat().st_mtime_ns

    # recast Bram, who speaks only in chapters two and three: only his lines and those chapters are redone
    recast = tmp_path / "voices.yaml"
    recast.write_text(yaml.safe_dump(_recast_bram()), encoding="utf-8")
    third = narrate(*args, "--voices", recast, env=env)
    encoded, cached, total = summary_counts(third.stdout)
    script = json.loads(narrate("script", STORY, "--format", "json", "--voices", recast, env=env).stdout)
    # a long segment is spoken as one clip per sentence (casting.sentences.clip_texts): count his clips
    bram = sum(len(clip_texts(s["text"])) for s in script["segments"] if s["speaker"] == "Bram")
    assert total - cached == bram
    changed = {p.name for p in out.glob("*.mp3") if p.stat().st_mtime_ns != before[p.name]}
    assert changed == {"02 - Chapter Two- Channel 16.mp3", "03 - Chapter Three- Light Kept.mp3"}
    assert encoded == 2


def _recast_bram():
    config = yaml.safe_load((ROOT / "voices.yaml").read_text())
    config["characters"]["Bram"]["pitch"] = (config["characters"]["Bram"].get("pitch", 50) + 20) % 100
    return config


def test_an_epub_becomes_a_book_with_its_chapters_and_cover(tmp_path, env):
    from test_ingest_epub import CHAPTERS, build_epub

    cover = tiny_png(tmp_path / "cover.png").read_bytes()
    book = build_epub(tmp_path / "keeper.epub", cover=cover)
    narrate("build", book, "-o", tmp_path / "out", "-q", env=env)
    marks = probe_chapters(tmp_path / "out" / "The Lighthouse Keeper.m4b")
    assert [m["tags"]["title"] for m in marks] == ["Opening Credits", *(title for _, title, _ in CHAPTERS),
                                                   "Closing Credits"]
    tags = mutagen.File(tmp_path / "out" / "The Lighthouse Keeper.m4b")
    assert tags["\xa9nam"] == ["The Lighthouse Keeper"] and tags["\xa9ART"] == ["Ada Marsh"]
    embedded = prepare_cover(cover, "the e-book's cover").data  # the cover made a JPEG, once
    assert bytes(tags["covr"][0]) == embedded
    first_chapter = sorted((tmp_path / "out").glob("01 - *.mp3"))[0]
    assert mutagen.File(first_chapter).tags.getall("APIC")[0].data == embedded
