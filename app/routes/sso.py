"""Signing in with an OpenID Connect provider: off to the provider, and back."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.identities import IdentityService
from app.auth.oidc import NEXT_KEY, provider_named, redirect_to_provider, verified_claims
from app.routes.auth import safe_next
from app.web import clock, redirect, settings, start_session, transaction


async def start(request: Request) -> Response:
    provider = provider_named(settings(request), request.path_params["provider"])
    request.session[NEXT_KEY] = safe_next(request, request.query_params.get("next"))
    return await redirect_to_provider(request, provider)


async def callback(request: Request) -> Response:
    provider = provider_named(settings(request), request.path_params["provider"])
    claims = await verified_claims(request, provider)
    with transaction(request) as session:
        user = IdentityService(session, clock=clock(request)).sign_in_with(provider.name, claims)
    next_url = safe_next(request, request.session.get(NEXT_KEY))
    start_session(request, user)
    return redirect(next_url)


routes = [
    Route("/signin/{provider}", start, name="sso_start"),
    Route("/auth/{provider}/callback", callback, name="sso_callback"),
]
