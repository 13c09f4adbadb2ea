"""Downloading one file whole or not at all: `fetch(url, dest, sha256, size)`.

- One download per file however many processes want it: the first takes a flock on `<dest>.lock`, the others
  wait for it and then find the file in place.
- Bytes arrive in `<dest>.part`; an interrupted download (a dropped connection, a killed process) is resumed
  from there with an HTTP Range request, or started again when the server does not resume. Only a part whose
  size and SHA-256 match what the catalogue says is renamed to `dest`: no half file is ever used.
- Failures are DownloadErrors (EngineError, exit code 3) naming the voice, the URL and the fix; a voices folder
  that cannot be written is a FolderError (exit code 2). A host that gives no answer at all (refused, no such
  name, or a connect that hangs: a black-holed network, a dead proxy) is `unreachable`: a connect is given up
  after CONNECT_TIMEOUT (reads still wait TIMEOUT), and inside `one_try_per_host()` such a host is not tried
  again, so a cast passing over what it cannot fetch waits for one timeout, not one per voice.

Plain HTTP (urllib) rather than huggingface_hub: the same code serves the hub's voices and any other URL (a
release file), its progress goes to our reporter instead of tqdm on stderr, and the files land where narrate
keeps voices, not in the hub's blob-and-symlink cache; HF_ENDPOINT moves the hub all the same (catalogue.py)."""
from __future__ import annotations

import contextlib
import contextvars
import fcntl
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from narrate.errors import EngineError, FolderError
from narrate.state import file_digest

CHUNK = 1 << 20
TIMEOUT = 60.0  # seconds without a byte before a connection counts as dropped
CONNECT_TIMEOUT = 10.0  # seconds to connect (TLS and a proxy's tunnel included): a host that answers does so at once
ATTEMPTS = 3  # a dropped connection is resumed this many times before the download fails
USER_AGENT = "narrate (voice download)"


class DownloadError(EngineError):
    """A voice file could not be fetched, or what arrived is not the file the catalogue names. `unreachable`:
    `host` gave no HTTP answer at all (refused, no such name, timed out before any response), so no other file
    from it can be fetched now either."""

    def __init__(self, message: str, unreachable: bool = False, host: str = ""):
        super().__init__(message)
        self.unreachable = unreachable
        self.host = host

    def __reduce__(self):  # pickled whole from a cluster's worker (the default would drop the attributes)
        return type(self), (str(self), self.unreachable, self.host)


class _NoAnswer(Exception):
    """No HTTP response: the connection was refused, timed out or dropped before the server said anything."""

    def __init__(self, reason: object, connected: bool):
        super().__init__(reason)
        self.reason = reason
        self.connected = connected  # a socket was open (the host, or a proxy, then went quiet or hung up)


# Hosts that gave no answer inside one_try_per_host(): host -> the reason; None outside such a block.
_given_up: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("narrate_hosts_given_up",
                                                                                   default=None)


@dataclass(frozen=True)
class Progress:
    """A download under way: sent as the bytes arrive, to whoever asked for them (the CLI draws a bar)."""

    what: str  # the voice, e.g. piper:en_GB-alba-medium
    file: str
    url: str
    done: int
    total: int | None


OnProgress = Callable[[Progress], None]


@contextlib.contextmanager
def one_try_per_host() -> Iterator[dict[str, str]]:
    """Inside the block, a host found unreachable is not tried again: each later fetch from it fails at once
    with the same kind of DownloadError. Yields host -> why it was given up."""
    given_up: dict[str, str] = {}
    token = _given_up.set(given_up)
    try:
        yield given_up
    finally:
        _given_up.reset(token)


@dataclass(frozen=True)
class Fetched:
    path: Path
    downloaded: bool  # False: another process had already fetched it


def fetch(url: str, dest: Path, sha256: str | None = None, size: int | None = None, what: str | None = None,
          on_progress: OnProgress | None = None) -> Fetched:
    """Makes `dest` the file at `url`, unless it is there already: downloaded (resuming a `.part` left before),
    checked against `size` and `sha256` when given, then renamed into place.

    Raises DownloadError naming `what` (default: the file's name), the URL and the fix."""
    what = what or dest.name
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _locked(dest):
            if dest.is_file():
                return Fetched(dest, downloaded=False)
            _refuse_given_up(url, what, dest)
            part = dest.with_name(dest.name + ".part")
            _fetch_part(url, part, size, lambda done, total: on_progress and on_progress(
                Progress(what, dest.name, url, done, total)), what, dest)
            _check(part, url, dest, sha256, size, what)
            os.replace(part, dest)
            return Fetched(dest, downloaded=True)
    except OSError as err:  # the voices folder's: not writable, or full (the network's are DownloadErrors by now)
        raise FolderError(f"{dest.parent}: cannot keep {what} there ({err.strerror or err}). Free some space or make "
                          f"the folder writable, or point NARRATE_VOICES_DIR at another folder.") from None


