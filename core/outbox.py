"""The transactional outbox: side effects are written as rows in the same transaction as the
change that causes them, and performed afterwards by workers. A crash loses nothing.

Two kinds of consumers read it differently:
- *log* consumers (each node's search index) keep their own high-water mark and replay
  every event, so every node catches up independently;
- *queue* consumers (mail, campaigns) claim an event once, cluster-wide, and stamp `processed_at`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import JSON, BigInteger, Connection, Engine, Integer, String, Text, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

SEARCH = "search"
MAIL = "mail"
CAMPAIGN = "campaign"  # a queue topic: a thread's opening to place among campaigns
NOTIFY_CHANNEL = "outbox"  # see alembic/versions/0003_outbox_notify.py
STOP_CHECK_SECONDS = 0.5
RECONNECT_SECONDS = 0.5

log = logging.getLogger(__name__)


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    topic: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]  # a queue event that failed waits until then
    failed_at: Mapped[datetime | None]  # given up on (see core/mail.py); shown to admins


def emit(session: Session, topic: str, kind: str, now: datetime, **payload: Any) -> None:
    """Record an intent; it becomes visible to workers only if the transaction commits.

    A plain INSERT in the session's transaction, sent now: nobody reads the event back as an
    object, and going through the unit of work would cost the comment hot path a flush."""
    emit_all(session, now, (topic, kind, payload))


def emit_all(session: Session, now: datetime, *events: tuple[str, str, dict[str, Any]]) -> None:
    """Several (topic, kind, payload) intents in one statement (an executemany)."""
    rows = [
        {"topic": topic, "kind": kind, "payload": payload, "created_at": now, "attempts": 0}
        for topic, kind, payload in events
    ]
    session.execute(_INSERT_EVENT, rows)


_INSERT_EVENT = insert(OutboxEvent.__table__)  # type: ignore[arg-type]


def events_after(session: Session, topic: str, after_id: int, limit: int) -> list[OutboxEvent]:
    """Events of a log topic past a consumer's mark, oldest first."""
    query = (
        select(OutboxEvent)
        .where(OutboxEvent.topic == topic, OutboxEvent.id > after_id)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return list(session.scalars(query))


Waiter = Callable[[float], object]


@contextmanager
def commit_wakeups(engine: Engine, stop: threading.Event) -> Iterator[Waiter]:
    """A `wait(seconds)` that returns early when new events are committed (or `stop` is set).

    On PostgreSQL it listens on the outbox's notification channel, so a worker applies a
    comment within milliseconds of its commit instead of at its next poll; the timeout stays
    as the safety net. The worker must outlive a database restart: while the listening
    connection is lost it polls and tries to listen again every `RECONNECT_SECONDS`. SQLite
    has no notifications: it polls."""
    if engine.dialect.name != "postgresql":
        yield stop.wait
        return
    listener = _Listener(engine, stop)
    try:
        yield listener.wait
    finally:
        listener.close()


class _Listener:
    """A connection of its own that LISTENs, re-established after the database restarts."""

    def __init__(self, engine: Engine, stop: threading.Event) -> None:
        self.engine = engine
        self.stop = stop
        self.connection: Connection | None = None
        if not self._listen():
            log.warning("cannot listen for outbox notifications; polling until it can")

    def _listen(self) -> bool:
        try:
            connection = self.engine.connect()
        except DBAPIError:
            return False
        try:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql(f"LISTEN {NOTIFY_CHANNEL}")
        except DBAPIError:
            connection.invalidate()
            connection.close()
            return False
        self.connection = connection
        return True

    def _lost(self) -> None:
        log.warning("outbox notifications stopped; polling until it can listen again")
        if self.connection is not None:
            self.connection.invalidate()  # never back into the pool: it is dead
            self.connection.close()
        self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            if self.connection is None:
                if self.stop.wait(min(left, RECONNECT_SECONDS)):
                    return
                if self._listen():
                    log.info("listening for outbox notifications again")
                    return  # a pass now catches up with what was committed meanwhile
                continue
            driver: Any = self.connection.connection.driver_connection
            try:
                # In slices, so that a stopping worker is not held for a whole poll.
                for _notification in driver.notifies(
                    timeout=min(left, STOP_CHECK_SECONDS), stop_after=1
                ):
                    return
            except psycopg.Error:
                self._lost()
