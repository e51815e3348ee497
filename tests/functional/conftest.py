"""The real app over HTTP (Starlette's TestClient), on the rolled-back test database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

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


@pytest.fixture
def app(sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path) -> Starlette:
    return create_app(
        settings_for_tests(tmp_path), sessions=sessions, clock=clock, run_worker=False
    )


@pytest.fixture
def browser(app: Starlette) -> Iterator[Browser]:
    with Browser(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def anonymous(app: Starlette) -> Iterator[Browser]:
    """A second, separate browser with no session."""
    with Browser(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client
