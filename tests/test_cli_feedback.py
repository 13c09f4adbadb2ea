"""What the command line tells a user while and after it works (issue 17, items 11, 12, 13, 16)."""
import re
from pathlib import Path

from cli_tools import run, run_out
from cli_tools import write_story as story

ONE_CHAPTER = "The Visit\n\nMara opened the door. \u201cYou came,\u201d she said.\n\n\u201cOf course,\u201d said Tomas.\n"


def test_preview_chapter_names_the_option_typed_and_one_chapter(capsys, tmp_path):
    code, err = run(capsys, "preview", story(tmp_path, ONE_CHAPTER), "--chapter", "3", "--out", tmp_path / "p.wav")
    assert code == 2
    assert "--chapter '3': the story has one chapter." in err and "--chapters" not in err


def test_build_chapters_names_its_range(capsys, tmp_path):
    two = "Chapter 1\n\nIt rained.\n\nChapter 2\n\nIt stopped.\n"
    code, err = run(capsys, "build", story(tmp_path, two), "--chapters", "3", "-o", tmp_path / "out")
    assert code == 2 and "--chapters '3': the story has chapters 1-2." in err


SLOW_VOICES = "narrator: {engine: fake, voice: mid, options: {slow: 0.05}}\ncredits: {enabled: true}\n"


def chapters_story(tmp_path, count=3, paragraphs=6):
    """Chapters of plain narration; the second opens with a quote that is never closed."""
    parts = []
    for n in range(1, count + 1):
        parts.append(f"Chapter {n}\n")
        if n == 2:
            parts.append("\u201cWait for me by the gate, Ana called across the yard.\n")
        parts += [f"Paragraph {p} of chapter {n} tells of the long road north." for p in range(paragraphs)]
    return story(tmp_path, "\n\n".join(parts) + "\n")


def test_without_a_terminal_progress_lines_come_and_text_warnings_before_synthesis(capsys, tmp_path, monkeypatch,
                                                                                   fake_engines):
    monkeypatch.setenv("NARRATE_PROGRESS_SECONDS", "0.05")
    voices = story(tmp_path, SLOW_VOICES, "voices.yaml")
    code, err = run(capsys, "build", chapters_story(tmp_path), "--voices", voices, "-o", tmp_path / "out",
                    "--format", "mp3", "-j", "1")
    assert code == 0, err
    lines = err.splitlines()
    progress = [line for line in lines if re.match(r"\[\d:\d\d:\d\d\] synthesizing \(\d+ cached\): \d+/\d+", line)]
    assert progress, err
    assert any(re.search(r", about \d:\d\d:\d\d left$", line) for line in progress), progress
    warning = next(n for n, line in enumerate(lines) if line.startswith("warning: ") and "not closed" in line)
    assert warning < lines.index(progress[0]) and lines.count(lines[warning]) == 1  # once, before synthesis


def test_the_interval_zero_turns_progress_lines_off_and_a_bad_one_is_named(capsys, tmp_path, monkeypatch,
                                                                           fake_engines):
    voices = story(tmp_path, SLOW_VOICES, "voices.yaml")
    monkeypatch.setenv("NARRATE_PROGRESS_SECONDS", "0")
    code, err = run(capsys, "build", chapters_story(tmp_path, 1, 2), "--voices", voices, "-o", tmp_path / "out",
                    "--format", "mp3")
    assert code == 0 and "synthesizing" not in err
    monkeypatch.setenv("NARRATE_PROGRESS_SECONDS", "often")
    code, err = run(capsys, "build", chapters_story(tmp_path, 1, 3), "--voices", voices, "-o", tmp_path / "out2")
    assert code == 2 and "NARRATE_PROGRESS_SECONDS='often'" in err


def test_plain_progress_line_says_stage_count_and_time_left():
    from narrate.cli import PlainProgress

    bar = PlainProgress(0)
    bar.update(0, description="synthesizing (0 cached)", total=100, completed=10)
    start = bar._origin[0]
    bar.update(0, description="synthesizing (4 cached)", total=100, completed=40)
    assert bar.line(now=start + 30).endswith("synthesizing (4 cached): 40/100, about 0:01:00 left")
    bar.update(0, description="assemble")  # a stage without a count: no stale 40/100
    assert bar.line(now=start + 31).endswith("] assemble")


