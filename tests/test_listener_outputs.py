"""The sample story built as a listener gets it, measured with ffmpeg: each chapter's closing pause, the credits'
words, a partial book's name and the build passing its own `check`."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from audio_tools import probe

ROOT = Path(__file__).resolve().parents[1]
STORY = ROOT / "stories" / "the-signal-keepers.md"
CLOSING_PAUSE = 2.5  # voices.yaml's pauses.chapter, the default


def narrate(*args, env, check=True):
    result = subprocess.run([sys.executable, "-m", "narrate", *map(str, args)], capture_output=True, text=True,
                            env=env, cwd=ROOT, check=False)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory, narrate_env):
    """The sample story built whole, and chapters 2-3 of it into a folder of their own, in one cache."""
    work = tmp_path_factory.mktemp("listener")
    env = narrate_env(work / "cache", clean=True)
    narrate("build", STORY, "--voices", ROOT / "voices.yaml", "-o", work / "out", "-q", env=env)
    narrate("build", STORY, "--voices", ROOT / "voices.yaml", "-o", work / "part", "--chapters", "2-3", "-q",
            env=env)
    return work, env


def tail_silence(path: Path) -> float:
    """Seconds of silence (under -50 dBFS) that end the file, as ffmpeg's silencedetect finds them."""
    log = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "silencedetect=noise=-50dB:d=0.05", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    return float(re.findall(r"silence_duration: ([\d.]+)", log)[-1])


@pytest.mark.slow
def test_every_chapter_ends_on_the_configured_closing_pause(built):
    """The closing pause once took up every unit's rounding: chapter two ended on 4.4 s of silence and chapter
    three on 2.2 s. Now each ends on the 2.5 s pause (within half a unit frame, 0.21 s), plus the little quiet
    espeak leaves after a line (about 0.3 s)."""
    work, _env = built
    tails = {mp3.name: tail_silence(mp3) for mp3 in sorted((work / "out").glob("*.mp3"))}
    assert len(tails) == 5
    for name, seconds in tails.items():
        assert CLOSING_PAUSE - 0.25 <= seconds <= CLOSING_PAUSE + 0.7, (name, seconds)


@pytest.mark.slow
def test_the_credits_say_who_reads_the_book_in_words_a_listener_accepts(built):
    work, _env = built
    for name in ("00 - Opening Credits.srt", "04 - Closing Credits.srt"):
        said = (work / "out" / name).read_text(encoding="utf-8")
        assert "Read by synthetic voices." in said
        assert "English (America)" not in said and "espeak" not in said  # an engine's voice name and id


@pytest.mark.slow
def test_a_partial_book_is_named_for_the_chapters_it_holds(built):
    work, _env = built
    part = work / "part"
    assert not (part / "The Signal Keepers.m4b").exists() and not (part / "The Signal Keepers.vtt").exists()
    book = part / "The Signal Keepers (chapters 2-3).m4b"
    assert (part / "The Signal Keepers (chapters 2-3).vtt").is_file()
    tags = probe(book)["format"]["tags"]
    assert tags["title"] == "The Signal Keepers (chapters 2-3)"
    assert sorted(p.name for p in part.glob("*.mp3")) == ["02 - Chapter Two- Channel 16.mp3",
                                                          "03 - Chapter Three- Light Kept.mp3"]
    # the whole book's build names its book as before
    assert (work / "out" / "The Signal Keepers.m4b").is_file()


def test_the_credits_name_the_reader_voices_yaml_gives(tmp_path):
    from narrate.casting.config import load_config
    from narrate.casting.credits import credit_texts
    from narrate.ingest import load_book

    voices = tmp_path / "voices.yaml"
    voices.write_text("credits: {read_by: Ada Marsh}\n", encoding="utf-8")
    opening, closing = credit_texts(load_book(STORY), load_config(voices))
    assert opening == "The Signal Keepers, by Elsbeth Corran. Read by Ada Marsh."
    assert closing == "This has been The Signal Keepers, by Elsbeth Corran. Read by Ada Marsh. The end."


def quietest_half_second_db(path: Path) -> float:
    """RMS (dBFS) of the file's quietest whole 0.5-s window, by ffmpeg's astats."""
    rate = int(probe(path)["streams"][0]["sample_rate"])
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-af",
                          (f"asetnsamples=n={rate // 2}:p=0,astats=metadata=1:reset=1:measure_perchannel=none:"
                           "measure_overall=RMS_level+Number_of_samples,ametadata=mode=print:file=-"),
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stdout
    windows = re.findall(r"RMS_level=(\S+)\s+\S*Number_of_samples=(\S+)", out)
    return min(float(rms) for rms, count in windows if int(float(count)) == rate // 2)


@pytest.mark.slow
def test_acx_files_have_room_tone_and_check_reports_its_floor(built, tmp_path):
    """ACX distrusts digital silence: an --acx build lies on room tone at about -75 dBFS, pauses included, and
    `check --acx` reports its floor as a number (it was digital silence: -inf)."""
    _work, env = built
    narrate("build", STORY, "--voices", ROOT / "voices.yaml", "-o", tmp_path, "--acx", "--format", "mp3",
            "--chapters", "1", "-q", env=env)
    chapter = next(tmp_path.glob("01 - *.mp3"))
    assert -78.0 <= quietest_half_second_db(chapter) <= -72.0
    table = narrate("check", tmp_path, "--acx", env=env).stdout
    row = next(line for line in table.splitlines() if line.startswith(" 01 - "))
    assert -78.0 <= float(row.split()[-5]) <= -72.0 and row.split()[-1] == "pass"  # floor dB, verdict


@pytest.mark.slow
def test_the_manifest_keeps_each_segments_timing(built):
    import json

    work, _env = built
    manifest = json.loads((work / "out" / "manifest.json").read_text(encoding="utf-8"))
    for chapter in manifest["chapters"]:
        timing = chapter["timing"]
        assert len(timing) == chapter["segments"] + 1  # its title (or the credits' words) and each segment
        assert all(start < end for _, start, end in timing)
        assert all(a[2] < b[1] for a, b in zip(timing, timing[1:]))  # in order, a pause between
        assert timing[-1][2] < chapter["duration"]
