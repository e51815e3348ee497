"""Signing in with an OpenID Connect provider: find the account by the provider's subject,
or create one on the first sign-in.

An identity is linked to an account by (provider, subject) only, never by email address.
When a provider vouches for an address that an existing account already uses, we refuse
rather than link: the account may be an editor's or an admin's, and linking on the
provider's word would hand it to whoever controls that provider's record for the address
(a misconfigured or compromised provider, or one that lets people edit their address).
Linking a provider to an existing account will be done from the account page, by a person
signed in to both sides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.models import Identity, User
from accounts.services import AccountService, normalise_email
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotAllowed
from core.i18n import N_

# Accounts whose provider did not vouch for an address get one here until the person gives
# theirs on the profile page; `.invalid` (RFC 2606) can never receive mail.
PLACEHOLDER_DOMAIN = "sso.roundtable.invalid"
EMAIL_TAKEN = N_(
    "An account with this email address exists already. Sign in with your email and"
    " password. Linking a sign-in provider to an existing account from the account page is"
    " coming in a later release."
)
MAX_SUBJECT = 255
MAX_EMAIL = 320
MAX_NAME = 200


def is_placeholder_email(email: str) -> bool:
    return email.endswith("@" + PLACEHOLDER_DOMAIN)


def verified_email(claims: Mapping[str, Any]) -> str | None:
    """The address the provider vouches for, or None ("email_verified" must be literally
    true: some providers send the string "false")."""
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str):
        return None
    email = normalise_email(email)
    return email if "@" in email and len(email) <= MAX_EMAIL else None


def display_name(claims: Mapping[str, Any]) -> str:
    """A name to start with; the person can change it on their profile."""
    given = " ".join(str(claims.get(k) or "").strip() for k in ("given_name", "family_name"))
    email = claims.get("email")
    local_part = email.split("@")[0] if isinstance(email, str) else None
    candidates = (claims.get("name"), given, claims.get("preferred_username"), local_part)
    name = next((c.strip() for c in candidates if isinstance(c, str) and c.strip()), "")
    return (name or "Participant")[:MAX_NAME]


class IdentityService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def sign_in_with(self, provider: str, claims: Mapping[str, Any]) -> User:
        """The account for these validated ID-token claims, created on the first sign-in."""
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT:
            raise InvalidInput(N_("The sign-in provider did not identify the person."))
        identity = self.identity(provider, subject)
        if identity is None:
            identity = self._first_sign_in(provider, subject, claims)
        if not identity.user.is_active:
            raise NotAllowed(N_("This account is disabled."))
        identity.last_used_at = self.clock.now()
        email = claims.get("email")
        if isinstance(email, str) and len(email) <= MAX_EMAIL:
            identity.email = email
        return identity.user

    def identity(self, provider: str, subject: str) -> Identity | None:
        query = select(Identity).where(Identity.provider == provider, Identity.subject == subject)
        return self.session.scalars(query).first()

    def _first_sign_in(self, provider: str, subject: str, claims: Mapping[str, Any]) -> Identity:
        email = verified_email(claims)
        if email is not None and AccountService(self.session, clock=self.clock).by_email(email):
            raise Conflict(EMAIL_TAKEN)
        try:
            # A savepoint: a second tab finishing its first sign-in at the same moment
            # makes one insert fail on the unique (provider, subject), not the request.
            with self.session.begin_nested():
                return self._create(provider, subject, email, claims)
        except IntegrityError:
            identity = self.identity(provider, subject)
            if identity is None:
                raise Conflict(N_("Signing in did not complete; please try again.")) from None
            return identity

    def _create(
        self, provider: str, subject: str, email: str | None, claims: Mapping[str, Any]
    ) -> Identity:
        now = self.clock.now()
        user = AccountService(self.session, clock=self.clock).create_user(
            email=email or _placeholder_email(provider, subject), name=display_name(claims)
        )
        user.email_verified_at = now if email else None
        identity = Identity(user=user, provider=provider, subject=subject, created_at=now)
        self.session.add(identity)
        self.session.flush()
        return identity


def _placeholder_email(provider: str, subject: str) -> str:
    digest = hashlib.sha256(f"{provider}\0{subject}".encode()).hexdigest()[:32]
    return f"{digest}@{PLACEHOLDER_DOMAIN}"
