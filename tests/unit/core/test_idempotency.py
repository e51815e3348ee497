"""The idempotency store: one answer per (user, key), expiry, and the concurrent duplicate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import FixedClock
from core.idempotency import (
    AlreadyAnswered,
    Answer,
    IdempotencyKey,
    IdempotencyStore,
    KeyReused,
    fingerprint,
)
from tests.factories import make_user

FIRST = Answer(201, '{"id": 1}')


def test_a_second_answer_for_a_live_key_is_refused(session: Session, clock: FixedClock) -> None:
    """What the losing one of two concurrent requests meets when it stores its answer."""
    user = make_user(session, clock)
    store = IdempotencyStore(session, clock=clock)
    store.remember(user.id, "k", fingerprint("a"), FIRST)

    with pytest.raises(AlreadyAnswered):
        store.remember(user.id, "k", fingerprint("a"), Answer(201, '{"id": 2}'))
    assert store.recall(user.id, "k", fingerprint("a")) == FIRST
    with pytest.raises(KeyReused):
        store.recall(user.id, "k", fingerprint("b"))


def test_an_expired_key_is_forgotten_taken_over_and_pruned(
    session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock)
    store = IdempotencyStore(session, clock=clock)
    store.remember(user.id, "old", fingerprint("a"), FIRST)
    store.remember(user.id, "reused", fingerprint("a"), FIRST)
    clock.advance(timedelta(hours=24))

    assert store.recall(user.id, "reused", fingerprint("b")) is None
    store.remember(user.id, "reused", fingerprint("b"), Answer(201, "{}"))

    assert store.prune() == 1
    assert session.scalars(select(IdempotencyKey.key)).all() == ["reused"]
    assert store.recall(user.id, "reused", fingerprint("b")) == Answer(201, "{}")
