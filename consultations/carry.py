"""Carry threads forward across draft versions, against the whole history (pure: no DB).

`assign_keys` keys a new version against the previous one only; two things need more:

* `restore_keys` gives a block the previous one did not continue the key it had in *any*
  earlier version when its text comes back (a bad version 7 undone in version 8 brings the
  threads of version 6 back to their paragraph);
* `carry_threads` places each thread by comparing the text it was *written on* with the
  new version: unchanged → anchored, edited → outdated (shown in place, with the text it
  was written on), split or merged → follows the most similar paragraph, rewritten beyond
  recognition or deleted → orphaned, for the editor's re-anchor queue.

Similarity is rapidfuzz's normalised Indel ratio over case-folded words with punctuation
removed, which is as good for Cyrillic as for Latin text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import LCSseq

from consultations.paragraphs import KeyedBlock
from core.enums import ThreadState as AnchorState

__all__ = [
    "FOLLOW",
    "AnchorState",
    "Candidate",
    "Placement",
    "ThreadAnchor",
    "candidates",
    "carry_threads",
    "restore_keys",
    "similarity",
]

FOLLOW = 0.6  # the least similarity at which a thread follows its text to a new paragraph
_PARTIAL_DISCOUNT = 0.95  # containment (a split half, a merged whole) counts a bit less
_PARTIAL_FLOOR = 85  # ...and only when nearly verbatim: any two paragraphs share some words
_PARTIAL_SHARE = 0.3  # ...and only when the shorter text is a fair part of the longer one
_PARTIAL_CHARS = 30  # ...and long enough not to be found anywhere ("See Section 3.")


@dataclass(frozen=True, slots=True)
class ThreadAnchor:
    """What `carry_threads` needs of a thread: where it is, and the text it compares with
    (the paragraph it was written on, or the one an editor moved it to)."""

    id: int
    key: str
    base_text: str
    state: AnchorState
    last_text: str | None = None  # its key's text in the latest version that had it


@dataclass(frozen=True, slots=True)
class Placement:
    """A thread's place in the new version."""

    id: int
    key: str
    state: AnchorState
    followed: bool = False  # its key is gone, and it followed its text to `key`


@dataclass(frozen=True, slots=True)
class Candidate:
    key: str
    text: str
    score: float  # 0..1


def _clean(text: str) -> str:
    return " ".join(utils.default_process(text).split())


def _partial(left: str, right: str) -> float:
    """How much of the shorter text is contained, word for word and in order, in the longer
    (0..100, discounted), when it is a fair part of it and long enough not to be found
    anywhere ("See Section 3."): a split half in its old whole, an old paragraph in the
    one it was merged into. Words, not characters: any long text contains the letters of
    a short one, never its sentences."""
    shorter, longer = sorted((len(left), len(right)))
    if shorter < _PARTIAL_CHARS or shorter < _PARTIAL_SHARE * longer:
        return 0.0
    words = sorted((left.split(), right.split()), key=len)
    common = LCSseq.similarity(words[0], words[1])
    share = 100 * common / max(len(words[0]), 1)
    return _PARTIAL_DISCOUNT * share if share >= _PARTIAL_FLOOR else 0.0


def _score(left: str, right: str) -> float:
    """Similarity of two cleaned texts, 0..100: the Indel ratio, or how well one contains
    the other, so that a split half or a merged whole still finds its paragraph."""
    return max(fuzz.ratio(left, right), _partial(left, right))


def similarity(left: str, right: str) -> float:
    """How alike two paragraphs read, from 0 to 1 (case, punctuation and spacing aside)."""
    return _score(_clean(left), _clean(right)) / 100


def _ranked(
    query: str, choices: Sequence[str | None], cutoff: float, limit: int
) -> list[tuple[int, float]]:
    """(index, score 0..100) of the choices most like `query`, best first. The ratio is
    computed natively over all of them; containment only for those of a length that can
    contain or be contained (a split half, a merged whole), so a long draft stays fast."""
    scores: dict[int, float] = {
        index: score
        for _choice, score, index in process.extract(
            query, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit
        )
    }
    for index, choice in enumerate(choices):
        if choice is not None and (partial := _partial(query, choice)) >= cutoff:
            scores[index] = max(scores.get(index, 0.0), partial)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]


