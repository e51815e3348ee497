"""Following consultations, threads and topics, and the notifications it brings.

When something happens (a reply, a new version, a disposition, a contest and its answer, an
orphaned thread, a moderation decision), the context where it happened calls `fan_out` in
the same transaction: every follower of the targets it names, and every person it tells
directly, gets a `Notification` row (their in-app list). Who wants mail at once also gets
an outbox mail event ("notification"); the others get one digest a day or a week, at their
hour in their timezone (`due_digests` / `claim_digest`, called by the worker). Nobody is
told of their own action.

The unsubscribe link in every mail carries a signed token (`unsubscribe_token`), so one
click unsubscribes without signing in (RFC 8058).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from accounts.models import Follow, Notification, User
from core import outbox
from core.clock import as_utc
from core.db import UTCDateTime
from core.errors import InvalidInput
from core.i18n import N_

CONSULTATION, THREAD, TOPIC = "consultation", "thread", "topic"
TARGET_KINDS = (CONSULTATION, THREAD, TOPIC)
#: Everything the framework tells of; moderation's kinds come from accounts' moderators.
KINDS = frozenset(
    {
        "reply",
        "comment",
        "version",
        "disposition",
        "contest",
        "contest_answered",
        "orphaned",
        "reanchored",
        "comment_hidden",
        "comment_restored",
    }
)
IMMEDIATELY, DAILY, WEEKLY, NEVER = "immediately", "daily", "weekly", "never"
FREQUENCIES = (IMMEDIATELY, DAILY, WEEKLY, NEVER)
MAIL_LANGUAGES = ("en", "uk")
DEFAULT_TIMEZONE = "Europe/Kyiv"
NOTIFICATION_MAIL, DIGEST_MAIL = "notification", "digest"
LISTED = 100
ALL = "all"

Target = tuple[str, int]


def follow(session: Session, user_id: int, kind: str, target_id: int, now: datetime) -> None:
    """Follow a target; following it again changes nothing. One statement, whichever it
    is (every comment makes its author follow the thread: this is on the comment path)."""
    if kind not in TARGET_KINDS:
        raise InvalidInput(N_("Nothing to follow there."), fields={"kind": N_("unknown")})
    session.execute(
        _FOLLOW_ONCE, {"user_id": user_id, "kind": kind, "target_id": target_id, "now": now}
    )


# The same text on SQLite and PostgreSQL, built once (the unique constraint makes it idempotent).
_FOLLOW_ONCE = text(
    "INSERT INTO follows (user_id, target_kind, target_id, created_at) "
    "VALUES (:user_id, :kind, :target_id, :now) "
    "ON CONFLICT (user_id, target_kind, target_id) DO NOTHING"
).bindparams(bindparam("now", type_=UTCDateTime()))


def unfollow(session: Session, user_id: int, kind: str, target_id: int) -> None:
    session.execute(
        delete(Follow).where(
            Follow.user_id == user_id, Follow.target_kind == kind, Follow.target_id == target_id
        )
    )


def is_following(session: Session, user_id: int, kind: str, target_id: int) -> bool:
    query = select(Follow.id).where(
        Follow.user_id == user_id, Follow.target_kind == kind, Follow.target_id == target_id
    )
    return session.scalar(query) is not None


def followed_by(session: Session, user_id: int) -> frozenset[Target]:
    """Everything a person follows (for the follow buttons of a page)."""
    query = select(Follow.target_kind, Follow.target_id).where(Follow.user_id == user_id)
    return frozenset((str(kind), int(target)) for kind, target in session.execute(query))


def followers(session: Session, targets: Sequence[Target]) -> dict[int, Target]:
    """Who follows any of `targets`, each with the first of them they follow (the one an
    unsubscribe link in their mail leaves): one query per target kind."""
    by_kind: dict[str, list[int]] = {}
    for kind, target_id in targets:
        by_kind.setdefault(kind, []).append(target_id)
    follows: set[tuple[int, str, int]] = set()
    for kind, ids in by_kind.items():
        query = select(Follow.user_id, Follow.target_kind, Follow.target_id).where(
            Follow.target_kind == kind, Follow.target_id.in_(ids)
        )
        follows.update((int(u), str(k), int(t)) for u, k, t in session.execute(query))
    found: dict[int, Target] = {}
    for target in targets:
        for user_id, kind, target_id in sorted(follows):
            if (kind, target_id) == target:
                found.setdefault(user_id, target)
    return found


def fan_out(
    session: Session,
    kind: str,
    now: datetime,
    *,
    actor_id: int | None,
    targets: Sequence[Target] = (),
    direct: Iterable[int] = (),
    mailed: Iterable[int] = (),
    consultation_id: int | None = None,
    thread_id: int | None = None,
    **payload: Any,
) -> int:
    """Tell the followers of `targets` and the people in `direct` of an event, in the
    event's transaction; returns how many were told. `mailed` are people the caller mails
    itself (their own mail kind): they get the list entry, not a second mail."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    mailed = set(mailed)
    via = followers(session, targets)
    recipients = (set(via) | set(direct) | mailed) - {actor_id}
    if not recipients:
        return 0
    query = select(User.id, User.notify_frequency).where(
        User.id.in_(recipients), User.is_active.is_(True)
    )
    frequency: dict[int, str] = {user_id: chosen for user_id, chosen in session.execute(query)}  # noqa: C416
    for user_id in sorted(frequency):
        notification = Notification(
            user_id=user_id,
            kind=kind,
            actor_id=actor_id,
            consultation_id=consultation_id,
            thread_id=thread_id,
            payload=payload | {"via": list(via[user_id]) if user_id in via else None},
            created_at=now,
            # Nothing to mail: already mailed by the caller, or the person wants no mail.
            emailed_at=now if user_id in mailed or frequency[user_id] == NEVER else None,
        )
        session.add(notification)
        if user_id in mailed or frequency[user_id] != IMMEDIATELY:
            continue
        session.flush()
        notification.emailed_at = now
        outbox.emit(session, outbox.MAIL, NOTIFICATION_MAIL, now, notification_id=notification.id)
    session.flush()
    return len(frequency)


