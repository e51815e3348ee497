"""The one adapter between a route and the domain, and the helpers every route uses.

Every route that touches the database is written as a plain function of a `Context` and
wrapped by `endpoint` (or `endpoint_reading`): the body of the request is received on the
event loop, then the function runs in the thread pool inside exactly one transaction, with
the signed-in user loaded once. It renders with that session and user, so a page never
opens a second transaction (on SQLite a second `BEGIN IMMEDIATE` would wait for the first
one's lock), and the event loop never waits for the database or for Argon2.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from accounts import following
from accounts import policy as accounts_policy
from accounts.models import User
from app import csrf
from app.forms import read_form
from app.settings import Settings
from core.clock import Clock
from core.db import unit_of_work
from core.enums import Role
from core.errors import NotSignedIn

SESSION_USER_KEY = "uid"
# The account's session_epoch when the session began; raising the account's ends the session.
SESSION_EPOCH_KEY = "epoch"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class AfterCommit:
    """A response finished after the transaction, still off the event loop: for slow work
    that needs no database (a PDF layout), which must not hold SQLite's write lock."""

    make: Callable[[], Response]


Reply = Response | AfterCommit


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person as the page header shows them: plain values captured when the
    request began, so an error page rendered after a rollback needs no new transaction."""

    id: int
    name: str
    email: str
    role: Role
    email_verified_at: datetime | None
    unread: int = 0  # notifications, for the header's badge (one indexed COUNT)

    @property
    def is_editor(self) -> bool:
        return accounts_policy.is_editor(self)

    @classmethod
    def of(cls, user: User | None, session: Session | None = None) -> Viewer | None:
        if user is None:
            return None
        unread = following.unread_count(session, user.id) if session is not None else 0
        return cls(user.id, user.name, user.email, user.role, user.email_verified_at, unread)


@dataclass(slots=True)
class Context:
    """What a route body gets: the request, its one session, its user, the clock, the form."""

    request: Request
    session: Session
    user: User | None
    clock: Clock
    form: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return settings(self.request)

    @property
    def params(self) -> Mapping[str, Any]:
        return self.request.path_params

    def require_user(self) -> User:
        if self.user is None:
            raise NotSignedIn("Sign in to continue.")
        return self.user

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """A savepoint for a change that may be refused: on an error only the change is
        undone, and the route shows the form again within the same transaction."""
        with self.session.begin_nested():
            yield

    def signed_out(self) -> None:
        """The person is no longer signed in (the session is cleared; the header agrees)."""
        self.request.session.clear()
        self.user = None
        self.request.state.viewer = None


def endpoint(handler: Callable[[Context], Reply], *, web: bool = True) -> Endpoint:
    """An ASGI endpoint running `handler` off the event loop in one unit of work, with the
    submitted form (string fields) read first. `web=False` (the JSON API) reads no form and
    never takes the user from the session cookie: only a bearer token authenticates there."""

    async def read(request: Request) -> None:
        return None

    def run(context: Context, _nothing: None) -> Reply:
        return handler(context)

    return functools.wraps(handler)(_adapter(read, run, web=web))


def endpoint_reading(
    read: Callable[[Request], Awaitable[T]], *, web: bool = True
) -> Callable[[Callable[[Context, T], Reply]], Endpoint]:
    """As `endpoint`, for a route that first awaits something on the event loop (an upload,
    a JSON body, a provider's answer, a search): `read`'s result is the second argument."""

    def wrap(handler: Callable[[Context, T], Reply]) -> Endpoint:
        return functools.wraps(handler)(_adapter(read, handler, web=web))

    return wrap


def _adapter(
    read: Callable[[Request], Awaitable[T]],
    handler: Callable[[Context, T], Reply],
    *,
    web: bool,
) -> Endpoint:
    async def serve(request: Request) -> Response:
        # `read` first: a route that reads its form to take an upload from it shares it with
        # `form_data` (and with the CSRF check): the form is parsed once, kept in the scope.
        value = await read(request)
        form = await form_data(request) if web and request.method not in SAFE_METHODS else {}
        return await run_in_threadpool(_unit_of_work, request, form, value, handler, web)

    return serve


def _unit_of_work(
    request: Request,
    form: dict[str, str],
    value: T,
    handler: Callable[[Context, T], Reply],
    web: bool,
) -> Response:
    with unit_of_work(request.app.state.sessions) as session:
        user = current_user(request, session) if web else None
        request.state.viewer = Viewer.of(user, session if web else None)
        request.state.session = session  # for `is_following` in templates (templating.py)
        try:
            reply = handler(Context(request, session, user, clock(request), form), value)
        finally:
            request.state.session = None
    return reply.make() if isinstance(reply, AfterCommit) else reply


def load_viewer(request: Request) -> Viewer | None:
    """For a response made outside any route (an unknown address, a refused CSRF check):
    the header's user, in the request's only transaction. Runs in the thread pool."""
    with unit_of_work(request.app.state.sessions) as session:
        request.state.viewer = Viewer.of(current_user(request, session), session)
    return request.state.viewer  # type: ignore[no-any-return]


def has_viewer(request: Request) -> bool:
    return hasattr(request.state, "viewer")


def clock(request: Request) -> Clock:
    return request.app.state.clock  # type: ignore[no-any-return]


def settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def current_user(request: Request, session: Session) -> User | None:
    """The user of this request: a bearer token (set by the API) or the signed session,
    unless the account has signed out everywhere since the session began."""
    token_user_id = request.scope.get("token_user_id")
    user_id = token_user_id or request.session.get(SESSION_USER_KEY)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        return None
    if token_user_id is None and request.session.get(SESSION_EPOCH_KEY, 0) != user.session_epoch:
        request.session.clear()
        return None
    return user


def start_session(context: Context, user: User) -> None:
    """A new session for the person who just signed in: nothing from before sign-in is
    carried over, and the cookie's value changes, and so does the CSRF token."""
    request = context.request
    request.session.clear()
    csrf.rotate(request)
    request.session[SESSION_USER_KEY] = user.id
    request.session[SESSION_EPOCH_KEY] = user.session_epoch
    context.user = user
    request.state.viewer = Viewer.of(user)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render the full page, or only `fragment` for an htmx request: one code path for both.
    The header's user is the one captured at the start of the request (see `Viewer`)."""
    name = fragment if fragment and is_htmx(request) else template
    values = {"user": getattr(request.state, "viewer", None), **(context or {})}
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=headers
    )
    if fragment:
        response.headers["Vary"] = "HX-Request, Cookie"
    return response


def redirect(url: str, status_code: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status_code)


async def form_data(request: Request) -> dict[str, str]:
    """Form fields as plain strings (uploaded files are read separately by the route)."""
    form = await read_form(request)
    return {key: value for key, value in form.items() if isinstance(value, str)}
