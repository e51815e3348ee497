"""Sign-in with OpenID Connect providers, through Authlib's Starlette client.

Authlib does the protocol: discovery, the authorization-code flow with PKCE (S256), and
the `state`, `nonce` and code verifier kept in the signed session between the redirect
and the callback; on the callback it checks the state, exchanges the code, and validates
the ID token's signature against the provider's JWKS and its claims (iss, aud, exp, iat,
nonce). Every way that can fail becomes a page with a 4xx status, or 503 when the
provider cannot be reached — never a 500.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpx
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.starlette_client import OAuth, OAuthError
from joserfc.errors import JoseError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.settings import OIDCProvider, Settings
from app.urls import site_urls
from app.web import settings as app_settings
from core.i18n import N_

log = logging.getLogger(__name__)
SCOPE = "openid email profile"
HTTP_TIMEOUT_SECONDS = 10.0
NEXT_KEY = "sso_next"

# Shown through `_(message)` on the error page, so fixed texts (translated in the catalog).
STALE_ATTEMPT = N_(
    "This sign-in attempt has expired or was started in another browser. Please start again."
)
REFUSED = N_("The sign-in provider did not complete the sign-in.")
UNVERIFIED = N_("The answer from the sign-in provider could not be verified.")
UNAVAILABLE = N_(
    "The sign-in provider is not responding at the moment. Please try again in a few minutes,"
    " or sign in with your email and password."
)


def _unreachable_errors() -> tuple[type[Exception], ...]:
    """Transport failures of the HTTP client Authlib uses: httpx2 when it is installed,
    httpx otherwise."""
    errors: list[type[Exception]] = [httpx.HTTPError]
    with suppress(ImportError):
        errors.append(importlib.import_module("httpx2").HTTPError)
    return tuple(errors)


UNREACHABLE = _unreachable_errors()
# What a provider answering nonsense (HTML instead of JSON, a document missing its
# endpoints) makes Authlib raise.
UNREADABLE = (ValueError, KeyError, TypeError, RuntimeError)


def make_registry(providers: tuple[OIDCProvider, ...]) -> OAuth:
    oauth = OAuth()
    for provider in providers:
        oauth.register(
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": SCOPE,
                "code_challenge_method": "S256",
                "timeout": HTTP_TIMEOUT_SECONDS,
            },
        )
    return oauth


def registry(request: Request) -> OAuth:
    """The app's one registry, built on first use (Authlib caches each provider's discovery
    document and keys in it)."""
    oauth: OAuth | None = getattr(request.app.state, "oauth", None)
    if oauth is None:
        oauth = request.app.state.oauth = make_registry(app_settings(request).oidc_providers)
    return oauth


def provider_named(settings: Settings, name: str) -> OIDCProvider:
    provider = next((p for p in settings.oidc_providers if p.name == name), None)
    if provider is None:
        raise HTTPException(404)
    return provider


def providers_for(request: Request) -> tuple[OIDCProvider, ...]:
    """The configured providers, for the sign-in page's buttons."""
    return app_settings(request).oidc_providers


def callback_url(request: Request, provider: OIDCProvider) -> str:
    # From BASE_URL, not the request's Host header, which a client chooses.
    return site_urls(request)("sso_callback", provider=provider.name)


async def redirect_to_provider(request: Request, provider: OIDCProvider) -> Response:
    client = registry(request).create_client(provider.name)
    with failures_explained(provider):
        response: Response = await client.authorize_redirect(
            request, callback_url(request, provider)
        )
    return response


async def verified_claims(request: Request, provider: OIDCProvider) -> dict[str, Any]:
    """The ID token's claims, once the state, the code and the token have all checked out."""
    client = registry(request).create_client(provider.name)
    with failures_explained(provider):
        metadata = await client.load_server_metadata()
        if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer:
            raise RuntimeError(f"{provider.name} publishes issuer {metadata.get('issuer')!r}")
        token = await client.authorize_access_token(
            request, claims_options=_claims_options(metadata["issuer"], provider.client_id)
        )
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise HTTPException(400, UNVERIFIED)
    return dict(claims)


def _claims_options(issuer: str, client_id: str) -> dict[str, Any]:
    # Authlib checks the issuer on its own; the audience only through "azp" — say it here.
    return {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
    }


@contextmanager
def failures_explained(provider: OIDCProvider) -> Iterator[None]:
    """Turn each way the exchange with a provider can fail into a page the person can act on."""
    try:
        yield
    except MismatchingStateError as error:
        raise HTTPException(400, STALE_ATTEMPT) from error
    except OAuthError as error:
        log.info("sign-in with %s refused: %s %s", provider.name, error.error, error.description)
        raise HTTPException(400, REFUSED) from error
    except JoseError as error:
        log.warning("ID token from %s rejected: %r", provider.name, error)
        raise HTTPException(400, UNVERIFIED) from error
    except UNREACHABLE as error:
        log.warning("%s unreachable: %r", provider.name, error)
        raise HTTPException(503, UNAVAILABLE) from error
    except UNREADABLE as error:
        log.exception("%s answered something we cannot use", provider.name)
        raise HTTPException(503, UNAVAILABLE) from error
