"""The script as a reviewable artifact: JSON, YAML, plain text, and the scorer's quotes-json."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import yaml

from narrate.annotate.overrides import Override
from narrate.errors import ConfigError
from narrate.inputs import SCRIPT, read_input
from narrate.model import Script, Segment

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
    """A segment for people and other programs: `index` (its number in the script) and `paragraph` (in its
    chapter) count from 1, as the text script, `--review`, `preview --lines` and `overrides:` do; `paragraph` is
    null for what is no paragraph (a heading, a scene break)."""
    fields = {name: getattr(segment, name) for name in SEGMENT_FIELDS}
    fields["index"] = segment.index + 1
    fields["paragraph"] = segment.paragraph + 1 if segment.paragraph >= 0 else None
    return fields


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


REVIEW_LIMIT = 25  # quotes `narrate script --review` shows unless told --limit N or --all
REVIEW_BELOW = (0.5, 0.8)  # the confidences its header counts the quotes under


def render_review(script: Script, limit: int | None = REVIEW_LIMIT) -> str:
    """The least certain quotes first (`limit` of them; None: all), each with its paragraph and the one before
    it with who speaks there: most wrong speakers are turn-taking errors, seen only beside the previous turn."""
    segments = script.segments
    dialogue = sorted((s for s in segments if s.kind == "dialogue"), key=lambda s: (s.confidence, s.index))
    if not dialogue:
        return "No dialogue found."
    shown = dialogue if limit is None else dialogue[:limit]
    paragraphs: dict[tuple[int, int], list[Segment]] = {}
    for segment in segments:
        if segment.kind != "skipped" and segment.paragraph >= 0:
            paragraphs.setdefault((segment.chapter, segment.paragraph), []).append(segment)
    below = ", ".join(f"{sum(s.confidence < level for s in dialogue)} below {level:.2f}" for level in REVIEW_BELOW)
    more = "" if len(shown) == len(dialogue) else " (--limit N or --all for more)"
    out = [f"Of {len(dialogue)} quotes, {below} confidence; the {len(shown)} least certain follow{more}.", ""]
    for s in shown:
        out.append(f"{s.confidence:.2f}  {s.speaker}  [{s.evidence}]  chapter {s.chapter} paragraph {s.paragraph + 1} "
                   f"(segment {s.index + 1})")
        before = paragraphs.get((s.chapter, s.paragraph - 1))
        if before:
            out.append(f"      before: {_said(before, 140)}")
        out.append(f"      here:   {_said(paragraphs[(s.chapter, s.paragraph)], 200, s)}")
    fix = ("Fix one with `overrides:` in voices.yaml (quote: <words>, speaker: <name>) or edit the script "
           "(--format json) and build with --script.")
    return "\n".join(out + ["", fix])


def _said(paragraph: list[Segment], width: int, marked: Segment | None = None) -> str:
    """A paragraph as it reads, each quote followed by its speaker: '“You came,” (Mara) she said.'; the quote
    under review in >>...<<."""
    pieces = []
    for segment in paragraph:
        if segment.kind == "dialogue":
            quote = f"“{segment.text}”"
            pieces.append(f">>{quote}<<" if segment is marked else f"{quote} ({segment.speaker})")
        else:
            pieces.append(segment.text)
    return textwrap.shorten(" ".join(pieces), width, placeholder=" …")


def read_script_speakers(path: Path) -> dict[tuple[int, int], str]:
    """Speakers of an edited script file (what `narrate script --format json|yaml` wrote), by (start, end)."""
    if not Path(path).exists() and not Path(path).is_symlink():
        raise ConfigError(f"{path}: no such script file. Write one with `narrate script STORY --format json > FILE`.")
    raw = read_input(path, SCRIPT, ConfigError)  # a regular file within its limit: never a FIFO or a device
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except RecursionError:  # nested thousands deep: no script narrate wrote
        raise ConfigError(f"{path}: not a readable script (nested too deep). Write it with `narrate script "
                          f"--format json` and edit only the speaker values.") from None
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: not a readable script ({err}). Write it with `narrate script --format json` "
                          f"and edit only the speaker values.") from None
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, list):
        raise ConfigError(f"{path}: no `segments` list. Write it with `narrate script --format json`.")
    speakers = {}
    for number, seg in enumerate(segments, 1):
        if not isinstance(seg, dict) or seg.get("kind") != "dialogue":
            continue
        start, end, speaker = seg.get("start"), seg.get("end"), seg.get("speaker")
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(speaker, str) and speaker.strip()):
            raise ConfigError(f"{path}: segment {number}: a dialogue segment needs integer start/end and a speaker "
                              f"name; restore what `narrate script` wrote and change only `speaker`.")
        speakers[(start, end)] = speaker.strip()
    return speakers

def read_pins(path: Path) -> tuple[Override, ...]:
    """The pins of a `--pin` file: `{"quotes": [{"start", "end", "speaker"}, ...]}`, offsets as `narrate script
    --format quotes-json` gives them (the scorer's shape)."""
    if not Path(path).exists() and not Path(path).is_symlink():
        raise ConfigError(f'{path}: no such pin file. Write {{"quotes": [{{"start": ..., "end": ..., "speaker": '
                          f'"..."}}]}} with offsets from `narrate script STORY --format quotes-json`.')
    raw = read_input(path, SCRIPT, ConfigError)  # a regular file within its limit: never a FIFO or a device
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ConfigError(f"{path}: not readable JSON ({err}). Write {{\"quotes\": [...]}} as "
                          f"`narrate script --format quotes-json` does.") from None
    quotes = data.get("quotes") if isinstance(data, dict) else None
    if not isinstance(quotes, list):
        raise ConfigError(f'{path}: no "quotes" list. Write {{"quotes": [{{"start", "end", "speaker"}}]}}.')
    pins = []
    for number, quote in enumerate(quotes):
        start, end, speaker = (quote.get(k) for k in ("start", "end", "speaker")) if isinstance(quote, dict) else (None,) * 3
        if not (isinstance(start, int) and isinstance(end, int) and start < end and isinstance(speaker, str)
                and speaker.strip()):
            raise ConfigError(f"{path}: quotes[{number}] needs integer start < end and a speaker name, as "
                              f"`narrate script --format quotes-json` writes them.")
        pins.append(Override(speaker=speaker.strip(), start=start, end=end, where=f"{path}: quotes[{number}]"))
    return tuple(pins)
