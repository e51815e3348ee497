"""Whoosh analyzers for Roundtable's bilingual (English/Ukrainian) archive.

Every text field uses one analyzer, :func:`multilingual_analyzer`. It
dispatches per token by script: Cyrillic words are lemmatised with pymorphy3
(Ukrainian is heavily inflected, so a stemmer would either over- or
under-cut), everything else is stemmed with Snowball English. Because the
same analyzer runs at index and query time, a query in either language finds
documents in either language, including Ukrainian documents that quote
English terms and vice versa.

Design constraints this module honours:

* Whoosh pickles the schema, analyzers included, into the index TOC. The
  pymorphy3 ``MorphAnalyzer`` (large and unpicklable) therefore lives behind
  a module-level lazy getter, never on a filter instance.
* Indexing must be fast (≥ 2,000 paragraphs/s), so the per-word work is one
  ``lru_cache`` lookup after warm-up.
* Filters only rewrite ``token.text``; positions and character offsets pass
  through untouched so phrase queries and highlighting keep working, in both
  ``mode="index"`` and ``mode="query"``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from whoosh.analysis import (
    STOP_WORDS,
    CompositeAnalyzer,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
)
from whoosh.lang import stemmer_for_language

__all__ = [
    "APOSTROPHES",
    "STOP_WORDS_ALL",
    "UKRAINIAN_STOP_WORDS",
    "ApostropheFilter",
    "MultilingualLemmaFilter",
    "english_analyzer",
    "lemmatize",
    "morph_analyzer",
    "multilingual_analyzer",
    "normalize_apostrophes",
    "ukrainian_analyzer",
]

#: Characters used as the Ukrainian apostrophe in real texts: ASCII quote,
#: right single quotation mark, modifier letter apostrophe, left single
#: quotation mark and the backtick that old Rada texts use ("обов`язковим").
APOSTROPHES = "'\u2019\u02bc\u2018`"

#: pymorphy3's Ukrainian dictionary spells words with the ASCII apostrophe;
#: "пам’яті" with U+2019 is parsed as an unknown word, "пам'яті" is not.
_CANONICAL_APOSTROPHE = "'"
_APOSTROPHE_TABLE = str.maketrans(dict.fromkeys(APOSTROPHES[1:], _CANONICAL_APOSTROPHE))

#: Words, optionally joined by an apostrophe (пам'ять, зв’язку, don't) or a
#: dot (5.1, e.g) — the latter mirrors Whoosh's default tokenizer.
_TOKEN_PATTERN = r"\w+(?:[." + re.escape(APOSTROPHES) + r"]\w+)*"

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

#: A short list of Ukrainian function words (conjunctions, prepositions,
#: particles, pronouns, forms of "бути") — frequent enough to bloat postings
#: and carry no topical meaning. Matched on the lowercased surface form.
UKRAINIAN_STOP_WORDS: frozenset[str] = frozenset(
    """
    а або але б би бо був була були було бути в вам вас ваш ви від він вона
    вони воно все всі вже де до для є ж же з за зі із й і її їй їм їх його
    йому коли крім ми мене мені на над нам нас не ні нього них ним о об по
    під при про та так також там те тим то тобто того той ту тут у хоча це
    цей ця ці цього цьому цих чи що щоб як яка які який яких якого якому
    якщо я
    """.split()  # noqa: SIM905 - a 100-word list reads better as a paragraph
)

#: English (Whoosh's default list) plus Ukrainian stop words.
STOP_WORDS_ALL: frozenset[str] = frozenset(STOP_WORDS) | UKRAINIAN_STOP_WORDS

#: Parses tagged with these grammemes are proper names or abbreviations;
#: they are only used when a word has no common-noun reading ("дані" is both
#: the plural of "даний" and the locative of the name "Дан").
_PROPER_GRAMMEMES = frozenset({"Name", "Surn", "Patr", "Abbr"})

_LEMMA_CACHE_SIZE = 200_000

_morph_lock = threading.Lock()
_morph: Any = None


def morph_analyzer() -> Any:
    """Return the process-wide pymorphy3 Ukrainian ``MorphAnalyzer``.

    Created lazily (loading dictionaries takes ~0.1 s and tens of MB) and
    kept at module level so analyzer objects stay picklable.
    """
    global _morph
    if _morph is None:
        with _morph_lock:
            if _morph is None:
                import pymorphy3

                _morph = pymorphy3.MorphAnalyzer(lang="uk")
    return _morph


def normalize_apostrophes(text: str) -> str:
    """Replace every apostrophe variant with the ASCII one pymorphy3 knows."""
    return text.translate(_APOSTROPHE_TABLE)


@functools.cache
def _english_stemmer() -> Callable[[str], str]:
    """Snowball (Porter2) English stemmer bundled with Whoosh.

    Whoosh's copy is used instead of the ``snowballstemmer`` package so the
    project needs no extra dependency; both give identical stems.
    """
    stem: Callable[[str], str] = stemmer_for_language("en")
    return stem


def _is_common(parse: Any) -> bool:
    """True when a pymorphy3 parse is not a proper name or abbreviation."""
    return not (_PROPER_GRAMMEMES & parse.tag.grammemes)


def _ukrainian_lemma(word: str) -> str:
    """Pick one lemma for ``word`` deterministically.

    pymorphy3's Ukrainian model gives every parse the same score, so the
    first parse is arbitrary ("зв'язку" → "зв'язка", "зв'язок" → "зв'язка"
    but "дані" → "дан"). Voting over the normal forms of common-word parses
    maps all forms of a paradigm to its dominant lemma; ties keep
    pymorphy3's order. Consistency matters more than linguistic accuracy:
    the same choice is made at index and at query time.
    """
    parses = morph_analyzer().parse(word)
    if not parses:
        return word
    common = [p for p in parses if _is_common(p)] or parses
    votes = Counter(p.normal_form for p in common)
    lemma: str = votes.most_common(1)[0][0]
    return lemma


@functools.lru_cache(maxsize=_LEMMA_CACHE_SIZE)
def lemmatize(word: str) -> str:
    """Return the index term for one lowercase word.

    Cyrillic words are lemmatised with pymorphy3, everything else is
    stemmed with Snowball English. Cached: legal text repeats a small
    vocabulary, so after warm-up this is a dictionary lookup.
    """
    word = normalize_apostrophes(word)
    if _CYRILLIC.search(word):
        return _ukrainian_lemma(word)
    return _english_stemmer()(word)


class ApostropheFilter(Filter):  # type: ignore[misc]
    """Normalise apostrophe variants in token text to the ASCII apostrophe.

    Not a morphological filter, so it also runs when Whoosh asks for
    ``no_morph`` tokens (e.g. for the spelling dictionary) and "пам’ять" and
    "пам'ять" still spell the same.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        """Rewrite ``token.text`` in place; every other attribute is kept."""
        table = _APOSTROPHE_TABLE
        for token in tokens:
            token.text = token.text.translate(table)
            yield token


