"""The transactional outbox: side effects are written as rows in the same transaction as the
change that causes them, and performed afterwards by workers. A crash loses nothing.

Two kinds of consumers read it differently:
- *log* consumers (each node's search index) keep their own high-water mark and replay
  every event, so every node catches up independently;
- *queue* consumers (mail) claim an event once, cluster-wide, and stamp `processed_at`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

SEARCH = "search"
MAIL = "mail"


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
