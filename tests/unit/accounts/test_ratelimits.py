"""Fixed-window rate limits in the database: counted exactly, even by concurrent writers;
a limit many clients share is spread over rows that concurrent writers do not wait for."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from accounts.models import RateLimit
from accounts.ratelimits import (
    RESET_PER_EMAIL,
    Limit,
    RateLimiter,
    TooManyAttempts,
    subject_key,
)
from core.clock import FixedClock
from core.db import make_sessionmaker, unit_of_work

WINDOW = timedelta(minutes=15)
PER_ADDRESS = Limit("comment:ip:5/900s", 5, WINDOW, shards=8)
ADDRESS = "203.0.113.7"


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


@pytest.mark.parametrize("spreads", [range(1, 9), [None] * 8], ids=["by-user", "at-random"])
def test_hits_from_one_address_are_limited_as_one_whoever_sends_them(
    session: Session, clock: FixedClock, spreads: list[int | None]
) -> None:
    """Eight people, each on a shard of their own (or shards at random), one after another:
    five hits allowed between them. Each hit is in a transaction of its own (a savepoint),
    which a refusal rolls back, as the request's would be."""
    limiter = RateLimiter(session, clock=clock)
    answers = []
    for spread in spreads:
        try:
            with session.begin_nested():
                limiter.check_all([(PER_ADDRESS, ADDRESS)], spread=spread)
            answers.append("counted")
        except TooManyAttempts as refused:
            answers.append("refused" if 0 < refused.retry_after <= 15 * 60 else "bad wait")
        clock.advance(timedelta(seconds=1))

    assert answers == ["counted"] * 5 + ["refused"] * 3
    key = subject_key(PER_ADDRESS, ADDRESS)
    assert session.scalar(select(func.sum(RateLimit.hits)).where(RateLimit.key == key)) == 5
    clock.advance(WINDOW)
    limiter.check_all([(PER_ADDRESS, ADDRESS)], spread=3)  # every shard's window has ended
    limiter.check(PER_ADDRESS, "203.0.113.8")  # another address counts apart


def test_concurrent_hits_from_one_address_do_not_wait_for_each_other(engine: Engine) -> None:
    """A transaction that counted a hit and is still open (its comment not yet committed)
    does not hold up another person's hit from the same address; the same person's second
    hit (the same shard) does wait, which shows the check can tell."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time whatever the rows")
    sessions = make_sessionmaker(engine)
    clock = FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    address = "198.51.100.99"
    key = subject_key(PER_ADDRESS, address)

    def count_meanwhile(spread: int) -> str:
        with sessions() as other, other.begin():
            other.execute(text("SET LOCAL lock_timeout = '300ms'"))
            try:
                RateLimiter(other, clock=clock).check_all([(PER_ADDRESS, address)], spread=spread)
            except OperationalError as error:
                return "waited" if "lock timeout" in str(error) else str(error)
            return "counted"

    try:
        with sessions() as first, first.begin():
            RateLimiter(first, clock=clock).check_all([(PER_ADDRESS, address)], spread=1)
            assert count_meanwhile(2) == "counted"
            assert count_meanwhile(9) == "waited"  # 9 % 8 == 1, the first one's row
        with sessions() as session:
            hits = select(func.sum(RateLimit.hits)).where(RateLimit.key == key)
            assert session.scalar(hits) == 2
    finally:
        with unit_of_work(sessions) as session:
            session.execute(delete(RateLimit).where(RateLimit.key == key))
