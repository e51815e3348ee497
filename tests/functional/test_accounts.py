"""Local accounts end to end: sign-up and address confirmation, password reset, rate limits,
the session cookie, signing out everywhere. Mail goes through the outbox, the real worker and
a real SMTP server (aiosmtpd); nothing reveals whether an account exists."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from accounts.models import EmailLink, User
from app.main import create_app
from app.settings import Settings
from core.clock import FixedClock
from core.outbox import MAIL, OutboxEvent
from tests.factories import PASSWORD, make_user
from tests.functional.conftest import Browser, page, text_of
from tests.smtp import Inbox, smtp_server

SECRET_KEY = "test-secret"
NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"https?://[^/\s]+(/(?:verify|password/reset)/[A-Za-z0-9_-]+)")


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_server() as server:
        yield server


def accounts_app(
    sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path, smtp_url: str, base: str
) -> Starlette:
    settings = Settings.from_env(
        {
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
            "BASE_URL": base,
            "SMTP_URL": smtp_url,
            "SECRET_KEY": SECRET_KEY,
        }
    )
    return create_app(settings, sessions=sessions, clock=clock, run_worker=False)


@pytest.fixture
def app(
    sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path, smtp: tuple[str, Inbox]
) -> Starlette:
    return accounts_app(sessions, clock, tmp_path, smtp[0], "http://testserver")


@pytest.fixture
def inbox(smtp: tuple[str, Inbox]) -> Inbox:
    return smtp[1]


@pytest.fixture
def person(app: Starlette) -> Iterator[Browser]:
    with Browser(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def elsewhere(app: Starlette) -> Iterator[Browser]:
    """The same person's other device."""
    with Browser(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


def deliver(app: Starlette) -> None:
    app.state.worker.run_once()


def mails_to(inbox: Inbox, address: str) -> list[EmailMessage]:
    return [message for message in inbox.messages if message["To"] == address]


def link_in(message: EmailMessage) -> str:
    """The path of the one secret link in a mail."""
    links = LINK.findall(message.get_content())
    assert len(links) == 1, message.get_content()
    return str(links[0])


def sign_up(browser: Browser, email: str, name: str = "Oksana Kovalenko") -> httpx.Response:
    return browser.form("/signup", {"name": name, "email": email, "password": PASSWORD})


def signed_in_as(browser: Browser) -> str | None:
    whom = page(browser.get("/")).select_one(".who")
    return whom.get_text(strip=True) if whom else None


def account(session: Session, email: str) -> User | None:
    session.expire_all()
    return session.scalars(select(User).where(User.email == email)).first()


def session_of(browser: Browser) -> dict[str, Any]:
    """What the signed session cookie holds (Starlette's format: signed base64 JSON)."""
    cookie = browser.cookies.get("roundtable_session")
    if not cookie:
        return {}
    data: dict[str, Any] = json.loads(base64.b64decode(TimestampSigner(SECRET_KEY).unsign(cookie)))
    return data


def forged_session(data: dict[str, Any]) -> str:
    payload = base64.b64encode(json.dumps(data).encode())
    return TimestampSigner(SECRET_KEY).sign(payload).decode()


def main_text(response: httpx.Response) -> str:
    return text_of(page(response), "main")


# -- sign-up and confirming the address -----------------------------------------------------


def test_sign_up_mails_a_link_that_confirms_the_address_once(
    app: Starlette, person: Browser, inbox: Inbox, session: Session
) -> None:
    response = sign_up(person, "oksana@example.org")

    assert response.status_code == 200
    assert text_of(page(response), "h1") == "Check your email"
    assert account(session, "oksana@example.org").email_verified_at is None  # type: ignore[union-attr]
    deliver(app)
    (mail,) = mails_to(inbox, "oksana@example.org")
    assert mail["Subject"] == "Confirm your email address for Roundtable"
    link = link_in(mail)
    secret = link.rsplit("/", 1)[1]
    payloads = [str(e.payload) for e in session.scalars(select(OutboxEvent))]
    stored = [link.token_hash for link in session.scalars(select(EmailLink))]
    assert not any(secret in text for text in payloads + stored), "only the mail has the secret"

    confirmed = person.get(link)
    assert confirmed.status_code == 200
    assert confirmed.headers["Referrer-Policy"] == "no-referrer"
    assert "Your email address is confirmed" in main_text(confirmed)
    assert account(session, "oksana@example.org").email_verified_at is not None  # type: ignore[union-attr]

    again = person.get(link)
    assert again.status_code == 400
    assert "This link is invalid or has expired." in main_text(again)
    assert again.headers["Referrer-Policy"] == "no-referrer"


def test_an_expired_confirmation_link_is_refused(
    app: Starlette, person: Browser, inbox: Inbox, session: Session, clock: FixedClock
) -> None:
    sign_up(person, "late@example.org")
    deliver(app)
    link = link_in(mails_to(inbox, "late@example.org")[0])

    clock.advance(timedelta(hours=48, seconds=1))

    assert person.get(link).status_code == 400
    assert account(session, "late@example.org").email_verified_at is None  # type: ignore[union-attr]


def test_a_new_confirmation_link_replaces_the_old_one(
    app: Starlette, person: Browser, inbox: Inbox, session: Session
) -> None:
    sign_up(person, "twice@example.org")
    deliver(app)
    person.sign_in("twice@example.org")  # unconfirmed people may sign in
    status = person.get("/verify")
    assert "Send me a new link" in main_text(status)

    resent = person.form("/verify/resend")
    assert resent.status_code == 303 and resent.headers["location"] == "/verify?sent=1"
    deliver(app)

    first, second = (link_in(mail) for mail in mails_to(inbox, "twice@example.org"))
    assert person.get(first).status_code == 400
    assert person.get(second).status_code == 200
    assert "Send me a new link" not in main_text(person.get("/verify"))


def test_signing_up_with_a_taken_address_looks_the_same_and_mails_its_owner(
    app: Starlette, person: Browser, inbox: Inbox, session: Session, clock: FixedClock
) -> None:
    make_user(session, clock, email="taken@example.org", name="Taras Owner")
    session.commit()

    fresh = sign_up(person, "fresh@example.org")
    taken = sign_up(person, "Taken@Example.org", name="Somebody Else")

    assert (taken.status_code, main_text(taken)) == (fresh.status_code, main_text(fresh))
    assert session.scalar(select(func.count()).where(User.email == "taken@example.org")) == 1
    deliver(app)
    (mail,) = mails_to(inbox, "taken@example.org")
    assert mail["Subject"] == "Your Roundtable account"
    body = mail.get_content()
    assert "/password/forgot" in body and not LINK.search(body)
    person.sign_in("taken@example.org")  # the owner's password is untouched


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"password": "too short"}, "at least 10 characters"),
        ({"password": "same@example.org", "email": "same@example.org"}, "must not be your"),
        ({"email": "not-an-address"}, "not an email address"),
        ({"name": "  "}, "required"),
    ],
)
def test_sign_up_explains_what_to_fix(
    person: Browser, session: Session, fields: dict[str, str], problem: str
) -> None:
    data = {"name": "Oksana", "email": "fix@example.org", "password": PASSWORD} | fields
    response = person.form("/signup", data)

    assert response.status_code == 422
    assert problem in text_of(page(response), ".field-problem")
    assert session.scalar(select(func.count()).select_from(User)) == 0


