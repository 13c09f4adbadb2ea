"""Issue 19's "done when", end to end on real parts: `narrate cast STORY --write --engine piper|hibari` with the
stand-in host as the hub (HF_ENDPOINT) and an empty voices folder fetches the library voices it chooses, casts
everyone distinct by measurement, and a build with that voices.yaml then runs offline from the voices folder.

The stand-in serves the voices that ship in wheels under library names (tests/voicelib_server.py): piper's joe
as four piper voices of both genders and, made into a multi-speaker model whose speakers are joe resampled
(speaking_multi_speaker), as en_US-libritts_r-medium; hibari's heart as emma. Those sound alike (they are one
recording), but narrate cannot know that: to it they are separate voice files, each fetched, checked and
measured as a real one would be. Every other catalogue voice answers 404, as a voice would that cannot be had."""
from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from audio_tools import duration, loud_seconds
from cli_tools import run, run_out, write_story
from test_autocast import voices_of
from voicelib_server import HIBARI_EMMA, PIPER_ALBA, joe_files

from narrate.casting.library import base_voice
from narrate.casting.measure import MEASUREMENTS, Measurer, describe
from narrate.engines import get_engine

pytest_plugins = ("voicelib_fixtures",)

STORY = """The Ferry

The ferry was late again. "We will miss the train," said Oskar. He checked his watch for the third time.

"Then we miss it," said Greta. She pulled her coat tighter and looked at the grey water.

"You always say that," Oskar said. "And then you complain all the way home."

Bruno laughed. He was leaning on the rail beside them. "Nobody ever caught a ferry by worrying," he said.

"Nobody asked you," said Lotte. She was his sister, and she was tired of him.

Greta smiled at her. "Let him talk," she said. "It passes the time."

"The time passes anyway," Bruno said.

Oskar shook his head. "Here it comes at last," he said, and pointed at the lights.

Lotte picked up her bag. "Finally," she said.

"Tickets, please," said Henrik, the conductor. He had a grey beard.
"""
PIPER_HUB = "/rhasspy/piper-voices/resolve/main/en/"
# piper voices the stand-in serves (joe's model and config), beside en_GB-alba-medium: with joe (bundled) five
# whole voices (two men's, three women's) for the story's seven parts (the narrator, the unattributed voice,
# three men, two women); the two left take speakers of the multi-speaker model, before any pitch variant
PIPER_EXTRA = {"en_US-ryan-high": "en_US/ryan/high", "en_US-lessac-high": "en_US/lessac/high",
               "en_US-amy-medium": "en_US/amy/medium"}
LIBRITTS_R = "en_US-libritts_r-medium"
SPEAKER_SHIFTS = (-2.0, 2.0, 4.0, -4.0)  # semitones each speaker of the multi-speaker stand-in is from joe
OFFLINE = "http://127.0.0.1:9"  # nothing listens there: the hub cannot be reached


