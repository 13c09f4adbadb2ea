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

Calibration: the quotes sorted by confidence in 5 bins of equal count, each bin's mean confidence against its
name accuracy, the expected calibration error (ECE, the bins' gaps weighted by size), and the share and accuracy
of the quotes scored at least 0.9. `--cast` gives each work a cast as a voices.yaml would (every gold character's
name and aliases, no gender), made here from the gold `characters`.

usage: bench/attribution_report.py [--split all|tune|held] [--cast] [--gold-dir DIR] [--keep DIR] [--top N]
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrate.annotate import annotate  # noqa: E402
from narrate.annotate.scriptio import quotes_dict  # noqa: E402
from narrate.ingest.text import load_book  # noqa: E402
from narrate.annotate.segments import book_segments, quote_style  # noqa: E402
from narrate.annotate.speakers import CONFIDENCE, attribute  # noqa: E402
from narrate.model import UNKNOWN, CastEntry  # noqa: E402

SCORER = ROOT.parent / "shared" / "bench" / "attribution_eval.py"
GOLD_DIR = ROOT.parent / "shared" / "attribution-dev" / "litbank"
HELD_OUT_EVERY = 5
EXPLICIT = "tag-name"  # a speech tag that names the speaker
DESCRIBING_WORDS = frozenset("the a an his her my our their this that one another someone somebody".split())
STRENGTH_OF = {round(value, 2): name for name, value in CONFIDENCE.items()}
CALIBRATION_BINS = 5
SURE = 0.9


def load_scorer():
    """../shared/bench/attribution_eval.py as a module (its NameMatcher, load_gold_json, trim_span)."""
    spec = importlib.util.spec_from_file_location("attribution_eval", SCORER)
    module = importlib.util.module_from_spec(spec)
    sys.modules["attribution_eval"] = module
    spec.loader.exec_module(module)
    return module


def split_works(gold_dir: Path) -> tuple[list[str], list[str]]:
    """(tuning, held-out) work names: every 5th of the sorted .txt names is held out."""
    names = sorted(p.stem for p in gold_dir.glob("*.txt"))
    held = [n for i, n in enumerate(names) if i % HELD_OUT_EVERY == 0]
    return [n for n in names if n not in held], held


def gold_cast(gold_dir: Path, work: str) -> tuple[CastEntry, ...]:
    """The cast a user who knows the book would write: each gold character's name and aliases, no gender."""
    characters = json.loads((gold_dir / f"{work}.json").read_text(encoding="utf-8")).get("characters") or {}
    cast, owned = [], set()
    for name, aliases in characters.items():
        if name.startswith("_") or name.lower() in owned:
            continue
        mine = tuple(a for a in aliases or () if a.lower() not in owned and a.lower() != name.lower())
        owned.update([name.lower(), *(a.lower() for a in mine)])
        cast.append(CastEntry(name, mine))
    return tuple(cast)


def predict(gold_dir: Path, works: list[str], pred_dir: Path, with_cast: bool = False) -> dict[str, list]:
    """Annotate each work (with the gold cast, if asked), write its quotes-json, and return its dialogue segments,
    each with `rule` set to how the rules alone read it (`attribute(..., decoded=False)`: their speaker and the
    strength of their evidence, a CONFIDENCE key)."""
    dialogue = {}
    for work in works:
        cast = gold_cast(gold_dir, work) if with_cast else ()
        book = load_book(gold_dir / f"{work}.txt")
        script = annotate(book, cast)
        (pred_dir / f"{work}.json").write_text(json.dumps(quotes_dict(script)), encoding="utf-8")
        rules = {(s.start, s.end): s for s in rule_picks(book, cast)}
        dialogue[work] = [Scored(s, rules.get((s.start, s.end))) for s in script.segments if s.kind == "dialogue"]
    return dialogue


class Scored:
    """A dialogue segment as decoded, and as the rules alone had it."""

    def __init__(self, segment, rule) -> None:
        self.segment, self.rule = segment, rule
        self.start, self.end, self.speaker = segment.start, segment.end, segment.speaker
        self.confidence, self.evidence = segment.confidence, segment.evidence


def rule_picks(book, cast) -> list:
    book = replace(book, quote_style=quote_style(book))
    segments, _ = book_segments(book, book.quote_style, False)
    return [s for s in attribute(book, segments, cast, decoded=False)[0] if s.kind == "dialogue"]


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


def evidence_kind(scored) -> str:
    """The evidence type of a scored quote: the strength of the rules' evidence when the decoder kept their
    speaker (tag-name, tag-pronoun, turn-taking, ...), else `decoder:` and the evidence word it gives."""
    if scored is None:
        return "not found"
    if scored.speaker == UNKNOWN:
        return "unknown"
    if scored.rule is not None and scored.rule.speaker == scored.speaker:
        return STRENGTH_OF.get(round(scored.rule.confidence, 2), scored.rule.evidence.split(":")[0])
    return "decoder:" + (scored.evidence.split()[0].split(":")[0] if scored.evidence.split() else "none")


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
    lines += ["", calibration(rows, dialogue)]
    lines += ["", f"top {top} error kinds:"]
    lines += [f"  {count:5d}  {kind}" for kind, count in errors.most_common(top)]
    return "\n".join(lines)


def calibration(rows: list[dict], dialogue: dict[str, list]) -> str:
    """Confidence against name accuracy: 5 bins of equal count, ECE, and the quotes scored at least 0.9."""
    pairs = []
    for row in rows:
        segment = scored_segment(row, dialogue[row["text"]])
        pairs.append((segment.confidence if segment is not None else 0.0, row["correct"] == "True"))
    pairs.sort(key=lambda p: p[0])
    lines = ["calibration (confidence vs name accuracy, 5 equal-count bins):",
             "  confidence range    mean conf  accuracy      n"]
    ece, n = 0.0, len(pairs)
    for b in range(CALIBRATION_BINS):
        part = pairs[b * n // CALIBRATION_BINS: (b + 1) * n // CALIBRATION_BINS]
        if not part:
            continue
        conf = sum(c for c, _ in part) / len(part)
        right = sum(ok for _, ok in part) / len(part)
        ece += len(part) / n * abs(conf - right)
        lines.append(f"  {part[0][0]:.2f} - {part[-1][0]:.2f}         {conf:.3f}     {right:.3f}   {len(part):5d}")
    sure = [ok for c, ok in pairs if c >= SURE]
    lines.append(f"  ECE: {ece:.3f}")
    lines.append(f"  AUC (right quotes scored above wrong ones): {auc(pairs):.3f}")
    share = len(sure) / n if n else 0.0
    right = sum(sure) / len(sure) if sure else 0.0
    lines.append(f"  confidence >= {SURE}: {share:.3f} of quotes (n={len(sure)}), {right:.3f} right")
    return "\n".join(lines)


def auc(pairs: list[tuple[float, bool]]) -> float:
    """The chance that a right quote is scored above a wrong one (ties count half): how well the confidence ranks
    the quotes a reviewer should look at first, whatever its scale."""
    right = sum(ok for _, ok in pairs)
    wrong = len(pairs) - right
    if not right or not wrong:
        return float("nan")
    ranked = sorted(pairs, key=lambda p: p[0])
    rank_sum, i = 0.0, 0
    while i < len(ranked):  # ranks 1.., ties given their mean rank
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        rank_sum += sum(ok for _, ok in ranked[i:j]) * (i + 1 + j) / 2
        i = j
    return (rank_sum - right * (right + 1) / 2) / (right * wrong)


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
    parser.add_argument("--cast", action="store_true", help="give each work its gold cast (names, aliases)")
    args = parser.parse_args()
    tune, held = split_works(args.gold_dir)
    works = {"all": sorted(tune + held), "tune": tune, "held": held}[args.split]
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        pred_dir = out / "pred"
        pred_dir.mkdir(parents=True, exist_ok=True)
        dialogue = predict(args.gold_dir, works, pred_dir, args.cast)
        metrics, rows = score(args.gold_dir, works, pred_dir, out)
        print(report(metrics, rows, dialogue, held, args.top))


if __name__ == "__main__":
    main()