# -- a forgotten password -------------------------------------------------------------------


def test_a_reset_request_says_the_same_whether_or_not_the_account_exists(
    app: Starlette, person: Browser, inbox: Inbox, session: Session, clock: FixedClock
) -> None:
    make_user(session, clock, email="known@example.org")
    session.commit()

    unknown = person.form("/password/forgot", {"email": "nobody@example.org"})
    known = person.form("/password/forgot", {"email": "known@example.org"})

    assert (unknown.status_code, main_text(unknown)) == (known.status_code, main_text(known))
    assert known.status_code == 200
    deliver(app)
    assert [mail["To"] for mail in inbox.messages] == ["known@example.org"]


def test_a_password_reset_ends_every_session_and_its_link_works_once(
    app: Starlette,
    person: Browser,
    elsewhere: Browser,
    inbox: Inbox,
    session: Session,
    clock: FixedClock,
) -> None:
    make_user(session, clock, email="maria@example.org", name="Maria")
    session.commit()
    elsewhere.sign_in("maria@example.org")
    assert signed_in_as(elsewhere) == "Maria"
    person.form("/password/forgot", {"email": "maria@example.org"})
    deliver(app)
    link = link_in(mails_to(inbox, "maria@example.org")[0])

    form = person.get(link)
    assert form.status_code == 200 and person.get(link).status_code == 200  # not used up
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert page(form).select_one(f'form[action="{link}"] input[name="csrftoken"]')
    weak = person.form(link, {"password": "short"})
    assert weak.status_code == 422 and "at least 10 characters" in main_text(weak)

    done = person.form(link, {"password": NEW_PASSWORD})

    assert done.status_code == 303
    assert done.headers["location"] == "/signin?notice=password-changed"
    assert "Your password has been changed" in main_text(person.get(done.headers["location"]))
    assert signed_in_as(elsewhere) is None
    old_password = {"email": "maria@example.org", "password": PASSWORD}
    assert person.form("/signin", old_password).status_code == 401
    person.sign_in("maria@example.org", NEW_PASSWORD)
    reuse = person.form(link, {"password": "yet another passphrase"})
    assert reuse.status_code == 400 and "invalid or has expired" in main_text(reuse)
    assert account(session, "maria@example.org").email_verified_at is not None  # type: ignore[union-attr]


