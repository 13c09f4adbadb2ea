"""Writes narrate's voice catalogues (narrate/voicelib/data/<engine>.json) from their sources.

    python tools/voice_catalogues.py            # hibari from the installed wheel; piper online when it can
    python tools/voice_catalogues.py --offline  # piper from the list below, sizes approximate, hashes unknown

hibari: its wheel's assets/voices.json (sizes and SHA-256 of every voice) and its download address.
piper (English voices): online, rhasspy/piper-voices' voices.json (speakers, exact sizes) and the hub's tree
listing (each model's SHA-256: the LFS object id); offline, the names below with approximate sizes and no hashes,
which narrate then trusts on first use. Genders of a multi-speaker model's speakers are kept only from a
published table (SPEAKER_TABLES: none is at hand yet), else unknown."""
from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "narrate" / "voicelib" / "data"
HUB = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"  # a mirror, or the tests' stand-in
PIPER_REPO, PIPER_REVISION = "rhasspy/piper-voices", "main"
HIBARI_REPO = "maureesewilliams/hibari"
ACCENTS = {"en_GB": ("en-GB", "British"), "en_US": ("en-US", "American")}
# approximate bytes of a piper model by quality and speakers (one speaker / several), for listings offline
APPROX = {("x_low", False): 28_000_000, ("low", False): 63_000_000, ("medium", False): 63_201_294,
          ("high", False): 114_000_000, ("medium", True): 78_000_000, ("high", True): 136_000_000,
          ("low", True): 78_000_000}
GENDER_SOURCE = "the voice's name and its dataset's single speaker (narrate's list; not from published metadata)"
# name -> (speakers, gender, accent or None for the country's); every English voice of piper-voices we know of
PIPER_ENGLISH = {
    "en_GB-alan-low": (1, "male", None), "en_GB-alan-medium": (1, "male", None),
    "en_GB-alba-medium": (1, "female", "Scottish"), "en_GB-aru-medium": (12, "mixed", None),
    "en_GB-cori-high": (1, "female", None), "en_GB-cori-medium": (1, "female", None),
    "en_GB-jenny_dioco-medium": (1, "female", None),
    "en_GB-northern_english_male-medium": (1, "male", "Northern English"),
    "en_GB-semaine-medium": (4, "mixed", None), "en_GB-southern_english_female-low": (1, "female", "Southern English"),
    "en_GB-vctk-medium": (109, "mixed", None),
    "en_US-amy-low": (1, "female", None), "en_US-amy-medium": (1, "female", None),
    "en_US-arctic-medium": (18, "mixed", None), "en_US-bryce-medium": (1, "male", None),
    "en_US-danny-low": (1, "male", None), "en_US-hfc_female-medium": (1, "female", None),
    "en_US-hfc_male-medium": (1, "male", None), "en_US-joe-medium": (1, "male", None),
    "en_US-john-medium": (1, "male", None), "en_US-kathleen-low": (1, "female", None),
    "en_US-kristin-medium": (1, "female", None), "en_US-kusal-medium": (1, "male", None),
    "en_US-l2arctic-medium": (24, "mixed", "non-native"), "en_US-lessac-high": (1, "female", None),
    "en_US-lessac-low": (1, "female", None), "en_US-lessac-medium": (1, "female", None),
    "en_US-libritts-high": (904, "mixed", None), "en_US-libritts_r-medium": (904, "mixed", None),
    "en_US-ljspeech-high": (1, "female", None), "en_US-ljspeech-medium": (1, "female", None),
    "en_US-norman-medium": (1, "male", None), "en_US-reza_ibrahim-medium": (1, "male", None),
    "en_US-ryan-high": (1, "male", None), "en_US-ryan-low": (1, "male", None), "en_US-ryan-medium": (1, "male", None),
    "en_US-sam-medium": (1, "unknown", None),
}
# voice name -> (source named in the data, {speaker id: gender}); only tables published with the model or dataset
SPEAKER_TABLES: dict[str, tuple[str, dict[int, str]]] = {}
LICENCE_PIPER = "MIT (piper-voices); each dataset's own licence applies (see the voice's MODEL_CARD)"


