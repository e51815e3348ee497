"""Account mails: composed when sent, with a link whose secret exists only in the mail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import notifications
from accounts.links import RESET_PASSWORD, VERIFY_EMAIL, EmailLinkService
from accounts.models import EmailLink
from accounts.registration import Registration
from app.urls import app_urls
from core.clock import FixedClock
from core.outbox import OutboxEvent
from tests.factories import make_user

BASE = "https://roundtable.example"
URLS = app_urls(BASE)


def event(session: Session, kind: str) -> OutboxEvent:
    return session.scalars(select(OutboxEvent).where(OutboxEvent.kind == kind)).one()


def test_a_reset_mail_carries_a_link_valid_for_an_hour_from_the_request(
    session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock, email="r@example.org")
    Registration(session, clock=clock).request_password_reset("r@example.org")
    requested = clock.now()
    clock.advance(timedelta(minutes=20))  # the mail waited in the outbox

    mail = notifications.compose(session, event(session, RESET_PASSWORD), URLS)

    assert mail is not None and mail.to == "r@example.org"
    secret = mail.text.split(f"{BASE}/password/reset/")[1].split()[0]
    link = session.scalars(select(EmailLink)).one()
    assert link.expires_at == requested + timedelta(hours=1)
    assert EmailLinkService(session, clock=clock).peek(secret, RESET_PASSWORD) is user


def test_no_verification_mail_for_a_confirmed_or_disabled_account(
    session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock, email_verified=False)
    registration = Registration(session, clock=clock)
    registration.request_verification(user)
    verify = event(session, VERIFY_EMAIL)

    user.email_verified_at = clock.now()
    assert notifications.compose(session, verify, URLS) is None
    user.email_verified_at, user.is_active = None, False
    assert notifications.compose(session, verify, URLS) is None
    assert session.scalars(select(EmailLink)).all() == []


def test_other_kinds_are_not_ours(session: Session, clock: FixedClock) -> None:
    user = make_user(session, clock, email_verified=False)
    registration = Registration(session, clock=clock)
    registration.request_verification(user)
    verify = event(session, VERIFY_EMAIL)
    verify.kind = "reply"
    assert "reply" not in notifications.KINDS
    assert notifications.compose(session, verify, URLS) is None
