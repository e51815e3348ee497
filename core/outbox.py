"""The transactional outbox: side effects are written as rows in the same transaction as the
change that causes them, and performed afterwards by workers. A crash loses nothing.

Two kinds of consumers read it differently:
- *log* consumers (each node's search index) keep their own high-water mark and replay
  every event, so every node catches up independently;
- *queue* consumers (mail) claim an event once, cluster-wide, and stamp `processed_at`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import JSON, BigInteger, Engine, Integer, String, Text, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

SEARCH = "search"
MAIL = "mail"
NOTIFY_CHANNEL = "outbox"  # see alembic/versions/0003_outbox_notify.py
STOP_CHECK_SECONDS = 0.5

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


def emit(session: Session, topic: str, kind: str, now: datetime, **payload: Any) -> None:
    """Record an intent; it becomes visible to workers only if the transaction commits.

    A plain INSERT in the session's transaction, sent now: nobody reads the event back as an
    object, and going through the unit of work would cost the comment hot path a flush."""
    session.execute(
        _INSERT_EVENT,
        {"topic": topic, "kind": kind, "payload": payload, "created_at": now, "attempts": 0},
    )


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
    as the safety net. If the listening connection fails, it falls back to plain polling
    (the worker must outlive a database restart). SQLite has no notifications: it polls."""
    if engine.dialect.name != "postgresql":
        yield stop.wait
        return
    with ExitStack() as stack:
        try:
            connection = stack.enter_context(engine.connect())
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql(f"LISTEN {NOTIFY_CHANNEL}")
        except DBAPIError:  # the database is down as the worker starts: its passes retry
            log.warning("cannot listen for outbox notifications; polling", exc_info=True)
            yield stop.wait
            return
        yield _Listener(connection.connection.driver_connection, stop).wait


class _Listener:
    def __init__(self, driver_connection: Any, stop: threading.Event) -> None:
        self.connection: Any = driver_connection
        self.stop = stop

    def wait(self, seconds: float) -> None:
        if self.connection is None:
            self.stop.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        try:
            while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
                # In slices, so that a stopping worker is not held for a whole poll.
                for _notification in self.connection.notifies(
                    timeout=min(left, STOP_CHECK_SECONDS), stop_after=1
                ):
                    return
        except psycopg.Error:
            log.warning("outbox notifications stopped; polling instead", exc_info=True)
            self.connection = None
