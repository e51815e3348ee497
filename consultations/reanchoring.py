"""The editors' re-anchor queue: threads whose paragraph a new version no longer has.

Publishing never drops a thread (consultations/carry.py): what it cannot place is
*orphaned*, and waits here. For each, the editor sees the text it was written on and the
current paragraphs most like it, with their similarity, and either moves it to one (it
keeps its comments and is marked "moved from …") or closes it with a reason. Either way
its commenters are emailed (through the outbox) what happened, with a link to where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accounts.models import User
from accounts.policy import require_editor
from consultations import carry
from consultations.models import Consultation, DraftVersion, Paragraph, Thread
from consultations.services import ConsultationService
from core import audit, outbox
from core.clock import Clock
from core.enums import ThreadState
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import N_
from core.inputs import NOT_BLANK, TEXT, Problems

MAX_REASON_CHARS = 2_000
NOT_MOVED = N_("The thread could not be moved.")
NOT_CLOSED = N_("The thread could not be closed.")
CANDIDATES = 3


class MoveThread(BaseModel):
    """Where an orphaned thread goes: a paragraph of the current version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[
        str,
        Field(pattern=r"^[a-z0-9]{1,16}$", description="Key of a current paragraph."),
        Problems({"any": N_("Choose a paragraph of the current version.")}),
    ]


class CloseThread(BaseModel):
    """Why an orphaned thread is closed rather than moved (its commenters are told)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Annotated[
        str,
        Field(max_length=MAX_REASON_CHARS, pattern=NOT_BLANK),
        TEXT,
        Problems(
            {
                "string_pattern_mismatch": N_("Say why the thread is closed."),
                "string_too_long": N_("Reasons are limited to 2,000 characters."),
            }
        ),
    ]


@dataclass(frozen=True, slots=True)
class Candidate:
    paragraph: Paragraph
    score: float  # similarity to the text the thread was written on, 0..1


@dataclass(frozen=True, slots=True)
class Orphan:
    """An orphaned thread, the text it was written on, and where that text may have gone."""

    thread: Thread
    written_on: Paragraph | None
    candidates: tuple[Candidate, ...]


def queue(session: Session, clock: Clock, actor: User | None, slug: str) -> list[Orphan]:
    """The orphaned threads of consultation `slug`, oldest first, for an editor."""
    require_editor(actor)
    service = ConsultationService(session, clock=clock)
    consultation = service.get(slug)
    threads = session.scalars(
        select(Thread)
        .where(Thread.consultation_id == consultation.id, Thread.state == ThreadState.ORPHANED)
        .options(selectinload(Thread.comments))
        .order_by(Thread.id)
    ).all()
    if not threads:
        return []
    current = service.paragraphs(service.version(consultation))
    pairs = [(p.key, p.text) for p in current]
    by_key = {p.key: p for p in current}
    written = written_on(session, consultation, threads)
    orphans = []
    for thread in threads:
        paragraph = written.get(thread.id)
        found = carry.candidates(paragraph.text, pairs, limit=CANDIDATES) if paragraph else []
        choices = tuple(Candidate(by_key[c.key], c.score) for c in found)
        orphans.append(Orphan(thread, paragraph, choices))
    return orphans


def orphan(session: Session, clock: Clock, actor: User | None, slug: str, thread_id: int) -> Orphan:
    """One entry of the queue (htmx re-renders one card), or the thread resolved."""
    require_editor(actor)
    service = ConsultationService(session, clock=clock)
    consultation = service.get(slug)
    thread = _thread(session, consultation, thread_id)
    if thread.state != ThreadState.ORPHANED:
        written = written_on(session, consultation, [thread]).get(thread.id)
        return Orphan(thread, written, ())
    return next(item for item in queue(session, clock, actor, slug) if item.thread.id == thread_id)


def move_thread(
    session: Session, clock: Clock, actor: User | None, slug: str, thread_id: int, data: MoveThread
) -> Thread:
    """Move orphaned thread `thread_id` to paragraph `data.key` of the current version, as
    an editor: it keeps its comments and history, and is marked as moved from its key."""
    editor = require_editor(actor)
    service = ConsultationService(session, clock=clock)
    consultation = service.get(slug)
    thread = _orphaned(session, consultation, thread_id)
    version = service.version(consultation)
    if data.key not in {p.key for p in service.paragraphs(version)}:
        raise InvalidInput(
            NOT_MOVED, fields={"key": N_("Choose a paragraph of the current version.")}
        )
    thread.moved_from, thread.paragraph_key = thread.paragraph_key, data.key
    thread.state, thread.moved_in_version = ThreadState.MOVED, version.number
    _record(
        session, clock, editor, thread, "thread.move", to=data.key, moved_from=thread.moved_from
    )
    return thread


def close_thread(
    session: Session, clock: Clock, actor: User | None, slug: str, thread_id: int, data: CloseThread
) -> Thread:
    """Close orphaned thread `thread_id` with a reason, as an editor: it leaves the queue,
    stays readable where it was, and its commenters are told why."""
    editor = require_editor(actor)
    consultation = ConsultationService(session, clock=clock).get(slug)
    thread = _orphaned(session, consultation, thread_id)
    thread.state, thread.closed_reason = ThreadState.CLOSED, data.reason.strip()
    _record(session, clock, editor, thread, "thread.close")
    return thread


# -- helpers --------------------------------------------------------------------------------


def _thread(session: Session, consultation: Consultation, thread_id: int) -> Thread:
    thread = session.get(Thread, thread_id)
    if thread is None or thread.consultation_id != consultation.id:
        raise NotFound(N_("No thread %(id)s in this consultation."), id=thread_id)
    return thread


def _orphaned(session: Session, consultation: Consultation, thread_id: int) -> Thread:
    thread = _thread(session, consultation, thread_id)
    if thread.state != ThreadState.ORPHANED:
        raise Conflict(N_("This thread is not waiting to be re-anchored."))
    return thread


def written_on(
    session: Session, consultation: Consultation, threads: Sequence[Thread]
) -> dict[int, Paragraph]:
    """Thread id → the paragraph it was written on (its key in its version), in one query;
    for a thread whose key that version lacks, the key's latest text."""
    keys = {t.origin_key or t.paragraph_key for t in threads} | {t.paragraph_key for t in threads}
    rows = session.execute(
        select(DraftVersion.number, Paragraph)
        .join(Paragraph, Paragraph.version_id == DraftVersion.id)
        .where(DraftVersion.consultation_id == consultation.id, Paragraph.key.in_(keys))
        .order_by(DraftVersion.number)
    ).all()
    at = {(paragraph.key, number): paragraph for number, paragraph in rows}
    latest = {paragraph.key: paragraph for _number, paragraph in rows}
    found = {}
    for thread in threads:
        key = thread.origin_key or thread.paragraph_key
        paragraph = at.get((key, thread.version_number)) or latest.get(thread.paragraph_key)
        if paragraph is not None:
            found[thread.id] = paragraph
    return found


def _record(
    session: Session, clock: Clock, editor: User, thread: Thread, action: str, **details: object
) -> None:
    """Audit the editor's act, mail the commenters, and reindex the consultation."""
    now = clock.now()
    audit.record(
        session,
        actor_id=editor.id,
        action=action,
        subject=("thread", thread.id),
        now=now,
        **details,
    )
    ConsultationService(session, clock=clock).notify_commenters([thread.id], "reanchored")
    outbox.emit(session, outbox.SEARCH, "consultation", now, id=thread.consultation_id)
