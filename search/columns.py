"""Each document's filter, facet and sort values as NumPy arrays, over the whole index.

Whoosh filters and counts facets one document at a time in Python: on a 100,000-document
archive a filter such as `type:paragraph` alone cost ~100 ms, and a date range several
seconds. The same values are kept in Whoosh columns (see `documents.make_schema`); read into
arrays, they answer "which of these 20,000 matches are English paragraphs from 2019, and how
many are there per topic" in well under a millisecond.

The words of the spelling field are kept too, for "did you mean": finding the words within
two edits of a typo by walking the on-disk term table cost ~40 ms a word; over a sorted list
in memory (a few MB for 100,000 documents) it takes about a millisecond.

A segment never changes once written (deletions are recorded apart from it), so its arrays
are read once and cached by segment id; a commit adds a small segment, and only that one is
read. Deletions change, so which documents are live is worked out per searcher.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from search.documents import date_value

Codes = npt.NDArray[np.int32]
Mask = npt.NDArray[np.bool_]
Numbers = npt.NDArray[np.int64]

#: facet name (as in URLs and results) → the column holding it; topic and group values are
#: sets written as "a,b" (one value per document is far cheaper to read than a list).
FACET_COLUMNS = {"type": "type", "topic": "topic_set", "group": "group", "lang": "language"}
SET_VALUED = frozenset({"topic", "group"})
SPELLING_FIELD = "spell"
CACHED_SEGMENTS = 64
_UNIX_EPOCH = date_value(datetime(1970, 1, 1))


class Vocabulary:
    """The distinct values of one facet column, numbered in order of first sight.

    Shared by every segment, so a code means the same value everywhere in the index.
    """

    def __init__(self, set_valued: bool) -> None:
        self.set_valued = set_valued
        self.values: list[str] = []
        self._codes: dict[str, int] = {}
        self._lock = threading.Lock()

    def code(self, value: str) -> int:
        code = self._codes.get(value)
        if code is None:
            with self._lock:
                code = self._codes.setdefault(value, len(self.values))
                if code == len(self.values):
                    self.values.append(value)
        return code

    def holding(self, value: str) -> npt.NDArray[np.bool_]:
        """For each code, whether its value is (or, for a set, contains) `value`."""
        return np.array([value in self.members(entry) for entry in self.values], dtype=bool)

    def members(self, entry: str) -> list[str]:
        if not self.set_valued:
            return [entry] if entry else []
        return [member for member in entry.split(",") if member]


@dataclass(frozen=True, slots=True)
class SegmentColumns:
    codes: dict[str, Codes]  # facet name → code of each document's value
    dates: Numbers  # see `documents.date_value`
    current: Mask  # the latest version of its paragraph or brief (comments are current)
    ties: Numbers  # see `documents.tie_key`
    words: list[str]  # the spelling field's words, sorted


class ColumnCache:
    """Arrays of recently used segments, shared by every searcher of this process."""

    def __init__(self, size: int = CACHED_SEGMENTS) -> None:
        self.vocabularies = {name: Vocabulary(name in SET_VALUED) for name in FACET_COLUMNS}
        self._segments: OrderedDict[str, SegmentColumns] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def segment(self, reader: Any) -> SegmentColumns:
        key = reader.segment().segment_id()  # random, unique across indexes
        with self._lock:
            found = self._segments.get(key)
            if found is not None:
                self._segments.move_to_end(key)
                return found
        columns = self._read(reader)
        with self._lock:
            self._segments[key] = columns
            while len(self._segments) > self._size:
                self._segments.popitem(last=False)
        return columns

    def _read(self, reader: Any) -> SegmentColumns:
        codes = {}
        for facet, column in FACET_COLUMNS.items():
            code = self.vocabularies[facet].code
            values = reader.column_reader(column, translate=False)
            codes[facet] = np.fromiter(
                (code(value.decode("utf-8")) for value in values), dtype=np.int32
            )
        current = np.fromiter(reader.column_reader("current", translate=False), dtype=np.int64)
        dates = np.fromiter(reader.column_reader("date", translate=False), dtype=np.int64)
        ties = np.fromiter(reader.column_reader("tie", translate=False), dtype=np.int64)
        words = [word.decode("utf-8") for word in reader.lexicon(SPELLING_FIELD)]
        return SegmentColumns(codes, dates, current != 0, ties, words)


@dataclass(frozen=True, slots=True)
class IndexColumns:
    """One searcher's view: every segment's arrays end to end, in global docnum order."""

    cache: ColumnCache
    codes: dict[str, Codes]
    dates: Numbers
    current: Mask
    ties: Numbers
    live: Mask
    words: list[list[str]]  # per segment

    @classmethod
    def of(cls, searcher: Any, cache: ColumnCache) -> IndexColumns:
        parts = []
        live = []
        for subsearcher, _offset in searcher.leaf_searchers():
            reader = subsearcher.reader()
            if not reader.doc_count_all():  # an index with no segments yet has an empty one
                continue
            parts.append(cache.segment(reader))
            alive = np.ones(reader.doc_count_all(), dtype=bool)
            deleted = list(reader.segment().deleted_docs())
            alive[deleted] = False
            live.append(alive)
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return cls(cache, {f: empty.astype(np.int32) for f in FACET_COLUMNS},
                       empty, empty.astype(bool), empty, empty.astype(bool), [])  # fmt: skip
        return cls(
            cache,
            {f: np.concatenate([p.codes[f] for p in parts]) for f in FACET_COLUMNS},
            np.concatenate([p.dates for p in parts]),
            np.concatenate([p.current for p in parts]),
            np.concatenate([p.ties for p in parts]),
            np.concatenate(live),
            [part.words for part in parts],
        )

    def holding(self, facet: str, value: str, docnums: Numbers) -> Mask:
        """Which of `docnums` have `value` in the facet."""
        return self.cache.vocabularies[facet].holding(value)[self.codes[facet][docnums]]

    def dated(self, docnums: Numbers, start: datetime | None, end: datetime | None) -> Mask:
        """Which of `docnums` fall between `start` and `end` (UTC, inclusive)."""
        dates = self.dates[docnums]
        keep = np.ones(len(docnums), dtype=bool)
        if start is not None:
            keep &= dates >= date_value(start)
        if end is not None:
            keep &= dates <= date_value(end)
        return keep

    def years(self, docnums: Numbers) -> dict[str, int]:
        """How many of `docnums` were written (or published) in each year, newest first."""
        since_1970 = self.dates[docnums] - _UNIX_EPOCH
        years = since_1970.astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64)
        found, counts = np.unique(years + 1970, return_counts=True)
        return {
            str(year): int(count) for year, count in zip(found[::-1], counts[::-1], strict=True)
        }

    def counts(self, facet: str, docnums: Numbers) -> dict[str, int]:
        """How many of `docnums` have each value, most frequent first (a document with a set
        of values counts once for each)."""
        vocabulary = self.cache.vocabularies[facet]
        per_code = np.bincount(self.codes[facet][docnums], minlength=len(vocabulary.values))
        counts: dict[str, int] = {}
        for code in np.flatnonzero(per_code):
            for value in vocabulary.members(vocabulary.values[code]):
                counts[value] = counts.get(value, 0) + int(per_code[code])
        return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))
