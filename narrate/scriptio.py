"""The script as a reviewable artifact: JSON, YAML, plain text, and the scorer's quotes-json."""
from __future__ import annotations

import json

import yaml

from .model import Script, Segment

SEGMENT_FIELDS = ("chapter", "index", "kind", "speaker", "text", "start", "end", "paragraph", "evidence",
                  "confidence", "utterance")


def script_to_dict(script: Script) -> dict:
    book = script.book
    return {
        "book": {"path": book.path, "title": book.title, "author": book.author, "encoding": book.encoding,
                 "quote_style": book.quote_style,
                 "chapters": [{"index": c.index, "title": c.title, "start": c.start, "end": c.end}
                              for c in book.chapters]},
        "characters": [{"name": c.name, "aliases": list(c.aliases), "gender": c.gender, "lines": c.lines}
                       for c in script.characters],
        "segments": [segment_to_dict(s) for s in script.segments],
    }


def segment_to_dict(segment: Segment) -> dict:
    return {name: getattr(segment, name) for name in SEGMENT_FIELDS}


def quotes_dict(script: Script) -> dict:
    """The contract of ../shared/bench/attribution_eval.py."""
    return {"quotes": [{"start": s.start, "end": s.end, "speaker": s.speaker}
                       for s in script.segments if s.kind == "dialogue"]}


def render(script: Script, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(script_to_dict(script), ensure_ascii=False, indent=1)
    if fmt == "quotes-json":
        return json.dumps(quotes_dict(script), ensure_ascii=False)
    if fmt == "yaml":
        return yaml.safe_dump(script_to_dict(script), allow_unicode=True, sort_keys=False, width=120)
    return render_text(script)


def render_text(script: Script) -> str:
    """One line per segment: where it is, who speaks, what is said."""
    out = []
    chapter = None
    for s in script.segments:
        if s.chapter != chapter:
            chapter = s.chapter
            title = script.book.chapters[chapter - 1].title
            out.append(f"\n== {chapter}. {title}")
        who = {"narration": "narrator", "skipped": "(skipped)"}.get(s.kind, s.speaker)
        why = f"  [{s.evidence} {s.confidence:.2f}]" if s.kind == "dialogue" else ""
        out.append(f"{s.index + 1:5d}  {who:>14}: {s.text}{why}")
    return "\n".join(out).lstrip("\n")
