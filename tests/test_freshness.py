"""A build is current only while its inputs, narrate, the engines and every file it left are unchanged."""
import json
import os

import pytest

from narrate import state
from narrate.errors import ConfigError
from narrate.request import BuildRequest, current_build, engine_versions, file_stamps


@pytest.fixture
def story(tmp_path):
    path = tmp_path / "tale.md"
    path.write_text("# A Tale\n\n“Hello,” said Wren.\n", encoding="utf-8")
    return path


def inputs(story, voices=None, script=None, cover=None, **options):
    return BuildRequest(story, voices=voices, script_file=script, cover=cover, **options).inputs


def test_inputs_are_equal_until_something_that_shapes_the_book_changes(story, tmp_path):
    first = inputs(story)
    assert inputs(story) == first
    story.write_text(story.read_text() + "\nMore.\n", encoding="utf-8")
    edited = inputs(story)
    assert edited != first
    (tmp_path / "voices.yaml").write_text("characters: {Wren: {voice: en+f3}}\n", encoding="utf-8")
    beside = inputs(story)  # a voices.yaml beside the story is used by the build, so it counts
    assert beside != edited
    script = tmp_path / "script.json"
    script.write_text("{}", encoding="utf-8")
    assert inputs(story, script=script) != beside
    for option, value in [("chapters", "1"), ("speed", 1.5), ("formats", ("mp3",)), ("acx", True),
                          ("include_front_matter", True)]:
        assert inputs(story, **{option: value}) != beside, option


def test_inputs_name_a_missing_voices_file(story, tmp_path):
    with pytest.raises(ConfigError, match="no such voices file"):
        inputs(story, voices=tmp_path / "nope.yaml")


def test_inputs_change_when_narrates_own_code_does(story, tmp_path, monkeypatch):
    package = tmp_path / "package"
    package.mkdir()
    (package / "stage.py").write_text("A = 1\n")
    monkeypatch.setattr(state, "_PACKAGE", package)
    state.code_stamp.cache_clear()
    before = inputs(story)
    (package / "stage.py").write_text("A = 22\n")
    state.code_stamp.cache_clear()  # a new process: the stamp is kept for the life of one
    assert inputs(story) != before
    state.code_stamp.cache_clear()


def finished_build(outdir, story):
    """A manifest as pipeline.build leaves it, for two output files."""
    outdir.mkdir()
    files = [outdir / "01 - One.mp3", outdir / "Tale.m4b"]
    for n, path in enumerate(files):
        path.write_bytes(bytes(100 + n))
    manifest = {"chapters": [], "inputs": inputs(story), "engines": engine_versions({"espeak"}, False),
                "outputs": file_stamps(files)}
    (outdir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return files


def test_a_build_is_current_while_nothing_changed(story, tmp_path):
    finished_build(tmp_path / "out", story)
    assert current_build(tmp_path / "out", inputs(story))["engines"]["espeak"].startswith("pyttsx3")


def test_an_output_touched_or_gone_makes_the_build_stale(story, tmp_path):
    mp3, book = finished_build(tmp_path / "out", story)
    stat = mp3.stat()
    os.utime(mp3, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert current_build(tmp_path / "out", inputs(story)) is None
    os.utime(mp3, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert current_build(tmp_path / "out", inputs(story)) is not None
    book.unlink()
    assert current_build(tmp_path / "out", inputs(story)) is None


def test_other_inputs_or_engines_make_the_build_stale(story, tmp_path):
    finished_build(tmp_path / "out", story)
    assert current_build(tmp_path / "out", inputs(story, speed=1.2)) is None
    manifest_path = tmp_path / "out" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["engines"]["espeak"] = "pyttsx3 0.1 / espeak-ng 0.9"  # built with an older engine
    manifest_path.write_text(json.dumps(manifest))
    assert current_build(tmp_path / "out", inputs(story)) is None


@pytest.mark.parametrize("content", [None, "{not json", json.dumps({"chapters": []})])
def test_no_or_unreadable_or_older_manifest_is_never_current(story, tmp_path, content):
    (tmp_path / "out").mkdir()
    if content is not None:
        (tmp_path / "out" / "manifest.json").write_text(content)
    assert current_build(tmp_path / "out", inputs(story)) is None
