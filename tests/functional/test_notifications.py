"""Following and notifications, through the outbox, the real worker and a real SMTP server:
mail in each recipient's language with one-click unsubscribing (RFC 8058), and daily and
weekly digests at the person's hour in their timezone, across days on a clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from accounts import following
from accounts.models import Notification, User
from consultations.models import Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from tests.factories import comment_on, editor, make_user, numbered_markdown, open_consultation
from tests.functional.conftest import Browser, page, text_of
from tests.functional.test_reply_mail import mail_app
from tests.smtp import Inbox, smtp_server

BASE = "https://roundtable.example"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    """Notification mail only: the receipts of the comments posted here are set apart."""
    with smtp_server(receipts_apart=True) as server:
        yield server


def _publish(session: Session, clock: FixedClock, consultation_id: int, chief: User) -> None:
    service = ConsultationService(session, clock=clock)
    consultation = session.get(Consultation, consultation_id)
    assert consultation is not None
    service.publish_version(
        consultation,
        editor=chief,
        markdown=numbered_markdown(11),
        change_note="One paragraph more.",
    )
    session.commit()


def _local(url: str) -> str:
    assert url.startswith(BASE), url
    return url.removeprefix(BASE)


def test_followers_hear_of_a_new_version_in_their_language_and_unsubscribe_in_one_click(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    chief = editor(session, clock, email="chief@example.org")
    consultation = open_consultation(session, clock, by=chief)
    olena = make_user(session, clock, email="olena@example.org", name="Олена")
    olena.language = "uk"
    james = make_user(session, clock, email="james@example.org", name="James")
    session.commit()
    app = mail_app(sessions, clock, tmp_path, url)
    for person in (olena, james, chief):
        with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
            browser.sign_in(person.email)
            response = browser.form(
                f"/follow/consultation/{consultation.id}",
                {"action": "follow", "next": f"/consultations/{consultation.slug}"},
            )
            assert response.status_code == 303
            assert response.headers["location"] == f"/consultations/{consultation.slug}"

    _publish(session, clock, consultation.id, chief)
    app.state.worker.run_once()
    app.state.worker.run_once()

    by_address = {m["To"]: m for m in inbox.messages}
    assert sorted(by_address) == ["james@example.org", "olena@example.org"], (
        "each follower once; the editor who published is not told of their own action"
    )
    uk, en = by_address["olena@example.org"], by_address["james@example.org"]
    assert uk["Subject"] == "Опубліковано версію 2 «The Internet is for End Users»"
    assert en["Subject"] == "Version 2 of “The Internet is for End Users” was published"
    assert "Вітаємо, Олена!" in uk.get_content()
    assert f"{BASE}/consultations/{consultation.slug}" in en.get_content()
    assert en["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = en["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{BASE}/unsubscribe/")
    assert unsubscribe in en.get_content()

    # A mail scanner's GET changes nothing; the mail client's one-click POST, without any
    # cookie or CSRF token, unsubscribes.
    with TestClient(app, base_url="https://testserver") as client:
        asked = client.get(_local(unsubscribe))
        assert asked.status_code == 200
        assert "The Internet is for End Users" in text_of(page(asked), "main")
        session.expire_all()
        assert following.is_following(session, james.id, "consultation", consultation.id)
        done = client.post(_local(unsubscribe), data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
    session.expire_all()
    assert not following.is_following(session, james.id, "consultation", consultation.id)

    inbox.messages.clear()
    _publish(session, clock, consultation.id, chief)
    app.state.worker.run_once()
    assert [m["To"] for m in inbox.messages] == ["olena@example.org"]

    # "Stop all notification emails" (the mail's last link) stops the direct mails too.
    stop_all = re.findall(rf"{BASE}/unsubscribe/\S+", inbox.messages[0].get_content())[-1]
    with TestClient(app, base_url="https://testserver") as client:
        assert client.post(_local(stop_all)).status_code == 200
    inbox.messages.clear()
    first = comment_on(session, clock, consultation, author=olena)
    comment_on(session, clock, consultation, author=james, parent=first, body="A reply.")
    _publish(session, clock, consultation.id, chief)
    app.state.worker.run_once()
    assert [m["To"] for m in inbox.messages] == [], "no reply mail, no version mail"
    session.expire_all()
    assert following.unread_count(session, olena.id) >= 2, "the list still tells her"


def test_a_forged_unsubscribe_token_is_refused(
    sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path, smtp: tuple[str, Inbox]
) -> None:
    app = mail_app(sessions, clock, tmp_path, smtp[0])
    forged = following.unsubscribe_token("another-secret", 1, "all", 0)
    with TestClient(app, base_url="https://testserver") as client:
        assert client.post(f"/unsubscribe/{forged}").status_code == 400
        assert client.get("/unsubscribe/nonsense").status_code == 400


def test_commenters_follow_their_thread_and_hear_of_replies_but_not_their_own(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    consultation = open_consultation(session, clock)
    author = make_user(session, clock, email="author@example.org")
    third = make_user(session, clock, email="third@example.org")
    other = make_user(session, clock, email="other@example.org")
    first = comment_on(session, clock, consultation, author=author, ordinal=3)
    comment_on(session, clock, consultation, author=author, parent=first, body="And more.")
    session.commit()
    assert following.is_following(session, author.id, "thread", first.thread_id)
    answer = comment_on(session, clock, consultation, author=third, parent=first, body="Yes.")
    comment_on(session, clock, consultation, author=other, parent=answer, body="I agree.")
    session.commit()
    mail_app(sessions, clock, tmp_path, url).state.worker.run_once()

    title = "“The Internet is for End Users”"
    assert sorted((m["To"], m["Subject"]) for m in inbox.messages) == [
        ("author@example.org", f"New reply in a thread on {title}"),  # followed thread
        ("author@example.org", f"New reply on {title}"),  # a reply to their comment
        ("third@example.org", f"New reply on {title}"),
    ]
    mine = session.scalar(select(func.count()).where(Notification.user_id == author.id))
    assert mine == 2, "nobody is notified of their own comments"


def _to(inbox: Inbox, person: User) -> list[EmailMessage]:
    return [m for m in inbox.messages if m["To"] == person.email]


def _digest_user(session: Session, clock: FixedClock, frequency: str, weekday: int = 0) -> User:
    person = make_user(session, clock, email="digest@example.org", name="Dana")
    following.set_preferences(
        person,
        language="en",
        timezone="Europe/Kyiv",  # UTC+2 in November
        frequency=frequency,
        hour=8,
        weekday=weekday,
    )
    return person


def test_a_daily_digest_goes_at_the_persons_hour_once_and_catches_up(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    assert clock.now() == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 11:00 in Kyiv
    consultation = open_consultation(session, clock)
    dana = _digest_user(session, clock, following.DAILY)
    other = make_user(session, clock)
    third = make_user(session, clock)
    first = comment_on(session, clock, consultation, author=dana, ordinal=2)
    answer = comment_on(session, clock, consultation, author=other, parent=first, body="Day 1.")
    clock.advance(timedelta(hours=3))
    comment_on(session, clock, consultation, author=third, parent=answer, body="Day one, 2.")
    session.commit()
    worker = mail_app(sessions, clock, tmp_path, url).state.worker
    worker.run_once()
    assert [m["Subject"] for m in _to(inbox, dana)] == [
        "New reply on “The Internet is for End Users”"
    ], "only the reply to her own comment; what she follows waits for the digest"
    inbox.messages.clear()

    clock.advance(timedelta(hours=17, minutes=59))  # 05:59 UTC, 07:59 in Kyiv next day
    worker.run_once()
    assert inbox.messages == [], "not before the person's hour"

    clock.advance(timedelta(minutes=1))  # 08:00 in Kyiv
    worker.run_once()
    assert len(inbox.messages) == 1
    digest = inbox.messages[0]
    assert digest["Subject"] == "Roundtable: 1 new notifications"
    assert "New reply in a thread on" in digest.get_content()
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    restarted = mail_app(sessions, clock, tmp_path, url).state.worker
    restarted.run_once()
    worker.run_once()
    assert len(inbox.messages) == 1, "a digest is never sent twice, even after a restart"

    # Day two: an event after the hour waits for day three; the worker is down at day
    # three's hour and catches up when it is back.
    clock.advance(timedelta(hours=2))
    comment_on(session, clock, consultation, author=third, parent=answer, body="Day two.")
    session.commit()
    restarted.run_once()
    assert len(inbox.messages) == 2 and inbox.messages[1]["To"] != dana.email  # other's reply
    inbox.messages.pop()
    clock.advance(timedelta(days=1, hours=3))  # day three, 13:00 in Kyiv
    restarted.run_once()
    assert len(inbox.messages) == 2
    assert "Day two" not in inbox.messages[1].get_content()  # lines, not comment bodies
    assert inbox.messages[1]["Subject"] == "Roundtable: 1 new notifications"


def test_a_weekly_digest_waits_for_the_persons_weekday(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    assert clock.now().weekday() == 0  # Monday 2 November 2026
    consultation = open_consultation(session, clock)
    dana = _digest_user(session, clock, following.WEEKLY, weekday=3)  # Thursdays
    dana.language = "uk"
    other, third = make_user(session, clock), make_user(session, clock)
    first = comment_on(session, clock, consultation, author=other, ordinal=4)
    comment_on(session, clock, consultation, author=dana, parent=first, body="Monday.")
    comment_on(session, clock, consultation, author=third, parent=first, body="Monday.")
    clock.advance(timedelta(days=1))
    comment_on(session, clock, consultation, author=third, parent=first, body="Tuesday.")
    session.commit()
    worker = mail_app(sessions, clock, tmp_path, url).state.worker
    clock.advance(timedelta(days=1))  # Wednesday
    worker.run_once()
    assert _to(inbox, dana) == []
    clock.advance(timedelta(days=1))  # Thursday 09:00 UTC, 11:00 in Kyiv
    worker.run_once()
    worker.run_once()
    assert [m["Subject"] for m in _to(inbox, dana)] == ["Roundtable: нових сповіщень — 2"]


def test_the_notification_list_counts_unread_and_marks_shown_read(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    consultation = open_consultation(session, clock)
    reader, other, third = (make_user(session, clock) for _ in range(3))
    first = comment_on(session, clock, consultation, author=reader, ordinal=5)
    answer = comment_on(session, clock, consultation, author=other, parent=first, body="One.")
    comment_on(session, clock, consultation, author=third, parent=answer, body="Two.")
    session.commit()
    app = mail_app(sessions, clock, tmp_path, smtp[0])
    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in(reader.email)
        home = page(browser.get("/"))
        assert text_of(home, ".notifications-link .unread") == "2 unread"
        listed = page(browser.get("/notifications"))
        assert len(listed.select("li.notification.unread")) == 2
        links = [str(a["href"]) for a in listed.select("li.notification a")]
        assert links and all(
            link.startswith(f"/consultations/{consultation.slug}/p/") for link in links
        )
        again = page(browser.get("/notifications"))
        assert again.select("li.notification.unread") == []
        assert again.select_one(".notifications-link .unread") is None
        assert browser.form("/notifications/read").status_code == 303


def test_notification_settings_are_checked_and_saved(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    person = make_user(session, clock)
    session.commit()
    app = mail_app(sessions, clock, tmp_path, smtp[0])
    fields = {
        "language": "uk",
        "timezone": "Mars/Olympus",
        "notify_frequency": "daily",
        "digest_hour": "7",
        "digest_weekday": "0",
    }
    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in(person.email)
        refused = browser.form("/account/notifications", fields)
        assert refused.status_code == 422
        assert page(refused).select_one("#notify .error, #notify [role=alert]") is not None
        fields["timezone"] = "America/New_York"
        assert browser.form("/account/notifications", fields).status_code == 303
        fields["digest_hour"] = "24"
        assert browser.form("/account/notifications", fields).status_code == 422
    session.expire_all()
    saved = session.get(User, person.id)
    assert saved is not None
    assert (saved.language, saved.timezone, saved.notify_frequency, saved.digest_hour) == (
        "uk",
        "America/New_York",
        "daily",
        7,
    )


def test_who_signs_up_in_ukrainian_gets_account_mail_in_ukrainian(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    app = mail_app(sessions, clock, tmp_path, url)
    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.get("/language/uk")
        fields = {"name": "Оксана", "email": "oksana@example.org", "password": "a long passphrase"}
        assert browser.form("/signup", fields).status_code == 200
    app.state.worker.run_once()
    [mail] = inbox.messages
    assert mail["Subject"] == "Підтвердьте свою адресу електронної пошти для Roundtable"
    assert "Вітаємо, Оксана!" in mail.get_content()
    person = session.scalars(select(User).where(User.email == "oksana@example.org")).one()
    assert person.language == "uk"