def test_wrote_lines_in_book_order_and_the_summary_counts_characters_apart(capsys, tmp_path, fake_engines):
    voices = story(tmp_path, SLOW_VOICES.replace("0.05", "0"), "voices.yaml")
    path = chapters_story(tmp_path, 4, 2)
    code, out, err = run_out(capsys, "build", path, "--voices", voices, "-o", tmp_path / "out", "--format", "mp3",
                             "--format", "m4b")
    assert code == 0, err
    wrote = [line.split(" ", 1)[1].rsplit(" (", 1)[0] for line in err.splitlines() if line.startswith("wrote ")]
    names = [Path(w).name for w in wrote]
    assert names[:6] == ["00 - Opening Credits.mp3", "01 - Chapter 1.mp3", "02 - Chapter 2.mp3",
                         "03 - Chapter 3.mp3", "04 - Chapter 4.mp3", "05 - Closing Credits.mp3"], names
    assert [Path(n).suffix for n in names[6:]] == [".m4b"], names  # the book last
    assert "6 parts (6 encoded)," in out and "the rest" not in out
    assert "0 characters besides the narrator (some lines unattributed)" in out, out
    code, out, _ = run_out(capsys, "build", path, "--voices", voices, "-o", tmp_path / "out", "--format", "mp3",
                           "--chapters", "2")
    assert "1 part (0 encoded: all current)" in out or "1 part (1 encoded)" in out, out


def test_parts_and_speakers_said():
    from narrate.cli import _parts_said, _speakers_said

    assert _parts_said(3, 3) == "3 parts (3 encoded)"
    assert _parts_said(5, 2) == "5 parts (2 encoded, 3 current)"
    assert _parts_said(4, 0) == "4 parts (0 encoded: all current)"
    assert _speakers_said(["Mara", "Tomas", "narrator"]) == "2 characters besides the narrator (Mara, Tomas)"
    assert _speakers_said(["Mara", "narrator", "unknown"]) == \
        "1 character besides the narrator (Mara; some lines unattributed)"


def test_a_build_on_a_cluster_says_so(capsys, tmp_path, monkeypatch, fake_engines):
    """The summary names the cluster the clips were made on (a thread pool stands in for Dask's executor: the
    cluster itself is tested in test_cluster.py)."""
    from concurrent.futures import ThreadPoolExecutor
    from contextlib import contextmanager

    from narrate.synthesis import cluster
    from narrate.synthesis.remote import ExecutorPool

    @contextmanager
    def threads(address):
        with ThreadPoolExecutor(2) as executor:
            yield ExecutorPool(executor, f"the Dask cluster at {address}", 2)

    monkeypatch.setattr(cluster, "cluster_pool", threads)
    voices = story(tmp_path, SLOW_VOICES.replace("0.05", "0"), "voices.yaml")
    code, out, err = run_out(capsys, "build", chapters_story(tmp_path, 1, 2), "--voices", voices, "-o",
                             tmp_path / "out", "--format", "mp3", "--scheduler", "tcp://example:8786")
    assert code == 0, err
    assert re.search(r"; \d+ clips made on the Dask cluster at tcp://example:8786 \(2 worker threads\)\)", out), out


TALK = ("The Porch\n\n"
        "Ines sat on the step. Bram leaned on the rail.\n\n"
        "\u201cIt will rain,\u201d said Ines.\n\n"
        "\u201cNot before dark.\u201d\n\n"
        "\u201cYou always say that.\u201d\n\n"
        "\u201cAnd I am always right.\u201d\n\n"
        "\u201cHardly ever.\u201d\n")


def test_review_header_limit_all_and_the_paragraph_before(capsys, tmp_path):
    path = story(tmp_path, TALK)
    code, out, _ = run_out(capsys, "script", path, "--review", "--limit", "2")
    assert code == 0
    header = out.splitlines()[0]
    assert re.fullmatch(r"Of 5 quotes, \d below 0\.50, \d below 0\.80 confidence; the 2 least certain follow "
                        r"\(--limit N or --all for more\)\.", header), header
    assert len(re.findall(r"^\d\.\d\d  ", out, re.MULTILINE)) == 2
    code, out, _ = run_out(capsys, "script", path, "--review", "--all")
    assert "the 5 least certain follow." in out and len(re.findall(r"^\d\.\d\d  ", out, re.MULTILINE)) == 5
    # "Not before dark." is answered from the paragraph before: Ines's line, with her name beside it
    entry = out.split("\u201cNot before dark.\u201d<<")[0].rsplit("paragraph 3", 1)[1]
    assert "before: \u201cIt will rain,\u201d (Ines) said Ines." in entry, out


def test_an_override_matching_several_quotes_stops_the_command_with_exit_2(capsys, tmp_path):
    voices = story(tmp_path, "overrides:\n  - {quote: 'hardly', speaker: Bram}\n  - {quote: 'you', speaker: Ines}\n",
                   "voices.yaml")
    code, err = run(capsys, "script", story(tmp_path, TALK + "\n\u201cYou again.\u201d\n"), "--voices", voices)
    assert code == 2 and f"{voices}:3: overrides: quote 'you' is in 2 quotes" in err and "Traceback" not in err


def test_limit_without_review_is_a_usage_error(capsys, tmp_path):
    code, err = run(capsys, "script", story(tmp_path, TALK), "--limit", "3")
    assert code == 2 and "add --review" in err
