#!/usr/bin/env python3
"""Speaker attribution on LitBank, explained: the scorer's figures joined with narrate's own evidence.

Annotates every gold text in-process (the same load_book + annotate that `narrate script` runs, without a
voices.yaml), writes the scorer's quotes-json predictions, runs ../shared/bench/attribution_eval.py on them with
--details and --json-out, then joins each gold quote with the dialogue segment that was scored for it and prints:
micro and macro name accuracy, voice accuracy, accuracy on quotes attributed from a tag that names the speaker
(explicit) and on all the others (non-explicit), held-out vs tuning works, accuracy by evidence type, why quotes
miss their voice (split labels, merged speakers), and the most common kinds of error.

Held-out works: the .txt names sorted, every 5th from the first (index 0, 5, 10, ...). `--split tune` scores
only the others, so that tuning never looks at the held-out works.

usage: bench/attribution_report.py [--split all|tune|held] [--gold-dir DIR] [--keep DIR] [--top N]
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrate.annotate import annotate  # noqa: E402
from narrate.annotate.scriptio import quotes_dict  # noqa: E402
from narrate.annotate.speakers import CONFIDENCE  # noqa: E402
from narrate.ingest.text import load_book  # noqa: E402
from narrate.model import UNKNOWN  # noqa: E402

SCORER = ROOT.parent / "shared" / "bench" / "attribution_eval.py"
GOLD_DIR = ROOT.parent / "shared" / "attribution-dev" / "litbank"
HELD_OUT_EVERY = 5
EXPLICIT = "tag-name"  # the evidence strength of a speech tag that names the speaker
DESCRIBING_WORDS = frozenset("the a an his her my our their this that one another someone somebody".split())
STRENGTH_OF = {round(value, 2): name for name, value in CONFIDENCE.items()}


def split_works(gold_dir: Path) -> tuple[list[str], list[str]]:
    """(tuning, held-out) work names: every 5th of the sorted .txt names is held out."""
    names = sorted(p.stem for p in gold_dir.glob("*.txt"))
    held = [n for i, n in enumerate(names) if i % HELD_OUT_EVERY == 0]
    return [n for n in names if n not in held], held


def predict(gold_dir: Path, works: list[str], pred_dir: Path) -> dict[str, list]:
    """Annotate each work, write its quotes-json, and return its dialogue segments."""
    dialogue = {}
    for work in works:
        script = annotate(load_book(gold_dir / f"{work}.txt"))
        (pred_dir / f"{work}.json").write_text(json.dumps(quotes_dict(script)), encoding="utf-8")
        dialogue[work] = [s for s in script.segments if s.kind == "dialogue"]
    return dialogue


def score(gold_dir: Path, works: list[str], pred_dir: Path, out: Path) -> tuple[dict, list[dict]]:
    details, metrics = out / "details.tsv", out / "metrics.json"
    subprocess.run(
        [sys.executable, str(SCORER), "--gold-dir", str(gold_dir), "--pred-dir", str(pred_dir),
         "--novels", ",".join(works), "--details", str(details), "--json-out", str(metrics)],
        check=True, stdout=subprocess.DEVNULL,
    )
    with details.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return json.loads(metrics.read_text(encoding="utf-8")), rows


def evidence_kind(segment) -> str:
    """The evidence type of a scored quote: the strength its confidence stands for, else its evidence word."""
    if segment is None:
        return "not found"
    if segment.speaker == UNKNOWN:
        return "unknown"
    return STRENGTH_OF.get(round(segment.confidence, 2), segment.evidence.split(":")[0])


def scored_segment(row: dict, segments: list):
    """The dialogue segment the scorer matched to this gold quote: the one overlapping its start most."""
    if row["found"] != "True":
        return None
    start = int(row["start"])
    end = start + len(row["quote"])
    best, overlap = None, 0
    for segment in segments:
        shared = min(end, segment.end) - max(start, segment.start)
        if shared > overlap:
            best, overlap = segment, shared
    return best


def error_kind(row: dict, kind: str, recent: list[str]) -> str:
    """Why a quote went wrong, in words a tuner can act on."""
    gold, predicted = row["gold_speaker"], row["pred_speaker"]
    if kind in ("not found", "unknown"):
        return kind
    if _described(predicted) and not _described(gold):
        return "a description not linked to the name"
    if _described(gold) and not _described(predicted):
        return "an unnamed speaker given a name"
    if kind in ("turn-taking", "focus") and gold in recent[-2:-1]:
        return "turn-taking chain broken (gold spoke two quotes back)"
    if kind in ("turn-taking", "focus"):
        return "turn-taking: someone else's turn"
    if kind == "tag-pronoun":
        return "pronoun tag resolved to the wrong person"
    if kind == "same-paragraph":
        return "same-paragraph: a second speaker in the paragraph"
    if kind in ("action", "action-after"):
        return "action beat: someone else acted"
    return f"{kind}: wrong person"


def _described(label: str) -> bool:
    """A speaker known by a description ("the old man", "a voice"), not by a name."""
    return label.split(" ", 1)[0].lower() in DESCRIBING_WORDS


def accuracy(rows: list[dict]) -> str:
    if not rows:
        return "   n/a (n=0)"
    right = sum(r["correct"] == "True" for r in rows)
    return f"{right / len(rows):.3f} (n={len(rows)})"


def report(metrics: dict, rows: list[dict], dialogue: dict[str, list], held: list[str], top: int) -> str:
    overall = metrics["overall"]
    by_kind: dict[str, list] = defaultdict(list)
    errors: Counter = Counter()
    recent: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        kind = evidence_kind(scored_segment(row, dialogue[row["text"]]))
        row["kind"] = kind
        by_kind[kind].append(row)
        if row["correct"] != "True":
            errors[error_kind(row, kind, recent[row["text"]])] += 1
        recent[row["text"]].append(row["gold_speaker"])
    explicit = by_kind.get(EXPLICIT, [])
    lines = [
        f"works: {len(dialogue)}   gold quotes: {len(rows)}",
        f"name accuracy, micro:        {overall['accuracy']:.3f} (n={len(rows)})",
        f"name accuracy, macro:        {overall['macro_accuracy']:.3f}",
        f"voice accuracy:              {overall['voice_accuracy']:.3f}",
        f"explicit (tag names it):     {accuracy(explicit)}",
        f"non-explicit (the rest):     {accuracy([r for r in rows if r['kind'] != EXPLICIT])}",
        f"tuning works:                {accuracy([r for r in rows if r['text'] not in held])}",
        f"held-out works:              {accuracy([r for r in rows if r['text'] in held])}",
        "",
        "accuracy by evidence type:",
    ]
    for kind, kind_rows in sorted(by_kind.items(), key=lambda item: -len(item[1])):
        lines.append(f"  {kind:<16} {accuracy(kind_rows)}")
    lines += ["", "quotes in the wrong voice, by why:"]
    lines += [f"  {count:5d}  {why}" for why, count in voice_losses(rows).most_common()]
    lines += ["", f"top {top} error kinds:"]
    lines += [f"  {count:5d}  {kind}" for kind, count in errors.most_common(top)]
    return "\n".join(lines)


def voice_losses(rows: list[dict]) -> Counter:
    """Why quotes miss their voice, with the labels mapped onto gold speakers as the scorer maps them (per
    work, greedily, the pair sharing most quotes first): a label that maps to no speaker split one off, a label
    that maps to another speaker merged two (or is plain wrong)."""
    losses: Counter = Counter()
    by_work: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_work[row["text"]].append(row)
    for work_rows in by_work.values():
        pairs = Counter((r["pred_speaker"].lower(), r["gold_speaker"]) for r in work_rows if r["found"] == "True")
        voice_of: dict[str, str] = {}
        for (label, gold), _ in sorted(pairs.items(), key=lambda item: (-item[1], item[0])):
            if label not in voice_of and gold not in voice_of.values():
                voice_of[label] = gold
        for row in work_rows:
            label = row["pred_speaker"].lower()
            if row["found"] != "True":
                losses["quote not found"] += 1
            elif voice_of.get(label) == row["gold_speaker"]:
                continue
            elif label == UNKNOWN:
                losses["unknown"] += 1
            elif label in voice_of:
                losses["a label that is another speaker's (merged, or wrong)"] += 1
            else:
                losses["a label left over (one speaker split into several)"] += 1
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold-dir", type=Path, default=GOLD_DIR)
    parser.add_argument("--split", choices=["all", "tune", "held"], default="all")
    parser.add_argument("--keep", type=Path, help="keep predictions, details.tsv and metrics.json here")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    tune, held = split_works(args.gold_dir)
    works = {"all": sorted(tune + held), "tune": tune, "held": held}[args.split]
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        pred_dir = out / "pred"
        pred_dir.mkdir(parents=True, exist_ok=True)
        dialogue = predict(args.gold_dir, works, pred_dir)
        metrics, rows = score(args.gold_dir, works, pred_dir, out)
        print(report(metrics, rows, dialogue, held, args.top))


if __name__ == "__main__":
    main()
