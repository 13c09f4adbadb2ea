"""The JSON the page uses and the tests drive, under /api/... Every handler asks the Studio (session.py); a
NarrateError becomes {"error": the CLI's own message} (app.py), never a stack trace."""
from __future__ import annotations

from dataclasses import asdict

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse
from starlette.routing import Route

from narrate.casting.castfile import cast_table
from narrate.errors import InputError
from narrate.model import Segment
from narrate.studio.builder import AUDIO_TYPES, Builder, BuildRunning
from narrate.studio.selection import reassign_all as reassign_all_of
from narrate.studio.session import LOW_CONFIDENCE, Studio, colour
from narrate.studio.settings import set_settings

CLIPS_HEADER = "X-Narrate-Clips"
PAGE_LIMIT = 500  # segments per request at most: the page asks for more as the reader scrolls


def studio_of(request: Request) -> Studio:
    return request.app.state.studio


def segment_json(segment: Segment) -> dict:
    return {"id": segment.index, "chapter": segment.chapter, "paragraph": segment.paragraph + 1,
            "kind": segment.kind, "text": segment.text, "speaker": segment.speaker, "colour": colour(segment.speaker),
            "confidence": round(segment.confidence, 3), "evidence": segment.evidence,
            "low": segment.kind == "dialogue" and segment.confidence < LOW_CONFIDENCE}


def speakers_json(studio: Studio) -> list[dict]:
    rows = cast_table(studio.script, studio.config, studio.casting)
    return [{"name": row.speaker, "colour": colour(row.speaker), "lines": row.lines, "words": row.words,
             "gender": row.gender, "engine": row.engine, "voice": row.voice_id, "pitch": row.pitch,
             "rate": studio.casting.voice_for(row.speaker).rate,
             "source": row.source, "aliases": list(row.aliases)} for row in rows]


def book(request: Request) -> JSONResponse:
    studio = studio_of(request)
    studio.reload_if_changed()
    script = studio.script
    counts: dict[int, int] = {}
    for segment in script.segments:
        counts[segment.chapter] = counts.get(segment.chapter, 0) + 1
    return JSONResponse({
        "title": script.book.title, "author": script.book.author, "story": str(studio.story),
        "voices": str(studio.voices_path), "segments": len(script.segments), "low_confidence": LOW_CONFIDENCE,
        "chapters": [{"index": c.index, "title": c.title, "segments": counts.get(c.index, 0)}
                     for c in script.book.chapters],
        "speakers": speakers_json(studio), "warnings": list(script.warnings)})


def _int(request: Request, name: str, default: int | None, low: int = 0) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise InputError(f"{name}={value!r}: write a whole number.") from None
    if number < low:
        raise InputError(f"{name}={value!r}: write a number of at least {low}.")
    return number


def filtered(studio: Studio, request: Request) -> list[Segment]:
    """The segments the filters keep: speaker, chapter, confidence below, words (case ignored)."""
    segments = list(studio.script.segments)
    speaker = request.query_params.get("speaker")
    chapter = _int(request, "chapter", None, 1)
    words = " ".join(request.query_params.get("q", "").lower().split())
    below = request.query_params.get("below")
    if below:
        try:
            level = float(below)
        except ValueError:
            raise InputError(f"below={below!r}: write a confidence between 0 and 1, e.g. 0.5.") from None
        segments = [s for s in segments if s.kind == "dialogue" and s.confidence < level]
    if speaker:
        segments = [s for s in segments if s.speaker == speaker and s.kind != "skipped"]
    if chapter is not None:
        segments = [s for s in segments if s.chapter == chapter]
    if words:
        segments = [s for s in segments if words in " ".join(s.text.lower().split())]
    return segments


def segments(request: Request) -> JSONResponse:
    studio = studio_of(request)
    studio.reload_if_changed()  # voices.yaml edited by hand meanwhile: show what it says now
    kept = filtered(studio, request)
    offset = _int(request, "offset", 0)
    limit = min(_int(request, "limit", 200, 1), PAGE_LIMIT)
    answer = JSONResponse({"total": len(kept), "offset": offset,
                           "segments": [segment_json(s) for s in kept[offset:offset + limit]]})
    studio.page_shown.set()  # a reading of the book still to make may take the CPU now
    return answer


def audio(request: Request) -> FileResponse:
    path, keys = studio_of(request).audio(request.path_params["index"])
    return FileResponse(path, media_type="audio/wav", background=BackgroundTask(path.unlink, missing_ok=True),
                        headers={"Cache-Control": "no-store",  # a fix may recast it
                                 CLIPS_HEADER: " ".join(keys)})  # which clips it is: a recast's are new ones


async def _json(request: Request):
    try:
        return await request.json()
    except ValueError:
        raise InputError("the request's body is not JSON.") from None


async def _body(request: Request, *names: str) -> list[str]:
    data = await _json(request)
    values = [data.get(name) if isinstance(data, dict) else None for name in names]
    missing = [name for name, value in zip(names, values) if not isinstance(value, str)]
    if missing:
        raise InputError(f"the request needs {', '.join(missing)} (text).")
    return values


