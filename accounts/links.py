"""Single-use, expiring links sent by email: address verification and password reset.

Where the secret lives. A link's secret is made when its mail is composed, by the worker,
inside the transaction that sends the mail (see accounts/notifications.py), and exists only
in that mail and in the worker's memory for the moment it takes to send it: the database
keeps its SHA-256 alone, and the outbox event that asked for the mail holds nothing but the
account's id. This beats the obvious alternative, making the secret in the web request and
carrying it to the worker in the outbox payload, which would leave it readable in the
database (and its backups and replicas) until the mail went out, longer still while SMTP is
down. The price is small: should sending fail, the link made for that attempt is never seen
by anyone and the next attempt makes another; should the worker die after the SMTP server
has taken the mail but before its commit, that link does not work and the person receives a
second mail whose link does. The validity is counted from the person's request (the outbox
event's time), not from the moment the mail was sent.

A newer link replaces the earlier unused ones of the same purpose, so only the latest mail
works; redeeming is one conditional UPDATE, so two clicks racing cannot both succeed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from accounts.models import EmailLink, User
from core.clock import Clock
from core.errors import InvalidInput
from core.i18n import N_

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 - a link purpose, not a password
TTL = {VERIFY_EMAIL: timedelta(hours=48), RESET_PASSWORD: timedelta(hours=1)}
INVALID_LINK = N_("This link is invalid or has expired.")
# Long enough to be unguessable, short enough for a URL that survives line-wrapping mailers.
SECRET_BYTES = 32
MAX_SECRET_LENGTH = 100


class EmailLinkService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def issue(self, user: User, purpose: str, ttl: timedelta) -> str:
        """A new link's secret; only its hash is stored. Earlier unused links of the same
        purpose stop working."""
        now = self.clock.now()
        self.session.execute(
            delete(EmailLink).where(
                EmailLink.user_id == user.id,
                EmailLink.purpose == purpose,
                EmailLink.used_at.is_(None),
            )
        )
        secret = secrets.token_urlsafe(SECRET_BYTES)
        self.session.add(
            EmailLink(
                user_id=user.id,
                purpose=purpose,
                token_hash=digest(secret),
                expires_at=now + ttl,
                created_at=now,
            )
        )
        self.session.flush()
        return secret

    def peek(self, secret: str, purpose: str) -> User:
        """The link's account, if the link would work now, without using it up (to show a
        form before the person acts on it)."""
        if len(secret) <= MAX_SECRET_LENGTH:
            query = (
                select(User)
                .join(EmailLink, EmailLink.user_id == User.id)
                .where(*self._live(secret, purpose), User.is_active.is_(True))
            )
            user = self.session.scalars(query).first()
            if user is not None:
                return user
        raise InvalidInput(INVALID_LINK)

    def redeem(self, secret: str, purpose: str) -> User:
        """Use the link up and return its account; InvalidInput when it is unknown, used,
        expired or for another purpose, or its account is disabled."""
        if len(secret) <= MAX_SECRET_LENGTH:
            statement = (
                update(EmailLink)
                .where(*self._live(secret, purpose))
                .values(used_at=self.clock.now())
                .returning(EmailLink.user_id)
                .execution_options(synchronize_session=False)
            )
            user_id = self.session.scalars(statement).first()
            user = self.session.get(User, user_id) if user_id is not None else None
            if user is not None and user.is_active:
                return user
        raise InvalidInput(INVALID_LINK)

    def revoke_all(self, user: User, purpose: str) -> None:
        """Every unused link of this purpose stops working (e.g. after a password reset)."""
        self.session.execute(
            update(EmailLink)
            .where(
                EmailLink.user_id == user.id,
                EmailLink.purpose == purpose,
                EmailLink.used_at.is_(None),
            )
            .values(used_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )

    def _live(self, secret: str, purpose: str) -> tuple[ColumnElement[bool], ...]:
        return (
            EmailLink.token_hash == digest(secret),
            EmailLink.purpose == purpose,
            EmailLink.used_at.is_(None),
            EmailLink.expires_at > self.clock.now(),
        )


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