# -- the in-app list ---------------------------------------------------------------------


def wants_mail(user: User) -> bool:
    """Whether mail about activity may go to `user` ("stop all notification emails" stops
    the direct mails too: replies, dispositions, re-anchoring)."""
    return user.notify_frequency != NEVER


def unread_count(session: Session, user_id: int) -> int:
    """For the header of every page: one COUNT on the (user_id, read_at) index."""
    query = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return session.scalar(query) or 0


def latest(session: Session, user_id: int, limit: int = LISTED) -> list[Notification]:
    query = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def mark_read(session: Session, user_id: int, up_to_id: int | None, now: datetime) -> None:
    """Mark read what the person was shown (ids up to `up_to_id`), not what came since;
    everything when `up_to_id` is None ("mark all read")."""
    query = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if up_to_id is not None:
        query = query.where(Notification.id <= up_to_id)
    session.execute(query.values(read_at=now))


# -- preferences -------------------------------------------------------------------------


def set_preferences(
    user: User, *, language: str, timezone: str, frequency: str, hour: int, weekday: int
) -> None:
    """Check and store how a person wants to hear of things."""
    errors: dict[str, str] = {}
    if language not in MAIL_LANGUAGES:
        errors["language"] = N_("not a language we write in")
    if not valid_timezone(timezone):
        errors["timezone"] = N_("not a timezone, such as Europe/Kyiv")
    if frequency not in FREQUENCIES:
        errors["notify_frequency"] = N_("not a choice")
    if not 0 <= hour <= 23:
        errors["digest_hour"] = N_("between 0 and 23")
    if not 0 <= weekday <= 6:
        errors["digest_weekday"] = N_("not a day of the week")
    if errors:
        raise InvalidInput(N_("Please correct the notification settings."), fields=errors)
    user.language, user.timezone, user.notify_frequency = language, timezone, frequency
    user.digest_hour, user.digest_weekday = hour, weekday


