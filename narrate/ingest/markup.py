"""Inline markup: the source ranges of a paragraph that are never spoken.

Markdown (`markdown_markup`): heading and quote marks, emphasis, links, code spans, tags, escapes. Plain text
(`plain_text_markup`): only emphasis written the way fan-fiction and e-mail exports write it, `*very*`,
`**truly**`, `_italics_`, `~~struck~~`, and only where a mark pairs up as CommonMark's emphasis would (a
closing mark matches an opening one of the same character, each flanking a word): "5 * 3", a "* * *" scene
break, snake_case and a lone asterisk stay as written. Tags, links, backslashes, backticks and HTML entities are
ordinary characters in a .txt, so they are not markup there. The marks are left out of what is spoken and of
subtitles, and are accounted for as markup (nothing lost, offsets unchanged).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

Span = tuple[int, int]

ATX_OPEN = re.compile(r"(#{1,6})(?:[ \t]|$)")
_ATX_CLOSE = re.compile(r"[ \t](#+)[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"=+|-+")
_BLOCKQUOTE = re.compile(r"(?:>[ \t]*)+")
_LINK_TARGET = r"(?:\([^()\s]*(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)|\[[^\[\]]*\])"
_INLINE = re.compile(rf"""
    (?P<escape>\\[!-/:-@\[-`{{-~]) | (?P<hard_break>\\(?=\r?\n))
  | (?P<comment><!--.*?-->)
  | (?P<autolink><[A-Za-z][A-Za-z0-9+.\-]{{1,31}}:[^\s<>]*>)
  | (?P<tag></?[A-Za-z][A-Za-z0-9\-]*(?:\s[^<>]*)?/?>)
  | (?P<code>`+)
  | (?P<link_open>!?\[)(?=[^\[\]]*\]{_LINK_TARGET})
  | (?P<link_close>\]{_LINK_TARGET})
  | (?P<delimiters>\*+|_+|~+)
""", re.VERBOSE | re.DOTALL)
# tags that style words inside a sentence; any other tag (<br>, <p>, <div>) also separates words
_INLINE_TAGS = frozenset({"a", "abbr", "b", "cite", "code", "del", "em", "i", "ins", "mark", "q", "s", "small",
                          "span", "strike", "strong", "sub", "sup", "u"})


def markdown_markup(source: str, lines: list[Span], md_level: int) -> list[Span]:
    """Source ranges of Markdown syntax in these lines: heading marks, quote marks, inline markup."""
    ranges = [quote.span() for start, end in lines if (quote := _BLOCKQUOTE.match(source, start, end))]
    if md_level and len(lines) == 2:
        ranges.append(lines[1])  # setext underline
    elif md_level:
        start, end = lines[0]
        ranges.append(ATX_OPEN.match(source, start, end).span(1))
        if close := _ATX_CLOSE.search(source, start, end):
            ranges.append(close.span(1))
    ranges += _inline_markup(source, lines[0][0], lines[-1][1])
    return merge_ranges(ranges)


@dataclass
class _DelimiterRun:
    """A run of `*`, `_` or `~~` that may open or close emphasis (CommonMark's flanking rules)."""

    char: str
    start: int
    length: int
    can_open: bool
    can_close: bool


def _inline_markup(source: str, start: int, end: int) -> list[Span]:
    ranges: list[Span] = []
    runs: list[_DelimiterRun] = []
    open_links = 0
    position = start
    while match := _INLINE.search(source, position, end):
        kind, position = match.lastgroup, match.end()
        if kind == "code":
            closer = re.compile(rf"(?<!`){match[0]}(?!`)").search(source, position, end)
            if closer:  # the code's words are spoken, only the backticks are markup
                ranges += [match.span(), closer.span()]
                position = closer.end()
        elif kind in ("escape", "hard_break"):
            ranges.append((match.start(), match.start() + 1))
        elif kind == "link_open":
            ranges.append(match.span())
            open_links += 1
        elif kind == "link_close":
            if open_links:
                ranges.append(match.span())
                open_links -= 1
        elif kind == "delimiters":
            if run := _delimiter_run(source, match.start(), match.end(), start, end):
                runs.append(run)
        else:  # comment, autolink, tag
            ranges.append(match.span())
    return ranges + _emphasis_markup(runs)


def _delimiter_run(source: str, start: int, end: int, region_start: int, region_end: int,
                   inside_words: bool = True) -> _DelimiterRun | None:
    """The run source[start:end] and what it may do; `inside_words`: `*` and `~~` may open or close inside a
    word (Markdown's a*b*c); `_` never may, nor anything in plain text, where 5*3*2 is arithmetic."""
    char = source[start]
    if char == "~" and end - start != 2:
        return None  # only ~~strikethrough~~; ~~~ is an ornament
    before = source[start - 1] if start > region_start else " "
    after = source[end] if end < region_end else " "
    left = not after.isspace() and (not _is_punctuation(after) or before.isspace() or _is_punctuation(before))
    right = not before.isspace() and (not _is_punctuation(before) or after.isspace() or _is_punctuation(after))
    if char == "_" or not inside_words:  # never inside a word: snake_case, file_name
        return _DelimiterRun(char, start, end - start, left and (not right or _is_punctuation(before)),
                             right and (not left or _is_punctuation(after)))
    return _DelimiterRun(char, start, end - start, left, right)


_PLAIN_DELIMITERS = re.compile(r"\*+|_+|~+")


def plain_text_markup(source: str, lines: list[Span]) -> list[Span]:
    """Source ranges of the emphasis marks in these lines of a plain-text story: only marks that pair up, never
    inside a word (see the module)."""
    start, end = lines[0][0], lines[-1][1]
    runs = [run for match in _PLAIN_DELIMITERS.finditer(source, start, end)
            if (run := _delimiter_run(source, match.start(), match.end(), start, end, inside_words=False))]
    return merge_ranges(_emphasis_markup(runs))


def _emphasis_markup(runs: list[_DelimiterRun]) -> list[Span]:
    """Pair closers with the nearest opener of the same character, two marks at a time when both have them."""
    ranges: list[Span] = []
    openers: list[_DelimiterRun] = []
    for run in runs:
        while run.can_close and run.length:
            index = next((i for i in range(len(openers) - 1, -1, -1) if openers[i].char == run.char), None)
            if index is None:
                break
            opener = openers[index]
            used = 2 if opener.length >= 2 and run.length >= 2 else 1
            opener.length -= used
            ranges += [(opener.start + opener.length, opener.start + opener.length + used),
                       (run.start, run.start + used)]
            run.start += used
            run.length -= used
            del openers[index + (opener.length > 0):]  # openers inside the pair stay literal
        if run.can_open and run.length:
            openers.append(run)
    return ranges


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def merge_ranges(ranges: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def separates_words(markup: str) -> bool:
    """Removing `<br>` or `<p>` must leave a space between the words around it; `<i>` or `**` must not."""
    tag = re.match(r"</?([A-Za-z][A-Za-z0-9]*)", markup)
    return markup.startswith("<") and not (tag and tag[1].lower() in _INLINE_TAGS)
