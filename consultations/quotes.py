"""Quoted spans: the passage of a paragraph a thread is about, re-found in later versions.

A thread keeps the words its author selected and the version it was written on. When the
paragraph is revised, the words are looked for again in the current text the way Hypothesis
re-anchors annotations: the exact words first (the occurrence nearest to where they were,
if there are several), then whatever now stands where they were, then the best fuzzy match
anywhere in the paragraph; failing all three, the quote is "no longer found".

Pure functions of strings: positions are in the strings as given. Quotes are stored
`normalize`d (a browser's selection and the paragraph's plain text differ in line breaks
and runs of spaces), so callers pass normalized texts too.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

Span = tuple[int, int]

#: How alike (0-100) the words found must be to the words quoted, at the old position or
#: anywhere: below it, a revised passage is more likely another passage than the same one.
MIN_SCORE = 75.0
#: Shorter quotes are only re-found exactly: a few letters are alike by chance everywhere.
MIN_FUZZY_CHARS = 12
_WORD = re.compile(r"\S+")


def normalize(text: str) -> str:
    """Whitespace runs as single spaces, trimmed: the form quotes are compared and kept in."""
    return " ".join(text.split())


def occurs_in(quote: str, text: str) -> bool:
    """Whether `quote` is words of `text` (after `normalize`), as a new thread's must be."""
    wanted = normalize(quote)
    return bool(wanted) and wanted in normalize(text)


def locate(quote: str, written_text: str, current_text: str) -> Span | None:
    """Where `quote`, selected in `written_text`, stands in `current_text`, or None."""
    if not quote or not current_text:
        return None
    hint = _hint(quote, written_text, current_text)
    return (
        _exact(quote, current_text, hint)
        or _at_position(quote, current_text, hint)
        or _fuzzy(quote, current_text)
    )


def _hint(quote: str, written_text: str, current_text: str) -> int:
    """Where the quote would start in the current text if the text around it had grown or
    shrunk evenly: its old offset, scaled."""
    start = written_text.find(quote)
    if start < 0 or not written_text:
        return 0
    return round(start * len(current_text) / len(written_text))


def _exact(quote: str, text: str, hint: int) -> Span | None:
    starts = []
    at = text.find(quote)
    while at >= 0:
        starts.append(at)
        at = text.find(quote, at + 1)
    if not starts:
        return None
    start = min(starts, key=lambda candidate: abs(candidate - hint))
    return start, start + len(quote)


def _at_position(quote: str, text: str, hint: int) -> Span | None:
    """The passage much like the quote that starts nearest to where the quote stood."""
    return _best(quote, text, _word_spans(quote, text, hint - len(quote), hint + len(quote)), hint)


def _fuzzy(quote: str, text: str) -> Span | None:
    """The passage of `text` most like the quote, anywhere. rapidfuzz's alignment of the
    quote (fast, but blind to words) says where to compare whole words: a long paragraph
    would otherwise cost thousands of comparisons."""
    if len(quote) < MIN_FUZZY_CHARS:
        return None
    rough = fuzz.partial_ratio_alignment(quote, text, score_cutoff=MIN_SCORE - 10)
    if rough is None:
        return None
    lo, hi = rough.dest_start - len(quote), rough.dest_end
    return _best(quote, text, _word_spans(quote, text, lo, hi), rough.dest_start)


def _word_spans(quote: str, text: str, lo: int, hi: int) -> list[Span]:
    """Runs of whole words of `text` starting between `lo` and `hi`, about as many words as
    the quote (a revision adds or drops a few): what fuzzy matching compares with it."""
    if len(quote) < MIN_FUZZY_CHARS:
        return []
    words = [match.span() for match in _WORD.finditer(text)]
    count = len(quote.split())
    slack = max(2, count // 4)
    return [
        (words[first][0], words[first + size - 1][1])
        for first in range(len(words))
        if lo <= words[first][0] <= hi
        for size in range(max(1, count - slack), count + slack + 1)
        if first + size <= len(words)
    ]


def _best(quote: str, text: str, spans: list[Span], hint: int) -> Span | None:
    """The span most like the quote (rapidfuzz's ratio, at least MIN_SCORE), the nearest
    to `hint` of equals, trimmed of punctuation the quote does not have."""
    best: tuple[float, int, Span] | None = None
    for start, end in spans:
        score = fuzz.ratio(quote, text[start:end], score_cutoff=MIN_SCORE)
        if score and (best is None or (score, -abs(start - hint)) > best[:2]):
            best = (score, -abs(start - hint), (start, end))
    return _trimmed(text, *best[2], quote) if best else None


def _trimmed(text: str, start: int, end: int, quote: str) -> Span:
    """Without what the span caught past the quote's own ends (a comma it did not have)."""
    while start < end and not text[start].isalnum() and not quote.startswith(text[start]):
        start += 1
    while end > start and not text[end - 1].isalnum() and not quote.endswith(text[end - 1]):
        end -= 1
    return start, end
