"""Runs the studio with uvicorn on this machine until Ctrl-C."""
from __future__ import annotations

import socket
import webbrowser

import uvicorn

from narrate.errors import InputError


def listen(host: str, port: int) -> socket.socket:
    """The studio's socket, bound and listening before uvicorn starts, so the URL printed already answers and a
    port in use is a clear error (port 0: any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise InputError(f"--port {port}: cannot listen on {host}:{port} ({err.strerror}). Pick another port, or "
                         f"leave --port out for a free one.") from None
    sock.listen(128)
    return sock


def url_of(sock: socket.socket, token: str) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/?token={token}"


def serve(app, sock: socket.socket, open_browser: bool) -> None:
    """Serve `app` on `sock` until Ctrl-C or SIGTERM: uvicorn shuts down, then raises the signal again, so the
    caller unwinds as from any interrupt (exit 130 or 143)."""
    if open_browser:
        webbrowser.open(url_of(sock, app.state.token))
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
