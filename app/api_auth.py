"""Bearer-token authentication for the JSON API.

The API never looks at the session cookie: a browser that happens to be signed in must not
be able to write through the API (the API has no CSRF protection, it relies on the token).
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request

from accounts.models import User
from accounts.services import AccountService
from app.api_protocol import ApiProblem
from app.web import clock

REALM = 'Bearer realm="roundtable"'
# Which token scopes satisfy a call that needs a given scope.
GRANTING_SCOPES = {"read": {"read", "write"}, "write": {"write"}}


def bearer_secret(request: Request) -> str | None:
    """The token from `Authorization: Bearer …` (the scheme is case-insensitive), if any."""
    scheme, _, secret = request.headers.get("authorization", "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None
    return secret


def authenticate(request: Request, session: Session, needed: str = "write") -> User:
    """Look the bearer token up (with its user, in one query) in the request's own
    transaction, and remember the user on the request, for `current_user`.

    Returns the user. A missing or unknown token is a 401 with a `WWW-Authenticate`
    challenge; a valid token whose scope is too narrow is a 403, as RFC 6750 asks.
    """
    secret = bearer_secret(request)
    if secret is None:
        raise _unauthorized("A bearer token is required.", REALM)
    token = AccountService(session, clock=clock(request)).token(secret)
    if token is None:
        raise _unauthorized(
            "The bearer token is unknown, revoked or belongs to a disabled account.",
            f'{REALM}, error="invalid_token"',
        )
    if token.scope not in GRANTING_SCOPES[needed]:
        raise ApiProblem(
            403,
            "insufficient_scope",
            f"This token's scope is “{token.scope}”; this call needs a “{needed}” token.",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{needed}"'},
        )
    request.scope["token_user_id"] = token.user_id
    return token.user


def _unauthorized(message: str, challenge: str) -> ApiProblem:
    return ApiProblem(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})
