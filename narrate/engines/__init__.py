"""Engines: (text, Voice) -> one mono WAV file, and nothing else.

In: a line's spoken text and its Voice; out: a WAV at the engine's own rate (synthesis/ resamples and caches it).
base.py holds the Engine class and the registry (built-in engines and the `narrate.engines` entry points);
espeak.py (espeak-ng through pyttsx3), piper.py, hibari.py and kokoro.py (neural; downloaded voices come from
narrate.voicelib), variants.py (a voice varied by pitch and tempo). Engines import only model, errors, ffmpeg and state.

Entry point: `get_engine(engine_id)`."""
from narrate.engines.base import ENTRY_POINT_GROUP, Engine, engine_ids, get_engine

__all__ = ["ENTRY_POINT_GROUP", "Engine", "engine_ids", "get_engine"]
