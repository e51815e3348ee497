"""Rate limits as the web layer applies them: who is asking, and which configured limits.

The client's address is `request.client.host`, which `ProxyHeadersMiddleware` (added in
`app.main` for the proxies in FORWARDED_ALLOW_IPS, and only for them) sets from
X-Forwarded-For: a client cannot pick its address by sending the header itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import Request

from accounts.models import User
from accounts.ratelimits import Limit, RateLimiter, configured
from app.settings import Settings
from app.web import clock

# Rows per address for the per-address limits: the clients behind one address (a NAT, or
# every client when FORWARDED_ALLOW_IPS is unset behind a proxy) then rarely wait for each
# other's row lock. See accounts.ratelimits.
ADDRESS_SHARDS = 8


@dataclass(frozen=True, slots=True)
class Throttles:
    """The configured limits, parsed once when the app is built."""

    comment: tuple[Limit, ...]
    comment_per_ip: tuple[Limit, ...]
    flag: tuple[Limit, ...]
    search_per_ip: tuple[Limit, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> Throttles:
        return cls(
            comment=configured("comment:user", settings.comment_rate_limit),
            comment_per_ip=configured(
                "comment:ip", settings.comment_rate_limit, shards=ADDRESS_SHARDS
            ),
            # Flags are writes like comments: one person flags at most as often as they post.
            flag=configured("flag:user", settings.comment_rate_limit),
            search_per_ip=configured(
                "search:ip", settings.search_rate_limit, shards=ADDRESS_SHARDS
            ),
        )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _throttles(request: Request) -> Throttles:
    return request.app.state.throttles  # type: ignore[no-any-return]


def count_comment(request: Request, session: Session, author: User) -> None:
    """Count a comment against its author's and its address's limits, in one statement of
    the comment's own transaction: a refused comment is not written, and a comment that
    is not written (refused, invalid, rolled back) is not counted. The author's id picks
    the address's shard, so that different people behind one address rarely share a row."""
    throttles = _throttles(request)
    ip = client_ip(request)
    checks = [(limit, str(author.id)) for limit in throttles.comment]
    checks += [(limit, ip) for limit in throttles.comment_per_ip]
    RateLimiter(session, clock=clock(request)).check_all(checks, spread=author.id)


def count_flag(request: Request, session: Session, flagger: User) -> None:
    """Count a flag against its author's limit, in the flag's own transaction."""
    checks = [(limit, str(flagger.id)) for limit in _throttles(request).flag]
    RateLimiter(session, clock=clock(request)).check_all(checks, spread=flagger.id)


def count_search(request: Request, session: Session) -> None:
    """Count a search against its address's limit, in the request's transaction, before
    the search runs; TooManyAttempts when over it."""
    ip = client_ip(request)
    limits = _throttles(request).search_per_ip
    RateLimiter(session, clock=clock(request)).check_all((limit, ip) for limit in limits)
