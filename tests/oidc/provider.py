"""A small but real OpenID Connect provider that the test suite runs as a separate process.

Built on Authlib's server components (the authorization-code grant, PKCE and OpenID Connect
extensions) behind Starlette and uvicorn, so our sign-in talks real HTTP to a provider whose
protocol checks we did not write: it refuses unknown clients and redirect URIs, requires
PKCE S256 and a nonce, and authenticates the client at the token endpoint.

There is no login page: the person "signed in at the provider" is set through the control
endpoint `POST /_control {"user": {...}, "misbehave": ...}`, which also makes the provider
misbehave on purpose (see MISBEHAVIOURS). Start it with `tests.oidc.runner.running_provider`.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin, UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MISBEHAVIOURS = frozenset({"bad-signature", "expired", "wrong-audience", "wrong-nonce"})
DEFAULT_USER = {
    "sub": "alice-0001",
    "email": "alice@idp.example",
    "email_verified": True,
    "name": "Alice Example",
}
KEY_ID = "test-key-1"


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return "not-the-nonce-you-sent" if STATE.misbehave == "wrong-nonce" else self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class ProviderState:
    """Everything the provider keeps, in memory: it lives as long as its process."""

    issuer: str = ""
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    user: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_USER))
    misbehave: str | None = None
    key: RSAKey = field(default_factory=lambda: _new_key())
    # Same key id as the real key, so only the signature itself gives the forgery away.
    impostor_key: RSAKey = field(default_factory=lambda: _new_key())


def _new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})


STATE = ProviderState()


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]  # noqa: RUF012 - Authlib's API

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        STATE.codes[code] = Code(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=data.get("redirect_uri", ""),
            scope=request.scope,
            user=dict(request.user),
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found = STATE.codes.get(code)
        return found if found and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        STATE.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
        return authorization_code.user


class StrictPKCE(CodeChallenge):  # type: ignore[misc]
    """PKCE required on every authorization request, and only the S256 method."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib's API

    def validate_code_challenge(self, grant: CodeGrant, redirect_uri: str) -> None:
        if grant.request.payload.data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with S256 is required.")
        super().validate_code_challenge(grant, redirect_uri)


class IDTokens(OpenIDCode):  # type: ignore[misc]
    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return any(code.nonce == nonce for code in STATE.codes.values())

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return STATE.impostor_key if STATE.misbehave == "bad-signature" else STATE.key

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": KEY_ID}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": STATE.issuer, "aud": [client.client_id]}
        if STATE.misbehave == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        if STATE.misbehave == "wrong-audience":
            claims["aud"] = ["somebody-else"]
        return claims

    def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
        info = UserInfo(sub=user["sub"])
        if "profile" in scope.split():
            info.update({k: user[k] for k in ("name", "given_name", "family_name") if k in user})
        if "email" in scope.split():
            info.update({k: user[k] for k in ("email", "email_verified") if k in user})
        return info


class Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(scopes_supported=["openid", "email", "profile"])
        self.register_token_generator("default", BearerTokenGenerator(lambda **_: generate_token()))
        self.register_grant(CodeGrant, [StrictPKCE(required=True), IDTokens(require_nonce=True)])

    def query_client(self, client_id: str) -> Client | None:
        return STATE.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Access tokens are not used: the test suite signs in with the ID token alone."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request  # built from the Starlette request by `_oauth_request`

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return Response(body, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """Authlib's view of one HTTP request, from its query string and form already read."""

    def __init__(self, request: Request, form: dict[str, str]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self._args = dict(request.query_params)
        self._form = form
        self.payload = BasicOAuth2Payload({**self._args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


SERVER = Server()


async def _oauth_request(request: Request) -> FormRequest:
    form = await request.form() if request.method == "POST" else {}
    return FormRequest(request, {k: v for k, v in form.items() if isinstance(v, str)})


async def discovery(_request: Request) -> Response:
    issuer = STATE.issuer
    return JSONResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "name", "email", "email_verified"],
        }
    )


async def jwks(_request: Request) -> Response:
    return JSONResponse({"keys": [STATE.key.as_dict(private=False)]})


async def authorize(request: Request) -> Response:
    """Approves at once for the person signed in here (no login page in a test provider)."""
    oauth_request = await _oauth_request(request)
    try:
        grant = SERVER.get_consent_grant(oauth_request, end_user=STATE.user)
    except OAuth2Error as error:
        return SERVER.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]
    return SERVER.create_authorization_response(  # type: ignore[no-any-return]
        oauth_request, grant_user=STATE.user, grant=grant
    )


async def token(request: Request) -> Response:
    return SERVER.create_token_response(await _oauth_request(request))  # type: ignore[no-any-return]


async def control(request: Request) -> Response:
    options = await request.json()
    misbehave = options.get("misbehave")
    if misbehave is not None and misbehave not in MISBEHAVIOURS:
        return JSONResponse({"error": f"unknown misbehaviour {misbehave!r}"}, status_code=400)
    STATE.misbehave = misbehave
    STATE.user = dict(options.get("user") or DEFAULT_USER)
    return Response(status_code=204)


def make_app(issuer: str, clients: list[dict[str, Any]]) -> Starlette:
    STATE.issuer = issuer
    STATE.clients = {c["client_id"]: Client(**c) for c in clients}
    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks),
            Route("/authorize", authorize),
            Route("/token", token, methods=["POST"]),
            Route("/_control", control, methods=["POST"]),
        ]
    )


def _exit_with_parent() -> None:
    """Never outlive the test run that started us, even when it is killed."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="a listening socket to serve on")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--clients", required=True, help="JSON list of registered clients")
    args = parser.parse_args()
    _exit_with_parent()
    # This provider speaks plain HTTP on 127.0.0.1 only; Authlib refuses that unless told.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    app = make_app(args.issuer, json.loads(args.clients))
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=args.fd)])


if __name__ == "__main__":
    main()
