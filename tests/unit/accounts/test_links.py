"""Email links: only the hash is stored; single use; expiry by the injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.links import INVALID_LINK, RESET_PASSWORD, VERIFY_EMAIL, EmailLinkService, digest
from accounts.models import EmailLink
from core.clock import FixedClock
from core.errors import InvalidInput
from tests.factories import make_user

HOUR = timedelta(hours=1)


@pytest.fixture
def links(session: Session, clock: FixedClock) -> EmailLinkService:
    return EmailLinkService(session, clock=clock)


def test_a_link_works_once_and_only_its_hash_is_kept(
    links: EmailLinkService, session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock)
    secret = links.issue(user, RESET_PASSWORD, HOUR)

    assert session.scalars(select(EmailLink.token_hash)).all() == [digest(secret)]
    assert links.peek(secret, RESET_PASSWORD) is user
    assert links.redeem(secret, RESET_PASSWORD) is user
    with pytest.raises(InvalidInput, match=INVALID_LINK):
        links.redeem(secret, RESET_PASSWORD)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda secret: secret + "x",
        lambda secret: "",
        lambda secret: "a" * 5000,
    ],
)
def test_unknown_secrets_are_refused(
    links: EmailLinkService, session: Session, clock: FixedClock, tamper: object
) -> None:
    secret = links.issue(make_user(session, clock), VERIFY_EMAIL, HOUR)
    with pytest.raises(InvalidInput):
        links.redeem(tamper(secret), VERIFY_EMAIL)  # type: ignore[operator]


def test_a_link_is_for_one_purpose(
    links: EmailLinkService, session: Session, clock: FixedClock
) -> None:
    secret = links.issue(make_user(session, clock), VERIFY_EMAIL, HOUR)
    with pytest.raises(InvalidInput):
        links.redeem(secret, RESET_PASSWORD)


def test_a_link_expires(links: EmailLinkService, session: Session, clock: FixedClock) -> None:
    secret = links.issue(make_user(session, clock), RESET_PASSWORD, HOUR)
    clock.advance(HOUR)
    with pytest.raises(InvalidInput):
        links.peek(secret, RESET_PASSWORD)
    with pytest.raises(InvalidInput):
        links.redeem(secret, RESET_PASSWORD)


def test_a_new_link_replaces_the_unused_ones(
    links: EmailLinkService, session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock)
    first = links.issue(user, RESET_PASSWORD, HOUR)
    other_purpose = links.issue(user, VERIFY_EMAIL, HOUR)
    second = links.issue(user, RESET_PASSWORD, HOUR)

    with pytest.raises(InvalidInput):
        links.redeem(first, RESET_PASSWORD)
    assert links.redeem(second, RESET_PASSWORD) is user
    assert links.redeem(other_purpose, VERIFY_EMAIL) is user


def test_a_disabled_account_cannot_use_its_link(
    links: EmailLinkService, session: Session, clock: FixedClock
) -> None:
    user = make_user(session, clock)
    secret = links.issue(user, RESET_PASSWORD, HOUR)
    user.is_active = False
    session.flush()
    with pytest.raises(InvalidInput):
        links.peek(secret, RESET_PASSWORD)
    with pytest.raises(InvalidInput):
        links.redeem(secret, RESET_PASSWORD)
