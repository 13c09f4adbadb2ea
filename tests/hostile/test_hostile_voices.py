"""Hostile or mistaken voices.yaml (issue 16, items 5, 6, 15, 16): every mistake is exit 2 at its file:line with
the fix, found when the file is loaded; an alias bomb, a file nested a thousand deep or a huge file is refused
at once, not expanded, recursed into or parsed twice."""
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from narrate.casting.config import load_config
from narrate.cli import main
from narrate.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
STORY = "The Visit\n\nMara opened the door. \u201cYou came,\u201d she said.\n"


def voices(tmp_path, text):
    path = tmp_path / "voices.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path, text) -> str:
    path = voices(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    return str(err.value)


def test_alias_bomb_is_refused_without_expanding_it(tmp_path):
    """In a child process with 1 GB of address space and a minute: a regression fails here, it does not eat the
    machine's memory or hang the suite."""
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]\n" for n in range(1, 10))  # 9^10 values expanded
    path = voices(tmp_path, bomb)
    code = ("import sys; from narrate.casting.config import load_config; from narrate.errors import ConfigError\n"
            "try:\n    load_config(__import__('pathlib').Path(sys.argv[1]))\n"
            "except ConfigError as err:\n    print(err); sys.exit(2)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30)))
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stdout.startswith(f"{path}:") and "would expand this file" in done.stdout


def test_aliases_within_the_bound_still_work(tmp_path):
    text = "narrator: &v {voice: en-us, rate: 170}\nunattributed: *v\n"
    config = load_config(voices(tmp_path, text))
    assert config.data.unattributed.rate == 170


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path):
    assert "refers to the very value" in refused(tmp_path, "characters: &a [*a]\n")


def test_alias_growth_bound_counts_expanded_values(tmp_path):
    from narrate.casting.config import MAX_ALIAS_GROWTH

    wide = "pronounce: &p {" + ", ".join(f"w{n}: x" for n in range(200)) + "}\n"
    many = "overrides: [" + ", ".join(["*p"] * (MAX_ALIAS_GROWTH // 400 + 2)) + "]\n"
    assert "would expand this file" in refused(tmp_path, wide + many)


@pytest.mark.parametrize("text", ["characters: " + "[" * 1000 + "]" * 1000 + "\n",
                                  "characters:\n" + "".join(" " * (2 * n) + f"k{n}:\n" for n in range(1, 1000)),
                                  "characters: " + "{a: " * 1000 + "b" + "}" * 1000 + "\n"])
def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path, text):
    message = refused(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'voices.yaml'}:") and "nested more than 50 levels" in message


def test_deep_nesting_through_the_cli_is_exit_2(capsys, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text(STORY, encoding="utf-8")
    path = voices(tmp_path, "characters: " + "[" * 1000 + "]" * 1000 + "\n")
    with pytest.raises(SystemExit) as exited:
        main(["script", str(story), "--voices", str(path)])
    assert exited.value.code == 2 and "nested more than" in capsys.readouterr().err


def test_the_file_is_parsed_once(tmp_path, monkeypatch):
    import yaml.reader

    calls = []
    original = yaml.reader.Reader.__init__  # every PyYAML loader reads its stream through one Reader

    def counting(self, stream):
        calls.append(1)
        original(self, stream)

    monkeypatch.setattr(yaml.reader.Reader, "__init__", counting)
    load_config(voices(tmp_path, "language: en\ncharacters:\n  Mara: {voice: en+f3}\n"))
    assert len(calls) == 1


@pytest.mark.parametrize("text, line, words", [
    ("characters:\n  Mara: {voice: en+f3}\n  Mara: {voice: en+f2}\n", 3, "written twice"),
    ("narrator: {voice: en-us}\nlanguage: en\nnarrator: {voice: en-gb}\n", 3, "written twice"),
    ("characters:\n  Mara:\n    voice: en+f3\n    voice: en+f2\n", 4, "written twice"),
    ('characters:\n  "": {voice: en+f3}\n', 2, "empty"),
    ('characters:\n  "   ": {voice: en+f3}\n', 2, "empty"),
    ('characters:\n  Mara: {aliases: [Quill, ""]}\n', 2, "empty"),
    ('characters:\n  Mara:\n    aliases: "  "\n', 3, "empty"),
    ("characters:\n  Mara: {voice: en+f3}\nfirst_person: Nobody\n", 3, "Nobody"),
    ('output: {bitrate: "00k"}\n', 1, "8k"),
    ('output: {bitrate: "999k"}\n', 1, "320k"),
    ('output: {bitrate: "5k"}\n', 1, "8k"),
    ("narrator: {engine: espeek}\n", 1, "espeak"),
    ("characters:\n  Mara:\n    engine: nosuch\n", 3, "nosuch"),
    ("narrator:\n  voice: en-us\n  options: {speed: 2}\n", 3, "no voice options"),
    ("narrator:\n  engine: piper\n  voice: joe\n  options:\n    noise_w: 9\n", 5, "from 0 to 1.5"),
    ("narrator:\n  engine: piper\n  voice: joe\n  options:\n    nois_w: 0.5\n", 5, "noise_w"),
    ("unattributed:\n  engine: hibari\n  options: {normalize: true}\n", 3, "sentence_silence"),
])
def test_mistakes_are_refused_at_their_line(tmp_path, text, line, words):
    message = refused(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'voices.yaml'}:{line}: "), message
    assert words in message


@pytest.mark.parametrize("text", [
    "characters:\n  Mara: {aliases: [Quill]}\nfirst_person: quill\n",
    "first_person: Narrator\n",
    'output: {bitrate: "8k"}\n', 'output: {bitrate: "320k"}\n', 'output: {bitrate: "192k"}\n',
    "narrator:\n  engine: piper\n  voice: joe\n  options: {noise_w: 0.5, normalize: true}\n",
    "defaults: &pool\n  male: [en+m1]\n",
])
def test_what_is_right_still_loads(tmp_path, text):
    load_config(voices(tmp_path, text))


def test_an_engine_mistake_through_the_cli_is_exit_2_with_the_line(capsys, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text(STORY, encoding="utf-8")
    path = voices(tmp_path, "narrator:\n  voice: en-us\n  options: {speed: 2}\n")
    with pytest.raises(SystemExit) as exited:
        main(["build", str(story), "--voices", str(path), "-o", str(tmp_path / "out")])
    assert exited.value.code == 2 and f"{path}:3: narrator.options" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_every_builtin_engine_declares_its_options():
    from narrate.engines.base import BUILTIN_ENGINES, engine_class

    for engine_id in BUILTIN_ENGINES:
        assert engine_class(engine_id).options is not None, engine_id
