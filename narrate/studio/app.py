"""The studio's web app: the page (rendered here, then filled by static/studio.js from the API) and the guard
in front of every request.

The guard: a random token, given in the URL the CLI prints, is required on every request (as ?token= or the
X-Studio-Token header), and the Host header must name this machine, so neither another local user nor a web page
(a DNS rebinding included) can drive the studio. Errors from the core answer as JSON with the CLI's own text.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from narrate.errors import NarrateError
from narrate.studio import api
from narrate.studio.builder import Builder
from narrate.studio.session import Studio, colour

HERE = Path(__file__).parent
LOCAL_HOSTS = ("127.0.0.1", "localhost")
TOKEN_HEADER = "x-studio-token"
templates = Jinja2Templates(directory=str(HERE / "templates"))


class TokenGuard:
    """Refuses (403) every request that does not carry the studio's token."""

    def __init__(self, app, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            given = request.query_params.get("token") or request.headers.get(TOKEN_HEADER) or ""
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                response = PlainTextResponse("narrate studio: this address needs the token from the URL narrate "
                                             "printed (open that URL).", status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def page(request: Request):
    studio: Studio = request.app.state.studio
    script = studio.script
    speakers = sorted({s.speaker for s in script.segments if s.kind == "dialogue"})
    return templates.TemplateResponse(request, "index.html", {
        "title": script.book.title, "token": request.app.state.token, "voices": str(studio.voices_path),
        "voices_name": studio.voices_path.name,
        "chapters": script.book.chapters, "speakers": [(name, colour(name)) for name in speakers],
        "low": api.LOW_CONFIDENCE, "out": str(request.app.state.builder.out)})


async def narrate_error(_request: Request, err: NarrateError) -> JSONResponse:
    return JSONResponse({"error": str(err), "exit_code": err.exit_code}, status_code=400)


def create_app(studio: Studio, token: str | None = None, hosts: tuple[str, ...] = LOCAL_HOSTS,
               out: str | Path = "out") -> Starlette:
    """The app for one book. `hosts`: the Host header values accepted (this machine's names by default); `out`:
    where the Build button writes the book (`narrate build`'s default folder unless --out says otherwise)."""
    token = token or secrets.token_urlsafe(24)
    app = Starlette(
        routes=[Route("/", page), *api.routes, Mount("/static", StaticFiles(directory=str(HERE / "static")),
                                                      name="static")],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)), Middleware(TokenGuard, token=token)],
        exception_handlers={NarrateError: narrate_error})
    app.state.studio, app.state.token = studio, token
    app.state.builder = Builder(studio.story, studio.voices_given, Path(out))
    return app
