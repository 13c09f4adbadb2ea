"""Speech engines: the Engine base class and the registry (see base.py); the espeak-ng engine (espeak.py)."""
from narrate.engines.base import ENTRY_POINT_GROUP, Engine, engine_ids, get_engine

__all__ = ["ENTRY_POINT_GROUP", "Engine", "engine_ids", "get_engine"]
