"""The studio's Build button: `pipeline.build` as `narrate build` runs it (the same request, a local synthesis
pool, the same up-to-date check first), in a thread of its own so that the page stays usable, one build at a
time. The page polls `status()` for the stage and the lines synthesized, then lists the files the manifest
names; only those files are ever served, and only from the output folder."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from narrate.errors import NarrateError
from narrate.request import MANIFEST_NAME, BuildRequest, current_build

AUDIO_TYPES = {".mp3": "audio/mpeg", ".m4b": "audio/mp4", ".wav": "audio/wav", ".flac": "audio/flac",
               ".opus": "audio/ogg"}


class BuildRunning(Exception):
    """A second build asked for while one runs: the page says so and keeps showing the first one's progress."""


class BuildStopped(Exception):
    """The studio is closing: the build unwinds from its next event, as `narrate build` does from Ctrl-C."""


class Builder:
    def __init__(self, story: Path, voices: Path | None, out: Path) -> None:
        self.story, self.voices, self.out = Path(story), voices, Path(out)
        self.lock = threading.Lock()
        self.state: dict = {"state": "idle"}
        self.thread: threading.Thread | None = None
        self.stopping = False

    def status(self) -> dict:
        """The build's state; before any build here, the files an earlier one left in the output folder."""
        with self.lock:
            state = {**self.state, "out": str(self.out)}
        if state["state"] == "idle" and self.files():
            state.update(files=self.files(), summary=f"{self.out}: the files of the last build there.")
        return state

    def start(self) -> dict:
        with self.lock:
            if self.state["state"] == "running":
                raise BuildRunning(f"a build is already running ({self.state.get('stage', 'starting')}); "
                                   f"wait for it to finish: its progress is shown here.")
            self.state = {"state": "running", "stage": "starting", "done": 0, "total": 0, "cached": 0,
                          "written": [], "started": time.time()}
            self.thread = threading.Thread(target=self._run, name="studio-build", daemon=True)
            self.thread.start()
            return {**self.state, "out": str(self.out)}

    def wait(self, timeout: float | None = None) -> dict:
        """The state once the running build ends (for tests and scripts)."""
        thread = self.thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def stop(self, timeout: float = 30) -> None:
        """Let a running build unwind (its synthesis workers stopped) before the studio's process ends."""
        self.stopping = True
        self.wait(timeout)

    def _update(self, **fields) -> None:
        with self.lock:
            self.state.update(fields)

    def _on_event(self, event) -> None:
        from narrate import pipeline
        from narrate.synthesis import SynthProgress

        if self.stopping and threading.current_thread() is self.thread:
            raise BuildStopped
        if isinstance(event, pipeline.Stage):
            self._update(stage=event.name)
        elif isinstance(event, SynthProgress):
            self._update(stage="synthesize", done=event.done, total=event.total, cached=event.cached)
        elif isinstance(event, pipeline.ChapterWritten):  # from the encoding threads
            with self.lock:
                self.state["written"] = [*self.state["written"], event.path.name]
        elif isinstance(event, pipeline.TextWarnings):
            self._update(warnings=list(event.messages))

    def _run(self) -> None:
        request = BuildRequest(self.story, self.out, self.voices)
        try:
            if current_build(self.out, request.inputs) is not None:  # as `narrate build`: nothing to do
                self._update(state="done", stage="current", summary=f"{self.out}: nothing changed since the last "
                             f"build there.", files=self.files())
                return
            from narrate import pipeline
            from narrate.model import Voice
            from narrate.synthesis.local import LocalPool

            with LocalPool() as pool:
                pool.warm(1, Voice.engine)
                report = pipeline.build(request, self._on_event, pool)
            self._update(state="done", stage="done", files=self.files(), warnings=report.warnings,
                         summary=f"{report.parts_encoded} of {report.parts} parts encoded, {report.segments} "
                                 f"segments, {report.audio_seconds:.0f} s of audio in {report.wall_seconds:.1f} s "
                                 f"({report.cached_clips}/{report.clips} clips from cache)")
        except BuildStopped:
            self._update(state="failed", error="stopped: the studio was closed during the build.", exit_code=130)
        except NarrateError as err:  # the text `narrate build` prints after "error: "
            self._update(state="failed", error=str(err), exit_code=err.exit_code)
        except Exception as err:  # noqa: BLE001 - a bug: said as the CLI says it, never a stack trace on the page
            self._update(state="failed", error=f"internal error: {type(err).__name__}: {err}", exit_code=70)

    def files(self) -> list[dict]:
        """The book's files as the output folder's manifest names them: each chapter's (credits too), then the
        whole book."""
        try:
            manifest = json.loads((self.out / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        found = [{"name": name, "title": chapter.get("title", ""), "duration": chapter.get("duration", 0.0)}
                 for chapter in manifest.get("chapters", []) for name in chapter.get("files", [])]
        book = manifest.get("book_file")
        if book:
            found.append({"name": book["file"], "title": "the whole book", "duration": book.get("duration", 0.0)})
        for entry in found:
            entry["audio"] = Path(entry["name"]).suffix in AUDIO_TYPES
        return found

    def file(self, name: str) -> Path:
        """One file of the last build, by the name the manifest gives it; nothing else in or out of the folder."""
        if name not in {entry["name"] for entry in self.files()} or Path(name).name != name:
            raise FileNotFoundError(name)
        return self.out / name
