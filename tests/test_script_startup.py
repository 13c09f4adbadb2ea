"""`narrate script` starts fast because it never imports what only a build needs (synthesis, audio encoding,
the voice download machinery with http and ssl): checked in a fresh interpreter, since a test process has
imported everything already."""
import json
import subprocess
import sys

HEAVY = ("narrate.synthesis", "narrate.audio.encoding", "narrate.voicelib.download", "narrate.pipeline.book",
         "http.client", "ssl")

PROBE = """
import json, sys
from narrate.cli import main
try:
    main(["script", sys.argv[1], "--format", "json", "-q"])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[2].split(","))))), file=sys.stderr)
"""


def test_script_imports_nothing_a_build_needs(tmp_path, monkeypatch):
    story = tmp_path / "story.txt"
    story.write_text('"Is the kettle on?" asked Wren.\n\n"Since dawn," said Osric.\n', encoding="utf-8")
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, "-c", PROBE, str(story), ",".join(HEAVY)],
                         capture_output=True, text=True, check=True)
    assert '"Wren"' in run.stdout  # the script was really written
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []


def test_a_build_name_is_still_reachable_from_the_package():
    from narrate import pipeline
    from narrate.pipeline import book

    assert pipeline.build is book.build and pipeline.BuildReport is book.BuildReport