class MultilingualLemmaFilter(Filter):  # type: ignore[misc]
    """Replace each token's text with its lemma (Cyrillic) or stem (other).

    Holds no state, so it pickles into the index TOC as just its class name;
    the morphological analyzer is fetched from the module-level getter.
    ``is_morph`` lets Whoosh skip it when it wants unstemmed words.
    """

    is_morph = True

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        """Rewrite ``token.text``; ``pos``/``startchar``/``endchar`` are kept."""
        lemma = lemmatize
        for token in tokens:
            if not token.stopped:
                token.text = lemma(token.text)
            yield token


def multilingual_analyzer() -> CompositeAnalyzer:
    """Return the analyzer for every text field and every query.

    Pipeline: regex tokenizer (keeps in-word apostrophes) → lowercase →
    English + Ukrainian stop words → apostrophe normalisation → per-script
    lemma/stem. Stop words use ``minsize=1`` so numbers such as the "5" in
    "стаття 5" stay searchable; one-letter function words are in the list.
    """
    analyzer: CompositeAnalyzer = (
        RegexTokenizer(_TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS_ALL, minsize=1)
        | ApostropheFilter()
        | MultilingualLemmaFilter()
    )
    return analyzer


def english_analyzer() -> CompositeAnalyzer:
    """Analyzer for English fields: the multilingual one.

    English documents quote Ukrainian names and terms; sharing the analyzer
    keeps those Cyrillic words matchable by Ukrainian queries.
    """
    return multilingual_analyzer()


def ukrainian_analyzer() -> CompositeAnalyzer:
    """Analyzer for Ukrainian fields: the multilingual one.

    Ukrainian documents cite English acronyms and titles ("GDPR", "Data
    Act"); those are stemmed exactly as in English documents.
    """
    return multilingual_analyzer()
