"""Characters called by a description or a title ("the old man", "her aunt", "the General"): the queries the
character model (characters.CharacterIndex) answers for them, kept here to keep that module to its one job."""
from __future__ import annotations

from narrate.annotate.descriptions import is_junk_label
from narrate.annotate.nameforms import TITLE_WORDS
from narrate.annotate.speechverbs import TITLES


class Labels:
    """Descriptions and titles over CharacterIndex's clusters (`clusters`, `described`, `_by_label`, `stats`,
    `_new_cluster`, `mentions` are the index's)."""

    def label(self, key: str, shown: str, gender: str | None) -> int | None:
        """The character called by a description ("the old man"), created on first use and shown as
        first written ("an old man"); the one titled character for "the general"; None for a description
        of nobody ("the former", "a time", "the Longmere")."""
        if key in self._by_label:
            return self._by_label[key]
        if self.is_junk_label(key):
            return None
        words = key.split()
        the_title = len(words) == 2 and words[0] == "the" and words[1] in TITLES
        if the_title and (titled := self.the_titled(words[1])) is not None:  # "the General" is General Quill
            return titled
        cid = self._new_cluster()
        self.clusters[cid].forms[("", (shown,))] = 1
        if gender:
            self.clusters[cid].nouns[gender] += 1
        self._by_label[key] = cid
        self.described.add(cid)
        return cid

    def is_junk_label(self, key: str) -> bool:
        """A description that names nobody (descriptions.is_junk_label)."""
        return is_junk_label(key, self.stats)

    def labelled(self, key: str) -> int | None:
        """The character already called by this description, if any."""
        return self._by_label.get(key)

    def named_by_word(self, word: str) -> int | None:
        """The one named character whose name has this word in it ("the parson" -> Parson Tringham)."""
        found = {cid for cid, cluster in enumerate(self.clusters) if cid not in self.described
                 for _, tokens in cluster.forms if word in (t.lower() for t in tokens)}
        return found.pop() if len(found) == 1 else None

    def the_titled(self, title: str) -> int | None:
        """The one character "the general" means: the only one with that title the narration names (another
        general only mentioned in passing in the dialogue does not count)."""
        titled = self.titled(title)
        named = [cid for cid in titled if self.mentions(cid) >= 1]
        if len(titled) == 1 or len(named) == 1:
            return titled[0] if len(titled) == 1 else named[0]
        return None

    def titled(self, title: str) -> list[int]:
        """Characters named with this title somewhere ("doctor" -> Dr. Archie)."""
        titles = {title, *(short for short, full in TITLE_WORDS.items() if full == title)}
        return [cid for cid, cluster in enumerate(self.clusters) if any(f[0] in titles for f in cluster.forms)]
