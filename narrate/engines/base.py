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
from dataclasses import dataclass
from importlib import metadata
from typing import ClassVar, Literal

from narrate.errors import EngineError
from narrate.model import Voice, VoiceInfo

ENTRY_POINT_GROUP = "narrate.engines"
BUILTIN_ENGINES = {
    "espeak": "narrate.engines.espeak:EspeakEngine",
    "hibari": "narrate.engines.hibari:HibariEngine",
    "kokoro": "narrate.engines.kokoro:KokoroEngine",
    "piper": "narrate.engines.piper:PiperEngine",
}

_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


@dataclass(frozen=True)
class Option:
    """One setting a voice may give its engine under `options:` in voices.yaml; `kind` is float or bool. An
    engine declares its options (Engine.options), and voices.yaml is checked against them when it is loaded."""

    kind: type
    default: float | bool
    low: float = 0.0
    high: float = 0.0
    help: str = ""

    def parse(self, engine_id: str, name: str, raw: str) -> float | bool:
        if self.kind is bool:
            word = raw.strip().lower()
            if word in _TRUE | _FALSE:
                return word in _TRUE
            raise EngineError(f"{engine_id} voice option {name}: must be true or false, got {raw!r}")
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not self.low <= value <= self.high:  # NaN fails this too
            raise EngineError(
                f"{engine_id} voice option {name}: must be a number from {self.low:g} to {self.high:g} "
                f"({self.help}), got {raw!r}"
            )
        return value


def parse_options(engine_id: str, voice: Voice, schema: dict[str, Option]) -> dict[str, float | bool]:
    """The voice's options checked against `schema`, with every option's default filled in.

    Raises EngineError naming the option and the valid choices.
    """
    given = dict(voice.options)
    unknown = sorted(set(given) - set(schema))
    if unknown:
        raise EngineError(unknown_options_message(engine_id, unknown, schema))
    return {
        name: option.parse(engine_id, name, given[name]) if name in given else option.default
        for name, option in schema.items()
    }


def unknown_options_message(engine_id: str, unknown: list[str], schema: dict[str, Option]) -> str:
    if not schema:
        return f"the {engine_id} engine takes no voice options, got: {', '.join(unknown)}; remove them"
    return (f"the {engine_id} engine has no voice option {', '.join(unknown)}; "
            f"its options are: {', '.join(sorted(schema))}")


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
    # The settings a voice may give it under `options:` in voices.yaml, by name; checked when voices.yaml is
    # loaded, so a mistake there names its file and line. {} for an engine that takes none; None (the default)
    # for one that does not declare them: its options are then checked only when it synthesizes.
    options: ClassVar[dict[str, Option] | None] = None

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

    def unspoken(self, voice_id: str) -> str | None:
        """Why the engine cannot speak a voice its catalogue lists (`narrate voices` says so); None if it can."""
        return None

    def voice_version(self, voice_id: str) -> str:
        """Added to the engine's version in the clip keys of this voice: for a voice whose files are downloaded,
        their digest, so that an updated voice is synthesized again. Nothing by default."""
        return ""

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


def is_engine(engine_id: str) -> bool:
    """Whether `engine_id` names an engine here: built in, registered by an installed package, or already
    created in this process."""
    return engine_id in BUILTIN_ENGINES or engine_id in _engines or engine_id in engine_ids()


def declared_options(engine_id: str) -> dict[str, Option] | None:
    """The options engine `engine_id` declares (Engine.options), without starting it; None when it declares
    none (or cannot be loaded: using it says why)."""
    if engine_id in _engines:
        return type(_engines[engine_id]).options
    try:
        return _load_engine_class(engine_id).options
    except EngineError:
        return None


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
