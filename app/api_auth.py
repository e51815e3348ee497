"""Bearer-token authentication for the JSON API, and the API's HTTP-level problems.

The API never looks at the session cookie: a browser that happens to be signed in must not
be able to write through the API (the API has no CSRF protection, it relies on the token).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

from accounts.services import AccountService
from app.web import clock, transaction

REALM = 'Bearer realm="roundtable"'
# Which token scopes satisfy a call that needs a given scope.
GRANTING_SCOPES = {"read": {"read", "write"}, "write": {"write"}}


class ApiProblem(Exception):
    """A request the API refuses before the domain sees it: credentials, size, syntax.

    Domain errors (`core.errors`) keep going through the one handler table in `app.errors`;
    these carry what that table cannot, such as a 400 or a `WWW-Authenticate` header.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def bearer_secret(request: Request) -> str | None:
    """The token from `Authorization: Bearer …` (the scheme is case-insensitive), if any."""
    scheme, _, secret = request.headers.get("authorization", "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None
    return secret


def authenticate(request: Request, needed: str = "write") -> int:
    """Look the bearer token up and remember its user on the request, for `current_user`.

    Returns the user's id. A missing or unknown token is a 401 with a `WWW-Authenticate`
    challenge; a valid token whose scope is too narrow is a 403, as RFC 6750 asks.
    """
    secret = bearer_secret(request)
    if secret is None:
        raise _unauthorized("A bearer token is required.", REALM)
    with transaction(request) as session:
        token = AccountService(session, clock=clock(request)).token(secret)
        found = (token.user_id, token.scope) if token is not None else None
    if found is None:
        raise _unauthorized(
            "The bearer token is unknown, revoked or belongs to a disabled account.",
            f'{REALM}, error="invalid_token"',
        )
    user_id, scope = found
    if scope not in GRANTING_SCOPES[needed]:
        raise ApiProblem(
            403,
            "insufficient_scope",
            f"This token's scope is “{scope}”; this call needs a “{needed}” token.",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{needed}"'},
        )
    request.scope["token_user_id"] = user_id
    return user_id


def _unauthorized(message: str, challenge: str) -> ApiProblem:
    return ApiProblem(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})