def candidates(
    text: str, paragraphs: Sequence[tuple[str, str]], *, limit: int = 3
) -> list[Candidate]:
    """The paragraphs ((key, text) pairs) most like `text`, best first, for an editor who
    re-anchors a thread by hand (so below `FOLLOW` too, but never unrelated ones)."""
    choices = [_clean(body) for _key, body in paragraphs]
    return [
        Candidate(paragraphs[index][0], paragraphs[index][1], round(score / 100, 3))
        for index, score in _ranked(_clean(text), choices, 20, limit)
    ]


def _best(text: str, choices: Sequence[str | None]) -> tuple[int, float] | None:
    found = _ranked(_clean(text), choices, FOLLOW * 100, 1)
    return (found[0][0], found[0][1] / 100) if found else None


def carry_threads(
    threads: Iterable[ThreadAnchor], current: Sequence[tuple[str, str]]
) -> list[Placement]:
    """Place each thread in the new version, given as (key, text) pairs in order.

    A thread whose key the version has stays there: anchored if the text still reads as
    it did (a moved thread stays moved), outdated otherwise. A thread whose key is gone
    follows the paragraph most similar to the text it was written on, or to its key's
    last text (a paragraph edited step by step, then split or merged), when one is similar
    enough; it is orphaned otherwise. Closed threads stay closed.
    """
    texts = {key: _clean(text) for key, text in current}
    cleaned: list[str | None] = list(texts.values())
    found: dict[str, tuple[int, float] | None] = {}  # threads on one paragraph share a text
    placements = []
    for thread in threads:
        if thread.state == AnchorState.CLOSED:
            placements.append(Placement(thread.id, thread.key, AnchorState.CLOSED))
            continue
        if thread.key in texts:
            same = texts[thread.key] == _clean(thread.base_text)
            unchanged = AnchorState.MOVED if thread.state == AnchorState.MOVED else None
            state = (unchanged or AnchorState.ANCHORED) if same else AnchorState.OUTDATED
            placements.append(Placement(thread.id, thread.key, state))
            continue
        best = None
        for text in dict.fromkeys(filter(None, (thread.base_text, thread.last_text))):
            if text not in found:
                found[text] = _best(text, cleaned)
            if (match := found[text]) is not None and (best is None or match[1] > best[1]):
                best = match
        if best is None:
            placements.append(Placement(thread.id, thread.key, AnchorState.ORPHANED))
            continue
        index, score = best
        state = AnchorState.ANCHORED if score >= 1.0 else AnchorState.OUTDATED
        placements.append(Placement(thread.id, current[index][0], state, followed=True))
    return placements


def restore_keys(
    keyed: Sequence[KeyedBlock], history: Sequence[tuple[str, str]]
) -> list[KeyedBlock]:
    """Give a block keyed as new the key it had in an earlier version, when its text is
    back (exactly, else the most similar one at ≥ `FOLLOW`); `history` holds the (key,
    text) pairs of earlier versions, oldest first (a key's latest text counts). A block
    so restored is marked "restored"; keys the new version already uses stay its own."""
    taken = {item.key for item in keyed if item.change != "new"}
    latest: dict[str, str] = {}
    for key, text in history:
        if key not in taken:
            latest.pop(key, None)  # re-inserted: a dict keeps the latest version's order last
            latest[key] = text
    if not latest:
        return list(keyed)
    by_text = {_clean(text): key for key, text in latest.items()}
    restored = list(keyed)
    fuzzy: list[int] = []
    for index, item in enumerate(keyed):
        if item.change != "new":
            continue
        same = by_text.get(_clean(item.block.text))
        if same is None or same in taken:
            fuzzy.append(index)
            continue
        taken.add(same)
        restored[index] = replace(item, key=same, change="restored", previous_key=same)
    _restore_similar(restored, fuzzy, latest, taken)
    return restored


def _restore_similar(
    restored: list[KeyedBlock], indexes: Sequence[int], latest: dict[str, str], taken: set[str]
) -> None:
    """The fuzzy half of `restore_keys`: blocks still new take the free key of the most
    similar earlier text (latest versions first among equals)."""
    keys = list(reversed(latest))
    choices: list[str | None] = [None if key in taken else _clean(latest[key]) for key in keys]
    for index in indexes:
        item = restored[index]
        best = _best(item.block.text, choices)
        if best is None:
            continue
        key = keys[best[0]]
        choices[best[0]] = None  # taken now
        taken.add(key)
        restored[index] = replace(item, key=key, change="restored", previous_key=key)
