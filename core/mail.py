"""Outgoing mail: a Mailer protocol, the SMTP implementation, and the outbox consumer."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core import outbox
from core.clock import Clock
from core.db import unit_of_work
from core.outbox import OutboxEvent

MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


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
    """Send each pending mail event once. The row is locked while it is sent, so several
    workers never send the same mail twice; a failure is counted and retried later."""
    sent = 0
    while True:
        with unit_of_work(sessions) as session:
            event = _claim_next(session)
            if event is None:
                return sent
            try:
                mail = compose(session, event)
                if mail is not None:
                    mailer.send(mail)
                    sent += 1
                event.processed_at = clock.now()
            except (OSError, smtplib.SMTPException, RuntimeError) as error:
                event.attempts += 1
                event.last_error = str(error)[:500]
                if event.attempts >= MAX_ATTEMPTS:
                    event.processed_at = clock.now()
                return sent


def _claim_next(session: Session) -> OutboxEvent | None:
    query = (
        select(OutboxEvent)
        .where(OutboxEvent.topic == outbox.MAIL, OutboxEvent.processed_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).first()
