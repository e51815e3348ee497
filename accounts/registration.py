"""Local accounts by email: sign-up, address verification, password reset, and signing out
everywhere.

Nothing here tells a stranger whether an account exists for an address. Sign-up answers the
same way for a new address and a known one (the owner of a known one is mailed instead, in
case it was them who forgot), and does the same password-hashing work either way; a reset
request is answered the same way whether or not it mails anyone. The mails themselves are
composed and sent by the outbox worker (accounts/notifications.py), so no response waits
on, or is timed by, an SMTP server.

Participants confirm their address before they comment: an address anyone can type is no
stakeholder's voice. Accounts an administrator creates (CLI, demo) are confirmed by
`mark_verified`; accounts from a sign-in provider are confirmed when the provider vouches
for the address, and have a placeholder address (which can receive no mail) otherwise, so
they are not asked.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.identities import is_placeholder_email
from accounts.links import RESET_PASSWORD, VERIFY_EMAIL, EmailLinkService
from accounts.models import User
from accounts.services import AccountService, normalise_email
from core import outbox
from core.clock import Clock
from core.errors import InvalidInput, NotAllowed
from core.i18n import N_

REGISTER_EXISTING = "register_existing"
MIN_PASSWORD = 10
MAX_PASSWORD = 200
MAX_NAME = 200
MAX_EMAIL = 320
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

SIGNUP_PROBLEM = N_("The account could not be created.")
RESET_PROBLEM = N_("The password could not be changed.")
NOT_AN_EMAIL = N_("not an email address")
AT_LEAST_10 = N_("at least 10 characters")
AT_MOST_200 = N_("at most 200 characters")
SAME_AS_EMAIL = N_("must not be your email address")
NAME_REQUIRED = N_("required")
NAME_TOO_LONG = N_("too long")
MUST_VERIFY = N_(
    "Confirm your email address before commenting: open the link in the email we sent you,"
    " or ask for a new one on the page Confirm your email address (/verify)."
)

# The same parameters as accounts.services (argon2's defaults), whose hasher is private.
_hasher = PasswordHasher()


class EmailNotVerified(NotAllowed):
    code = "email_not_verified"


def needs_verification(user: User) -> bool:
    return user.email_verified_at is None and not is_placeholder_email(user.email)


def require_verified_email(user: User) -> None:
    """Refuse a participant whose address is unconfirmed (before commenting)."""
    if needs_verification(user):
        raise EmailNotVerified(MUST_VERIFY)


def password_problem(password: str, email: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return AT_LEAST_10
    if len(password) > MAX_PASSWORD:
        return AT_MOST_200
    if password.strip().lower() == normalise_email(email):
        return SAME_AS_EMAIL
    return None


def is_email(address: str) -> bool:
    return (
        len(address) <= MAX_EMAIL
        and _EMAIL.fullmatch(address) is not None
        and not address.endswith(".invalid")  # RFC 2606: never deliverable (SSO placeholders)
    )


class Registration:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.accounts = AccountService(session, clock=clock)
        self.links = EmailLinkService(session, clock=clock)

    def register(self, email: str, name: str, password: str, language: str = "en") -> User | None:
        """The new account, unconfirmed, with its verification mail on the way; None when
        the address has an account already, whose owner is mailed instead. The caller shows
        the same "check your email" page either way. `language`: the interface language
        signed up in, which the person's mail is then written in."""
        email = normalise_email(email)
        _check_signup(email, name, password)
        existing = self.accounts.by_email(email)
        if existing is not None:
            _hasher.hash(password)  # the work a new account costs, so timing tells nothing
            if existing.is_active:
                self._mail(REGISTER_EXISTING, existing)
            return None
        try:
            with self.session.begin_nested():  # a savepoint: a racing sign-up may win
                user = self.accounts.create_user(
                    email=email, name=name, password=password, email_verified=False
                )
                user.language = language if language in ("en", "uk") else "en"
        except IntegrityError:
            return None
        self._mail(VERIFY_EMAIL, user)
        return user

    def request_verification(self, user: User) -> bool:
        """Mail a new verification link; False when the address needs none."""
        if not needs_verification(user):
            return False
        self._mail(VERIFY_EMAIL, user)
        return True

    def verify_email(self, secret: str) -> User:
        user = self.links.redeem(secret, VERIFY_EMAIL)
        self.mark_verified(user)
        return user

    def mark_verified(self, user: User) -> None:
        """The address is confirmed (by its link, a reset link, or an administrator)."""
        if user.email_verified_at is None:
            user.email_verified_at = self.clock.now()

    def request_password_reset(self, email: str) -> None:
        """Mail a reset link if an active account has this address; say nothing either way."""
        user = self.accounts.by_email(email)
        if user is not None and user.is_active and not is_placeholder_email(user.email):
            self._mail(RESET_PASSWORD, user)

    def reset_password(self, secret: str, new_password: str) -> User:
        """Set the new password and end every session of the account. The link stays usable
        when only the password is refused, so the person can try another."""
        user = self.links.peek(secret, RESET_PASSWORD)
        problem = password_problem(new_password, user.email)
        if problem is not None:
            raise InvalidInput(RESET_PROBLEM, fields={"password": problem})
        user = self.links.redeem(secret, RESET_PASSWORD)
        user.password_hash = _hasher.hash(new_password)
        self.links.revoke_all(user, RESET_PASSWORD)
        self.mark_verified(user)  # the link reached the address: it is the person's
        self.sign_out_everywhere(user)
        return user

    def sign_out_everywhere(self, user: User) -> None:
        """Every session of the account ends at its next request (see app.web.current_user)."""
        user.session_epoch = User.session_epoch + 1
        self.session.flush()

    def _mail(self, kind: str, user: User) -> None:
        outbox.emit(self.session, outbox.MAIL, kind, self.clock.now(), user_id=user.id)


def _check_signup(email: str, name: str, password: str) -> None:
    fields: dict[str, str] = {}
    if not is_email(email):
        fields["email"] = NOT_AN_EMAIL
    if not name.strip():
        fields["name"] = NAME_REQUIRED
    elif len(name.strip()) > MAX_NAME:
        fields["name"] = NAME_TOO_LONG
    problem = password_problem(password, email)
    if problem is not None:
        fields["password"] = problem
    if fields:
        raise InvalidInput(SIGNUP_PROBLEM, fields=fields)
