"""Who may see and do what with a consultation: pure functions of (person, consultation,
time), used alike by the pages, the JSON API, search and feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement

from accounts.policy import Person, is_editor
from consultations.models import Consultation
from core.clock import as_utc
from core.enums import ConsultationStatus


def can_manage(person: Person | None) -> bool:
    """Create and revise drafts, run the comment period, decide threads: editors."""
    return is_editor(person)


def can_view(person: Person | None, consultation: Consultation) -> bool:
    """Drafts not yet opened are visible to editors only; everything else to everyone
    (the API, search and feeds ask with no person: they show only what anyone may see)."""
    return consultation.status != ConsultationStatus.DRAFT or can_manage(person)


def sees_drafts(person: Person | None) -> bool:
    """Whether listings for this person include drafts (the SQL twin of `can_view`)."""
    return can_manage(person)


def public() -> ColumnElement[bool]:
    """`can_view(None, …)` as a SQL condition, for queries over many consultations."""
    return Consultation.status != ConsultationStatus.DRAFT


def can_moderate(person: Person | None, consultation: Consultation) -> bool:
    """Editors see who wrote a comment shown under a group or organisation only."""
    return can_manage(person)


def accepts_comments(consultation: Consultation, now: datetime) -> bool:
    """Open, and within its comment period (deadlines are enforced on the server)."""
    if consultation.status != ConsultationStatus.OPEN:
        return False
    if consultation.opens_at and now < as_utc(consultation.opens_at):
        return False
    return not (consultation.closes_at and now >= as_utc(consultation.closes_at))
