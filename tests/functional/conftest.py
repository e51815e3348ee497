"""The real app over HTTP (Starlette's TestClient), on the rolled-back test database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from app.main import create_app
from app.settings import Settings
from core.clock import FixedClock
from tests.factories import PASSWORD


class Browser(TestClient):
    """A TestClient that behaves like a person's browser with our forms: it sends the CSRF
    token from its cookie with every form, as the hidden field in each form does."""

    def form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        if "csrftoken" not in self.cookies:
            self.get("/signin")
        fields = {"csrftoken": self.cookies.get("csrftoken", ""), **(data or {})}
        response: httpx.Response = self.post(url, data=fields, **kwargs)
        return response

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        response = self.form("/signin", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        return response


def page(response: httpx.Response) -> BeautifulSoup:
    """Parse a response as a person's browser would, to select what they see."""
    return BeautifulSoup(response.text, "html.parser")


def text_of(html: Tag, selector: str) -> str:
    """The visible text of the one element `selector` finds; fails clearly if none does."""
    element = html.select_one(selector)
    assert element is not None, f"nothing on the page matches {selector!r}"
    return element.get_text(" ", strip=True)


def settings_for_tests(tmp_path: Path, database_url: str = "sqlite://") -> Settings:
    return Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
            "BASE_URL": "http://testserver",
            "SECRET_KEY": "test-secret",
        }
    )


@dataclass
class Tally:
    """What one request did with the database."""

    method: str
    path: str
    transactions: int = 0
    statements: int = 0
    on_event_loop: list[str] = field(default_factory=list)


_tally: ContextVar[Tally | None] = ContextVar("request_tally", default=None)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class UnitOfWorkGuard:
    """ASGI middleware for tests: a request fails when it opens more than one transaction
    or touches the database on the event loop's thread. Every functional test runs under
    it, the authorization matrix (every route, every role) included; `tallies` keeps what
    each request did, for tests that count."""

    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session]) -> None:
        self.app = app
        self.tallies: list[Tally] = []
        # Once per session factory: a test may build several apps on the same one.
        if not getattr(sessions, "guarded", False):
            event.listen(sessions, "after_transaction_create", self._transaction)
            event.listen(sessions.kw["bind"], "before_cursor_execute", self._statement)
            sessions.guarded = True  # type: ignore[attr-defined]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tally = Tally(scope["method"], scope["path"])
        self.tallies.append(tally)
        token = _tally.set(tally)
        try:
            await self.app(scope, receive, send)
        finally:
            _tally.reset(token)
        where = f"{tally.method} {tally.path}"
        assert tally.transactions <= 1, f"{where} opened {tally.transactions} transactions"
        assert not tally.on_event_loop, f"{where} used the database on the event loop"

    @staticmethod
    def _transaction(_session: Session, transaction: SessionTransaction) -> None:
        tally = _tally.get()
        if tally is None or transaction.parent is not None:
            return  # the test's own set-up, or a savepoint inside the request's transaction
        tally.transactions += 1
        if _on_event_loop():
            tally.on_event_loop.append("BEGIN")

    @staticmethod
    def _statement(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        tally = _tally.get()
        if tally is None:
            return
        tally.statements += 1
        if _on_event_loop():
            tally.on_event_loop.append(statement[:80])


def app_with(
    sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path, **settings: Any
) -> Starlette:
    """The test app, under the unit-of-work guard, with some settings changed
    (`comment_rate_limit="2/minute"`, …)."""
    changed = replace(settings_for_tests(tmp_path), **settings)
    app = create_app(changed, sessions=sessions, clock=clock, run_worker=False)
    app.add_middleware(UnitOfWorkGuard, sessions=sessions)
    return app


@pytest.fixture
def app(sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path) -> Starlette:
    return app_with(sessions, clock, tmp_path)


@pytest.fixture
def tallies(app: Starlette, browser: Browser) -> list[Tally]:
    """What each request of the test did with the database, in order."""
    browser.get("/signin")  # builds the middleware stack, so the guard exists
    found = app.middleware_stack
    while not isinstance(found, UnitOfWorkGuard):  # inside the security headers and errors
        found = found.app  # type: ignore[union-attr]
    found.tallies.clear()
    return found.tallies


@pytest.fixture
def browser(app: Starlette) -> Iterator[Browser]:
    with Browser(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def anonymous(app: Starlette) -> Iterator[Browser]:
    """A second, separate browser with no session."""
    with Browser(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client
