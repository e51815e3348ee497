"""The real app served by uvicorn on a free local port, driven by Debian's Chromium.

Each test module gets a fresh, migrated database (a SQLite file, or a schema of its own in
PostgreSQL) and one server in a background thread; tests seed data with the real services
and commit, as a person's earlier actions would have.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.settings import Settings
from core.clock import FixedClock
from core.db import make_sessionmaker
from tests.conftest import IN_CI, scratch_database

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
T = TypeVar("T")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A fresh migrated database for this module: never the rolled-back one of other tests,
    because the server commits for real from its own threads."""
    folder = tmp_path_factory.mktemp("browser-db")
    with scratch_database(request.param, folder, "roundtable_browser") as (_url, engine):
        yield engine


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    """Shared by the server and the seeding code, so comment periods are what tests expect."""
    return FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@dataclass
class LiveServer:
    url: str
    sessions: sessionmaker[Session]
    clock: FixedClock

    def seed(self, build: Callable[[Session, FixedClock], T]) -> T:
        """Run a builder from tests.factories in one committed transaction."""
        with self.sessions() as session, session.begin():
            return build(session, self.clock)


class _ServerThread(threading.Thread):
    def __init__(self, server: uvicorn.Server, sock: socket.socket) -> None:
        super().__init__(name="uvicorn", daemon=True)
        self.server, self.sock = server, sock

    def run(self) -> None:
        self.server.run(sockets=[self.sock])

    def wait_started(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start; see the captured log")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(
    served_engine: Engine, clock: FixedClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app as production builds it (middleware, worker, templates), served over TCP."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings.from_env(
        {
            "DATABASE_URL": str(served_engine.url),
            "SEARCH_INDEX_DIR": str(tmp_path_factory.mktemp("browser-index")),
            "BASE_URL": url,
            "SECRET_KEY": "browser-test-secret",
            "OUTBOX_POLL_SECONDS": "0.2",
        }
    )
    sessions = make_sessionmaker(served_engine)
    app = create_app(settings, sessions=sessions, clock=clock)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    thread = _ServerThread(uvicorn.Server(config), sock)
    thread.start()
    try:
        thread.wait_started()
        yield LiveServer(url, sessions, clock)
    finally:
        thread.stop()
        sock.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = f"No Chromium at {CHROMIUM}: run scripts/install-system-packages --with-browser"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


def _context(browser: Browser, server: LiveServer, *, javascript: bool) -> BrowserContext:
    context = browser.new_context(
        base_url=server.url,
        locale="en-GB",
        java_script_enabled=javascript,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(5_000)
    return context


@pytest.fixture
def page(chromium: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser profile (no cookies) with JavaScript, as most people have it."""
    context = _context(chromium, live_server, javascript=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_js(chromium: Browser, live_server: LiveServer) -> Iterator[Page]:
    """JavaScript off: htmx never loads, so every journey must work with links and forms."""
    context = _context(chromium, live_server, javascript=False)
    yield context.new_page()
    context.close()
