"""narrate: turn a story into a multi-voice audiobook."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("narrate")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"
