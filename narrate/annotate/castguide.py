"""How a given cast (voices.yaml `characters:`) guides the reading of a book.

- A user writes names the way the book says them: "old Cotter", "dear Mr. Quill", "the talented Miss Ada". Such a
  name is a description by its shape (it opens in lower case) but holds a proper name the text uses on its own
  ("Cotter", "Mr. Quill", "Miss Ada"): the entry owns that name too (`guided`).
- An entry known by a description takes the name the text sets beside it (`link_appositions`), and the
  narration's definite uses of its description are mentions of it (`DescribedMentions`).
- The cast names who speaks: a named newcomer is a quote's candidate only when a tag somewhere names it as a
  speaker, a passing voice never (`prefer_cast`, in features.candidates_for). (A description the quotes around
  call by a cast member's name was made that member in all its quotes; taken out, as latenames' kin of it was:
  one wrong link moves every quote of the description.)

Every rule here is off without a cast, so a book read without voices.yaml reads as before.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from narrate.annotate.names import Mention, is_description, parse_name
from narrate.annotate.speechverbs import TITLES
from narrate.model import CastEntry


def bare_name(name: str) -> str | None:
    """The proper name inside a name with an epithet: "old Cotter" -> "Cotter", "the talented Miss Ada" ->
    "Miss Ada"; None when there is no lower-case epithet before a capitalised name, or the rest is only a title
    ("young Herr") or has lower-case words of its own ("the White Rabbit's friend")."""
    words = name.split()
    first = next((k for k, word in enumerate(words) if word[:1].isupper()), None)
    if not first or any(word[:1].isupper() for word in words[:first]):
        return None
    rest = words[first:]
    if any(not word[:1].isupper() for word in rest):
        return None
    _, tokens = parse_name(" ".join(rest))
    if not tokens or (len(rest) == 1 and rest[0].lower().rstrip(".") in TITLES):
        return None
    return " ".join(rest)


def guided(cast: Sequence[CastEntry]) -> tuple[CastEntry, ...]:
    """The cast with the proper names its entries' epithets hide added as aliases ("old Cotter" also answers
    to "Cotter"), unless another entry already has that name."""
    taken = {name.lower() for entry in cast for name in (entry.name, *entry.aliases)}
    out = []
    for entry in cast:
        extra = []
        for name in (entry.name, *entry.aliases):
            bare = bare_name(name) if is_description(name) else None
            if bare and bare.lower() not in taken:
                taken.add(bare.lower())
                extra.append(bare)
        out.append(replace(entry, aliases=(*entry.aliases, *extra)) if extra else entry)
    return tuple(out)


def has_name(entry: CastEntry) -> bool:
    """The entry gives a proper name among its names ("old Cotter" with "Mr Cotter"), so it is no character known
    only by a description; a lone word in lower case ("mamma") is how others address them, not a name."""
    return any(name[:1].isupper() and not is_description(name) for name in (entry.name, *entry.aliases))


def link_appositions(index, cast: Sequence[CastEntry], source: str, found: dict[int, list]) -> None:
    """An entry known by a description ("my old friend") takes the name the text puts beside that description
    ("my old friend, Master Tom Quill, rode up"; "Tom Quill, my old friend, ..."), when no other entry claims
    the name: its quotes tagged by the name are the entry's. `found` holds the name mentions (start, end, form,
    possessive) of each segment, as names.scan_names gives them."""
    described = {}
    for entry in cast:
        cid = index.labelled(entry.name.lower())
        if cid is not None and cid in index.described and index.clusters[cid].cast_name:
            for phrase in (entry.name, *entry.aliases):
                if is_description(phrase):
                    described[phrase.lower()] = cid
    if not described:
        return
    by_start = {s: form for mentions in found.values() for s, _, form, _ in mentions}
    by_end = {e: form for mentions in found.values() for _, e, form, _ in mentions}
    lower = source.lower()
    for phrase, cid in described.items():
        for match in re.finditer(rf"\b{re.escape(phrase)}\b", lower):
            after = re.match(r"\s*,\s*", source[match.end():])
            before = re.search(r"\s*,\s*$", source[max(0, match.start() - 4): match.start()])
            form = (by_start.get(match.end() + after.end()) if after else None) or (
                by_end.get(match.start() - len(before.group())) if before else None)
            owners = index.candidates(form) if form else ()
            if len(owners) == 1 and owners[0] != cid and not index.clusters[owners[0]].cast_name:
                index._merge(owners[0], cid)  # the index's own merge
                index.described.discard(cid)


# Head words of a passing speaker ("a voice", "another"): nobody to find in the cast.
PASSING_HEADS = frozenset(("voice", "voices", "one", "other", "another", "someone", "somebody", "speaker"))
# The rules' evidence that plainly names a speaker the cast may have left out ("said Tom Quill"): kept.
NAMING_STRENGTHS = frozenset(("tag-name", "self-named"))


def prefer_cast(att, candidates: list[int]) -> list[int]:
    """Given a cast, the speakers are in it: of a quote's candidates, the named ones no entry claims (a name the
    rules found in the text, a place) go when a cast member is among them, unless a tag or a quote of theirs
    names them outright somewhere in the book (`tag_named`: a cast may be partial, as one entry written by a
    rename in the studio is); not when the cast names nobody (only descriptions: "her aunt"), which says nothing
    of the named people it leaves out. A description no entry claims ("the nurse") stays: given to a cast
    member, it merged two people's lines (tune: voice accuracy 0.874 -> 0.866); a passing voice ("a voice")
    goes."""
    if not any(has_name(entry) for entry in att.cast):  # a cast of descriptions ("her aunt") names nobody else
        return candidates
    clusters, speaking = att.index.clusters, tag_named(att)

    def in_cast(cid: int) -> bool:
        if cid < 0 or clusters[cid].cast_name is not None or cid in speaking:
            return True
        # a description no entry claims stays ("the nurse": its own voice is better than a wrong one), but for a
        # passing voice ("a voice", "another"), which is as often someone of the scene
        return cid in att.index.described and att.index.name(cid).split()[-1].lower() not in PASSING_HEADS

    if not any(cid >= 0 and clusters[cid].cast_name is not None for cid in candidates):
        return candidates
    return [cid for cid in candidates if in_cast(cid)]


def tag_named(att) -> frozenset:
    """The characters the rules found speaking by a tag or a quote that names them ("said Tom Quill", "I am
    Tom"): real speakers, whether the cast lists them or not. Asked once per reading (the rules' picks, which
    no pin changes)."""
    if getattr(att, "tag_named", None) is None:
        att.tag_named = frozenset(u.speaker for u in att.utterances if u.strength in NAMING_STRENGTHS)
    return att.tag_named


# The determiners of a description that points at one person wherever the narration uses it ("the guide",
# "that fellow"). Not "her aunt" (someone's aunt: the "her" is another person, whom the text then loses) nor
# "a man" (a new one each time): as mentions they changed the speakers narrate had found with no cast, when
# its own found cast was written back (tune works: 10 more quotes changed).
POINTING = frozenset(("the", "this", "that"))


class DescribedMentions:
    """Given a cast, the narration's uses of an entry's descriptions ("our last guide", "The guide drank") are
    mentions of that entry, as a name would be: pronouns ("He told me"), action beats and the scene find it.
    Only for entries the text knows by a description alone (no name of theirs found), only in the narration,
    only definite descriptions (POINTING)."""

    def __init__(self, index, cast: Sequence[CastEntry]) -> None:
        phrases: dict[str, int] = {}
        for entry in cast:
            cid = index.labelled(entry.name.lower())
            if cid is None or cid not in index.described or not index.clusters[cid].cast_name:
                continue
            for phrase in (entry.name, *entry.aliases):
                if is_description(phrase) and phrase.split()[0].lower() in POINTING:
                    phrases.setdefault(" ".join(phrase.lower().split()), cid)
        longest_first = sorted(phrases, key=lambda p: (-len(p), p))
        self.owner = phrases
        self.pattern = re.compile(
            r"(?<![\w'’-])(" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in longest_first)
            + r")(['’]s)?(?![\w'’-])", re.IGNORECASE) if phrases else None

    def __call__(self, source: str, start: int, end: int, names: list) -> list:
        """The mentions of described entries between `start` and `end` of `source` that overlap no name in
        `names` (Mention objects), in order."""
        if self.pattern is None:
            return []
        found = []
        for match in self.pattern.finditer(source, start, end):
            s, e = match.span(1)
            if any(m.start < e and s < m.end for m in names):
                continue
            cid = self.owner[" ".join(match.group(1).lower().split())]
            found.append(Mention(s, e, ("", (match.group(1),)), bool(match.group(2)), (cid,)))
        return found
