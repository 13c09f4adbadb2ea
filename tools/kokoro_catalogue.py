#!/usr/bin/env python3
"""Writes narrate's Kokoro catalogue (narrate/voicelib/data/kokoro.json) in the format of the other catalogues
(tools/voice_catalogues.py): every voice of Kokoro-82M v1.0, each needing the same two release files.

    python tools/kokoro_catalogue.py

Sources, named so that they can be checked:
- the files: kokoro-onnx's release "model-files-v1.0" (its README: "Download the files kokoro-v1.0.onnx, and
  voices-v1.0.bin"). The voices file's address is the one kokoro-onnx 0.6.1's config.py prints when the file is
  missing; the model's is beside it in the same release. No size or SHA-256 is published with them: the sizes
  here are the approximate ones projects using the release list (310 MB and 27 MB), and narrate trusts each file
  on its first use and checks it on every later one (narrate/voicelib/trust.py).
- the voices and their grades: hexgrad/Kokoro-82M's VOICES.md (v1.0: 54 voices). A voice's name encodes its
  language and gender (`af_` American English female, `bm_` British English male, `jf_` Japanese female, ...),
  the model card's convention. Grades (the model card's overall grade, A to F) are kept for the English voices.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "narrate" / "voicelib" / "data" / "kokoro.json"
RELEASE = "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0/"
FILES = [("kokoro-v1.0.onnx", 310_000_000), ("voices-v1.0.bin", 27_000_000)]
LICENCE = "Apache-2.0 (Kokoro-82M weights, hexgrad); kokoro-onnx is MIT"
# the first letter of a voice's name: (BCP 47 language, accent); the second: f female, m male
LANGUAGES = {"a": ("en-US", "American"), "b": ("en-GB", "British"), "e": ("es", "Spanish"),
             "f": ("fr-FR", "French"), "h": ("hi", "Hindi"), "i": ("it", "Italian"), "j": ("ja", "Japanese"),
             "p": ("pt-BR", "Brazilian Portuguese"), "z": ("zh", "Mandarin")}
GENDERS = {"f": "female", "m": "male"}
# VOICES.md, v1.0: name -> overall grade (English voices; None where none is kept here)
VOICES = {
    "af_heart": "A", "af_alloy": "C", "af_aoede": "C+", "af_bella": "A-", "af_jessica": "D", "af_kore": "C+",
    "af_nicole": "B-", "af_nova": "C", "af_river": "D", "af_sarah": "C+", "af_sky": "C-",
    "am_adam": "F+", "am_echo": "D", "am_eric": "D", "am_fenrir": "C+", "am_liam": "D", "am_michael": "C+",
    "am_onyx": "D", "am_puck": "C+", "am_santa": "D-",
    "bf_alice": "D", "bf_emma": "B-", "bf_isabella": "C", "bf_lily": "D",
    "bm_daniel": "D", "bm_fable": "C", "bm_george": "C", "bm_lewis": "D+",
    **dict.fromkeys(["jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo",
                     "zf_xiaobei", "zf_xiaoni", "zf_xiaoxiao", "zf_xiaoyi", "zm_yunjian", "zm_yunxi", "zm_yunxia",
                     "zm_yunyang", "ef_dora", "em_alex", "em_santa", "ff_siwis", "hf_alpha", "hf_beta", "hm_omega",
                     "hm_psi", "if_sara", "im_nicola", "pf_dora", "pm_alex", "pm_santa"]),
}


def catalogue() -> dict:
    voices = []
    for name, grade in VOICES.items():
        language, accent = LANGUAGES[name[0]]
        voices.append({
            "name": name, "language": language, "accent": accent, "gender": GENDERS[name[1]],
            "gender_source": "the voice's name (Kokoro-82M's VOICES.md: the prefix's second letter)",
            "quality": f"grade {grade}" if grade else "standard", "speakers": 1, "licence": LICENCE,
            "notes": "every Kokoro voice is in the same two files: fetched once for all (~337 MB)",
            "files": [{"path": file, "url": RELEASE + file, "size": None, "sha256": None, "approx_size": size}
                      for file, size in FILES],
        })
    return {"engine": "kokoro", "source": "hexgrad/Kokoro-82M VOICES.md (v1.0); kokoro-onnx release model-files-v1.0",
            "voices": voices}


def main() -> int:
    data = catalogue()
    DATA.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{DATA}: {len(data['voices'])} voices")
    return 0


if __name__ == "__main__":
    sys.exit(main())
