"""Accounts: creation, password sign-in and bearer tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from accounts.models import ApiToken, User
from core.clock import Clock
from core.enums import Role, StakeholderGroup
from core.errors import Conflict, InvalidInput
from core.i18n import N_

_hasher = PasswordHasher()
# Verifying against a real hash when the account does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("not a real password")
TOKEN_SCOPES = ("read", "write")


def normalise_email(email: str) -> str:
    return email.strip().lower()


class AccountService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def create_user(
        self,
        *,
        email: str,
        name: str,
        role: Role = Role.PARTICIPANT,
        group: StakeholderGroup | None = None,
        organisation: str | None = None,
        country: str | None = None,
        password: str | None = None,
        email_verified: bool = True,
    ) -> User:
        """Accounts made by an operator (CLI, admin, demo) start with a confirmed address;
        self-service sign-up passes `email_verified=False` and sends a confirmation link."""
        email = normalise_email(email)
        if "@" not in email or not name.strip():
            raise InvalidInput(N_("An email address and a name are required."))
        if self.by_email(email) is not None:
            raise Conflict(N_("An account for %(email)s exists already."), email=email)
        user = User(
            email=email,
            name=name.strip(),
            role=role,
            stakeholder_group=group,
            organisation=organisation or None,
            country=country.upper() if country else None,
            password_hash=_hasher.hash(password) if password else None,
            email_verified_at=self.clock.now() if email_verified else None,
            created_at=self.clock.now(),
        )
        self.session.add(user)
        self.session.flush()
        return user

    def by_email(self, email: str) -> User | None:
        query = select(User).where(func.lower(User.email) == normalise_email(email))
        return self.session.scalars(query).first()

    def authenticate(self, email: str, password: str) -> User | None:
        """The user if the password matches; None otherwise, without saying which part failed."""
        user = self.by_email(email)
        stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or not user.is_active or not user.password_hash:
            return None
        return user

    def create_token(self, user: User, scope: str = "write") -> str:
        """Return a new secret token; only its hash is kept."""
        if scope not in TOKEN_SCOPES:
            raise InvalidInput(
                N_("Scope must be one of %(scopes)s."), scopes=", ".join(TOKEN_SCOPES)
            )
        secret = "rt_" + secrets.token_urlsafe(32)
        self.session.add(
            ApiToken(
                user_id=user.id,
                token_hash=_digest(secret),
                prefix=secret[:10],
                scope=scope,
                created_at=self.clock.now(),
            )
        )
        self.session.flush()
        return secret

    def token(self, secret: str) -> ApiToken | None:
        """The live token with this secret, and its user in the same query; None if the
        token is unknown or revoked or its account disabled. (On every API write.)"""
        token = self.session.scalars(_TOKEN_BY_HASH, {"token_hash": _digest(secret)}).first()
        return token if token and token.user.is_active else None


# Built once: constructing a statement and its cache key costs more than running it.
_TOKEN_BY_HASH = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
    .options(joinedload(ApiToken.user))
)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