def _fetch_part(url: str, part: Path, size: int | None, report: Callable[[int, int | None], None], what: str,
                dest: Path) -> None:
    """The file at `url` in `part`, resumed after a dropped connection (ATTEMPTS times in all)."""
    for attempt in range(ATTEMPTS):
        try:
            _download(url, part, size, report)
            return
        except urllib.error.HTTPError as err:
            raise DownloadError(f"{what}: {url}: the server answered {err.code} {err.reason}. If the voice has moved, "
                                f"update narrate (its catalogue), or download the file yourself and place it at "
                                f"{dest}") from None
        except _NoAnswer as err:
            if not err.connected or _last(attempt, part):  # a host that does not even connect is not asked again
                _give_up(url, err.reason)
                raise DownloadError(_unreachable(what, url, dest, f"{_host(url)} cannot be reached: {err.reason}"),
                                    True, _host(url)) from None
        except (ConnectionError, TimeoutError, http.client.IncompleteRead) as err:  # dropped mid-file: resumed
            if _last(attempt, part):
                raise DownloadError(_unreachable(what, url, dest, err)) from None


def _last(attempt: int, part: Path) -> bool:
    """No more tries: all used, or nothing arrived to resume from."""
    return attempt == ATTEMPTS - 1 or not part.exists()


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def _give_up(url: str, reason: object) -> None:
    given_up = _given_up.get()
    if given_up is not None:
        given_up.setdefault(_host(url), str(reason))


def _refuse_given_up(url: str, what: str, dest: Path) -> None:
    given_up = _given_up.get()
    if given_up and (host := _host(url)) in given_up:
        raise DownloadError(_unreachable(what, url, dest, f"{host} cannot be reached: {given_up[host]}; not tried "
                                                           f"again"), True, host)


@contextlib.contextmanager
def _locked(dest: Path) -> Iterator[None]:
    fd = os.open(dest.with_name(dest.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock; the lock file stays (removing it would race with a waiting process)


def _download(url: str, part: Path, size: int | None, report: Callable[[int, int | None], None]) -> None:
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have >= size:
        have = 0  # complete or too long: the check decides; a wrong part is fetched again from the start
        part.unlink(missing_ok=True)
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = _opener().open(urllib.request.Request(url, headers=headers), timeout=TIMEOUT)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # the part is not a prefix the server recognises: start again
            part.unlink(missing_ok=True)
            return _download(url, part, size, report)
        raise
    except urllib.error.URLError as err:  # urllib's wrapping of a failed connect (or request)
        raise _NoAnswer(err.reason, connected=False) from None
    except (ConnectionError, TimeoutError) as err:  # connected, but the response never came
        raise _NoAnswer(err, connected=True) from None
    with response:
        resumed = have and response.status == 206
        done = have if resumed else 0
        length = response.headers.get("Content-Length")
        total = done + int(length) if length and length.isdigit() else size
        with open(part, "ab" if resumed else "wb") as out:
            report(done, total)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                report(done, total)
        if total is not None and done < total:
            raise http.client.IncompleteRead(b"", total - done)  # the server closed early: resume


def _check(part: Path, url: str, dest: Path, sha256: str | None, size: int | None, what: str) -> None:
    got = part.stat().st_size
    fix = (f"Try again (`narrate voices --download {what}`); if it fails again the file at the source has changed: "
           f"update narrate, or download it yourself and place it at {dest}")
    if size is not None and got != size:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{what}: {url} gave {got} bytes, but the catalogue says {size}; nothing was kept. {fix}")
    if sha256 is not None and (digest := file_digest(part)) != sha256:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{what}: {url} gave a file whose SHA-256 is {digest[:16]}..., not the catalogue's "
                            f"{sha256[:16]}...; nothing was kept. {fix}")


class _ConnectQuickly:
    """An http.client connection that gives up connecting after CONNECT_TIMEOUT, then waits TIMEOUT for each
    read (urllib has one timeout for both, and a hung connect would cost a full TIMEOUT per file)."""

    def connect(self) -> None:
        read_timeout, self.timeout = self.timeout, CONNECT_TIMEOUT
        try:
            super().connect()
        finally:
            self.timeout = read_timeout
        self.sock.settimeout(read_timeout)


class _HTTPConnection(_ConnectQuickly, http.client.HTTPConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_HTTPConnection, req)


class _HTTPSConnection(_ConnectQuickly, http.client.HTTPSConnection):
    pass


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_HTTPSConnection, req, context=self._context)


def _opener() -> urllib.request.OpenerDirector:
    """urllib's usual opener (proxies from the environment, redirects) with the connect timeout. Built per
    download: the environment's proxies are read when it is built."""
    return urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)


def _unreachable(what: str, url: str, dest: Path, reason: object) -> str:
    return (f"{what}: cannot download {url} ({reason}). Connect to the internet and run "
            f"`narrate voices --download {what}`, or download the file on another machine and place it at {dest}")
