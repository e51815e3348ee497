"""Emails about accounts, composed from outbox events when they are sent.

The links' secrets are made here, in the worker's sending transaction, and go nowhere but
into the mail: the outbox event carries only the account's id (why: accounts/links.py).
Links are absolute, made from route names by the `Urls` the worker passes in.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accounts.identities import is_placeholder_email
from accounts.links import RESET_PASSWORD, TTL, VERIFY_EMAIL, EmailLinkService
from accounts.models import User
from accounts.registration import REGISTER_EXISTING
from core.clock import FixedClock, as_utc
from core.mail import Mail
from core.outbox import OutboxEvent
from core.urls import Urls

KINDS = frozenset({VERIFY_EMAIL, RESET_PASSWORD, REGISTER_EXISTING})


def compose(session: Session, event: OutboxEvent, urls: Urls) -> Mail | None:
    """The mail for an account event, or None when there is nobody (left) to send it to."""
    user = session.get(User, event.payload.get("user_id"))
    if user is None or not user.is_active or is_placeholder_email(user.email):
        return None
    if event.kind == VERIFY_EMAIL:
        if user.email_verified_at is not None:
            return None
        return verification_mail(user, urls("verify_link", secret=_secret(session, event, user)))
    if event.kind == RESET_PASSWORD:
        return reset_mail(user, urls("reset_page", secret=_secret(session, event, user)))
    if event.kind == REGISTER_EXISTING:
        return existing_account_mail(user, urls)
    return None


def verification_mail(user: User, link: str) -> Mail:
    text = (
        f"Hello {user.name},\n\n"
        "please confirm that this is your email address by opening this link:\n\n"
        f"{link}\n\n"
        "The link works once, for 48 hours; only the latest link we sent you works.\n"
        "If you did not create an account on Roundtable, ignore this email: nothing\n"
        "will happen without the confirmation.\n"
    )
    return Mail(to=user.email, subject="Confirm your email address for Roundtable", text=text)


def reset_mail(user: User, link: str) -> Mail:
    text = (
        f"Hello {user.name},\n\n"
        "someone, we hope you, asked to reset the password of your Roundtable account.\n"
        "To choose a new password, open this link within an hour:\n\n"
        f"{link}\n\n"
        "The link works once; only the latest link we sent you works.\n"
        "If you did not ask for this, ignore this email: your password stays as it is.\n"
    )
    return Mail(to=user.email, subject="Reset your Roundtable password", text=text)


def existing_account_mail(user: User, urls: Urls) -> Mail:
    text = (
        f"Hello {user.name},\n\n"
        "someone, perhaps you, tried to create a Roundtable account with this email\n"
        "address. You have an account with it already, so no new one was created.\n\n"
        f"Sign in: {urls('signin_page')}\n"
        f"Forgot your password? Choose a new one: {urls('forgot_page')}\n\n"
        "If this was not you, you need not do anything.\n"
    )
    return Mail(to=user.email, subject="Your Roundtable account", text=text)


def _secret(session: Session, event: OutboxEvent, user: User) -> str:
    # A clock stopped at the request: the link is valid for its TTL from when it was asked
    # for, however long the mail waited in the outbox.
    requested = FixedClock(as_utc(event.created_at))
    return EmailLinkService(session, clock=requested).issue(user, event.kind, TTL[event.kind])
