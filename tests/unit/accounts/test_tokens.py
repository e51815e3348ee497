"""Personal API tokens: shown once, stored as a hash, named, scoped, revocable by the owner."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import ApiToken
from accounts.services import AccountService
from accounts.tokens import TokenService
from core.clock import FixedClock
from core.errors import InvalidInput, NotFound
from tests.factories import make_user


@pytest.fixture
def tokens(session: Session, clock: FixedClock) -> TokenService:
    return TokenService(session, clock=clock)


def test_a_token_is_stored_only_as_its_hash(
    session: Session, clock: FixedClock, tokens: TokenService
) -> None:
    user = make_user(session, clock)

    secret = tokens.create(user, " Monitoring script ", "read")

    [token] = tokens.list(user)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.token_hash, token.name, token.prefix)
    assert secret.startswith(token.prefix)
    assert (token.name, token.scope, token.created_at) == ("Monitoring script", "read", clock.now())
    found = AccountService(session, clock=clock).token(secret)
    assert found is not None and found.id == token.id


@pytest.mark.parametrize(
    ("name", "scope", "field"),
    [("", "read", "name"), ("x" * 101, "write", "name"), ("Script", "admin", "scope")],
)
def test_bad_input_creates_nothing(
    session: Session, clock: FixedClock, tokens: TokenService, name: str, scope: str, field: str
) -> None:
    user = make_user(session, clock)

    with pytest.raises(InvalidInput) as refused:
        tokens.create(user, name, scope)

    assert field in refused.value.fields
    assert session.scalar(select(func.count(ApiToken.id))) == 0


def test_the_owner_revokes_a_token(
    session: Session, clock: FixedClock, tokens: TokenService
) -> None:
    user = make_user(session, clock)
    secret = tokens.create(user, "Script", "write")
    [token] = tokens.list(user)

    tokens.revoke(user, token.id)
    tokens.revoke(user, token.id)  # twice is harmless

    assert token.revoked_at == clock.now()
    assert AccountService(session, clock=clock).token(secret) is None
    assert tokens.list(user) == [token]  # still listed, as revoked


def test_someone_elses_token_is_not_found(
    session: Session, clock: FixedClock, tokens: TokenService
) -> None:
    owner, other = make_user(session, clock), make_user(session, clock)
    tokens.create(owner, "Script", "write")
    [token] = tokens.list(owner)

    with pytest.raises(NotFound):
        tokens.revoke(other, token.id)
    with pytest.raises(NotFound):
        tokens.revoke(owner, token.id + 1000)
    assert token.revoked_at is None
    assert tokens.list(other) == []


def test_tokens_are_listed_newest_first(
    session: Session, clock: FixedClock, tokens: TokenService
) -> None:
    user = make_user(session, clock)
    for name in ("first", "second", "third"):
        tokens.create(user, name, "read")

    assert [token.name for token in tokens.list(user)] == ["third", "second", "first"]
