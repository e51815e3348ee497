"""Sign-up, verification and reset as services: what they write, and what they never say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.identities import PLACEHOLDER_DOMAIN
from accounts.links import RESET_PASSWORD, VERIFY_EMAIL, EmailLinkService
from accounts.models import User
from accounts.registration import (
    REGISTER_EXISTING,
    EmailNotVerified,
    Registration,
    password_problem,
    require_verified_email,
)
from accounts.services import AccountService
from core.clock import FixedClock
from core.errors import InvalidInput
from core.outbox import OutboxEvent
from tests.factories import PASSWORD, make_user


@pytest.fixture
def registration(session: Session, clock: FixedClock) -> Registration:
    return Registration(session, clock=clock)


def mail_events(session: Session) -> list[tuple[str, int]]:
    events = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
    return [(event.kind, event.payload["user_id"]) for event in events]


def test_a_new_address_gets_an_unconfirmed_account_and_a_verification_mail(
    registration: Registration, session: Session
) -> None:
    user = registration.register(" Nova@Example.org ", "Nova", PASSWORD)

    assert user is not None and user.email == "nova@example.org"
    assert user.email_verified_at is None
    assert mail_events(session) == [(VERIFY_EMAIL, user.id)]
    assert AccountService(session, clock=registration.clock).authenticate(user.email, PASSWORD)


def test_a_known_address_gets_no_account_and_its_owner_a_mail(
    registration: Registration, session: Session, clock: FixedClock
) -> None:
    owner = make_user(session, clock, email="owner@example.org")
    hash_before = owner.password_hash

    assert registration.register("owner@example.org", "Impostor", "another passphrase") is None
    assert owner.password_hash == hash_before and owner.name != "Impostor"
    assert mail_events(session) == [(REGISTER_EXISTING, owner.id)]


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("123456789", "at least 10 characters"),
        ("x" * 201, "at most 200 characters"),
        ("Me@Example.org", "must not be your email address"),
        ("x" * 10, None),
    ],
)
def test_password_policy(password: str, problem: str | None) -> None:
    assert password_problem(password, "me@example.org") == problem


def test_sign_up_names_every_field_to_fix(registration: Registration) -> None:
    with pytest.raises(InvalidInput) as refused:
        registration.register(f"someone@{PLACEHOLDER_DOMAIN}", "", "short")
    assert set(refused.value.fields) == {"email", "name", "password"}


def test_verification_confirms_the_address(
    registration: Registration, session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock, email_verified=False)
    with pytest.raises(EmailNotVerified):
        require_verified_email(user)
    secret = EmailLinkService(session, clock=clock).issue(user, VERIFY_EMAIL, timedelta(hours=1))

    assert registration.verify_email(secret) is user
    assert user.email_verified_at == clock.now()
    require_verified_email(user)
    assert registration.request_verification(user) is False


def test_a_reset_request_mails_only_an_active_account(
    registration: Registration, session: Session, clock: FixedClock
) -> None:
    active = make_user(session, clock, email="active@example.org")
    make_user(session, clock, email="gone@example.org").is_active = False

    for email in ("nobody@example.org", "gone@example.org", "ACTIVE@example.org"):
        registration.request_password_reset(email)

    assert mail_events(session) == [(RESET_PASSWORD, active.id)]


def test_a_reset_sets_the_password_and_ends_every_session(
    registration: Registration, session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock, email="reset@example.org")
    links = EmailLinkService(session, clock=clock)
    secret = links.issue(user, RESET_PASSWORD, timedelta(hours=1))

    with pytest.raises(InvalidInput):
        registration.reset_password(secret, "reset@example.org")
    registration.reset_password(secret, "a new passphrase")

    session.expire_all()
    user = session.get(User, user.id)  # type: ignore[assignment]
    accounts = AccountService(session, clock=clock)
    assert accounts.authenticate("reset@example.org", "a new passphrase") is user
    assert accounts.authenticate("reset@example.org", PASSWORD) is None
    assert user.session_epoch == 1 and user.email_verified_at is not None
    with pytest.raises(InvalidInput):
        links.peek(secret, RESET_PASSWORD)


def test_signing_out_everywhere_raises_the_epoch(
    registration: Registration, session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock)
    registration.sign_out_everywhere(user)
    registration.sign_out_everywhere(user)
    assert user.session_epoch == 2
