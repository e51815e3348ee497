"""Journey 1: a reply by an editor arrives by email, through the outbox and real SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from core.clock import FixedClock
from core.mail import FIRST_RETRY
from core.outbox import MAIL, OutboxEvent
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser
from tests.smtp import Inbox, free_port, smtp_server


def mail_app(
    sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path, smtp_url: str
) -> Starlette:
    settings = Settings.from_env(
        {
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
            "BASE_URL": "https://roundtable.example",
            "SMTP_URL": smtp_url,
            "SECRET_KEY": "test-secret",
        }
    )
    return create_app(settings, sessions=sessions, clock=clock, run_worker=False)


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_server() as server:
        yield server


def test_editor_reply_is_emailed_once_to_the_commenter(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    consultation = open_consultation(session, clock, slug="end-users")
    commenter = make_user(session, clock, email="olena@example.org")
    first = comment_on(session, clock, consultation, author=commenter, ordinal=7, stance="oppose")
    chief = editor(session, clock, name="Ivanna Editor")
    session.commit()
    app = mail_app(sessions, clock, tmp_path, url)

    # BASE_URL is https, so cookies are Secure: the browser must speak https too.
    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in(chief.email)
        key = first.thread.paragraph_key
        response = browser.form(
            f"/consultations/end-users/p/{key}/comments",
            {
                "body": "We will weigh this in version 2.",
                "attribution": "named",
                "parent_id": str(first.id),
            },
        )
        assert response.status_code == 303
        app.state.worker.run_once()
        app.state.worker.run_once()

    replies = [m for m in inbox.messages if m["Subject"].startswith("New reply")]
    assert len(replies) == 1, "sent once, however often the worker runs"
    message = replies[0]
    assert message["To"] == "olena@example.org"
    body = message.get_content()
    assert "Ivanna Editor" in body and "We will weigh this in version 2." in body
    assert f"https://roundtable.example/consultations/end-users/p/{key}#t-{first.thread_id}" in body


def test_mail_waits_in_the_outbox_while_smtp_is_down(
    sessions: sessionmaker[Session], session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    consultation = open_consultation(session, clock)
    commenter = make_user(session, clock)
    first = comment_on(session, clock, consultation, author=commenter)
    chief = editor(session, clock)
    comment_on(session, clock, consultation, author=chief, parent=first, stance="neutral")
    session.commit()
    down = mail_app(sessions, clock, tmp_path, f"smtp://127.0.0.1:{free_port()}")

    down.state.worker.run_once()

    # Three mails: the receipts of both comments, and the reply's notice to the commenter.
    # The first try fails and ends the pass: the server is likely down for the rest too.
    events = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == MAIL)).all()
    assert sorted(event.kind for event in events) == ["receipt", "receipt", "reply"]
    for event in events:
        session.refresh(event)
    assert all(event.processed_at is None for event in events)
    assert [event.attempts for event in events] == [1, 0, 0] and events[0].last_error
    clock.advance(FIRST_RETRY)
    with smtp_server() as (url, inbox):
        mail_app(sessions, clock, tmp_path, url).state.worker.run_once()
    assert len(inbox.messages) == 3
    assert sum(m["Subject"].startswith("New reply") for m in inbox.messages) == 1
