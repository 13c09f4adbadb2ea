"""What a speech engine is, and the registry that finds one by its id.

An engine turns (text, voice) into one mono 16-bit WAV file and knows nothing else: not the cache, not the
pool, not the book. Built-in engines and third-party ones share one registry: a package adds an engine by
declaring an entry point in the `narrate.engines` group, e.g. in its pyproject.toml

    [project.entry-points."narrate.engines"]
    piper = "narrate_piper:PiperEngine"

and `get_engine("piper")` finds it once the package is installed.
"""
from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from importlib import metadata
from typing import ClassVar, Literal

from narrate.errors import EngineError
from narrate.model import Voice, VoiceInfo

ENTRY_POINT_GROUP = "narrate.engines"
BUILTIN_ENGINES = {
    "espeak": "narrate.engines.espeak:EspeakEngine",
    "hibari": "narrate.engines.hibari:HibariEngine",
    "piper": "narrate.engines.piper:PiperEngine",
}

# One instance per engine id per process, created on first use. Engines that hold process-bound state
# (a native library, a thread) must notice a fork themselves: a forked child inherits this dict.
_engines: dict[str, Engine] = {}


class Engine(ABC):
    """A speech engine. Subclasses set the two class attributes and implement `synthesize`."""

    engine_id: ClassVar[str]
    install_hint: ClassVar[str]  # what to run when available() is False, e.g. "sudo apt-get install espeak-ng"
    # How a pool should run several syntheses at once: in worker processes (one engine each), or in threads
    # of one process sharing one engine instance (its synthesize() must then be thread-safe).
    parallel: ClassVar[Literal["processes", "threads"]] = "processes"
    # Seconds of speech per second of one CPU core, as `narrate engines` shows it; "fast" is > 50x real
    # time (espeak-ng, hibari), "moderate" 5-50x (piper), "slow" below that; "unknown" when not declared.
    speed_class: ClassVar[Literal["fast", "moderate", "slow", "unknown"]] = "unknown"
    # Whether its work can be sent to other machines (`narrate build --scheduler`): False for an engine bound
    # to this one, e.g. one that drives a desktop's speech service or a model only this machine holds.
    remote: ClassVar[bool] = True

    def version(self) -> str:
        """Part of every clip's cache key: when it changes, cached clips are synthesized again.

        The default is the version of the installed distribution that ships the engine's class; override it
        when the engine wraps something with its own version (a native library, a model file).
        """
        package = type(self).__module__.split(".")[0]
        distributions = metadata.packages_distributions().get(package)
        if not distributions:
            raise EngineError(
                f"speech engine {self.engine_id!r}: {package} is not an installed distribution, so its "
                f"version is unknown; install the package or override {type(self).__name__}.version()"
            )
        return f"{distributions[0]} {metadata.version(distributions[0])}"

    def available(self) -> bool:
        """False when something the engine needs is missing (`install_hint` says what to install)."""
        return True

    def voices(self) -> list[VoiceInfo]:
        """Every voice id the engine accepts, as `narrate voices` lists them; empty if it cannot list them."""
        return []

    def suggest_voices(self, voice_id: str) -> list[str] | None:
        """None when `voice_id` is valid; otherwise the nearest valid ids (possibly none), best first.

        An engine that lists no voices cannot check ids and accepts every one.
        """
        ids = [info.id for info in self.voices()]
        if not ids or voice_id in ids:
            return None
        return difflib.get_close_matches(voice_id, ids, n=3, cutoff=0.5)

    def warm_up(self) -> None:
        """Load now what the first synthesis would load (a native library, a model): a worker started ahead
        of its work calls this while it waits. Nothing by default."""

    @abstractmethod
    def synthesize(self, text: str, voice: Voice, out_path: str) -> None:
        """Speak `text` with `voice` into `out_path`: one mono 16-bit PCM WAV file.

        Raises EngineError when the voice is unknown or the engine fails.
        """


def engine_ids() -> list[str]:
    """The ids of the built-in engines and of every installed third-party engine, sorted."""
    return sorted(set(BUILTIN_ENGINES) | {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})


def get_engine(engine_id: str) -> Engine:
    """This process's instance of engine `engine_id`, created on first use.

    Raises EngineError when no engine has that id, it fails to load, or it is not available here.
    """
    engine = _engines.get(engine_id)
    if engine is None:
        engine = _load_engine_class(engine_id)()
        if not engine.available():
            raise EngineError(f"speech engine {engine_id!r} is not available: {engine.install_hint}")
        _engines[engine_id] = engine
    return engine


def engine_class(engine_id: str) -> type[Engine]:
    """The class registered under `engine_id`, whether or not what it needs is installed (for listings)."""
    return _load_engine_class(engine_id)


def _load_engine_class(engine_id: str) -> type[Engine]:
    entry_point = _find_entry_point(engine_id)
    package = entry_point.dist.name if entry_point.dist else "narrate"
    try:
        engine_class = entry_point.load()
    except Exception as exc:  # a broken plugin may fail in any way while importing
        raise EngineError(
            f"speech engine {engine_id!r} ({entry_point.value}, from {package}) failed to load: {exc}; "
            f"reinstall it: pip install --force-reinstall {package}"
        ) from exc
    if not (isinstance(engine_class, type) and issubclass(engine_class, Engine)):
        raise EngineError(
            f"speech engine {engine_id!r}: {entry_point.value} (from {package}) is not a "
            "narrate.engines.Engine subclass; report this to the package's authors"
        )
    return engine_class


def _find_entry_point(engine_id: str) -> metadata.EntryPoint:
    if engine_id in BUILTIN_ENGINES:  # built-ins first: a plugin cannot take over a built-in id
        return metadata.EntryPoint(name=engine_id, value=BUILTIN_ENGINES[engine_id], group=ENTRY_POINT_GROUP)
    found = list(metadata.entry_points(group=ENTRY_POINT_GROUP, name=engine_id))
    if len(found) > 1:
        packages = ", ".join(sorted(ep.dist.name for ep in found if ep.dist))
        raise EngineError(
            f"speech engine {engine_id!r} is registered by several packages ({packages}); uninstall all but one"
        )
    if not found:
        raise EngineError(_unknown_engine_message(engine_id))
    return found[0]


def _unknown_engine_message(engine_id: str) -> str:
    known = engine_ids()
    close = difflib.get_close_matches(engine_id, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (
        f"unknown speech engine {engine_id!r}; {hint}installed engines: {', '.join(known)}. "
        f"Another engine becomes available once its package is installed (pip install <package>) "
        f"and registers itself in the {ENTRY_POINT_GROUP!r} entry-point group"
    )
