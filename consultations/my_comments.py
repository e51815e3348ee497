"""“My comments”: what a person posted, newest first, with its receipt number, where its
thread stands now and what the editors decided about it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, contains_eager

from accounts.models import User
from consultations.models import Comment, Consultation, DraftVersion, Paragraph, Thread
from core.enums import ThreadState
from core.i18n import N_

PAGE_SIZE = 50

#: Where a thread stands, in the words its author reads.
THREAD_STATES = {
    ThreadState.ANCHORED: N_("On the current text"),
    ThreadState.OUTDATED: N_("The paragraph was edited since"),
    ThreadState.ORPHANED: N_("Its paragraph was removed; an editor will move the thread"),
    ThreadState.MOVED: N_("Moved by an editor to the paragraph where the text went"),
    ThreadState.CLOSED: N_("Closed by an editor"),
}


@dataclass(frozen=True, slots=True)
class MyComment:
    comment: Comment
    consultation: Consultation
    ordinal: int | None  # the paragraph's number in the version it was written on

    @property
    def thread(self) -> Thread:
        return self.comment.thread


@dataclass(frozen=True, slots=True)
class MyCommentsPage:
    items: list[MyComment]
    page: int
    has_next: bool


def my_comments(session: Session, user: User, page: int = 1) -> MyCommentsPage:
    """One page of the person's comments, in one query."""
    page = max(page, 1)
    query = (
        select(Comment, Consultation, Paragraph.ordinal)
        .join(Comment.thread)
        .join(Consultation, Consultation.id == Thread.consultation_id)
        .outerjoin(
            DraftVersion,
            and_(
                DraftVersion.consultation_id == Thread.consultation_id,
                DraftVersion.number == Thread.version_number,
            ),
        )
        .outerjoin(
            Paragraph,
            and_(Paragraph.version_id == DraftVersion.id, Paragraph.key == Thread.paragraph_key),
        )
        .options(contains_eager(Comment.thread))
        .where(Comment.author_id == user.id)
        .order_by(Comment.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    rows = session.execute(query).all()
    items = [MyComment(comment, consultation, ordinal) for comment, consultation, ordinal in rows]
    return MyCommentsPage(items[:PAGE_SIZE], page, has_next=len(items) > PAGE_SIZE)