def valid_timezone(name: str) -> bool:
    if name not in _timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_TIMEZONES: set[str] = set()


def _timezones() -> set[str]:
    if not _TIMEZONES:
        _TIMEZONES.update(available_timezones())
    return _TIMEZONES


# -- digests -----------------------------------------------------------------------------


def zone_of(user: User) -> ZoneInfo:
    """The person's timezone (the default if theirs is no longer known)."""
    try:
        return ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_time(user: User, moment: datetime) -> str:
    """A moment as the person reads it in mail: their clock, and which clock it is."""
    zone = zone_of(user)
    return f"{as_utc(moment).astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


def last_due(user: User, now: datetime) -> datetime:
    """The latest moment ≤ now when `user`'s digest was due: their hour, in their timezone,
    today or before (on their weekday, when weekly). A digest carries what came before it."""
    zone = zone_of(user)
    local = now.astimezone(zone)
    due = local.replace(hour=user.digest_hour, minute=0, second=0, microsecond=0)
    if due > local:
        due -= timedelta(days=1)
    if user.notify_frequency == WEEKLY:
        due -= timedelta(days=(due.weekday() - user.digest_weekday) % 7)
    return due.replace(tzinfo=zone)


def digest_candidates(session: Session) -> list[int]:
    """People on a digest with notifications not yet mailed (indexed on `emailed_at`)."""
    query = (
        select(Notification.user_id)
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), User.notify_frequency.in_((DAILY, WEEKLY)))
        .distinct()
    )
    return sorted(session.scalars(query))


def claim_digest(session: Session, user_id: int, now: datetime) -> bool:
    """If `user_id`'s digest is due, stamp what it carries and queue its one mail, in this
    transaction (so it is never sent twice, and nothing is lost while the worker was down:
    a missed hour is caught up at the next pass). Returns whether a digest was queued."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None or user.notify_frequency not in (DAILY, WEEKLY):
        return False
    due = last_due(user, now)
    query = select(Notification.id).where(
        Notification.user_id == user_id,
        Notification.emailed_at.is_(None),
        Notification.created_at < due,
    )
    ids = sorted(session.scalars(query))
    if not ids:
        return False
    session.execute(update(Notification).where(Notification.id.in_(ids)).values(emailed_at=now))
    outbox.emit(session, outbox.MAIL, DIGEST_MAIL, now, user_id=user_id, notification_ids=ids)
    return True


# -- unsubscribing -----------------------------------------------------------------------


def _signer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="unsubscribe")


def unsubscribe_token(secret: str, user_id: int, kind: str, target_id: int) -> str:
    """A token that unsubscribes `user_id` from one target, or from all mail (kind "all")."""
    return _signer(secret).dumps([user_id, kind, target_id])


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str, int]:
    try:
        user_id, kind, target_id = _signer(secret).loads(token)
    except (BadSignature, ValueError, TypeError) as error:
        raise InvalidInput(N_("This unsubscribe link is not valid.")) from error
    if not isinstance(user_id, int) or kind not in (*TARGET_KINDS, ALL):
        raise InvalidInput(N_("This unsubscribe link is not valid."))
    return user_id, str(kind), int(target_id)


def unsubscribe(session: Session, token: str, secret: str) -> User | None:
    """Do what the token says: unfollow its target, or stop all notification mail (the
    follows and the in-app list stay). Returns the person, or None if the account is gone."""
    user_id, kind, target_id = read_unsubscribe_token(secret, token)
    user = session.get(User, user_id)
    if user is None:
        return None
    if kind == ALL:
        user.notify_frequency = NEVER
    else:
        unfollow(session, user_id, kind, target_id)
    return user
