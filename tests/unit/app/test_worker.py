"""The `roundtable worker` loop across a PostgreSQL restart: it keeps running, and it goes
back to LISTEN, so an event committed after the restart wakes it at once (its poll, the
safety net, is a minute here: only a notification can explain a wake within a second)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.urls import app_urls
from app.worker import OutboxWorker
from core.clock import SystemClock
from core.db import make_engine, make_sessionmaker, unit_of_work
from core.mail import NullMailer
from core.migrations import upgrade as migrate
from core.outbox import SEARCH, emit
from search.index import SearchIndex
from tests.postgres_server import PostgresServer, postgres_server

log = logging.getLogger(__name__)
POLL_SECONDS = 60.0


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    with postgres_server() as running:
        yield running


def commit_event(engine: Engine) -> int:
    """A search event for a comment that does not exist (the index deletes it: a no-op)."""
    with unit_of_work(make_sessionmaker(engine)) as session:
        emit(session, SEARCH, "comment", SystemClock().now(), id=10**9)
    with engine.connect() as connection:
        newest = connection.exec_driver_sql("SELECT max(id) FROM outbox_events").scalar()
    return int(newest or 0)


def seconds_until(condition: Callable[[], bool], limit: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit, f"not within {limit} s"
        time.sleep(0.01)
    return time.monotonic() - started


def test_worker_listens_again_after_a_restart(server: PostgresServer, tmp_path: Path) -> None:
    engine = make_engine(server.url)
    migrate(engine)
    index = SearchIndex(tmp_path / "index")
    worker_engine = make_engine(server.url)  # a process of its own would have its own pool
    sessions = make_sessionmaker(worker_engine)
    worker = OutboxWorker(
        sessions, index, NullMailer(), SystemClock(), app_urls("http://testserver")
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(POLL_SECONDS, stop))
    thread.start()
    try:
        seconds_until(lambda: (index.path / "CURRENT").exists(), 10)
        first = commit_event(engine)
        before = seconds_until(lambda: index.applied_through() >= first, 2.0)

        server.stop()
        time.sleep(0.3)  # the worker sees its connection go and polls
        server.start()
        restarted = time.monotonic()
        engine.dispose()  # the test's own pool holds connections to the old server
        during = commit_event(engine)  # may land before the worker listens again
        seconds_until(lambda: index.applied_through() >= during, 5.0)
        caught_up = time.monotonic() - restarted
        after = commit_event(engine)  # now only a notification can wake it this soon
        woke = seconds_until(lambda: index.applied_through() >= after, 1.0)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(5)
        engine.dispose()
        worker_engine.dispose()
    assert not thread.is_alive()
    log.warning(
        "worker: event applied %.3f s after commit before the restart; caught up %.3f s after "
        "the restart; an event committed then applied after %.3f s (poll %.0f s)",
        before, caught_up, woke, POLL_SECONDS,
    )  # fmt: skip
