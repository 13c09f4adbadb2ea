"""Clips -> the files of one book: chapter files, the .m4b, subtitles; encoding only what changed.

The audio stage's one entry point for a build. Each part (a chapter, or the credits) is laid out as clips and
pauses (layout.py), cut into units that are mastered and encoded once and kept by fingerprint (encoding.py), and
joined into the chapter files and the book (containers.py); cue times come from the same layout
(subtitles.py). Every voice is first brought to one level (levels.py)."""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from narrate.audio import containers, encoding, layout, levels, subtitles
from narrate.casting.config import Output, Pauses
from narrate.model import Book, Clip, Segment
from narrate.state import file_digest, masters_root


@dataclass(frozen=True)
class Part:
    """One output file's worth of the book: a chapter, or the opening or closing credits."""

    number: int  # the NN of its file name: the chapter number; 0 and last + 1 for the credits
    title: str
    segments: Sequence[Segment]  # the script segments read in it (the credits have none)
    announcement: Clip  # spoken first: the chapter title, or the credits text


@dataclass(frozen=True)
class BookFiles:
    """What write_book left, for the manifest."""

    made: list[encoding.Made]  # per part: its units, length, fingerprint and files
    book_file: Path | None  # the .m4b, when asked for
    book_fingerprint: str | None
    vtt: Path
    book_digests: dict[str, str]  # the .m4b's and the .vtt's SHA-256 (the parts' are in `made`)

    @property
    def files(self) -> list[Path]:
        return [f for m in self.made for f in m.files] + ([self.book_file] if self.book_file else []) + [self.vtt]

    @property
    def digests(self) -> dict[str, str]:
        """File name -> SHA-256 of every file, as left: the manifest records them (encoding.Recorded)."""
        return {**{name: digest for m in self.made for name, digest in m.digests.items()}, **self.book_digests}


def partial_title(title: str, chapters: Sequence[int]) -> str:
    """The title of a book built in part: "Title (chapters 2-3)", "Title (chapter 5)", "Title (chapters 1, 3-5)"."""
    numbers = sorted(set(chapters))
    spans: list[list[int]] = []  # runs of consecutive numbers
    for number in numbers:
        if spans and number == spans[-1][-1] + 1:
            spans[-1].append(number)
        else:
            spans.append([number])
    said = ", ".join(f"{s[0]}-{s[-1]}" if len(s) > 1 else f"{s[0]}" for s in spans)
    return f"{title} ({'chapter' if len(numbers) == 1 else 'chapters'} {said})"


def write_book(out: Path, book: Book, parts: Sequence[Part], clips: Sequence[Clip], pauses: Pauses,
               output: Output, formats: Sequence[str], previous: Mapping[str, encoding.Recorded],
               on_file: Callable[[Path, float], None], acx: bool = False, cover: containers.Cover | None = None,
               jobs: int = 1, chapters: Sequence[int] | None = None) -> BookFiles:
    """Writes the parts' files (and the .m4b and .vtt) into `out`. `clips`: those of the parts' segments (a
    segment's one clip, or a long segment's clips in order);
    `previous` is the files the last build's manifest recorded (encoding.previous_files), so parts whose audio
    did not change are not encoded again (when their files are the very files recorded). `on_file(path,
    seconds)` hears of each file. `chapters`: the chapter numbers of a partial build (--chapters), which the
    .m4b's and the .vtt's names and the .m4b's title say (partial_title), so that they are not taken for the book."""
    # the levels measured during synthesis are kept, not redone
    gains = levels.voice_gains([p.announcement for p in parts] + list(clips), jobs)
    clips_of = layout.by_segment(clips)
    finish = encoding.Finish(formats=tuple(formats), bitrate=output.bitrate, loudness=output.loudness,
                             true_peak=output.true_peak, acx=acx, cover=cover, gains=tuple(gains.items()))
    audio = [encoding.PartAudio(p.number, p.title, layout.chapter_plan(p.announcement, p.segments, clips_of, pauses),
                                {"title": p.title, "album": book.title, "artist": book.author, "date": book.year,
                                 "track": f"{n}/{len(parts)}", "genre": "Audiobook"})
             for n, p in enumerate(parts, 1)]
    last_number = len(book.chapters) + 1
    title = book.title if chapters is None else partial_title(book.title, chapters)
    book_file = out / f"{layout.file_safe(title)}.m4b" if "m4b" in formats else None
    book_tags = containers.BookTags(title=title, author=book.author, year=book.year, cover=cover)
    made = encoding.plan_parts(audio, finish, masters_root())
    book_print = encoding.book_fingerprint([m.fingerprint for m in made], book_tags)

    book_digests: dict[str, str] = {}

    def write_m4b() -> None:
        marks = encoding.write_book(made, audio, book_file, book_tags)
        book_digests[book_file.name] = file_digest(book_file)
        on_file(book_file, marks[-1].end)

    recorded = previous.get(book_file.name) if book_file is not None else None
    book_current = book_file is None or (recorded is not None and recorded.holds(book_file, book_print))
    if book_current and recorded is not None:
        book_digests[book_file.name] = recorded.sha256
    encoding.make_parts(made, finish, out,
                        lambda part, fmt: layout.chapter_file_name(part.number, last_number, part.title, fmt),
                        previous, jobs, on_file, None if book_current else write_m4b)
    starts = itertools.accumulate((m.seconds for m in made[:-1]), initial=0.0)
    vtt = out / f"{layout.file_safe(title)}.vtt"
    subtitles.write_vtt(vtt, [cue for m, start in zip(made, starts)
                              for cue in subtitles.cues_from_plan(m.part.plan, start)])
    book_digests[vtt.name] = file_digest(vtt)
    return BookFiles(made, book_file, book_print if book_file else None, vtt, book_digests)
