"""Many books in one run (`narrate build-many`): one output tree, one synthesis pool, one failure stops none.

Each book goes to OUTDIR/<Book Title>/ exactly as `narrate build` would write it, so rebuilding the catalogue
re-encodes only what changed in each book. The books share the pool (local workers or a Dask cluster's); local
workers rest while a book is encoded (their memory is ffmpeg's then) and start again for the next book.
"""
from __future__ import annotations

import glob
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from narrate import pipeline
from narrate.audio.layout import file_safe
from narrate.errors import InputError, NarrateError
from narrate.ingest.decode import SUPPORTED_SUFFIXES
from narrate.model import Book
from narrate.request import BuildRequest
from narrate.synthesis.local import LocalPool, Pool


@dataclass(frozen=True)
class BookStarted:
    number: int  # 1-based, of `total`
    total: int
    story: Path


@dataclass(frozen=True)
class BookOutcome:
    story: Path
    outdir: Path | None  # None when the story could not even be read
    report: pipeline.BuildReport | None  # None when the book failed
    error: str | None = None  # the user-ready message of what failed

    @property
    def ok(self) -> bool:
        return self.error is None


def find_stories(specs: Sequence[str]) -> list[Path]:
    """Story files named by directories (their stories, not recursing), globs, or files; sorted, no repeats."""
    found: list[Path] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            matches = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        elif glob.has_magic(spec):
            matches = sorted(Path(p) for p in glob.glob(spec, recursive=True)
                             if Path(p).is_file() and Path(p).suffix.lower() in SUPPORTED_SUFFIXES)
        else:
            matches = [path] if path.exists() else []
        if not matches:
            raise InputError(f"{spec}: no story files there (.txt, .md, .html, .epub). Name a directory of "
                             f"stories, a glob such as 'books/*.epub', or story files")
        found += [p for p in matches if p not in found]
    return found


def build_many(stories: Sequence[Path], outroot: str | Path, options: BuildRequest | None = None,
               pool: Pool | None = None, on_event: Callable[[object], None] | None = None) -> list[BookOutcome]:
    """Builds every story into `outroot`/<its title>/, in order, on one pool, each as `options` asks (its
    story and outdir are replaced). A book that fails is recorded with its error and the next one is built."""
    options = options or BuildRequest(Path())
    emit = on_event or (lambda _event: None)
    own_pool = LocalPool() if pool is None else None
    taken: set[str] = set()
    outcomes: list[BookOutcome] = []
    try:
        for number, story in enumerate(stories, 1):
            emit(BookStarted(number, len(stories), Path(story)))
            folder: list[Path] = []  # named once the build has read the story and knows its title

            def outdir_for(book: Book) -> Path:
                folder.append(Path(outroot) / _unique_folder(book.title, taken))
                return folder[0]

            try:
                request = replace(options, story=Path(story), outdir=outdir_for)
                report = pipeline.build(request, on_event=emit, pool=pool or own_pool)
                outcomes.append(BookOutcome(Path(story), folder[0], report))
            except NarrateError as err:
                outcomes.append(BookOutcome(Path(story), folder[0] if folder else None, None, str(err)))
    finally:
        if own_pool is not None:
            own_pool.close()
    return outcomes


def _unique_folder(title: str, taken: set[str]) -> str:
    """The book's folder name: its title made safe for file names; a second book of that title gets " (2)"."""
    base = file_safe(title)
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base} ({n})"
    taken.add(name.casefold())
    return name
