#!/usr/bin/env python3
"""narrate studio measured in the browser (Debian's chromium through Playwright) on a generated novel.

The novel (~150,000 words by default) is bench/annotate_speed.py's, written from its own templates. The book is
annotated once (`narrate script`, a fresh cache), then the studio is opened twice as a user opens it (`narrate
studio NOVEL --no-browser`): the first open makes its reading of the book (on a thread, seconds on a novel) and
keeps it in the cache (once no fix has come for 2 s, or as it stops), the second reads it back. Measured from the
browser, per open: page load to first segments on screen, a filter by speaker, a reassign to the updated view (the
first open's first one may wait for the reading), a second reassign, and a click to sound on an uncached and then a
cached espeak line.
Baseline in the same run: espeak-ng saying the same line to a file (the least an uncached line can cost).
Issue 18's targets: first segments <= 1 s, filter <= 0.3 s, reassign <= 0.5 s, cached <= 0.3 s, uncached <= 1 s.

usage: nice bench/studio.py [--words N] [--repeats N]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).parent))
from annotate_speed import novel

ROOT = Path(__file__).resolve().parents[1]
UNIQUE = "The ferry to Saltmarsh leaves at nine sharp, whatever the weather says."
TARGETS = {"first segments": 1.0, "filter by speaker": 0.3, "reassign to view": 0.5, "reassign again": 0.5,
           "uncached line to sound": 1.0, "cached line to sound": 0.3}


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def play_seconds(page, index: int) -> float:
    """From setting the audio element's source to its `playing` event, as a click does."""
    return page.evaluate("""async (index) => {
        const player = document.getElementById('player');
        const token = document.body.dataset.token;
        const start = performance.now();
        const playing = new Promise((resolve) => player.addEventListener('playing', resolve, {once: true}));
        player.src = `/api/segments/${index}/audio?token=${token}&t=${start}`;  // never the browser's copy
        await player.play();
        await playing;
        const seconds = (performance.now() - start) / 1000;
        player.pause();
        return seconds;
    }""", index)


