"""Deep structures (issue 16, item 6): nothing recurses per line or per level of what a user or a damaged cache
hands narrate. A thousand heading lines in a row read as a thousand chapters; JSON nested 100,000 deep in the
manifest or a kept annotation is a cache miss; in an edited --script it is exit 2 naming the file."""
import json

import pytest

from narrate.cli import main
from narrate.errors import ConfigError
from narrate.ingest import load_book

DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"segments": ' + "[" * 100_000 + "]" * 100_000 + "}"


def test_a_thousand_heading_lines_without_blank_lines(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("The Book\n\n" + "\n".join(f"Chapter {n}" for n in range(1, 1001)) + "\n\nIt began.\n",
                    encoding="utf-8")
    book = load_book(path)  # RecursionError before: one call per heading line
    headings = [block for chapter in book.chapters for block in chapter.blocks if block.kind == "heading"]
    assert len(headings) == 1000
    assert book.source[headings[-1].start:headings[-1].end] == "Chapter 1000"


def test_heading_lines_through_the_cli(capsys, tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("\n".join(f"Chapter {n}" for n in range(1, 3001)) + "\n\nIt began.\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["script", str(path)])
    out, err = capsys.readouterr()
    assert exited.value.code == 0, err
    assert "It began." in out


def test_a_deep_manifest_is_no_current_build(tmp_path):
    from narrate.request import MANIFEST_NAME, current_build

    (tmp_path / MANIFEST_NAME).write_text(DEEP_JSON, encoding="utf-8")
    assert current_build(tmp_path, {"story": "x"}) is None
    (tmp_path / MANIFEST_NAME).write_text("[1, 2]", encoding="utf-8")  # valid JSON of the wrong shape
    assert current_build(tmp_path, {"story": "x"}) is None


def test_a_deep_kept_annotation_is_a_miss(tmp_path):
    from narrate.annotate import kept

    story = tmp_path / "story.txt"
    story.write_text("Mara spoke. \u201cHello,\u201d she said.\n", encoding="utf-8")
    book = load_book(story)
    record = tmp_path / "record.json"
    record.write_text(DEEP_OBJECT, encoding="utf-8")
    assert kept._read(record, book) is None


@pytest.mark.parametrize("content, name", [(DEEP_OBJECT, "script.json"), (DEEP_JSON, "script.json"),
                                           ("segments:\n" + "- " * 3000 + "x\n", "script.yaml"),
                                           ("segments: " + "[" * 5000 + "]" * 5000 + "\n", "script.yaml")])
def test_a_deep_script_file_is_a_config_error(tmp_path, content, name):
    from narrate.annotate.scriptio import read_script_speakers

    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_script_speakers(path)
    assert str(path) in str(err.value)


def test_a_deep_script_through_the_cli_is_exit_2(capsys, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Mara spoke. \u201cHello,\u201d she said.\n", encoding="utf-8")
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"segments": []})[:-2] + DEEP_JSON + "}", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["build", str(story), "--script", str(script), "-o", str(tmp_path / "out")])
    assert exited.value.code == 2 and "script.json" in capsys.readouterr().err
