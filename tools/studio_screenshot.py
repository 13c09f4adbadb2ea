"""The README's picture of narrate studio: the sample story open in Debian's chromium, quotes selected.

    .venv/bin/python tools/studio_screenshot.py            # writes docs/studio.png

Starts `narrate studio` on stories/the-signal-keepers.md (our own story) with the sample voices.yaml copied to a
temporary folder, so the picture never changes the repository's voices.yaml."""
from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def main(out: Path = ROOT / "docs" / "studio.png") -> None:
    with tempfile.TemporaryDirectory() as work:
        story = Path(work) / "the-signal-keepers.md"
        shutil.copy(ROOT / "stories" / "the-signal-keepers.md", story)
        shutil.copy(ROOT / "voices.yaml", Path(work) / "voices.yaml")
        studio = subprocess.Popen([sys.executable, "-m", "narrate", "studio", str(story), "--no-browser",
                                   "--out", str(Path(work) / "out")],
                                  stdout=subprocess.PIPE, text=True)
        try:
            url = re.search(r"http://\S+", studio.stdout.readline())[0]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                page = browser.new_page(viewport={"width": 1320, "height": 760})
                page.goto(url)
                page.click("#cast-panel summary")
                page.locator("#cast-table tbody tr").first.wait_for()  # the cast comes after the first segments
                page.locator(".seg.dialogue").nth(4).click()
                page.keyboard.press("Escape")
                for n in (5, 6):  # two quotes selected, their bar above the script
                    page.locator(".seg.dialogue").nth(n).click(modifiers=["Control"])
                page.locator(".seg.current").scroll_into_view_if_needed()
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out))
                browser.close()
        finally:
            studio.send_signal(signal.SIGINT)
            studio.wait(timeout=30)
    print(out)


if __name__ == "__main__":
    main()
