"""The application factory: settings, database, templates, middleware and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.csrf import CSRFMiddleware
from app.errors import EXCEPTION_HANDLERS
from app.middleware import LanguageMiddleware, RejectNulMiddleware, SecurityHeadersMiddleware
from app.routes import ROUTES
from app.settings import Settings
from app.templating import make_templates
from app.throttle import Throttles
from app.worker import OutboxWorker
from core.clock import Clock, SystemClock
from core.db import make_engine, make_sessionmaker


def _api_first(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The route table with the JSON API's mount moved to the front. Starlette tries routes
    in order, and the API (its comment POST above all) is the busiest path; its `/api/v1`
    prefix is shared with no page, so no route can shadow another by the move."""
    api = [route for route in routes if isinstance(route, Mount) and route.name == "api"]
    return [*api, *(route for route in routes if route not in api)]


class Roundtable(Starlette):
    """Starlette with the security headers outside everything, its error middleware too:
    listed as a middleware they would miss the 500 page, which Starlette sends from outside
    every listed middleware."""

    def build_middleware_stack(self) -> ASGIApp:
        hsts = self.state.settings.secure_cookies
        return SecurityHeadersMiddleware(super().build_middleware_stack(), hsts=hsts)


def _proxy_headers(settings: Settings) -> list[Middleware]:
    """Believe X-Forwarded-For (and -Proto) only from the configured proxies. It runs
    inside the app, not as uvicorn's option (the Procfile and `roundtable serve` turn that
    off), so every way of serving the app, the test client's included, trusts the same."""
    if not settings.forwarded_allow_ips:
        return []
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.forwarded_allow_ips))]


def create_app(
    settings: Settings | None = None,
    *,
    sessions: sessionmaker[Session] | None = None,
    clock: Clock | None = None,
    run_worker: bool = True,
) -> Starlette:
    """Build the app. Tests pass their own session factory (bound to a rolled-back
    transaction) and a clock; production reads everything from the environment."""
    settings = settings or Settings.from_env()
    sessions = sessions or make_sessionmaker(make_engine(settings.database_url))
    clock = clock or SystemClock()
    worker = OutboxWorker.from_settings(settings, sessions, clock)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if run_worker and settings.outbox_poll_seconds > 0:
            async with worker.running(settings.outbox_poll_seconds):
                yield
        else:
            yield

    app = Roundtable(
        routes=_api_first(ROUTES),
        middleware=[
            *_proxy_headers(settings),
            Middleware(RejectNulMiddleware),
            Middleware(LanguageMiddleware),
            Middleware(
                CSRFMiddleware,
                secret=settings.secret_key,
                secure=settings.secure_cookies,
                origin=settings.base_url,
            ),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie="roundtable_session",
                same_site="lax",
                https_only=settings.secure_cookies,
                max_age=14 * 24 * 3600,
            ),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.clock = clock
    app.state.throttles = Throttles.from_settings(settings)
    app.state.templates = make_templates()
    app.state.worker = worker
    return app
