"""Contesting a disposition: once a brief on the consultation is published, a commenter of a
thread may object to its disposition once, with a reason, and the editor answers. Both are
public, on the thread and in the brief's annex, so the record shows the disagreement beside
the decision rather than hiding it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts import following
from accounts.models import User
from accounts.policy import require_editor, require_signed_in
from briefs import notifications
from briefs.models import Brief, BriefVersion, DispositionContest
from consultations.models import Thread
from core import audit, outbox
from core.clock import Clock
from core.errors import Conflict, NotAllowed, NotFound
from core.i18n import N_
from core.inputs import NOT_BLANK, TEXT, Problems

__all__ = [
    "ContestAnswer",
    "ContestJSON",
    "NewContest",
    "answer_contest",
    "contest_disposition",
    "contestable",
    "contests_for",
]

MAX_CONTEST_CHARS = 5_000
NOT_CONTESTED = N_("The disposition could not be contested.")
NOT_ANSWERED = N_("The answer could not be saved.")
ONCE = N_("This thread's disposition has been contested already: a thread is contested once.")


class NewContest(BaseModel):
    """Why the commenter disagrees with the disposition of their thread."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Annotated[
        str,
        Field(max_length=MAX_CONTEST_CHARS, pattern=NOT_BLANK, description="Public."),
        TEXT,
        Problems(
            {
                "string_pattern_mismatch": N_("Give your reason."),
                "string_too_long": N_("A reason is limited to 5,000 characters."),
            }
        ),
    ]


class ContestAnswer(BaseModel):
    """The editor's public answer to a contest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer: Annotated[
        str,
        Field(max_length=MAX_CONTEST_CHARS, pattern=NOT_BLANK),
        TEXT,
        Problems(
            {
                "string_pattern_mismatch": N_("Write the answer."),
                "string_too_long": N_("An answer is limited to 5,000 characters."),
            }
        ),
    ]


class ContestJSON(BaseModel):
    """A contest as the API and the annex show it."""

    model_config = ConfigDict(frozen=True)

    thread_id: int
    disposition: str = Field(description="The disposition contested.")
    reason: str
    created_at: str
    answer: str | None
    answered_at: str | None

    @classmethod
    def of(cls, contest: DispositionContest) -> ContestJSON:
        return cls(
            thread_id=contest.thread_id,
            disposition=contest.disposition.value,
            reason=contest.reason,
            created_at=contest.created_at.isoformat(),
            answer=contest.answer,
            answered_at=contest.answered_at.isoformat() if contest.answered_at else None,
        )


def contest_disposition(
    session: Session, clock: Clock, actor: User | None, thread_id: int, data: NewContest
) -> DispositionContest:
    """Record `actor`'s objection to the disposition of thread `thread_id`: they must have
    commented in it, it must be decided, a brief on its consultation must be published, and
    nobody may have contested it before (409, even in a race: the table keeps one a thread)."""
    person = require_signed_in(actor)
    thread = session.get(Thread, thread_id)
    if thread is None:
        raise NotFound(N_("No thread %(id)s."), id=thread_id)
    own = [c for c in thread.comments if c.author_id == person.id]
    if not own:
        raise NotAllowed(N_("Only those who commented in a thread may contest its disposition."))
    if thread.disposition is None:
        raise Conflict(N_("This thread has no disposition yet."))
    if not _brief_published(session, thread):
        raise Conflict(N_("A disposition can be contested once a brief on it is published."))
    if session.scalar(select(exists().where(DispositionContest.thread_id == thread.id))):
        raise Conflict(ONCE)
    contest = DispositionContest(
        thread_id=thread.id,
        comment_id=own[0].id,
        author_id=person.id,
        disposition=thread.disposition,
        reason=data.reason.strip(),
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(contest)
    except IntegrityError as error:  # a concurrent contest of the same thread won
        raise Conflict(ONCE) from error
    audit.record(
        session,
        actor_id=person.id,
        action="thread.contest",
        subject=("thread", thread.id),
        now=clock.now(),
    )
    following.fan_out(
        session,
        "contest",
        clock.now(),
        actor_id=person.id,
        targets=_targets(thread),
        consultation_id=thread.consultation_id,
        thread_id=thread.id,
    )
    return contest


def _targets(thread: Thread) -> list[following.Target]:
    """Who hears of a contest and its answer: the thread's and the consultation's followers."""
    return [(following.THREAD, thread.id), (following.CONSULTATION, thread.consultation_id)]


def answer_contest(
    session: Session,
    clock: Clock,
    actor: User | None,
    slug: str,
    thread_id: int,
    data: ContestAnswer,
) -> DispositionContest:
    """The editor's answer (or a corrected one) to the contest of thread `thread_id` of
    consultation `slug`; the contester is told by email."""
    editor = require_editor(actor)
    query = (
        select(DispositionContest)
        .join(Thread, DispositionContest.thread_id == Thread.id)
        .where(Thread.id == thread_id, Thread.consultation.has(slug=slug))
    )
    contest = session.scalars(query).first()
    if contest is None:
        raise NotFound(N_("Thread %(id)s has no contest to answer."), id=thread_id)
    now = clock.now()
    contest.answer, contest.answered_at, contest.answered_by_id = (
        data.answer.strip(),
        now,
        editor.id,
    )
    audit.record(
        session,
        actor_id=editor.id,
        action="thread.contest_answer",
        subject=("thread", thread_id),
        now=now,
    )
    if contest.author_id is not None:
        outbox.emit(
            session,
            outbox.MAIL,
            notifications.CONTEST_ANSWERED,
            now,
            thread_id=thread_id,
            user_id=contest.author_id,
            contest_id=contest.id,
        )
    following.fan_out(
        session,
        "contest_answered",
        now,
        actor_id=editor.id,
        targets=_targets(contest.thread),
        mailed=[contest.author_id] if contest.author_id else [],
        consultation_id=contest.thread.consultation_id,
        thread_id=thread_id,
    )
    session.flush()
    return contest


def contests_for(session: Session, thread_ids: Sequence[int]) -> dict[int, DispositionContest]:
    """Thread id → its contest, for a page of threads at once."""
    if not thread_ids:
        return {}
    query = select(DispositionContest).where(DispositionContest.thread_id.in_(list(thread_ids)))
    return {contest.thread_id: contest for contest in session.scalars(query)}


def contestable(session: Session, person: User | None, threads: Sequence[Thread]) -> set[int]:
    """Of these threads (of one consultation), those `person` may contest now."""
    if person is None or not threads or not _brief_published(session, threads[0]):
        return set()
    taken = contests_for(session, [thread.id for thread in threads])
    return {
        thread.id
        for thread in threads
        if thread.disposition is not None
        and thread.id not in taken
        and any(comment.author_id == person.id for comment in thread.comments)
    }


def _brief_published(session: Session, thread: Thread) -> bool:
    query = select(
        exists().where(
            Brief.consultation_id == thread.consultation_id,
            BriefVersion.brief_id == Brief.id,
            BriefVersion.published_at.is_not(None),
        )
    )
    return bool(session.scalar(query))