def session(narrate: list[str], story: Path, env: dict) -> tuple[float, dict, str, str]:
    """One studio from start to Ctrl-C, measured in chromium: (start to URL, figures, segments shown, the line)."""
    from playwright.sync_api import sync_playwright

    studio = subprocess.Popen([*narrate, "studio", str(story), "--no-browser"], env=env, stdout=subprocess.PIPE,
                              text=True, cwd=story.parent)  # not the repository's folder: `-m` would import from it
    start = time.perf_counter()
    url = re.search(r"http://\S+", studio.stdout.readline())[0]
    started = time.perf_counter() - start
    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page()
            results["first segments"] = timed(lambda: (page.goto(url), page.locator(".seg").first.wait_for()))
            total = page.inner_text("#count")
            speaker = page.eval_on_selector_all('select[name=speaker] option',
                                                "options => options.map(o => o.value).filter(v => v)")[0]

            def filter_by_speaker():
                page.select_option("select[name=speaker]", speaker)
                page.wait_for_function("(name) => { const who = document.querySelectorAll('#script .who'); "
                                       "return who.length && [...who].every(w => w.textContent === name); }",
                                       arg=speaker)
            results["filter by speaker"] = timed(filter_by_speaker)
            page.select_option("select[name=speaker]", "")
            page.locator(".seg.dialogue").first.wait_for()
            quote = page.locator(".seg.dialogue", has_text=UNIQUE)
            index = int(quote.get_attribute("data-id"))
            quote.click()
            page.fill("#fix-form input[name=speaker]", "Somebody Else")

            def reassign():
                page.click("#assign")
                page.wait_for_function("!document.getElementById('status').textContent.startsWith('saving')",
                                       timeout=120_000)
            results["reassign to view"] = timed(reassign)  # on a first open, may wait for the reading of the book
            said = page.inner_text("#status")
            if "written to" not in said:
                raise SystemExit(f"the reassign failed: {said}")
            page.locator(f'.seg[data-id="{index}"]').click()  # the form again, for the same quote
            page.fill("#fix-form input[name=speaker]", "Another Person")  # a new pin: decoded again
            results["reassign again"] = timed(reassign)
            if "written to" not in page.inner_text("#status"):
                raise SystemExit(f"the second reassign failed: {page.inner_text('#status')}")
            results["uncached line to sound"] = play_seconds(page, index)
            results["cached line to sound"] = play_seconds(page, index)
            text = page.locator(f'.seg[data-id="{index}"]').inner_text()
            browser.close()
    finally:
        studio.send_signal(signal.SIGINT)
        studio.wait(timeout=60)
    return started, results, total, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=150_000)
    parser.add_argument("--repeats", type=int, default=1, help="runs, each on a fresh cache; the median is shown")
    args = parser.parse_args()

    load_before = Path("/proc/loadavg").read_text().strip()  # 2 cores shared: the figures move with the load
    runs: dict[str, list] = {"first open": [], "opened again": []}
    annotating, espeak = [], []
    with tempfile.TemporaryDirectory() as work:
        story = Path(work) / "novel.txt"
        text = novel(args.words, 7)  # its lines repeat: one quote of its own words, for an override to name alone
        text = text.replace("Chapter 1\n\n", f"Chapter 1\n\n\"{UNIQUE}\" said the stranger.\n\n", 1)
        story.write_text(text, encoding="utf-8")
        # narrate as it is now, copied: the cache's records are keyed by narrate's code, which others may be editing
        shutil.copytree(ROOT / "narrate", Path(work) / "code" / "narrate",
                        ignore=shutil.ignore_patterns("__pycache__"))
        narrate = [sys.executable, "-m", "narrate"]
        for run in range(args.repeats):
            cache = Path(work) / f"cache{run}"
            env = {**os.environ, "NARRATE_CACHE_DIR": str(cache), "PYTHONPATH": str(Path(work) / "code")}
            annotating.append(timed(lambda env=env: subprocess.run([*narrate, "script", str(story)], env=env,
                                                                   check=True, cwd=work, stdout=subprocess.DEVNULL,
                                                                   stderr=subprocess.DEVNULL)))
            for name, figures in runs.items():  # the first open makes the reading of the book; the second reads it
                figures.append(session(narrate, story, env))
                (story.parent / "voices.yaml").unlink(missing_ok=True)  # each open starts from the book as annotated
                shutil.rmtree(cache / "v4" / "clips", ignore_errors=True)  # its uncached line is so
            line = runs["first open"][-1][3]
            espeak.append(timed(lambda line=line: subprocess.run(["espeak-ng", "-w", str(Path(work) / "raw.wav"),
                                                                  line], check=True)))
    total = runs["first open"][0][2]
    print(f"load average before and after: {load_before} / {Path('/proc/loadavg').read_text().strip()}")
    print(f"novel: {args.words} words, {total}; `narrate script` (annotating, cold) {median(annotating):.2f} s; "
          f"median of {args.repeats} run(s), [min-max]")
    print(f"{'':24s} {'first open':>22s} {'opened again':>22s}   target")

    def row(name: str, values, target: float | None = None) -> None:
        cells = " ".join(f"{median(v):7.3f}s [{min(v):.2f}-{max(v):.2f}]" for v in values)
        worst = max(median(v) for v in values)
        print(f"{name:24s} {cells}" + (f"   {target:.1f} s ({worst / target:.2f}x)" if target else ""))

    row("start to URL", [[r[0] for r in runs[n]] for n in runs])
    for name, target in TARGETS.items():
        row(name, [[r[1][name] for r in runs[n]] for n in runs], target)
    uncached = median([r[1]["uncached line to sound"] for r in runs["opened again"]])
    print(f"baseline: espeak-ng alone says that line to a file in {median(espeak):.3f} s; the uncached line took "
          f"{uncached / median(espeak):.1f}x that")


if __name__ == "__main__":
    main()