def speaking_multi_speaker(folder: Path, joe_model: Path, joe_config: Path) -> tuple[Path, Path]:
    """A multi-speaker piper model that speaks: joe's graph with piper's `sid` input added, speaker N's audio
    being joe's resampled by SPEAKER_SHIFTS[N] semitones (higher and quicker, or lower and slower: a voice of its
    own to a pitch tracker and still words to a recogniser). Its config is joe's with the speakers counted."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(joe_model))
    graph = model.graph
    for weight in graph.initializer:  # joe's graph has a weight named sid, the name piper feeds the speaker as
        if weight.name == "sid":
            weight.name = "joe_sid"
    for node in graph.node:
        node.input[:] = ["joe_sid" if name == "sid" else name for name in node.input]
        node.output[:] = ["joe_output" if name == "output" else name for name in node.output]
    del graph.output[:]

    def const(name, value, dtype=np.float32):
        return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(value, dtype), name))

    graph.node.extend([
        const("ratios", [2 ** (s / 12) for s in SPEAKER_SHIFTS]), const("flat", [-1], np.int64),
        const("zero", 0.0), const("one", 1.0), const("shape", [1, 1, -1], np.int64),
        helper.make_node("Gather", ["ratios", "sid"], ["ratio"]),
        helper.make_node("Reshape", ["joe_output", "flat"], ["samples"]),
        # output[t] = samples[floor(t * ratio)] for t < len(samples) / ratio
        helper.make_node("Shape", ["samples"], ["length"]),
        helper.make_node("Cast", ["length"], ["length_f"], to=TensorProto.FLOAT),
        helper.make_node("Div", ["length_f", "ratio"], ["new_length"]),
        helper.make_node("Floor", ["new_length"], ["new_length_floor"]),
        helper.make_node("Squeeze", ["new_length_floor"], ["count"]),
        helper.make_node("Range", ["zero", "count", "one"], ["t"]),
        helper.make_node("Mul", ["t", "ratio"], ["at"]),
        helper.make_node("Floor", ["at"], ["at_floor"]),
        helper.make_node("Cast", ["at_floor"], ["index"], to=TensorProto.INT64),
        helper.make_node("Gather", ["samples", "index"], ["resampled"], axis=0),
        helper.make_node("Reshape", ["resampled", "shape"], ["output"]),
    ])
    graph.input.append(helper.make_tensor_value_info("sid", TensorProto.INT64, [1]))
    graph.output.append(helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "samples"]))
    folder.mkdir(parents=True, exist_ok=True)
    model_path, config_path = folder / "multi.onnx", folder / "multi.onnx.json"
    onnx.save(model, str(model_path))
    config = json.loads(joe_config.read_text(encoding="utf-8"))
    config["num_speakers"] = len(SPEAKER_SHIFTS)
    config["speaker_id_map"] = {f"reader_{n}": n for n in range(len(SPEAKER_SHIFTS))}
    config_path.write_text(json.dumps(config), encoding="utf-8")
    return model_path, config_path


@pytest.fixture
def voices_dir(stand_in, tmp_path, monkeypatch):
    """An empty voices folder (NARRATE_VOICES_DIR), the stand-in as the hub."""
    folder = tmp_path / "voices"
    monkeypatch.setenv("NARRATE_VOICES_DIR", str(folder))
    return folder


def measured_pitches(folder) -> dict[str, float]:
    """describe(voice) -> median pitch, from the measurements auto-casting kept in the voices folder."""
    entries = json.loads((folder / MEASUREMENTS).read_text(encoding="utf-8"))
    return {e["voice"]: e["pitch"] for e in entries.values()}


def assert_distinct(cast, pitches) -> None:
    """Every two parts on one base voice are 2 semitones apart by measured pitch (else on different bases)."""
    for a, b in itertools.combinations(cast, 2):
        if base_voice(cast[a]) == base_voice(cast[b]):
            gap = abs(pitches[describe(cast[a])] - pitches[describe(cast[b])])
            assert gap >= 2.0 - 0.005, (a, b, cast[a], cast[b], gap)


def cast_offline_then_build(tmp_path, capsys, monkeypatch, stand_in, story, target, cast, *build_options):
    """With the hub unreachable: a build with `target` succeeds from the voices folder, and casting again
    into a new voices.yaml measures nothing and chooses the same voices. Returns the second cast's stdout."""
    monkeypatch.setenv("HF_ENDPOINT", OFFLINE)
    gets = sum(stand_in.gets.values())
    code, err = run(capsys, "build", story, "--voices", target, "-o", tmp_path / "out", "--format", "mp3",
                    "-j", "1", *build_options)
    assert code == 0, err
    files = sorted((tmp_path / "out").glob("*.mp3"))
    assert files and all(duration(f) > 1 and loud_seconds(f) > 0.5 for f in files)
    assert sum(map(duration, files)) > 15  # the whole story, read

    def no_audio(*_):
        raise AssertionError("measured again")

    monkeypatch.setattr(Measurer, "_audio", no_audio)
    again = tmp_path / "again.yaml"
    code, out, err = run_out(capsys, "cast", story, "--voices", again, "--write", "--engine",
                             next(iter(cast.values())).engine)
    assert code == 0, err
    assert "measuring voices" not in err
    assert voices_of(again) == cast
    assert sum(stand_in.gets.values()) == gets  # nothing reached the stand-in
    return " ".join(out.split())


