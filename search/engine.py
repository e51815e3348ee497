"""Running a search: every match scored by Whoosh, then filtered, counted and ordered in NumPy.

Whoosh finds and scores the documents that match the words (BM25F over title and text).
Everything a diplomat then narrows by (type, topic, group, language, dates), the facet
counts over all matches, and the order (relevance with superseded versions at half weight,
or newest first) are worked out on arrays of column values (`search.columns`), because
doing them one document at a time in Python is what made a filtered search slow. Only the
page shown is then read back (stored fields, a highlighted snippet), and words the archive
does not know get a "did you mean".
"""

from __future__ import annotations

import html
import logging
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from whoosh import collectors, highlight, spelling
from whoosh import query as wq
from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton

from core.urls import PathFor
from search.columns import FACET_COLUMNS, SPELLING_FIELD, ColumnCache, IndexColumns, Mask, Numbers
from search.documents import date_of
from search.queries import (
    Hit,
    ParsedText,
    SearchQuery,
    SearchResults,
    day_end,
    day_start,
    make_parser,
    parse_text,
    tame,
)

log = logging.getLogger(__name__)

SNIPPET_CHARS = 200
MIN_CORRECTED = 3
OLD_VERSION_FACTOR = 0.5
_COLUMNS = ColumnCache()


class _EveryMatch(collectors.ScoredCollector):  # type: ignore[misc]
    """Every matching document and its score, in index order: NumPy does the rest. Unless
    `scored`, scores are all 0: sorted by date, relevance would be computed for nothing."""

    def __init__(self, *, scored: bool) -> None:
        super().__init__()
        self.scored = scored

    def prepare(self, top_searcher: Any, q: Any, context: Any) -> None:
        super().prepare(top_searcher, q, context)
        self.docnums = array("q")
        self.scores = array("d")

    def collect(self, sub_docnum: int) -> float:
        self.docnums.append(self.offset + sub_docnum)
        self.scores.append(self.matcher.score() if self.scored else 0.0)
        return 0.0


def columns_of(searcher: Any) -> IndexColumns:
    """The searcher's column arrays: worth keeping as long as the searcher (~1.4 ms to
    assemble for 100,000 documents, even when every segment is cached)."""
    return IndexColumns.of(searcher, _COLUMNS)


def execute(
    searcher: Any, columns: IndexColumns, query: SearchQuery, paths: PathFor
) -> SearchResults:
    """One page of hits for `query`, facet counts over every match, and a hint for typos;
    `columns` is `columns_of(searcher)`, and `paths` the web layer's router, which makes
    each hit's URL from the page the index names (`documents.stored_page`)."""
    parsed = parse_text(searcher.schema, query.q) if query.q else ParsedText(None)
    notes = (*query.notes, *parsed.notes)
    if query.q and parsed.query is None:
        return SearchResults(query, notes=notes)
    docnums, scores = _matches(searcher, parsed.query, columns, scored=not _by_date(query))
    keep = _filters(query, columns, docnums)
    docnums, scores = docnums[keep], scores[keep]
    total = len(docnums)
    page = _page(query, columns, docnums, scores)
    words = _matched_words(searcher, parsed.query) if page else frozenset()
    return SearchResults(
        query,
        total=total,
        hits=[_hit(searcher, columns, words, paths, hit) for hit in page],
        facets=_facets(columns, docnums),
        suggestion=suggest(searcher, columns, query.q) if query.q else None,
        notes=notes,
    )


def _by_date(query: SearchQuery) -> bool:
    return query.sort == "date" or not query.q


def _facets(columns: IndexColumns, docnums: Numbers) -> dict[str, dict[str, int]]:
    facets = {name: columns.counts(name, docnums) for name in FACET_COLUMNS}
    return {**facets, "year": columns.years(docnums)}


def _matches(
    searcher: Any, parsed: wq.Query | None, columns: IndexColumns, *, scored: bool
) -> tuple[Numbers, np.ndarray[Any, np.dtype[np.float64]]]:
    """Docnums and relevance of every live match; with no words, every live document."""
    if parsed is None:
        docnums = np.flatnonzero(columns.live).astype(np.int64)
        return docnums, np.zeros(len(docnums))
    collector = _EveryMatch(scored=scored)
    searcher.search_with_collector(parsed, collector)
    docnums = np.frombuffer(collector.docnums, dtype=np.int64)
    scores = np.frombuffer(collector.scores, dtype=np.float64)
    return docnums, np.where(columns.current[docnums], scores, scores * OLD_VERSION_FACTOR)


def _filters(query: SearchQuery, columns: IndexColumns, docnums: Numbers) -> Mask:
    keep = np.ones(len(docnums), dtype=bool)
    for facet, value in (
        ("type", query.type),
        ("topic", query.topic),
        ("group", query.group),
        ("lang", query.lang),
    ):
        if value:
            keep &= columns.holding(facet, value, docnums)
    if query.date_from or query.date_to:
        start = day_start(query.date_from) if query.date_from else None
        end = day_end(query.date_to) if query.date_to else None
        keep &= columns.dated(docnums, start, end)
    return keep


def _page(
    query: SearchQuery, columns: IndexColumns, docnums: Numbers, scores: np.ndarray[Any, Any]
) -> list[tuple[int, float]]:
    """The requested page, best (or newest) first, equal ranks by `documents.tie_key` (index
    order differs between generations and nodes). A page past the end is empty, not the
    last page."""
    start = (query.page - 1) * query.page_size
    if start >= len(docnums):
        return []
    primary = -columns.dates[docnums] if _by_date(query) else -scores
    order = np.lexsort((columns.ties[docnums], primary))[start : start + query.page_size]
    return [(int(docnums[i]), float(scores[i])) for i in order]