def hibari_catalogue() -> dict:
    from importlib import metadata

    from hibari.voices import VOICES

    voices = []
    for name, v in VOICES.items():
        bundled = bool(v.get("bundled"))
        file = ({"package": "hibari", "path": f"assets/{v['file']}"} if bundled else {"path": f"voices/{v['file']}"})
        voices.append({"name": name, "language": v["language"], "accent": v["accent"], "gender": v["gender"],
                       "gender_source": f"hibari-tts {metadata.version('hibari-tts')} assets/voices.json",
                       "quality": "int8", "speakers": 1, "licence": "Apache-2.0", "bundled": bundled,
                       "notes": f"Kokoro {v['kokoro']}",
                       "files": [{**file, "size": v["bytes"], "sha256": v["sha256"]}]})
    return {"engine": "hibari", "source": "the hibari-tts wheel's assets/voices.json",
            "hub": {"repo": HIBARI_REPO, "revision": "main"}, "voices": voices}


def piper_catalogue(online: bool) -> dict:
    published = _fetch_json(f"{HUB.rstrip('/')}/{PIPER_REPO}/resolve/{PIPER_REVISION}/voices.json") if online else None
    names = sorted(k for k in published if k[:3] == "en_") if published else sorted(PIPER_ENGLISH)
    voices = []
    for name in names:
        code, speaker, quality = name.split("-")
        family = code.split("_")[0]
        folder = f"{family}/{code}/{speaker}/{quality}"
        speakers, gender, accent = PIPER_ENGLISH.get(name, (1, "unknown", None))
        files = {f"{folder}/{name}.onnx": {}, f"{folder}/{name}.onnx.json": {}}
        if published:
            info = published[name]
            speakers = info.get("num_speakers", speakers)
            for path, meta in info.get("files", {}).items():
                if path in files:
                    files[path]["size"] = meta.get("size_bytes")
            for path, sha in _lfs_hashes(folder).items():
                if path in files:
                    files[path]["sha256"] = sha
        multi = speakers > 1
        model, config = files.values()
        model.setdefault("approx_size", APPROX.get((quality, multi), 63_201_294))
        config.setdefault("approx_size", 30_000 if multi else 5_000)
        language, country_accent = ACCENTS.get(code, (code.replace("_", "-"), code))
        voice = {"name": name, "language": language, "accent": accent or country_accent,
                 "gender": "mixed" if multi else gender, "quality": quality, "speakers": speakers,
                 "licence": LICENCE_PIPER,
                 "files": [{"path": p, "size": m.get("size"), "sha256": m.get("sha256"),
                            "approx_size": m["approx_size"]} for p, m in files.items()]}
        if not multi and gender != "unknown":
            voice["gender_source"] = GENDER_SOURCE
        if name in SPEAKER_TABLES:
            voice["speaker_genders_source"], table = SPEAKER_TABLES[name]
            voice["speaker_genders"] = {str(k): v for k, v in sorted(table.items())}
        voices.append(voice)
    source = ("rhasspy/piper-voices voices.json and the hub's LFS hashes" if published else
              "narrate's list of piper-voices' English voices (offline: sizes approximate, hashes unknown)")
    return {"engine": "piper", "source": source, "hub": {"repo": PIPER_REPO, "revision": PIPER_REVISION},
            "voices": voices}


def _fetch_json(url: str):
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def _lfs_hashes(folder: str) -> dict[str, str]:
    """path -> SHA-256 of the LFS files under `folder` (the hub's tree listing gives each LFS object's id)."""
    listing = _fetch_json(f"{HUB.rstrip('/')}/api/models/{PIPER_REPO}/tree/{PIPER_REVISION}/{folder}")
    return {item["path"]: item["lfs"]["oid"] for item in listing if item.get("lfs")}


def write(name: str, catalogue: dict) -> None:
    path = DATA / f"{name}.json"
    path.write_text(json.dumps(catalogue, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{path}: {len(catalogue['voices'])} voices")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true", help="piper from the built-in list, no network")
    args = parser.parse_args()
    write("hibari", hibari_catalogue())
    try:
        write("piper", piper_catalogue(online=not args.offline))
    except OSError as err:
        print(f"piper's catalogue online is out of reach ({err}); rerun with --offline to write the built-in list",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
