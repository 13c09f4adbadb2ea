"""Voice libraries: the catalogues of the neural engines' downloadable voices (shipped as data), and the voices
folder they are fetched into once, checked, and shared by every book.

    catalogue("piper") -> [CatalogueEntry]          entry("hibari", "emma") -> CatalogueEntry | None
    ensure("piper", "en_GB-alba-medium") -> LocalVoice (.path, .paths, .sha256): downloads if needed, verifies
    digest_of(engine, name) -> ensure(...).sha256, remembered while the files keep their stat (clip keys)
    is_downloaded(engine, name), status(engine, name)   for listings, without reading the files
    file_stamps(["piper:en_GB-alba-medium", ...])       size and mtime of the voices' files (a build's manifest)
    fetch(url, dest, sha256, size, what, on_progress)   any one file, whole or not at all (download.py)
    reporting(on_progress)                              where downloads started inside it report Progress

Modules: folder (where voices live), catalogues (the data), download (one file, whole or not at all), trust (checking a file
before it is loaded), store (the three together). Imports only narrate's state and errors, so engines may use it."""
from narrate.voicelib import trust
from narrate.voicelib.catalogues import (
    SPEAKER_MARK,
    CatalogueEntry,
    VoiceFile,
    catalogue,
    engines,
    entry,
    split_speaker,
)
from narrate.voicelib.download import DownloadError, Fetched, Progress, fetch
from narrate.voicelib.folder import ENV_VAR, voices_root
from narrate.voicelib.store import (
    LocalVoice,
    digest_of,
    ensure,
    file_stamps,
    is_downloaded,
    lookup,
    reporting,
    status,
)
from narrate.voicelib.trust import VoiceFileChanged

__all__ = ["ENV_VAR", "SPEAKER_MARK", "CatalogueEntry", "DownloadError", "Fetched", "LocalVoice", "Progress",
           "VoiceFile", "VoiceFileChanged", "catalogue", "digest_of", "engines", "ensure", "entry", "fetch",
           "file_stamps", "is_downloaded", "lookup", "reporting", "split_speaker", "status", "trust", "voices_root"]
