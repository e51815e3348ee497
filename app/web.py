"""Small helpers every route uses: the unit of work, the signed-in user, rendering."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from accounts.models import User
from app.settings import Settings
from core.clock import Clock
from core.db import unit_of_work
from core.errors import NotSignedIn
from core.i18n import N_

SESSION_USER_KEY = "uid"
# The account's session_epoch when the session began; raising the account's ends the session.
SESSION_EPOCH_KEY = "epoch"


@contextmanager
def transaction(request: Request) -> Iterator[Session]:
    """One request's unit of work: every state change commits whole or not at all."""
    with unit_of_work(request.app.state.sessions) as session:
        yield session


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


def start_session(request: Request, user: User) -> None:
    """A new session for the person who just signed in: nothing from before sign-in is
    carried over, and the cookie's value changes."""
    request.session.clear()
    request.session[SESSION_USER_KEY] = user.id
    request.session[SESSION_EPOCH_KEY] = user.session_epoch


def viewer(request: Request) -> User | None:
    """The signed-in user for the page header, loaded once per request in its own short
    transaction (the route's may have been rolled back by an error)."""
    if not hasattr(request.state, "viewer"):
        with transaction(request) as session:
            request.state.viewer = current_user(request, session)
    return request.state.viewer  # type: ignore[no-any-return]


def require_user(request: Request, session: Session) -> User:
    user = current_user(request, session)
    if user is None:
        raise NotSignedIn(N_("Sign in to continue."))
    return user


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
    """Render the full page, or only `fragment` for an htmx request: one code path for both."""
    name = fragment if fragment and is_htmx(request) else template
    values = {"user": viewer(request), **(context or {})}
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
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}
