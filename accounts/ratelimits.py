"""Rate limits on sign-in, sign-up and email links, shared by every web process.

A fixed window per key, counted in the `rate_limits` table with one atomic upsert
(`INSERT … ON CONFLICT (key) DO UPDATE … RETURNING`), so concurrent requests on any number of
processes and machines never lose a hit: on PostgreSQL the conflicting row is locked until the
first transaction ends; SQLite takes its write lock at BEGIN IMMEDIATE. Every attempt counts,
successful or not, and the check comes before the password is verified, so the attempt over
the limit never reaches the password.

Keys name the action and what is counted: the client's IP address, and the account's email
address (hashed: the table need not hold the addresses people typed, most of them for no
account). The IP is `request.client.host`: behind a reverse proxy, uvicorn's
`--proxy-headers` (on in `roundtable serve`) sets it from X-Forwarded-For, for the proxies
listed in `--forwarded-allow-ips` (FORWARDED_ALLOW_IPS).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accounts.models import RateLimit
from core.clock import Clock, as_utc
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


SIGNIN_PER_EMAIL = Limit("signin:email", 10, timedelta(minutes=15))
SIGNIN_PER_IP = Limit("signin:ip", 50, timedelta(minutes=15))
RESET_PER_EMAIL = Limit("reset:email", 5, timedelta(hours=1))
RESET_PER_IP = Limit("reset:ip", 20, timedelta(hours=1))
# Sign-up mails whoever owns the address typed: limited like reset requests.
SIGNUP_PER_EMAIL = Limit("signup:email", 5, timedelta(hours=1))
SIGNUP_PER_IP = Limit("signup:ip", 20, timedelta(hours=1))
RESEND_PER_USER = Limit("verify:user", 5, timedelta(hours=1))


def subject_key(limit: Limit, subject: str) -> str:
    """The table key for `subject` (an IP address, an email address, a user id)."""
    if limit.action.endswith(":email"):
        subject = hashlib.sha256(subject.strip().lower().encode()).hexdigest()
    return f"{limit.action}:{subject[:120]}"


class RateLimiter:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def hit(self, key: str, limit: int, window: timedelta) -> None:
        """Count one attempt under `key`; raise TooManyAttempts once more than `limit`
        attempts fall in the current window."""
        now = self.clock.now()
        window_start, hits = self._count(key, now, now - window)
        if hits > limit:
            remaining = (as_utc(window_start) + window - now).total_seconds()
            raise TooManyAttempts(max(1, math.ceil(remaining)))

    def check(self, limit: Limit, *subjects: str) -> None:
        """Count one attempt of `limit.action` for each subject (e.g. the IP and the email)."""
        for subject in subjects:
            self.hit(subject_key(limit, subject), limit.hits, limit.window)

    def prune(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Forget windows that ended long ago; returns how many keys were dropped."""
        cutoff = self.clock.now() - older_than
        result = self.session.execute(delete(RateLimit).where(RateLimit.window_start < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

    def _count(self, key: str, now: datetime, expired_before: datetime) -> tuple[datetime, int]:
        """One statement: start the key's window, add a hit to it, or start it over."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = insert(RateLimit).values(key=key, window_start=now, hits=1)
        expired = RateLimit.window_start <= expired_before
        upsert = values.on_conflict_do_update(
            index_elements=[RateLimit.key],
            set_={
                # SET expressions read the row as it was, so both see the same `expired`.
                "window_start": case(
                    (expired, values.excluded.window_start), else_=RateLimit.window_start
                ),
                "hits": case((expired, 1), else_=RateLimit.hits + 1),
            },
        )
        row = self.session.execute(upsert.returning(RateLimit.window_start, RateLimit.hits)).one()
        return row.window_start, row.hits