def test_a_reset_link_expires_after_an_hour(
    app: Starlette, person: Browser, inbox: Inbox, session: Session, clock: FixedClock
) -> None:
    make_user(session, clock, email="slow@example.org")
    session.commit()
    person.form("/password/forgot", {"email": "slow@example.org"})
    deliver(app)
    link = link_in(mails_to(inbox, "slow@example.org")[0])

    clock.advance(timedelta(minutes=61))

    assert person.get(link).status_code == 400
    assert person.form(link, {"password": NEW_PASSWORD}).status_code == 400
    person.sign_in("slow@example.org")  # the old password still works


# -- rate limits ----------------------------------------------------------------------------


def test_the_eleventh_sign_in_attempt_for_an_address_waits_for_the_window(
    person: Browser, session: Session, clock: FixedClock
) -> None:
    make_user(session, clock, email="target@example.org")
    session.commit()
    for _ in range(10):
        wrong = {"email": "target@example.org", "password": "guess"}
        assert person.form("/signin", wrong).status_code == 401

    refused = person.form("/signin", {"email": "target@example.org", "password": PASSWORD})

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Too many attempts" in main_text(refused)
    clock.advance(timedelta(minutes=15))
    person.sign_in("target@example.org")


def test_reset_requests_are_limited_per_address_and_per_client(
    person: Browser, clock: FixedClock
) -> None:
    statuses = [
        person.form("/password/forgot", {"email": "one@example.org"}).status_code for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    statuses = [
        person.form("/password/forgot", {"email": f"p{n}@example.org"}).status_code
        for n in range(16)
    ]
    assert statuses == [200] * 15 + [429], "20 per client per hour; a refused request not counted"
    clock.advance(timedelta(hours=1))
    assert person.form("/password/forgot", {"email": "one@example.org"}).status_code == 200


# -- the session cookie ---------------------------------------------------------------------


def session_cookie(response: httpx.Response) -> str:
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if "roundtable_session=" in c]
    return cookie.lower()


def test_the_session_cookie_is_httponly_and_samesite_lax(
    person: Browser, session: Session, clock: FixedClock
) -> None:
    make_user(session, clock, email="cookie@example.org")
    session.commit()

    cookie = session_cookie(person.sign_in("cookie@example.org"))

    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_the_session_cookie_is_secure_when_the_site_is_https(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    make_user(session, clock, email="tls@example.org")
    session.commit()
    app = accounts_app(sessions, clock, tmp_path, smtp[0], "https://roundtable.example")

    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        cookie = session_cookie(browser.sign_in("tls@example.org"))

    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_the_session_is_replaced_at_sign_in(
    person: Browser, session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock, email="fixation@example.org")
    session.commit()
    planted = forged_session({"planted": "by someone else"})
    person.cookies.set("roundtable_session", planted, domain="testserver.local")

    person.sign_in("fixation@example.org")

    assert person.cookies.get("roundtable_session") != planted
    assert session_of(person) == {"uid": user.id, "epoch": 0}


# -- signing out everywhere -----------------------------------------------------------------


def test_signing_out_everywhere_ends_the_sessions_on_other_devices(
    person: Browser, elsewhere: Browser, session: Session, clock: FixedClock
) -> None:
    make_user(session, clock, email="lost@example.org", name="Lost Phone")
    session.commit()
    elsewhere.sign_in("lost@example.org")
    person.sign_in("lost@example.org")

    response = person.form("/signout/everywhere")

    assert response.status_code == 303
    assert response.headers["location"] == "/signin?notice=signed-out-everywhere"
    assert signed_in_as(person) is None
    assert signed_in_as(elsewhere) is None
    assert elsewhere.get("/verify").status_code == 303  # to sign in
    person.sign_in("lost@example.org")
    assert signed_in_as(person) == "Lost Phone"


def test_only_a_signed_in_person_can_sign_out_everywhere(anonymous: Browser) -> None:
    assert anonymous.form("/signout/everywhere").status_code == 401


def test_mail_events_hold_no_secret(app: Starlette, person: Browser, session: Session) -> None:
    sign_up(person, "quiet@example.org")
    events = list(session.scalars(select(OutboxEvent).where(OutboxEvent.topic == MAIL)))
    user = account(session, "quiet@example.org")
    assert [(e.kind, e.payload) for e in events] == [("verify_email", {"user_id": user.id})]  # type: ignore[union-attr]
