#!/usr/bin/env python3
"""How fast a reviewer's fixes repair a book: voice (and name) accuracy after 5, 10, 20 and 30 % of the quotes are
reviewed, on LitBank.

Plays a user who goes through each work's quotes in the order `narrate script --review` lists them (the least
confident first), and pins each to its gold speaker the way `narrate script --pin` does (choosing, as from a
list of the book's speakers, the character narrate found under a name of that speaker, else the gold name) (an Override with the
quote's offsets, given to annotate), re-decoding the book after every pin (as `narrate script --pin` does each
time it is run; `--every N` after every N) and re-sorting the quotes not yet reviewed by their new confidence.
Ordering by how many quotes a fix might carry (1 - confidence times one plus the turn-taking quotes after it) was
tried and repaired less on the tuning works (0.893 voice after 20 % against 0.907, re-decoding every 10). A quote
that matches no gold quote is reviewed and left as it is. At each checkpoint the whole of every work is scored by
../shared/bench/attribution_eval.py as usual: pinned quotes count, and are right. Held-out works by default (bench/attribution_report.py's split).

usage: bench/review_curve.py [--split held|tune|all] [--every 1] [--gold-dir DIR]
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from attribution_report import GOLD_DIR, SCORER, load_scorer, split_works  # noqa: E402

from narrate.annotate import annotate  # noqa: E402
from narrate.annotate.overrides import Override  # noqa: E402
from narrate.annotate.scriptio import quotes_dict  # noqa: E402
from narrate.ingest.text import load_book  # noqa: E402

CHECKPOINTS = (0.0, 0.05, 0.10, 0.20, 0.30)


def gold_speaker(segment, gold: list) -> str | None:
    """The gold speaker (key) of the gold quote this segment overlaps by at least half of the shorter, if any."""
    for quote in gold:
        (start, end), = quote.spans
        shared = min(segment.end, end) - max(segment.start, start)
        if shared > 0 and shared * 2 >= min(segment.end - segment.start, end - start):
            return quote.speaker
    return None


def as_chosen(script, speaker: str, matcher) -> str:
    """The name a reviewer picks for the gold speaker: the busiest character narrate found that the scorer
    counts as that speaker, else the gold name itself."""
    found = [c for c in script.characters if matcher.judge(c.name, speaker)[1]]
    return max(found, key=lambda c: c.lines).name if found else speaker


def review(book, doc, matcher, every: int) -> dict[float, dict]:
    """The quotes-json predictions at each checkpoint of one work's review: the last decoding, with the quotes
    pinned since then given their pinned speakers."""
    script = annotate(book)
    total = sum(s.kind == "dialogue" for s in script.segments)
    pins: list[Override] = []
    reviewed: set[tuple[int, int]] = set()
    since = 0  # pins not decoded yet
    out = {}
    for share in CHECKPOINTS:
        target = math.ceil(share * total)
        while len(reviewed) < target:
            order = sorted((s for s in script.segments if s.kind == "dialogue" and (s.start, s.end) not in reviewed),
                           key=lambda s: (s.confidence, s.index))
            for segment in order[: min(every - since, target - len(reviewed))]:
                reviewed.add((segment.start, segment.end))
                speaker = gold_speaker(segment, doc.quotes)
                if speaker is not None:
                    name = as_chosen(script, speaker, matcher)
                    pins.append(Override(speaker=name, start=segment.start, end=segment.end))
                    since += 1
            if since >= every:
                script = annotate(book, pins=tuple(pins))
                since = 0
        pinned = {(p.start, p.end): p.speaker for p in pins}
        predictions = quotes_dict(script)
        for quote in predictions["quotes"]:
            quote["speaker"] = pinned.get((quote["start"], quote["end"]), quote["speaker"])
        out[share] = predictions
    return out


def score(gold_dir: Path, works: list[str], pred_dir: Path) -> dict:
    metrics = pred_dir / "metrics.json"
    subprocess.run([sys.executable, str(SCORER), "--gold-dir", str(gold_dir), "--pred-dir", str(pred_dir),
                    "--novels", ",".join(works), "--json-out", str(metrics)], check=True, stdout=subprocess.DEVNULL)
    return json.loads(metrics.read_text(encoding="utf-8"))["overall"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold-dir", type=Path, default=GOLD_DIR)
    parser.add_argument("--split", choices=["all", "tune", "held"], default="held")
    parser.add_argument("--every", type=int, default=1, help="pins between re-decodings")
    args = parser.parse_args()
    tune, held = split_works(args.gold_dir)
    works = {"all": sorted(tune + held), "tune": tune, "held": held}[args.split]
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {share: Path(tmp) / f"{share:.2f}" for share in CHECKPOINTS}
        for folder in dirs.values():
            folder.mkdir()
        ae = load_scorer()
        for work in works:
            doc = ae.load_gold_json(str(args.gold_dir / f"{work}.json"), str(args.gold_dir / f"{work}.txt"))
            book = load_book(args.gold_dir / f"{work}.txt")
            for share, predictions in review(book, doc, ae.NameMatcher(doc.aliases), args.every).items():
                (dirs[share] / f"{work}.json").write_text(json.dumps(predictions), encoding="utf-8")
        print(f"works: {len(works)} ({args.split}); re-decoded every {args.every} pins")
        print("reviewed  name accuracy  voice accuracy")
        for share, folder in dirs.items():
            overall = score(args.gold_dir, works, folder)
            print(f"  {share * 100:4.0f} %      {overall['accuracy']:.3f}          {overall['voice_accuracy']:.3f}")


if __name__ == "__main__":
    main()
