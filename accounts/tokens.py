"""Personal API tokens, managed by their owner on the account page.

The secret is returned once by `create` and never stored: hashing and lookup stay in
`AccountService` (the CLI and the API use it too), this module adds names, listing and
revocation.
"""

from __future__ import annotations

import builtins

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import ApiToken, User
from accounts.services import TOKEN_SCOPES, AccountService
from core import audit
from core.clock import Clock
from core.errors import InvalidInput, NotFound
from core.i18n import N_
from core.ids import MAX_ID

MAX_TOKEN_NAME_CHARS = 100


class TokenService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def create(self, user: User, name: str, scope: str) -> str:
        """A new token for `user`; returns its secret, which is shown to them only now."""
        name = name.strip()
        self._check(name, scope)
        accounts = AccountService(self.session, clock=self.clock)
        secret = accounts.create_token(user, scope)
        token = accounts.token(secret)
        assert token is not None  # just written in this transaction
        token.name = name
        audit.record(
            self.session,
            actor_id=user.id,
            action="token.create",
            subject=("api_token", token.id),
            now=self.clock.now(),
            scope=scope,
        )
        return secret

    def revoke(self, user: User, token_id: int) -> None:
        """Revoke one of the user's own tokens; someone else's is as good as nonexistent."""
        token = self.session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
        if token is None or token.user_id != user.id:
            raise NotFound(N_("No such token."))
        if token.revoked_at is not None:
            return
        token.revoked_at = self.clock.now()
        audit.record(
            self.session,
            actor_id=user.id,
            action="token.revoke",
            subject=("api_token", token.id),
            now=self.clock.now(),
        )

    def list(self, user: User) -> builtins.list[ApiToken]:
        """The user's tokens, newest first, revoked ones included (marked by `revoked_at`)."""
        query = select(ApiToken).where(ApiToken.user_id == user.id)
        return list(self.session.scalars(query.order_by(ApiToken.id.desc())))

    @staticmethod
    def _check(name: str, scope: str) -> None:
        fields: dict[str, str] = {}
        if not name:
            fields["name"] = N_("required")
        elif "\x00" in name:
            fields["name"] = N_("The text contains a NUL character.")
        elif len(name) > MAX_TOKEN_NAME_CHARS:
            fields["name"] = N_("too long")
        if scope not in TOKEN_SCOPES:
            fields["scope"] = N_("Choose read or write.")
        if fields:
            raise InvalidInput(N_("The token could not be created."), fields=fields)
