"""A stand-in for a multi-speaker piper model (such as en_US-libritts_r-medium, ~75 MB, which this machine cannot
download): an ONNX graph with a piper VITS export's interface, saying a tone whose pitch tells the speaker.

Inputs as piper 1.x feeds them (piper/voice.py): `input` int64 [1, n] (phoneme ids), `input_lengths` int64 [1],
`scales` float32 [3] (noise, length, noise_w), `sid` int64 [1]; output `output` float32 [1, 1, samples] at the
config's rate. The tone lasts SAMPLES_PER_ID * length_scale samples per phoneme id, at BASE_HZ + HZ_PER_SPEAKER *
sid: speaker 3 sounds at 350 Hz. Its config is joe's (the phonemes piper knows) with `num_speakers` set."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

BASE_HZ, HZ_PER_SPEAKER = 200.0, 50.0
SAMPLES_PER_ID = 256  # about what a real model makes of one phoneme at 22,050 Hz
SAMPLE_RATE = 22050
SPEAKERS = 4


def model_bytes() -> bytes:
    import onnx
    from onnx import TensorProto, helper

    def const(name, value, dtype=np.float32):
        return helper.make_node("Constant", [], [name], value=onnx.numpy_helper.from_array(np.array(value, dtype)))

    nodes = [
        const("one", [1], np.int64), const("two", [2], np.int64), const("per_id", float(SAMPLES_PER_ID)),
        const("start", 0.0), const("step", 1.0), const("base", BASE_HZ), const("per_speaker", HZ_PER_SPEAKER),
        const("radians", 2 * np.pi / SAMPLE_RATE), const("amplitude", 0.3), const("shape", [1, 1, -1], np.int64),
        # samples = floor(ids * per_id * length_scale)
        helper.make_node("Shape", ["input"], ["input_shape"]),
        helper.make_node("Slice", ["input_shape", "one", "two"], ["ids"]),
        helper.make_node("Cast", ["ids"], ["ids_f"], to=TensorProto.FLOAT),
        helper.make_node("Slice", ["scales", "one", "two"], ["length_scale"]),
        helper.make_node("Mul", ["ids_f", "per_id"], ["unscaled"]),
        helper.make_node("Mul", ["unscaled", "length_scale"], ["samples_1d"]),
        helper.make_node("Floor", ["samples_1d"], ["samples_floor"]),
        helper.make_node("Squeeze", ["samples_floor"], ["samples"]),
        helper.make_node("Range", ["start", "samples", "step"], ["t"]),
        # frequency = base + per_speaker * sid
        helper.make_node("Cast", ["sid"], ["sid_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["sid_f", "per_speaker"], ["above"]),
        helper.make_node("Add", ["base", "above"], ["hz"]),
        helper.make_node("Mul", ["hz", "radians"], ["per_sample"]),
        helper.make_node("Mul", ["t", "per_sample"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "amplitude"], ["scaled"]),
        helper.make_node("Reshape", ["scaled", "shape"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny-multi-speaker-piper",
        [helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
         helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
         helper.make_tensor_value_info("sid", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "samples"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what onnxruntime 1.16 and later read
    onnx.checker.check_model(model)
    return model.SerializeToString()


def write(folder: Path, joe_config: Path) -> tuple[Path, Path]:
    """The stand-in model and its config (joe's, with SPEAKERS speakers) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "tiny-multi-speaker.onnx"
    model.write_bytes(model_bytes())
    config = json.loads(joe_config.read_text(encoding="utf-8"))
    config["num_speakers"] = SPEAKERS
    config["speaker_id_map"] = {f"reader_{n}": n for n in range(SPEAKERS)}
    config_path = folder / "tiny-multi-speaker.onnx.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    return model, config_path
