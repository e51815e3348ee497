"""Who may see and do what with a consultation: pure functions of (person, consultation,
time), used alike by the pages, the JSON API, search and feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, case, or_, type_coerce

from accounts.policy import Person, is_editor
from consultations.models import Consultation
from core.clock import as_utc
from core.enums import ConsultationStatus, Phase

#: Stored statuses whose phase the clock decides (see `phase`).
_TIMED = (ConsultationStatus.DRAFT, ConsultationStatus.OPEN)


def can_manage(person: Person | None) -> bool:
    """Create and revise drafts, run the comment period, decide threads: editors."""
    return is_editor(person)


def can_view(person: Person | None, consultation: Consultation) -> bool:
    """Drafts are visible to editors only; everything else to everyone (the API, search and
    feeds ask with no person: they show only what anyone may see). A draft given an opening
    time is announced: scheduled, and public, as `roundtable import-draft` makes it."""
    return not _unannounced(consultation) or can_manage(person)


def _unannounced(consultation: Consultation) -> bool:
    return consultation.status == ConsultationStatus.DRAFT and consultation.opens_at is None


def sees_drafts(person: Person | None) -> bool:
    """Whether listings for this person include drafts (the SQL twin of `can_view`)."""
    return can_manage(person)


def public() -> ColumnElement[bool]:
    """`can_view(None, …)` as a SQL condition, for queries over many consultations. It does
    not depend on the time, so the search index changes only when a consultation does."""
    return or_(Consultation.status != ConsultationStatus.DRAFT, Consultation.opens_at.is_not(None))


def phase(consultation: Consultation, now: datetime) -> Phase:
    """The consultation's phase at `now`: the Python twin of `phase_sql` (a test holds them
    to the same answers), for the one consultation a page or API response shows."""
    status, opens, closes = consultation.status, consultation.opens_at, consultation.closes_at
    if status not in _TIMED:
        return Phase(status.value)
    if _unannounced(consultation):
        return Phase.DRAFT
    if opens and now < as_utc(opens):
        return Phase.SCHEDULED
    if closes and now >= as_utc(closes):
        return Phase.CLOSED
    return Phase.OPEN


def phase_sql(now: datetime) -> ColumnElement[str]:
    """`phase` as one SQL expression: listings filter and show by it, so a period's start
    and end take effect the moment they pass, on every node, with no job to advance them."""
    status, opens, closes = Consultation.status, Consultation.opens_at, Consultation.closes_at
    timed = status.in_(_TIMED)
    return case(
        (and_(status == ConsultationStatus.DRAFT, opens.is_(None)), Phase.DRAFT.value),
        (and_(timed, opens > now), Phase.SCHEDULED.value),
        (and_(timed, closes <= now), Phase.CLOSED.value),
        (timed, Phase.OPEN.value),
        else_=type_coerce(status, String(30)),
    )


def can_moderate(person: Person | None, consultation: Consultation) -> bool:
    """Editors see who wrote a comment shown under a group or organisation only."""
    return can_manage(person)


def accepts_comments(consultation: Consultation, now: datetime) -> bool:
    """In its open phase (deadlines are enforced on the server)."""
    return phase(consultation, now) == Phase.OPEN


def accepts_endorsements(consultation: Consultation, now: datetime) -> bool:
    """Endorsing is taking part, as commenting is: in the open phase only. Withdrawing too,
    so the counts are frozen when the comment period ends, for synthesis and the brief."""
    return accepts_comments(consultation, now)


def endorses_own(user_id: int, author_id: int | None) -> bool:
    """Whether this would be an endorsement of one's own comment, which is refused: a
    person's comment speaks for them already, and bridging counts would double it."""
    return author_id is not None and user_id == author_id
