"""README's CLI reference is generated from the click commands (tools/cli_reference.py) and must not drift from
them (issue 17, item 20); the top-level help lists every command whole."""
import re
import sys
from pathlib import Path

import click
import pytest

from narrate.cli import cli

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import cli_reference


def reference() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## CLI reference", 1)[1].split("\n## ", 1)[0]


def every_option() -> set[str]:
    return {opt for _name, command, ctx in cli_reference.commands() for param in command.get_params(ctx)
            for opt in getattr(param, "opts", []) + getattr(param, "secondary_opts", []) if opt.startswith("-")}


def test_the_readme_section_is_what_the_commands_say():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert cli_reference.with_section(readme) == readme, "run: python tools/cli_reference.py"
    section = reference()
    for wanted in ("#### `narrate engines", "`--include-front-matter`", "`--engine [espeak\\|hibari\\|piper\\|kokoro]`",
                   "-19 LUFS"):
        assert wanted in section
    build_many = section.split("#### `narrate build-many", 1)[1].split("####", 1)[0]
    assert "`--cache-dir DIR`" in build_many
    cast = section.split("#### `narrate cast", 1)[1].split("####", 1)[0]
    assert "`--engine" in cast


def test_a_changed_option_makes_the_readme_stale(monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    option = next(p for p in cli.commands["build"].params if p.name == "acx")
    monkeypatch.setattr(option, "help", "Something else.")
    assert cli_reference.with_section(readme) != readme
    assert cli_reference.main(["--check"]) == 1


def test_every_option_the_reference_prose_names_exists():
    named = set(re.findall(r"(?<![\w\[-])(--[a-z][a-z-]*|-[a-zA-Z])\b", reference()))
    unknown = named - every_option() - {"-i", "-f"}  # ffmpeg's `-i FILE -f null` in check's paragraph
    assert not unknown, f"README's CLI reference names options no command has: {sorted(unknown)}"


def test_top_level_help_lists_every_command_untruncated(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        cli.main(["--help"], prog_name="narrate")
    out = capsys.readouterr().out
    listing = out.split("Commands:", 1)[1]
    assert "..." not in listing
    for name, command in cli.commands.items():
        assert f"  {name}" in listing and command.short_help and command.short_help in " ".join(listing.split())


def test_acx_help_gives_its_loudness(capsys):
    with pytest.raises(SystemExit):
        cli.main(["build", "--help"], prog_name="narrate")
    assert "-19 LUFS" in " ".join(capsys.readouterr().out.split())


def test_the_generator_reports_missing_markers(tmp_path):
    with pytest.raises(SystemExit, match="markers"):
        cli_reference.with_section("# no reference here\n")
    assert isinstance(cli, click.Group)
