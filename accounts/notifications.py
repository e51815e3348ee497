"""Emails about accounts, composed from outbox events when they are sent.

The links' secrets are made here, in the worker's sending transaction, and go nowhere but
into the mail: the outbox event carries only the account's id (why: accounts/links.py).
Links are absolute, made from route names by the `Urls` the worker passes in.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from accounts.identities import is_placeholder_email
from accounts.links import RESET_PASSWORD, TTL, VERIFY_EMAIL, EmailLinkService
from accounts.models import User
from accounts.registration import REGISTER_EXISTING
from core.clock import FixedClock, as_utc
from core.i18n import N_
from core.mail import Mail
from core.outbox import OutboxEvent
from core.urls import Urls

KINDS = frozenset({VERIFY_EMAIL, RESET_PASSWORD, REGISTER_EXISTING})


#: language → gettext of that language (the worker's catalogs); English is the source.
Translate = Callable[[str], Callable[[str], str]]

VERIFY_SUBJECT = N_("Confirm your email address for Roundtable")
VERIFY_TEXT = N_(
    "Hello %(name)s,\n\n"
    "please confirm that this is your email address by opening this link:\n\n"
    "%(link)s\n\n"
    "The link works once, for 48 hours; only the latest link we sent you works.\n"
    "If you did not create an account on Roundtable, ignore this email: nothing\n"
    "will happen without the confirmation.\n"
)
RESET_SUBJECT = N_("Reset your Roundtable password")
RESET_TEXT = N_(
    "Hello %(name)s,\n\n"
    "someone, we hope you, asked to reset the password of your Roundtable account.\n"
    "To choose a new password, open this link within an hour:\n\n"
    "%(link)s\n\n"
    "The link works once; only the latest link we sent you works.\n"
    "If you did not ask for this, ignore this email: your password stays as it is.\n"
)
EXISTING_SUBJECT = N_("Your Roundtable account")
EXISTING_TEXT = N_(
    "Hello %(name)s,\n\n"
    "someone, perhaps you, tried to create a Roundtable account with this email\n"
    "address. You have an account with it already, so no new one was created.\n\n"
    "Sign in: %(signin)s\n"
    "Forgot your password? Choose a new one: %(forgot)s\n\n"
    "If this was not you, you need not do anything.\n"
)


def _english(language: str) -> Callable[[str], str]:
    return lambda message: message


def compose(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate = _english
) -> Mail | None:
    """The mail for an account event, or None when there is nobody (left) to send it to;
    in the person's language (the interface language they signed up in, or chose since)."""
    user = session.get(User, event.payload.get("user_id"))
    if user is None or not user.is_active or is_placeholder_email(user.email):
        return None
    _ = translate(user.language)
    if event.kind == VERIFY_EMAIL:
        if user.email_verified_at is not None:
            return None
        link = urls("verify_link", secret=_secret(session, event, user))
        return _mail(user, _, VERIFY_SUBJECT, VERIFY_TEXT, link=link)
    if event.kind == RESET_PASSWORD:
        link = urls("reset_page", secret=_secret(session, event, user))
        return _mail(user, _, RESET_SUBJECT, RESET_TEXT, link=link)
    if event.kind == REGISTER_EXISTING:
        signin, forgot = urls("signin_page"), urls("forgot_page")
        return _mail(user, _, EXISTING_SUBJECT, EXISTING_TEXT, signin=signin, forgot=forgot)
    return None


def _mail(user: User, _: Callable[[str], str], subject: str, text: str, **values: str) -> Mail:
    return Mail(to=user.email, subject=_(subject), text=_(text) % {"name": user.name, **values})


def _secret(session: Session, event: OutboxEvent, user: User) -> str:
    # A clock stopped at the request: the link is valid for its TTL from when it was asked
    # for, however long the mail waited in the outbox.
    requested = FixedClock(as_utc(event.created_at))
    return EmailLinkService(session, clock=requested).issue(user, event.kind, TTL[event.kind])
