"""Fixed-window rate limits in the database: counted exactly, even by concurrent writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from accounts.models import RateLimit
from accounts.ratelimits import RESET_PER_EMAIL, RateLimiter, TooManyAttempts, subject_key
from core.clock import FixedClock
from core.db import make_sessionmaker, unit_of_work

WINDOW = timedelta(minutes=15)


def test_the_attempt_over_the_limit_is_refused_until_the_window_ends(
    session: Session, clock: FixedClock
) -> None:
    limiter = RateLimiter(session, clock=clock)
    for _ in range(3):
        limiter.hit("k", 3, WINDOW)
    clock.advance(timedelta(minutes=5))

    with pytest.raises(TooManyAttempts) as refused:
        limiter.hit("k", 3, WINDOW)

    assert refused.value.retry_after == 10 * 60
    assert refused.value.code == "rate_limited"
    clock.advance(timedelta(minutes=10))
    limiter.hit("k", 3, WINDOW)  # a new window
    assert session.scalars(select(RateLimit.hits).where(RateLimit.key == "k")).one() == 1


def test_keys_are_counted_apart(session: Session, clock: FixedClock) -> None:
    limiter = RateLimiter(session, clock=clock)
    limiter.hit("a", 1, WINDOW)
    limiter.hit("b", 1, WINDOW)
    with pytest.raises(TooManyAttempts):
        limiter.hit("a", 1, WINDOW)


def test_email_addresses_are_not_stored() -> None:
    key = subject_key(RESET_PER_EMAIL, " Olena@Example.org")
    assert "olena" not in key.lower() and key.startswith("reset:email:")
    assert key == subject_key(RESET_PER_EMAIL, "olena@example.org")


def test_old_windows_are_pruned(session: Session, clock: FixedClock) -> None:
    limiter = RateLimiter(session, clock=clock)
    limiter.hit("old", 5, WINDOW)
    clock.advance(timedelta(days=2))
    limiter.hit("new", 5, WINDOW)

    assert limiter.prune() == 1
    assert session.scalars(select(RateLimit.key)).all() == ["new"]


def test_concurrent_hits_are_all_counted(engine: Engine) -> None:
    """Separate transactions on separate connections, as web processes would make them."""
    sessions = make_sessionmaker(engine)
    key = f"concurrency:{engine.dialect.name}"
    clock = FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    def attempt(_: int) -> bool:
        try:
            with unit_of_work(sessions) as session:
                RateLimiter(session, clock=clock).hit(key, 30, WINDOW)
        except TooManyAttempts:
            return False
        return True

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            allowed = list(pool.map(attempt, range(40)))
        assert allowed.count(True) == 30
        with sessions() as session:
            assert session.scalars(select(RateLimit.hits).where(RateLimit.key == key)).one() == 30
    finally:
        with unit_of_work(sessions) as session:
            session.execute(delete(RateLimit).where(RateLimit.key == key))
