"""The stages keep to their places: read from the source's imports (every import statement, those inside functions
included), so a rule breaks here the moment someone breaks it, not when a start-up gets slow or a cycle appears.

- Only the faces (the CLI, later a studio) print or import click, rich or web libraries; the core imports no face.
- annotate/ and ingest/ import no engine, synthesis or audio module.
- engines/ import only what sits below them: model, errors, ffmpeg, state, voicelib.
- voicelib/ (the voices folder and downloads) imports only model, errors, state and download_progress (where
  downloads report, kept outside so the CLI sets it without importing http).
- model, errors and download_progress import nothing of narrate.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "narrate"
FACES = ("narrate.cli", "narrate.__main__", "narrate.studio")
FACE_LIBRARIES = ("click", "rich", "flask", "starlette", "fastapi", "uvicorn", "aiohttp", "tornado", "bottle",
                  "http.server", "websockets")
BELOW_ENGINES = ("narrate.model", "narrate.errors", "narrate.ffmpeg", "narrate.state", "narrate.voicelib")
BELOW_VOICELIB = ("narrate.model", "narrate.errors", "narrate.state", "narrate.voicelib", "narrate.download_progress")
NOT_FOR_TEXT_STAGES = ("narrate.engines", "narrate.synthesis", "narrate.audio")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(module imported, line) for every import in the file: `from a import b` gives a.b when b is a module
    of narrate, else a."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((candidate if _is_module(candidate) else base, node.lineno))
    return found


def _is_module(dotted: str) -> bool:
    if not dotted.startswith("narrate."):
        return False
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def calls_print(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"]


SOURCES = sorted(PACKAGE.rglob("*.py"))


def broken_rules(sources=SOURCES) -> list[str]:
    broken = []
    for path in sources:
        module = module_name(path)
        where = f"{path.relative_to(PACKAGE.parent)}"
        face = _within(module, FACES)
        for imported, line in imports_of(path):
            if not face and _within(imported, FACE_LIBRARIES):
                broken.append(f"{where}:{line}: only a face imports {imported}")
            if not face and _within(imported, FACES):
                broken.append(f"{where}:{line}: the core imports the face {imported}")
            if _within(module, ("narrate.annotate", "narrate.ingest")) and _within(imported, NOT_FOR_TEXT_STAGES):
                broken.append(f"{where}:{line}: a text stage imports {imported}")
            if (_within(module, ("narrate.engines",)) and imported.startswith("narrate")
                    and not _within(imported, ("narrate.engines", *BELOW_ENGINES)) and imported != "narrate"):
                broken.append(f"{where}:{line}: an engine imports {imported}, which sits above it")
            if (_within(module, ("narrate.voicelib",)) and imported.startswith("narrate")
                    and not _within(imported, BELOW_VOICELIB)):
                broken.append(f"{where}:{line}: the voice library imports {imported}, which sits above it")
            if module in ("narrate.model", "narrate.errors", "narrate.download_progress") and _within(imported, ("narrate",)):
                broken.append(f"{where}:{line}: {module} imports {imported}")
        if not face:
            broken += [f"{where}:{line}: only a face prints" for line in calls_print(path)]
    return broken


def test_every_stage_rule_holds():
    assert broken_rules() == []


@pytest.mark.parametrize("module, line, rule", [
    ("annotate/quotes.py", "import narrate.engines\n", "a text stage imports narrate.engines"),
    ("annotate/quotes.py", "def f():\n    from narrate.audio import layout\n", "a text stage imports narrate.audio"),
    ("ingest/text.py", "from narrate.synthesis.local import synthesize\n", "a text stage imports narrate.synthesis"),
    ("engines/espeak.py", "from narrate.casting import config\n", "an engine imports narrate.casting"),
    ("voicelib/store.py", "from narrate.engines import base\n", "the voice library imports narrate.engines"),
    ("model.py", "from narrate.errors import ConfigError\n", "narrate.model imports narrate.errors"),
    ("audio/layout.py", "import click\n", "only a face imports click"),
    ("pipeline/book.py", "from narrate import cli\n", "the core imports the face narrate.cli"),
    ("casting/cast.py", "def f():\n    print('x')\n", "only a face prints"),
])
def test_a_broken_rule_is_named(tmp_path, monkeypatch, module, line, rule):
    """Each rule fails when broken: a copy of the package with one offending line added."""
    import shutil

    copy = tmp_path / "narrate"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + "\n" + line, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", copy)
    broken = broken_rules(sorted(copy.rglob("*.py")))
    assert len(broken) == 1 and rule in broken[0], broken
