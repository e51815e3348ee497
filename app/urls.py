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
from starlette.routing import BaseRoute, NoMatchFound, Route, Router

from core.urls import PathFor, Urls


def path_for(router: Router, name: str, /, **params: str | int) -> str:
    """The path of route `name`. Starlette puts parameters into the path as they are:
    ours are percent-encoded first (a "/" is left for the route's converter to refuse)."""
    quoted = {
        key: quote(value, safe="/") if isinstance(value, str) else value
        for key, value in params.items()
    }
    for route in _named(router).get(name, ()):
        try:
            return str(route.url_path_for(name, **quoted))
        except NoMatchFound:
            continue  # another route of that name may take these parameters
    return str(router.url_path_for(name, **quoted))  # mounted routes ("api:…"), or the error


_BY_ROUTER: dict[int, tuple[Router, int, dict[str, list[BaseRoute]]]] = {}


def _named(router: Router) -> dict[str, list[BaseRoute]]:
    """The router's own named routes by name. Starlette's `url_path_for` tries every route
    in turn, which made links a third of the draft page's time (600 of them per page).
    Keyed by identity (a Router is not hashable); a few routers live at once (tests make
    many apps, hence the bound)."""
    known = _BY_ROUTER.get(id(router))
    if known is None or known[0] is not router or known[1] != len(router.routes):
        by_name: dict[str, list[BaseRoute]] = {}
        for route in router.routes:
            if isinstance(route, Route) and route.name:
                by_name.setdefault(route.name, []).append(route)
        if len(_BY_ROUTER) >= 32:
            _BY_ROUTER.clear()
        known = _BY_ROUTER[id(router)] = (router, len(router.routes), by_name)
    return known[2]


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
