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

from rapidfuzz import fuzz

Span = tuple[int, int]

#: How alike (0-100) the words found must be to the words quoted, at the old position or
#: anywhere: below it, a revised passage is more likely another passage than the same one.
MIN_SCORE = 75.0
#: Shorter quotes are only re-found exactly: a few letters are alike by chance everywhere.
MIN_FUZZY_CHARS = 12


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
    """The words standing where the quote stood, if they are still much like it."""
    if len(quote) < MIN_FUZZY_CHARS:
        return None
    start = min(hint, max(len(text) - len(quote), 0))
    span = _whole_words(text, start, min(start + len(quote), len(text)), quote)
    return span if fuzz.ratio(quote, text[span[0] : span[1]]) >= MIN_SCORE else None


def _fuzzy(quote: str, text: str) -> Span | None:
    """The passage of `text` most like the quote, anywhere (rapidfuzz's best alignment)."""
    if len(quote) < MIN_FUZZY_CHARS or len(text) < len(quote) // 2:
        return None
    found = fuzz.partial_ratio_alignment(quote, text, score_cutoff=MIN_SCORE)
    if found is None:
        return None
    # `dest` is always in `text`, even when the quote is the longer (then: all of `text`).
    if found.dest_end <= found.dest_start:
        return None
    return _whole_words(text, found.dest_start, found.dest_end, quote)


def _whole_words(text: str, start: int, end: int, quote: str) -> Span:
    """The span widened to the words it cuts, without what it caught past the quote's own
    ends (spaces, a comma the quote did not have)."""
    while 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while 0 < end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    while start < end and not text[start].isalnum() and not quote.startswith(text[start]):
        start += 1
    while end > start and not text[end - 1].isalnum() and not quote.endswith(text[end - 1]):
        end -= 1
    return start, end
