"""Rate limits on sign-in, sign-up, email links, commenting and search, shared by every web
process.

Counted in the database, in the `rate_limits` table, rather than in memory or a cache
server: the database is the one thing every web process on every machine already shares,
so a limit holds however many of them there are, and needs nothing more to deploy. Each
key is a fixed window, counted by one atomic upsert (`INSERT … ON CONFLICT DO UPDATE …
RETURNING`) that can count several keys at once, so concurrent requests never lose a hit:
on PostgreSQL the conflicting row is locked until the first transaction ends (keys are
upserted in sorted order, so two requests never wait for each other's rows); SQLite takes
its write lock at BEGIN IMMEDIATE. Rows carry their own expiry, so one statement serves
limits of different windows, and the outbox worker deletes ended windows.

A row lock held until COMMIT would make every comment from one address (all the people
behind a NAT, or everyone when FORWARDED_ALLOW_IPS is left unset behind a proxy) wait for
the one before it. So a limit many clients share has `shards`: its key is counted in that
many rows, one picked per request, and its count is the hits of the picked row plus those
of its other live rows, read in the same statement without locking them. Concurrent
requests that picked different rows then neither wait for each other nor see each other's
uncommitted hit, so under concurrency such a limit may let through up to one extra hit
per request in flight: approximate, as a rate limit may be. Each shard keeps its own
window, and a refusal's Retry-After is that of the shard it counted in. Requests one after
another (and everything on SQLite, which has one writer at a time) are counted exactly.

Keys name the action and what is counted: the client's IP address, a user id, and the
account's email address (hashed, alone or paired with the address: the table need not hold
the addresses people typed, most of them for no account). The IP is `request.client.host`,
which the app sets from X-Forwarded-For only for the proxies in FORWARDED_ALLOW_IPS.
Configurable limits are written in the `limits` library's notation ("30/minute;500/day").
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import limits
from sqlalchemy import Integer, String, TextualSelect, bindparam, delete, text
from sqlalchemy.orm import Session

from accounts.models import RateLimit
from core.clock import Clock, as_utc
from core.db import UTCDateTime
from core.errors import DomainError
from core.i18n import N_

TOO_MANY = N_("Too many attempts. Please wait a while and try again.")


class TooManyAttempts(DomainError):
    """Over a rate limit; `retry_after` is the number of seconds until the window ends."""

    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(TOO_MANY)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Limit:
    action: str
    hits: int
    window: timedelta
    # Rows the count is spread over (see the module's docstring): more than one for a
    # subject many clients share at a high rate, such as an address.
    shards: int = 1


# Sign-in failures count per account *and* address: guessing from one address slows down
# there, while the account's owner, elsewhere, still signs in. A success clears the pair.
SIGNIN_PER_PAIR = Limit("signin:pair", 10, timedelta(minutes=15))
SIGNIN_PER_IP = Limit("signin:ip", 50, timedelta(minutes=15))
RESET_PER_EMAIL = Limit("reset:email", 5, timedelta(hours=1))
RESET_PER_IP = Limit("reset:ip", 20, timedelta(hours=1))
# Sign-up mails whoever owns the address typed: limited like reset requests.
SIGNUP_PER_EMAIL = Limit("signup:email", 5, timedelta(hours=1))
SIGNUP_PER_IP = Limit("signup:ip", 20, timedelta(hours=1))
RESEND_PER_USER = Limit("verify:user", 5, timedelta(hours=1))


def parse_rates(notation: str) -> list[tuple[int, timedelta]]:
    """("30/minute;500/day" →) [(30, 1 minute), (500, 1 day)]; "0" or "" is no limit.
    Raises ValueError for what the `limits` library cannot read."""
    if notation.strip() in {"", "0"}:
        return []
    rates = [
        (item.amount, timedelta(seconds=item.get_expiry())) for item in limits.parse_many(notation)
    ]
    if any(hits < 1 for hits, _ in rates):
        raise ValueError(f"a rate needs at least one hit: {notation!r}")
    return rates


def configured(action: str, notation: str, *, shards: int = 1) -> tuple[Limit, ...]:
    """The limits a setting names, each with its own key (the window is part of it)."""
    return tuple(
        Limit(f"{action}:{hits}/{int(window.total_seconds())}s", hits, window, shards)
        for hits, window in parse_rates(notation)
    )


def pair(email: str, ip: str) -> str:
    """The subject of a per-(account, address) limit."""
    return f"{email.strip().lower()}|{ip}"


def subject_key(limit: Limit, subject: str) -> str:
    """The table key for `subject` (an IP address, an email address, a user id, a pair)."""
    if limit.action.endswith((":email", ":pair")):
        subject = hashlib.sha256(subject.strip().lower().encode()).hexdigest()
    return f"{limit.action}:{subject[:120]}"


class RateLimiter:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def hit(self, key: str, limit: int, window: timedelta) -> None:
        """Count one attempt under `key`; raise TooManyAttempts once more than `limit`
        attempts fall in the current window."""
        self._count_all({(key, 0): (limit, window)})

    def check(self, limit: Limit, *subjects: str) -> None:
        """Count one attempt of `limit.action` for each subject (e.g. the IP and the email)."""
        self.check_all((limit, subject) for subject in subjects)

    def check_all(self, checks: Iterable[tuple[Limit, str]], *, spread: int | None = None) -> None:
        """Count one attempt against every (limit, subject), in one statement; raise
        TooManyAttempts (with the longest wait) if any of them is over its limit.

        `spread` picks the shard of sharded limits (e.g. the user id: one person's requests
        come one after another, so they never wait for each other); a random one if None."""
        pick = random.randrange(1 << 16) if spread is None else spread  # noqa: S311 - spreads load, guards nothing
        self._count_all(
            {
                (subject_key(limit, subject), pick % limit.shards): (limit.hits, limit.window)
                for limit, subject in checks
            }
        )

    def forget(self, limit: Limit, subject: str) -> None:
        """Start the count of (limit, subject) over, e.g. after a successful sign-in."""
        key = subject_key(limit, subject)
        self.session.execute(delete(RateLimit).where(RateLimit.key == key))

    def prune(self) -> int:
        """Forget windows that have ended; returns how many rows (keys, or their shards) went."""
        result = self.session.execute(
            delete(RateLimit).where(RateLimit.expires_at <= self.clock.now())
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def _count_all(self, limits_by_row: dict[tuple[str, int], tuple[int, timedelta]]) -> None:
        """Count one hit in each (key, shard) row; `limits_by_row` gives each its limit."""
        if not limits_by_row:
            return
        now = self.clock.now()
        counted = self._upsert(now, {row: window for row, (_, window) in limits_by_row.items()})
        waits = [
            (as_utc(expires_at) - now).total_seconds()
            for row, expires_at, hits in counted
            if hits > limits_by_row[row][0]
        ]
        if waits:
            raise TooManyAttempts(max(1, math.ceil(max(waits))))

    def _upsert(
        self, now: datetime, windows: dict[tuple[str, int], timedelta]
    ) -> list[tuple[tuple[str, int], datetime, int]]:
        """One statement: start each row's window, add a hit to it, or start it over; and
        return each key's hits, its other shards' included."""
        rows = sorted(windows)
        params: dict[str, object] = {"now": now}
        for n, (key, shard) in enumerate(rows):
            params |= {f"key{n}": key, f"shard{n}": shard, f"expires{n}": now + windows[key, shard]}
        result = self.session.execute(_upsert_statement(len(rows)), params)
        return [((row.key, row.shard), row.expires_at, row.hits) for row in result]


@functools.cache
def _upsert_statement(count: int) -> TextualSelect:
    """The upsert of `count` keys, as text the same on SQLite and PostgreSQL: built once,
    where SQLAlchemy compiles a multi-row `insert().values([...])` anew on every call
    (1.2 ms of CPU, four times the rest of a rate-limit check). SET expressions read the
    row as it was, so all three see the same `expired`. The sum of the other shards reads
    the rows as they were when the statement began (committed ones, on PostgreSQL), taking
    no lock; for an unsharded key it finds no row."""
    rows = ", ".join(f"(:key{n}, :shard{n}, :now, :expires{n}, 1)" for n in range(count))
    expired = "rate_limits.expires_at <= excluded.window_start"
    others = (
        "SELECT COALESCE(SUM(other.hits), 0) FROM rate_limits AS other "
        "WHERE other.key = rate_limits.key AND other.shard <> rate_limits.shard "
        "AND other.expires_at > :now"
    )
    sql = (
        "INSERT INTO rate_limits (key, shard, window_start, expires_at, hits) "  # noqa: S608 - only numbered placeholders are interpolated
        f"VALUES {rows} "
        "ON CONFLICT (key, shard) DO UPDATE SET "
        f"window_start = CASE WHEN {expired} THEN excluded.window_start "
        "ELSE rate_limits.window_start END, "
        f"expires_at = CASE WHEN {expired} THEN excluded.expires_at "
        "ELSE rate_limits.expires_at END, "
        f"hits = CASE WHEN {expired} THEN 1 ELSE rate_limits.hits + 1 END "
        f"RETURNING key, shard, expires_at, hits + ({others}) AS hits"
    )
    moments = [bindparam("now", type_=UTCDateTime())]
    moments += [bindparam(f"expires{n}", type_=UTCDateTime()) for n in range(count)]
    return (
        text(sql)
        .bindparams(*moments)
        .columns(key=String(), shard=Integer(), expires_at=UTCDateTime(), hits=Integer())
    )
