"""Paths from route names, for templates, redirects and the `Urls` that feeds and mail use.

Starlette's own `url_for` (on the request, and the template global that Jinja2Templates
would install) returns an absolute URL made from the request's Host and scheme. Ours
returns the path alone, so pages keep the relative links they have always had, whatever
Host a client or proxy sent; absolute URLs come from BASE_URL instead (`core.urls.Urls`).
"""

from __future__ import annotations

from functools import cache, partial
from typing import Any
from urllib.parse import quote

from jinja2 import pass_context
from starlette.requests import Request
from starlette.routing import Router

from core.urls import PathFor, Urls


def path_for(router: Router, name: str, /, **params: str | int) -> str:
    """The path of route `name`. Starlette puts parameters into the path as they are:
    ours are percent-encoded first (a "/" is left for the route's converter to refuse)."""
    quoted = {
        key: quote(value, safe="/") if isinstance(value, str) else value
        for key, value in params.items()
    }
    return str(router.url_path_for(name, **quoted))


def url_path(request: Request, name: str, /, **params: str | int) -> str:
    return path_for(request.app.router, name, **params)


def request_paths(request: Request) -> PathFor:
    """Paths for domain code that links pages (search hits, brief citations)."""
    return partial(path_for, request.app.router)


def site_urls(request: Request) -> Urls:
    """Absolute URLs for feeds: BASE_URL, never the Host this request happened to carry."""
    return Urls(request.app.state.settings.base_url, request_paths(request))


@cache
def app_paths() -> PathFor:
    """Paths where there is no request (the command line, the demo, the outbox worker)."""
    from app.routes import ROUTES  # here, not at the top: the route modules import this one

    return partial(path_for, Router(routes=ROUTES))


def app_urls(base_url: str) -> Urls:
    """Absolute URLs where there is no request (the outbox worker sends mail)."""
    return Urls(base_url, app_paths())


@pass_context
def url_for(context: Any, name: str, /, **params: str | int) -> str:
    """The template global: `url_for('brief', slug=brief.slug)`, a path."""
    return url_path(context["request"], name, **params)
