"""Idempotency keys: a retried write returns the first answer instead of writing twice.

A client names a write with a key of its choosing (the API's `Idempotency-Key` header, the
comment form's one-time token). The answer to the first request with that key is stored
with a fingerprint of the request, in the same transaction as the write, so a crash never
keeps one without the other. Within `TTL` the same key and request get the stored answer;
the same key with another request is refused. Keys belong to a user: two people cannot
collide, or read each other's answers.

Two requests with the same key at the same moment both find nothing and both do the work;
the primary key (user, key) lets only one store its answer. The other's `remember` raises
`AlreadyAnswered`, its transaction (write included) rolls back, and it returns the first
one's answer instead. An expired row does not block its key: the upsert takes it over.
Only successful answers are stored: a refused request changed nothing, so it is safe to
send again anyway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.clock import Clock
from core.db import Base
from core.errors import InvalidInput

TTL = timedelta(hours=24)
MAX_KEY_CHARS = 255  # what a client may choose; stored with a short prefix naming its kind
KEY_REUSED = "This idempotency key was already used for a different request."


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


@dataclass(frozen=True, slots=True)
class Answer:
    """What was answered to the first request: a status and a body (JSON, or a URL)."""

    status: int
    body: str


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"


class AlreadyAnswered(Exception):
    """A concurrent request with the same key stored its answer first: roll back, and
    answer with `IdempotencyStore.recall`."""


def fingerprint(*parts: str) -> str:
    """A digest of what makes two requests the same (method, path, canonical body)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def recall(self, user_id: int, key: str, digest: str) -> Answer | None:
        """The answer stored for this key within the TTL, if any; KeyReused if it was
        stored for a different request."""
        row = self.session.execute(
            select(IdempotencyKey.fingerprint, IdempotencyKey.status, IdempotencyKey.body).where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.created_at > self.clock.now() - TTL,
            )
        ).one_or_none()
        if row is None:
            return None
        if row.fingerprint != digest:
            raise KeyReused(KEY_REUSED, fields={"Idempotency-Key": "reused"})
        return Answer(row.status, row.body)

    def remember(self, user_id: int, key: str, digest: str, answer: Answer) -> None:
        """Store the answer in the caller's transaction, in one statement; raise
        AlreadyAnswered when a live row for the key exists (a concurrent duplicate)."""
        now = self.clock.now()
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = insert(IdempotencyKey).values(
            user_id=user_id,
            key=key,
            fingerprint=digest,
            status=answer.status,
            body=answer.body,
            created_at=now,
        )
        upsert = values.on_conflict_do_update(
            index_elements=[IdempotencyKey.user_id, IdempotencyKey.key],
            set_={
                name: values.excluded[name]
                for name in ("fingerprint", "status", "body", "created_at")
            },
            where=IdempotencyKey.created_at <= now - TTL,
        )
        stored = self.session.execute(upsert.returning(IdempotencyKey.key)).first()
        if stored is None:
            raise AlreadyAnswered(key)

    def prune(self) -> int:
        """Delete expired keys; returns how many."""
        cutoff = self.clock.now() - TTL
        result = self.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at <= cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)
