"""Reading the audit log (core/audit.py): editors and administrators filter it by action,
actor, date range and consultation, on a page or as CSV with the same filters.

A consultation's events are those about it, its threads and its comments, whatever wrote
them (events of other subjects, such as accounts, are not about a consultation).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.policy import require_editor
from consultations.exports import cell
from consultations.models import Comment, Consultation, Thread
from core.audit import AuditEvent
from core.clock import as_utc
from core.ids import parse_id

PAGE_ROWS = 500
CSV_ROWS = 50_000
COLUMNS = ["created_at", "actor", "action", "subject", "details"]


@dataclass(frozen=True, slots=True)
class AuditFilters:
    action: str | None = None
    actor_id: int | None = None
    consultation: str | None = None  # a slug
    since: date | None = None
    until: date | None = None  # inclusive

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AuditFilters:
        """Lenient, as a page's filters are: what cannot be read is left out."""
        return cls(
            action=(params.get("action") or "").strip()[:60] or None,
            actor_id=parse_id(params.get("actor") or ""),
            consultation=(params.get("consultation") or "").strip()[:120] or None,
            since=_day(params.get("from")),
            until=_day(params.get("to")),
        )

    def params(self) -> dict[str, str]:
        """The filters as the query string that reproduces them (the CSV link)."""
        values = {
            "action": self.action,
            "actor": str(self.actor_id) if self.actor_id else None,
            "consultation": self.consultation,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
        }
        return {name: value for name, value in values.items() if value}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class AuditRow:
    created_at: str
    actor: str
    action: str
    subject: str
    details: str


def _about(session: Session, slug: str) -> ColumnElement[bool]:
    consultation_id = session.scalar(select(Consultation.id).where(Consultation.slug == slug))
    threads = select(Thread.id).where(Thread.consultation_id == consultation_id)
    comments = select(Comment.id).join(Thread).where(Thread.consultation_id == consultation_id)
    return or_(
        and_(AuditEvent.subject_type == "consultation", AuditEvent.subject_id == consultation_id),
        and_(AuditEvent.subject_type == "thread", AuditEvent.subject_id.in_(threads)),
        and_(AuditEvent.subject_type == "comment", AuditEvent.subject_id.in_(comments)),
    )


def read(
    session: Session, actor: User | None, filters: AuditFilters, limit: int = PAGE_ROWS
) -> list[AuditRow]:
    """The events that match, newest first, for an editor or administrator."""
    require_editor(actor)
    query = (
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor_id:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.since:
        query = query.where(AuditEvent.created_at >= _midnight(filters.since))
    if filters.until:
        query = query.where(AuditEvent.created_at < _midnight(filters.until + timedelta(days=1)))
    if filters.consultation:
        query = query.where(_about(session, filters.consultation))
    return [
        AuditRow(
            created_at=as_utc(event.created_at).isoformat(),
            actor=name or "",
            action=event.action,
            subject=f"{event.subject_type} {event.subject_id}",
            details=json.dumps(event.details or {}, ensure_ascii=False, sort_keys=True),
        )
        for event, name in session.execute(query)
    ]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def choices(session: Session) -> dict[str, list[object]]:
    """What the filters offer: the actions and actors the log holds, the consultations."""
    actions = session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    actors = session.execute(
        select(User.id, User.name)
        .where(User.id.in_(select(AuditEvent.actor_id).distinct()))
        .order_by(User.name)
    )
    consultations = session.execute(
        select(Consultation.slug, Consultation.title).order_by(Consultation.title)
    )
    return {
        "actions": list(actions),
        "actors": [(int(i), str(n)) for i, n in actors],
        "consultations": [(str(s), str(t)) for s, t in consultations],
    }


def as_csv(rows: Sequence[AuditRow]) -> str:
    """RFC 4180 CSV, every text cell safe from spreadsheets' formulas (as the exports)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([cell(getattr(row, name)) for name in COLUMNS])
    return out.getvalue()