def _hit(
    searcher: Any,
    columns: IndexColumns,
    words: frozenset[str],
    paths: PathFor,
    ranked: tuple[int, float],
) -> Hit:
    docnum, score = ranked
    stored = searcher.stored_fields(docnum)
    text = stored.get("text", "")
    return Hit(
        type=stored["type"],
        url=_url(paths, stored),
        title=stored.get("title", ""),
        snippet=snippet(searcher, words, text),
        score=score,
        topics=tuple(topic for topic in stored.get("topics", "").split(",") if topic),
        language=stored.get("language", ""),
        date=date_of(columns.dates[docnum]),
        author=stored.get("author"),
        group=stored.get("group") or None,
        stance=stored.get("stance"),
        paragraph=stored.get("paragraph"),
        version=stored.get("version"),
        current=bool(columns.current[docnum]),
    )


def _url(paths: PathFor, stored: dict[str, Any]) -> str:
    anchor = stored["anchor"]
    return paths(stored["route"], **stored["params"]) + (f"#{anchor}" if anchor else "")


def snippet(searcher: Any, words: frozenset[str], text: str) -> str:
    """Matched passages with <mark>s (the formatter escapes the rest), found by analysing the
    shown text again for the query's `words`; or the escaped beginning of the text when the
    match was elsewhere."""
    marked = ""
    if words:
        try:
            marked = highlight.highlight(
                text,
                words,
                searcher.schema["text"].analyzer,
                highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60),
                highlight.HtmlFormatter(tagname="mark", between=" … "),
                top=2,
                mode="index",
            )
        except Exception:  # a highlighter failure must cost the snippet, never the page
            log.debug("no snippet for %r", sorted(words), exc_info=True)
    if marked.strip():
        return marked
    start = text[:SNIPPET_CHARS]
    if len(text) > SNIPPET_CHARS:
        start = start.rsplit(" ", 1)[0] + " …"
    return html.escape(start, quote=False)


def _matched_words(searcher: Any, parsed: wq.Query | None) -> frozenset[str]:
    """The analysed words of the query in the text field, prefixes expanded to the index's
    words (as they are indexed: lemmas and stems)."""
    if parsed is None:
        return frozenset()
    terms = parsed.existing_terms(searcher.reader(), phrases=True, expand=True, fieldname="text")
    return frozenset(text.decode("utf-8") if isinstance(text, bytes) else text
                     for _field, text in terms)  # fmt: skip


# -- "did you mean" ------------------------------------------------------------------------


def suggest(searcher: Any, columns: IndexColumns, text: str) -> str | None:
    """Unknown words replaced by close words of the archive, unstemmed. A hint is
    optional, so any failure in Whoosh's corrector costs only the hint."""
    try:
        return _suggestion(searcher, columns, tame(text, []))
    except Exception:  # the corrector chokes on some odd parses; the page must not
        log.debug("no suggestion for %r", text, exc_info=True)
        return None


def _suggestion(searcher: Any, columns: IndexColumns, text: str) -> str | None:
    spelled = _try_parse_spelling(searcher, text)
    if spelled is None:
        return None
    reader = searcher.reader()
    unknown = [term for term in _words(spelled) if term not in reader]
    if not unknown:
        return None
    corrector = spelling.SimpleQueryCorrector(
        {"spell": _Corrector(reader, columns.words)}, unknown, prefix=1, maxdist=2
    )
    corrected = corrector.correct_query(spelled, text)
    if corrected.string is None or corrected.query == spelled:
        return None
    return str(corrected.string)


class _Corrector(spelling.Corrector):  # type: ignore[misc]
    """Words within `maxdist` edits, from each segment's sorted spelling words in memory,
    found with Whoosh's Levenshtein automata; the nearest first, then the most common."""

    def __init__(self, reader: Any, word_lists: list[list[str]]) -> None:
        self.reader = reader
        self.word_lists = word_lists

    def _suggestions(self, text: str, maxdist: int, prefix: int) -> Iterator[tuple[float, str]]:
        seen = {text}
        for distance in range(1, maxdist + 1):
            automaton = levenshtein_automaton(text, distance, prefix).to_dfa()
            for words in self.word_lists:
                for word in find_all_matches(automaton, _next_word_in(words)):
                    if word not in seen:
                        seen.add(word)
                        rarity = 0.5 / (self.reader.frequency(SPELLING_FIELD, word) or 1)
                        yield -distance - rarity, word


def _next_word_in(words: list[str]) -> Callable[[str], str | None]:
    """The automaton's lookup: the first word at or after `key`, or None past the end."""

    def next_word(key: str) -> str | None:
        position = bisect_left(words, key)
        return words[position] if position < len(words) else None

    return next_word


def _try_parse_spelling(searcher: Any, text: str) -> wq.Query | None:
    try:
        parsed = make_parser(searcher.schema, ["spell"], {}).parse(text)
    except Exception:  # Whoosh raises assorted errors on odd input; no hint then
        return None
    return None if parsed is None or parsed is wq.NullQuery else parsed


def _words(parsed: wq.Query) -> list[tuple[str, str]]:
    """The typed words worth correcting: whole words of three letters or more (prefixes and
    wildcards need no correcting, and one or two letters have too many neighbours)."""
    words: list[tuple[str, str]] = []
    for leaf in parsed.leaves():
        if getattr(leaf, "startchar", None) is None:
            continue
        if isinstance(leaf, wq.Term):
            words.append((leaf.fieldname, leaf.text))
        elif isinstance(leaf, wq.Phrase):
            words.extend((leaf.fieldname, word) for word in leaf.words)
    return [(fieldname, word) for fieldname, word in words if len(word) >= MIN_CORRECTED]
