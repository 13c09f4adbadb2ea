"""narrate: turn a story into a multi-voice audiobook."""

__version__ = "0.1.0"  # the one place the version is written; pyproject.toml reads it from here
