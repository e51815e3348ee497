"""Carrying threads forward against the whole history (consultations/carry.py, no DB)."""

from __future__ import annotations

from itertools import count

from consultations.carry import (
    FOLLOW,
    ThreadAnchor,
    candidates,
    carry_threads,
    restore_keys,
    similarity,
)
from consultations.paragraphs import KeyedBlock, assign_keys, split_blocks
from core.enums import ThreadState

FIRST = (
    "Centralization is the state of affairs where a single entity or a small group of them "
    "can observe, capture, control, or extract rent from the operation or use of an "
    "Internet function exclusively."
)
SECOND = (
    "Decentralization is the process of redistributing such power more broadly, so that "
    "no single party can dominate a function that many depend upon."
)
UK_FIRST = (
    "Оператори електронних комунікацій зобов'язані забезпечувати захист персональних "
    "даних кінцевих користувачів відповідно до закону."
)
UK_EDITED = (
    "Оператори електронних комунікацій зобов'язані забезпечувати захист персональних "
    "даних кінцевих користувачів відповідно до цього Закону та міжнародних договорів."
)
UK_OTHER = "Державна політика у сфері електронних комунікацій ґрунтується на принципах відкритості."


def _keys() -> count[int]:
    return count()


def _keyed(markdown: str, previous: list[tuple[str, str]]) -> list[KeyedBlock]:
    serial = _keys()
    return assign_keys(previous, split_blocks(markdown), lambda: f"n{next(serial):07d}")


def _anchor(
    thread_id: int, key: str, text: str, state: ThreadState = ThreadState.ANCHORED
) -> ThreadAnchor:
    return ThreadAnchor(thread_id, key, text, state)


def test_similarity_reads_cyrillic_as_well_as_latin() -> None:
    assert similarity(UK_FIRST, UK_FIRST.upper()) == 1.0
    assert FOLLOW <= similarity(UK_FIRST, UK_EDITED) < 1.0
    assert similarity(UK_FIRST, UK_OTHER) < FOLLOW
    assert similarity(FIRST, FIRST.replace(",", " ;")) == 1.0
    assert similarity(FIRST, SECOND) < FOLLOW


def test_unchanged_edited_and_gone() -> None:
    current = [("a", FIRST), ("b", UK_EDITED)]
    placed = carry_threads(
        [_anchor(1, "a", FIRST), _anchor(2, "b", UK_FIRST), _anchor(3, "c", UK_OTHER)], current
    )
    assert [(p.id, p.key, p.state, p.followed) for p in placed] == [
        (1, "a", ThreadState.ANCHORED, False),
        (2, "b", ThreadState.OUTDATED, False),
        (3, "c", ThreadState.ORPHANED, False),
    ]


def test_outdated_is_measured_against_the_text_written_on_not_the_previous_version() -> None:
    """Version 2 edited ¶ b, version 3 left it alone: a version-1 thread is still outdated,
    and a version-2 thread on it is not."""
    current = [("b", UK_EDITED)]
    placed = carry_threads([_anchor(1, "b", UK_FIRST), _anchor(2, "b", UK_EDITED)], current)
    assert [p.state for p in placed] == [ThreadState.OUTDATED, ThreadState.ANCHORED]


def test_a_thread_follows_its_text_into_a_split_or_a_merge() -> None:
    merged = f"{FIRST} {SECOND}"
    placed = carry_threads(
        [_anchor(1, "a", FIRST), _anchor(2, "b", SECOND)], [("b", merged), ("z", UK_OTHER)]
    )
    assert [(p.key, p.state, p.followed) for p in placed] == [
        ("b", ThreadState.OUTDATED, True),
        ("b", ThreadState.OUTDATED, False),
    ]
    halves = FIRST.split(" or extract rent ")
    split = [("x", halves[0] + "."), ("y", "Or extract rent " + halves[1])]
    [placed_on_split] = carry_threads([_anchor(3, "a", FIRST)], split)
    assert (placed_on_split.key, placed_on_split.followed) == ("x", True)


def test_closed_stay_closed_and_moved_stay_moved_until_edited() -> None:
    current = [("a", FIRST), ("b", UK_EDITED)]
    placed = carry_threads(
        [
            _anchor(1, "zz", FIRST, ThreadState.CLOSED),
            _anchor(2, "a", FIRST, ThreadState.MOVED),
            _anchor(3, "b", UK_FIRST, ThreadState.MOVED),
        ],
        current,
    )
    assert [(p.key, p.state) for p in placed] == [
        ("zz", ThreadState.CLOSED),
        ("a", ThreadState.MOVED),
        ("b", ThreadState.OUTDATED),
    ]


def test_an_orphan_comes_back_when_its_text_does() -> None:
    placed = carry_threads([_anchor(1, "a", FIRST, ThreadState.ORPHANED)], [("a", FIRST)])
    assert placed[0].state == ThreadState.ANCHORED


def test_restored_text_gets_its_old_key_back() -> None:
    """Version 1 has both paragraphs, version 2 drops them (a bad version), version 3 brings
    one back verbatim and the other lightly edited: both get their version-1 keys."""
    v1 = [(item.key, item.block.text) for item in _keyed(f"{FIRST}\n\n{UK_FIRST}", [])]
    v2 = [(item.key, item.block.text) for item in _keyed(UK_OTHER, v1)]
    keyed = _keyed(f"{UK_OTHER}\n\n{FIRST}\n\n{UK_EDITED}", v2)
    assert [item.change for item in keyed] == ["unchanged", "new", "new"]
    restored = restore_keys(keyed, v1 + v2)
    assert [(item.key, item.change) for item in restored] == [
        (v2[0][0], "unchanged"),
        (v1[0][0], "restored"),
        (v1[1][0], "restored"),
    ]


def test_a_key_in_use_is_never_restored_twice() -> None:
    v1 = [("a", FIRST)]
    keyed = _keyed(f"{FIRST}\n\n{FIRST}", [])
    restored = restore_keys(keyed, v1)
    assert [item.key for item in restored].count("a") == 1


def test_candidates_rank_the_most_similar_first() -> None:
    paragraphs = [("u", UK_OTHER), ("e", UK_EDITED), ("f", FIRST)]
    found = candidates(UK_FIRST, paragraphs)
    assert found[0].key == "e"
    assert found[0].score >= FOLLOW
    assert "f" not in [candidate.key for candidate in found]
    assert candidates("", paragraphs) == []
