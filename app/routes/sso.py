"""Signing in with an OpenID Connect provider: off to the provider, and back."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.identities import IdentityService
from app.auth.oidc import NEXT_KEY, provider_named, redirect_to_provider, verified_claims
from app.routes.auth import safe_next
from app.web import Context, endpoint_reading, redirect, settings, start_session


async def start(request: Request) -> Response:
    provider = provider_named(settings(request), request.path_params["provider"])
    request.session[NEXT_KEY] = safe_next(request, request.query_params.get("next"))
    return await redirect_to_provider(request, provider)


async def _claims(request: Request) -> tuple[str, dict[str, Any]]:
    """The provider's verified answer, awaited on the event loop (it is network I/O)."""
    provider = provider_named(settings(request), request.path_params["provider"])
    return provider.name, await verified_claims(request, provider)


@endpoint_reading(_claims)
def callback(context: Context, answer: tuple[str, dict[str, Any]]) -> Response:
    provider, claims = answer
    user = IdentityService(context.session, clock=context.clock).sign_in_with(provider, claims)
    next_url = safe_next(context.request, context.request.session.get(NEXT_KEY))
    start_session(context, user)
    return redirect(next_url)


routes = [
    Route("/signin/{provider}", start, name="sso_start"),
    Route("/auth/{provider}/callback", callback, name="sso_callback"),
]