@pytest.mark.slow  # each voice chosen is heard by the recogniser (~5 s each), then a book is built: ~1.5 minutes
def test_piper_cast_fetches_what_it_chooses_and_the_book_builds_offline(voices_dir, stand_in, tmp_path, capsys,
                                                                        monkeypatch):
    pytest.importorskip("piper")
    pytest.importorskip("onnx")
    model, config = joe_files()
    served = {"en_GB-alba-medium": PIPER_ALBA}
    for name, where in PIPER_EXTRA.items():
        served[name] = f"{PIPER_HUB}{where}/{name}"
        stand_in.serve(served[name] + ".onnx", model)
        stand_in.serve(served[name] + ".onnx.json", config)
    served[LIBRITTS_R] = f"{PIPER_HUB}en_US/libritts_r/medium/{LIBRITTS_R}"
    for path in speaking_multi_speaker(tmp_path / "multi", model, config):
        stand_in.serve(served[LIBRITTS_R] + path.name.removeprefix("multi"), path)
    story = write_story(tmp_path, STORY)
    target = tmp_path / "voices.yaml"

    code, out, err = run_out(capsys, "cast", story, "--voices", target, "--write", "--engine", "piper")
    assert code == 0, err
    cast = voices_of(target)
    assert all(v.engine == "piper" for v in cast.values())
    # enough whole voices here and on the hub: no part is a pitch variant, each on a voice of its own
    assert not any(v.semitones or v.tempo != 1 for v in cast.values()), cast
    assert len({v.voice for v in cast.values()}) == len(cast)
    whole = {v.voice for v in cast.values() if "#" not in v.voice}
    assert whole == {"joe", *served} - {LIBRITTS_R}  # every whole voice to be had, then speakers
    speakers = {part for part, v in cast.items() if v.voice.startswith(LIBRITTS_R + "#")}
    assert speakers == {"Henrik", "unknown"}  # a man, once the men's whole voices are taken; the unattributed voice
    genders = {info.id: info.gender for info in get_engine("piper").voices()}
    for part in ("Oskar", "Bruno", "Greta", "Lotte"):
        assert genders[cast[part].voice] == ("male" if part in ("Oskar", "Bruno") else "female"), (part, cast)
    # each file fetched at most once, each chosen voice's files fetched, with the fetch said
    assert max(stand_in.gets.values()) == 1, stand_in.gets
    chosen = {v.voice.partition("#")[0] for v in cast.values()} - {"joe"}
    for name in chosen:
        assert stand_in.gets[served[name] + ".onnx"] == stand_in.gets[served[name] + ".onnx.json"] == 1
        assert f"fetching piper:{name}: {name}.onnx" in err
        assert (voices_dir / "piper" / f"{name}.onnx").is_file()
    assert_distinct(cast, measured_pitches(voices_dir))
    flat = " ".join(out.split())
    assert "nearest pair: " in flat and "on different voices, piper:" in flat

    again = cast_offline_then_build(tmp_path, capsys, monkeypatch, stand_in, story, target, cast)
    assert "nearest pair: " in again
    assert "could not be fetched" in again and "cast from the voices here" in again


@pytest.mark.slow  # heart's variants measured, each voice chosen heard by the recogniser, a book built: minutes
def test_hibari_cast_fetches_emma_and_the_book_builds_offline(voices_dir, stand_in, emma_is_heart, tmp_path,
                                                               capsys, monkeypatch):
    pytest.importorskip("hibari")
    story = write_story(tmp_path, STORY)
    target = tmp_path / "voices.yaml"

    code, out, err = run_out(capsys, "cast", story, "--voices", target, "--write", "--engine", "hibari")
    assert code == 0, err
    cast = voices_of(target)
    # two whole voices to be had (heart, bundled; emma, fetched): both used, the rest variants of them
    assert {v.voice for v in cast.values()} == {"heart", "emma"}
    assert not cast["narrator"].semitones and sum(not v.semitones for v in cast.values()) == 2
    assert stand_in.gets[HIBARI_EMMA] == 1 and max(stand_in.gets.values()) == 1
    assert "fetching hibari:emma" in err and (voices_dir / "hibari" / "bf_emma.int8.onnx").is_file()
    assert_distinct(cast, measured_pitches(voices_dir))
    assert "nearest pair: " in " ".join(out.split())

    # the build's workers are threads of this process (a Dask cluster of threads), where emma_is_heart makes the
    # catalogue name heart's file as emma's: local workers are fresh processes, which would find the file is not
    # the real emma (the catalogue pins its SHA-256) and refuse it
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as cluster:
        again = cast_offline_then_build(tmp_path, capsys, monkeypatch, stand_in, story, target, cast,
                                        "--scheduler", cluster.scheduler_address)
    assert "could not be fetched" in again
