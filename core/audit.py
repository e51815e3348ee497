"""The audit log of every editorial and moderation action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(index=True)


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject: tuple[str, int],
    now: datetime,
    **details: Any,
) -> None:
    """Append to the audit log inside the caller's transaction."""
    subject_type, subject_id = subject
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
            created_at=now,
        )
    )