def _changed(studio: Studio, changes, index: int | None = None, indices: list[int] = (),
             cast: bool = True) -> JSONResponse:
    """What a fix answers: the other quotes it changed (in their new speaker's colour), the file it wrote, the
    cast now unless `cast` is False (a reassign: the page asks /api/speakers once the quote is shown; the table
    costs ~0.1 s on a novel), and the fixed quotes."""
    answer = {"changed": [{**asdict(c), "colour": colour(c.after)} for c in changes],
              "voices": str(studio.voices_path)}
    if cast:
        answer["speakers"] = speakers_json(studio)
    if index is not None:
        answer["segment"] = segment_json(studio.segment(index))
    if indices:
        answer["segments"] = [segment_json(studio.segment(i)) for i in dict.fromkeys(indices)]
    return JSONResponse(answer)


async def reassign(request: Request) -> JSONResponse:
    (speaker,) = await _body(request, "speaker")
    studio = studio_of(request)
    index = request.path_params["index"]
    return _changed(studio, await run_in_threadpool(studio.reassign, index, speaker), index, cast=False)


async def reassign_all(request: Request) -> JSONResponse:
    """{"ids": [segment, ...], "speaker": name}: every selected quote to one speaker, one undo step."""
    data = await _json(request)
    ids, speaker = (data.get("ids"), data.get("speaker")) if isinstance(data, dict) else (None, None)
    if not isinstance(ids, list) or not all(type(i) is int for i in ids) or not isinstance(speaker, str):
        raise InputError("the request needs ids (a list of segment numbers) and speaker (text).")
    studio = studio_of(request)
    return _changed(studio, await run_in_threadpool(reassign_all_of, studio, ids, speaker), indices=ids)


def _speaker_fix(method: str, *names: str):
    """The endpoint of a cast fix: the body's text fields `names`, in order, given to Studio.<method>."""
    async def endpoint(request: Request) -> JSONResponse:
        values = await _body(request, *names)
        studio = studio_of(request)
        return _changed(studio, await run_in_threadpool(getattr(studio, method), *values))

    return endpoint


merge = _speaker_fix("merge", "alias", "into")
rename = _speaker_fix("rename", "name", "to")
split = _speaker_fix("split", "name", "alias")
recast = _speaker_fix("recast", "name", "voice")


async def settings(request: Request) -> JSONResponse:
    """{"name": speaker, "gender"?: text, "rate"?: number, "pitch"?: number}, from the cast table."""
    data = await _json(request)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise InputError("the request needs name (text) and the settings to change.")
    studio = studio_of(request)
    name = data.pop("name")
    return _changed(studio, await run_in_threadpool(set_settings, studio, name, data))


def speakers(request: Request) -> JSONResponse:
    return JSONResponse({"speakers": speakers_json(studio_of(request))})


def voices(request: Request) -> JSONResponse:
    return JSONResponse({"voices": studio_of(request).voice_ids()})


async def undo(request: Request) -> JSONResponse:
    studio = studio_of(request)
    return _changed(studio, await run_in_threadpool(studio.undo))


async def redo(request: Request) -> JSONResponse:
    studio = studio_of(request)
    return _changed(studio, await run_in_threadpool(studio.redo))


def builder_of(request: Request) -> Builder:
    return request.app.state.builder


def build_status(request: Request) -> JSONResponse:
    return JSONResponse(builder_of(request).status())


def build_start(request: Request) -> JSONResponse:
    """Start building the book, as `narrate build` would; a second click while it runs is refused (409)."""
    try:
        return JSONResponse(builder_of(request).start(), status_code=202)
    except BuildRunning as busy:
        return JSONResponse({"error": str(busy), **builder_of(request).status()}, status_code=409)


def build_file(request: Request):
    name = request.path_params["name"]
    try:
        path = builder_of(request).file(name)
    except FileNotFoundError:
        return PlainTextResponse(f"{name}: not a file of the last build.", status_code=404)
    return FileResponse(path, media_type=AUDIO_TYPES.get(path.suffix), filename=name,
                        content_disposition_type="inline")  # the page's link says download; the player plays it


routes = [
    Route("/api/book", book),
    Route("/api/segments", segments),
    Route("/api/segments/{index:int}/audio", audio),
    Route("/api/segments/{index:int}/speaker", reassign, methods=["POST"]),
    Route("/api/segments/speaker", reassign_all, methods=["POST"]),
    Route("/api/speakers/merge", merge, methods=["POST"]),
    Route("/api/speakers/rename", rename, methods=["POST"]),
    Route("/api/speakers/voice", recast, methods=["POST"]),
    Route("/api/speakers/split", split, methods=["POST"]),
    Route("/api/speakers/settings", settings, methods=["POST"]),
    Route("/api/speakers", speakers),
    Route("/api/voices", voices),
    Route("/api/undo", undo, methods=["POST"]),
    Route("/api/redo", redo, methods=["POST"]),
    Route("/api/build", build_status),
    Route("/api/build", build_start, methods=["POST"]),
    Route("/api/build/files/{name}", build_file),
]
