"""Mail that the server refuses is retried with exponential back-off for a day, then shown
to admins on /admin/mail, who can send it again. Real SMTP (aiosmtpd) that refuses, then
accepts; time moves on the injected clock, never by sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from core.clock import FixedClock
from core.enums import Role
from core.outbox import MAIL, OutboxEvent
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of
from tests.functional.test_reply_mail import mail_app
from tests.smtp import Inbox, smtp_server

REFUSAL = "451 4.3.0 Mailbox temporarily unavailable"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_server(receipts_apart=True) as server:
        yield server


def queue_reply_mail(session: Session, clock: FixedClock) -> OutboxEvent:
    """An editor's reply to a comment: one mail to its author in the outbox. The two
    comments' receipts are not these tests' subject: they are taken out of the queue."""
    consultation = open_consultation(session, clock)
    first = comment_on(session, clock, consultation, author=make_user(session, clock))
    chief = editor(session, clock)
    comment_on(session, clock, consultation, author=chief, parent=first, stance="neutral")
    mail = select(OutboxEvent).where(OutboxEvent.topic == MAIL)
    for receipt in session.scalars(mail.where(OutboxEvent.kind == "receipt")):
        receipt.processed_at = clock.now()
    session.commit()
    return session.scalars(mail.where(OutboxEvent.kind == "reply")).one()


def tries_until(
    app: Starlette,
    clock: FixedClock,
    inbox: Inbox,
    session: Session,
    event: OutboxEvent,
    hours: float,
) -> list[float]:
    """The minutes (since now) of each try the worker makes within `hours`, moving the clock
    to a second before each scheduled retry (where nothing must be tried) and then to it."""
    tries, started = [], clock.now()

    def attempt() -> bool:
        before = inbox.refused + len(inbox.messages)
        app.state.worker.run_once()
        return inbox.refused + len(inbox.messages) > before

    while clock.now() - started <= timedelta(hours=hours):
        if attempt():
            tries.append((clock.now() - started) / timedelta(minutes=1))
        session.refresh(event)
        if event.processed_at is not None or event.next_attempt_at is None:
            break
        clock.advance(event.next_attempt_at - clock.now() - timedelta(seconds=1))
        assert not attempt(), "tried before its time"
        clock.advance(timedelta(seconds=1))
    return tries


def test_refused_mail_is_retried_with_back_off_until_accepted(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    event = queue_reply_mail(session, clock)
    app = mail_app(sessions, clock, tmp_path, url)
    inbox.refusing = REFUSAL

    assert tries_until(app, clock, inbox, session, event, hours=0.25) == [0, 1, 3, 7, 15]
    session.refresh(event)
    assert event.attempts == 5 and "Mailbox temporarily unavailable" in (event.last_error or "")
    assert event.processed_at is None and event.failed_at is None

    inbox.refusing = None  # the clock is now at the sixth try, 31 minutes after the first
    assert event.next_attempt_at == clock.now()
    app.state.worker.run_once()
    assert len(inbox.messages) == 1
    session.refresh(event)
    assert event.processed_at is not None and event.failed_at is None


def test_mail_is_given_up_after_a_day_shown_to_admins_and_sent_again(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    event = queue_reply_mail(session, clock)
    admin = make_user(session, clock, role=Role.ADMIN, email="admin@example.org")
    session.commit()
    app = mail_app(sessions, clock, tmp_path, url)
    inbox.refusing = REFUSAL

    tries = tries_until(app, clock, inbox, session, event, hours=25)
    assert tries == [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 1440]  # the last at 24 h
    session.refresh(event)
    assert event.failed_at is not None and event.processed_at is not None

    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in(admin.email)
        html = page(browser.get("/admin/mail", headers={"Accept-Language": "uk"}))
        assert text_of(html, "h1") == "Невдалі листи"
        row = html.select_one(f"#mail-{event.id}")
        assert row is not None, "the failed mail is listed"
        assert "Mailbox temporarily unavailable" in text_of(row, ".error")
        assert text_of(row, ".num") == "12"

        inbox.refusing = None
        response = browser.form(f"/admin/mail/{event.id}/retry")
        assert response.status_code == 303
        app.state.worker.run_once()
        assert len(inbox.messages) == 1
        html = page(browser.get("/admin/mail"))
        assert html.select_one(f"#mail-{event.id}") is None
        assert text_of(html, ".empty") == "No failed mail."
        assert browser.form(f"/admin/mail/{event.id}/retry").status_code == 404
