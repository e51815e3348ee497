"""The database goes away and comes back: pages and the API answer 503 with Retry-After and
the security headers meanwhile, and 200 again once it is back, without restarting the app.

PostgreSQL is a server of the test's own (tests/postgres_server.py), stopped and started
for real; SQLite's "unreachable" is a database file whose folder is not there (yet)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.middleware import SECURITY_HEADERS
from core.db import make_engine
from core.migrations import upgrade as migrate
from tests.functional.conftest import page, settings_for_tests, text_of
from tests.postgres_server import PostgresServer, postgres_server

log = logging.getLogger(__name__)
PAGES = ("/", "/consultations")
API = ("/api/v1/consultations", "/api/v1/briefs")


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    with postgres_server() as running:
        yield running


def client_for(url: str, tmp_path: Path) -> TestClient:
    app = create_app(settings_for_tests(tmp_path, url), run_worker=False)
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False)


def assert_secured(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (name, response)


def assert_unavailable(client: TestClient) -> None:
    """Every page and endpoint: 503, Retry-After, headers; a page in the person's language,
    JSON errors for the API."""
    for path in PAGES:
        response = client.get(path, headers={"Accept-Language": "uk"})
        assert response.status_code == 503, (path, response.text)
        assert int(response.headers["Retry-After"]) > 0
        assert_secured(response)
        assert "спробуйте" in text_of(page(response), "[role=alert]")
        english = client.get(path, headers={"Accept-Language": "en"})
        assert "try again" in text_of(page(english), "[role=alert]")
    for path in API:
        response = client.get(path)
        assert response.status_code == 503, (path, response.text)
        assert int(response.headers["Retry-After"]) > 0
        assert_secured(response)
        error = response.json()["error"]
        assert error["code"] == "unavailable" and "try again" in error["message"]


def wait_for_ok(client: TestClient, path: str, limit: float = 10.0) -> tuple[float, list[int]]:
    """Seconds until `path` answers 200, and the statuses seen on the way."""
    started, seen = time.monotonic(), []
    while time.monotonic() - started < limit:
        status = client.get(path).status_code
        seen.append(status)
        if status == 200:
            return time.monotonic() - started, seen
        time.sleep(0.05)
    raise AssertionError(f"{path} still not 200 after {limit} s: {seen[-5:]}")


def test_postgresql_stops_and_returns(server: PostgresServer, tmp_path: Path) -> None:
    engine = make_engine(server.url)
    migrate(engine)
    engine.dispose()
    with client_for(server.url, tmp_path) as client:
        for path in (*PAGES, *API):
            assert client.get(path).status_code == 200, path  # the pool holds connections now
        server.stop()
        assert_unavailable(client)
        assert_unavailable(client)  # and again: nothing is stuck half-way
        server.start()
        recovered, seen = wait_for_ok(client, "/")
        for path in (*PAGES, *API):
            assert client.get(path).status_code == 200, path
    log.warning("PostgreSQL back: / answered 200 after %.3f s, statuses %s", recovered, seen)


def test_sqlite_file_unreachable_then_there(tmp_path: Path) -> None:
    folder = tmp_path / "not-mounted-yet"
    url = f"sqlite:///{folder / 'roundtable.db'}"
    with client_for(url, tmp_path) as client:
        assert_unavailable(client)
        folder.mkdir()
        migrate(make_engine(url))
        for path in (*PAGES, *API):
            assert client.get(path).status_code == 200, path


def test_unexpected_errors_are_500s_with_headers(server: PostgresServer, tmp_path: Path) -> None:
    """A database without our tables (a release whose migration did not run) is a real
    programming error: a 500, still with the security headers, JSON for the API."""
    with client_for(server.url, tmp_path) as client:
        response = client.get("/api/v1/consultations")
        assert response.status_code == 500
        assert_secured(response)
        assert response.json()["error"]["code"] == "server_error"
        response = client.get("/consultations", headers={"Accept-Language": "uk"})
        assert response.status_code == 500
        assert_secured(response)
        assert text_of(page(response), "[role=alert]")


def test_responses_made_by_middleware_carry_the_headers(tmp_path: Path) -> None:
    with client_for("sqlite://", tmp_path) as client:
        nul = client.get("/consultations/%00")
        assert nul.status_code == 404
        assert_secured(nul)
        forged = client.post("/signin", data={"email": "a@example.org"})
        assert forged.status_code == 403
        assert_secured(forged)
