#!/usr/bin/env python3
"""How long hostile web pages take to read (issue 16, item 18), each against the same words as plain paragraphs.

Each page is written to a temporary folder and read with `narrate.ingest.load_book` (parse, story search,
Markdown, the text reader). The baseline, measured in the same run, is a page of the same words as one
`<p>` per cell or line: the least any shape of markup costs. A shape read in linear time stays within a small
factor of its baseline at every size; before the fixes, a cell of many lines took the square of its size
(an 18 MB table: minutes) and a page nested 100,000 deep lost all but its first 256 levels.

    table    rows of two cells              (baseline: the cells as paragraphs)
    lines    one cell of <br>-separated lines (baseline: the lines as paragraphs)
    deep     paragraphs inside 100,000 nested <div>s (baseline: the same paragraphs, not nested)

usage: bench/hostile_inputs.py [--mb 18] [--shape table|lines|deep ...]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrate.ingest import load_book

CELL = "Row {n} of the ledger holds a cell of plain words."


def cells(size: int) -> list[str]:
    """About `size` bytes of cell text."""
    count = size // (len(CELL) + 12)
    return [CELL.format(n=n) for n in range(count)]


def shapes(size: int) -> dict[str, tuple[str, str]]:
    """shape → (its page body, the baseline body of the same words as paragraphs)."""
    words = cells(size)
    paragraphs = "".join(f"<p>{cell}</p>" for cell in words)
    pairs = zip(words[::2], words[1::2], strict=False)
    depth = 100_000
    deep_words = words[:len(words) // 2]
    deep_paragraphs = "".join(f"<p>{cell}</p>" for cell in deep_words)
    return {
        "table": ("<table>" + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in pairs) + "</table>",
                  paragraphs),
        "lines": ("<table><tr><td>" + "".join(f"{cell}<br>\n" for cell in words) + "</td></tr></table>", paragraphs),
        "deep": ("<div>" * depth + deep_paragraphs + "</div>" * depth, deep_paragraphs),
    }


def seconds_to_read(folder: Path, name: str, body: str) -> tuple[float, int]:
    page = folder / f"{name}.html"
    page.write_text(f"<html><body><h1>Ledger</h1>{body}</body></html>", encoding="utf-8")
    started = time.perf_counter()
    book = load_book(page)
    return time.perf_counter() - started, sum(len(chapter.blocks) for chapter in book.chapters)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=18.0, help="size of each page's text in MB (default 18)")
    parser.add_argument("--shape", action="append", choices=["table", "lines", "deep"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="narrate-bench-") as folder:
        for shape, (body, baseline) in shapes(int(args.mb * 1024 * 1024)).items():
            if args.shape and shape not in args.shape:
                continue
            base_seconds, base_blocks = seconds_to_read(Path(folder), "baseline", baseline)
            shape_seconds, blocks = seconds_to_read(Path(folder), shape, body)
            print(f"{shape:6} {len(body) / 2**20:6.1f} MB: {shape_seconds:7.1f} s, {blocks} blocks; as paragraphs "
                  f"({len(baseline) / 2**20:.1f} MB) {base_seconds:7.1f} s, {base_blocks} blocks; "
                  f"ratio {shape_seconds / base_seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
