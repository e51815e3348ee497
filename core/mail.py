"""Outgoing mail: a Mailer protocol, the SMTP implementation, and the outbox consumer."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlparse

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from core import audit, outbox
from core.clock import Clock, as_utc
from core.db import unit_of_work
from core.errors import NotFound
from core.i18n import N_
from core.outbox import OutboxEvent

#: A mail that fails is tried again after 1, 2, 4, 8… minutes, for a day after it was
#: queued (the last try at the day's end, 12 in all); then it is given up and listed for
#: admins on /admin/mail, who can send it again.
FIRST_RETRY = timedelta(minutes=1)
GIVE_UP_AFTER = timedelta(days=1)
FAILED_LISTED = 200


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    #: Extra headers, such as List-Unsubscribe (RFC 8058) on notification mail.
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def unsubscribable(cls, to: str, subject: str, text: str, unsubscribe_url: str) -> Mail:
        """A notification mail: mail clients show a one-click unsubscribe that POSTs
        `List-Unsubscribe=One-Click` to the URL (RFC 8058)."""
        headers = (
            ("List-Unsubscribe", f"<{unsubscribe_url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        )
        return cls(to=to, subject=subject, text=text, headers=headers)


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


class SMTPMailer:
    """Sends through SMTP_URL: smtp://user:pass@host:port or smtps:// for implicit TLS."""

    def __init__(self, url: str, sender: str) -> None:
        self.url = urlparse(url)
        self.sender = sender

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.to, mail.subject
        for name, value in mail.headers:
            message[name] = value
        message.set_content(mail.text)
        smtp_class = smtplib.SMTP_SSL if self.url.scheme == "smtps" else smtplib.SMTP
        with smtp_class(self.url.hostname or "localhost", self.url.port or 25, timeout=10) as smtp:
            if self.url.username:
                smtp.login(unquote(self.url.username), unquote(self.url.password or ""))
            smtp.send_message(message)


class NullMailer:
    """Chosen when SMTP_URL is unset (development): mail stays in the outbox, unsent."""

    def send(self, mail: Mail) -> None:
        raise RuntimeError("SMTP_URL is not configured")


Composer = Callable[[Session, OutboxEvent], Mail | None]


def deliver_pending(
    sessions: sessionmaker[Session], mailer: Mailer, compose: Composer, clock: Clock
) -> int:
    """Send each mail event that is due, once. The row is locked while it is sent, so several
    workers never send the same mail twice; a failure ends the pass (the server is likely
    down for the rest too) and schedules that mail's next try."""
    sent = 0
    while True:
        with unit_of_work(sessions) as session:
            now = clock.now()
            event = _claim_next(session, now)
            if event is None:
                return sent
            try:
                mail = compose(session, event)
                if mail is not None:
                    mailer.send(mail)
                    sent += 1
                event.processed_at = now
            except (OSError, smtplib.SMTPException, RuntimeError) as error:
                _failed(event, str(error), now)
                return sent


def _failed(event: OutboxEvent, error: str, now: datetime) -> None:
    """Count the failure and schedule the next try, doubling the wait; past a day, give up."""
    event.attempts += 1
    event.last_error = error[:500]
    deadline = as_utc(event.created_at) + GIVE_UP_AFTER
    if now >= deadline:
        event.processed_at = event.failed_at = now
    else:
        event.next_attempt_at = min(now + FIRST_RETRY * 2 ** (event.attempts - 1), deadline)


def _claim_next(session: Session, now: datetime) -> OutboxEvent | None:
    query = (
        select(OutboxEvent)
        .where(
            OutboxEvent.topic == outbox.MAIL,
            OutboxEvent.processed_at.is_(None),
            or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now),
        )
        .order_by(OutboxEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).first()


def failed_mail(session: Session) -> list[OutboxEvent]:
    """The mail given up on, most recent first (for admins)."""
    query = (
        select(OutboxEvent)
        .where(OutboxEvent.topic == outbox.MAIL, OutboxEvent.failed_at.is_not(None))
        .order_by(OutboxEvent.failed_at.desc(), OutboxEvent.id.desc())
        .limit(FAILED_LISTED)
    )
    return list(session.scalars(query))


def retry_failed(session: Session, event_id: int, *, actor_id: int, now: datetime) -> None:
    """Queue a failed mail for one more try (an admin has fixed the cause); if that fails
    too, it is given up on and listed again at once (its day of tries is over)."""
    event = session.get(OutboxEvent, event_id, with_for_update=True)
    if event is None or event.topic != outbox.MAIL or event.failed_at is None:
        raise NotFound(N_("No such failed mail."))
    event.processed_at = event.failed_at = event.next_attempt_at = None
    audit.record(
        session,
        actor_id=actor_id,
        action="mail.retry",
        subject=("outbox_event", event_id),
        now=now,
        kind=event.kind,
    )
