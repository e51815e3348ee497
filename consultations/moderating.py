"""Moderation: participants flag comments, editors hide or restore them with a reason.

A hidden comment keeps its place in its thread (its replies stay) and reads "hidden by a
moderator: <reason>" everywhere it is shown; exports, search and the API carry the reason
instead of its text. Its author is told, by email and in their notifications. Every
decision resolves the comment's open flags and is written to the audit log.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from accounts import following
from accounts.models import User
from accounts.policy import require_editor, require_signed_in
from consultations import policy
from consultations.models import Comment, Flag, Thread
from core import audit, outbox
from core.clock import Clock, as_utc
from core.enums import FlagReason
from core.errors import Conflict, NotFound
from core.i18n import N_
from core.inputs import NO_NUL, NOT_BLANK, TEXT, Problems, field_error

MAX_NOTE_CHARS = 2_000
NOT_FLAGGED = N_("The comment could not be flagged.")
NOT_DECIDED = N_("The moderation decision could not be saved.")
FLAGGED_ONCE = N_("You have flagged this comment already; the moderators will look at it.")
SAY_WHY = N_("Say what is wrong with the comment.")
HIDDEN, KEPT = "hidden", "kept"
QUEUE_SIZE = 100


class NewFlag(BaseModel):
    """Why a participant flags a comment; with `other`, the note says it (the schema says so
    too, so that API clients and schemathesis know a bare `other` is refused)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "if": {"properties": {"reason": {"const": "other"}}, "required": ["reason"]},
            "then": {
                "properties": {"note": {"type": "string", "pattern": r"\S"}},
                "required": ["note"],
            },
        },
    )

    reason: Annotated[
        FlagReason,
        Problems({"enum": N_("Choose a reason: spam, abuse, off-topic, personal data, other.")}),
    ]
    note: Annotated[
        str | None,
        Field(
            max_length=MAX_NOTE_CHARS,
            pattern=NO_NUL,
            description="Seen by the moderators only; required with `other`.",
        ),
        TEXT,
        Problems({"string_too_long": N_("Notes are limited to 2,000 characters.")}),
    ] = None

    @model_validator(mode="after")
    def _other_says_why(self) -> Self:
        if self.reason == FlagReason.OTHER and not (self.note or "").strip():
            raise field_error("note", SAY_WHY)
        return self


class ModerationDecision(BaseModel):
    """The moderator's reason to hide, restore or keep a comment (its author reads it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Annotated[
        str,
        Field(max_length=MAX_NOTE_CHARS, pattern=NOT_BLANK),
        TEXT,
        Problems(
            {
                "string_pattern_mismatch": N_("Give the reason."),
                "string_too_long": N_("Reasons are limited to 2,000 characters."),
            }
        ),
    ]


class FlagJSON(BaseModel):
    """A flag as the API answers it."""

    model_config = ConfigDict(frozen=True)

    id: int
    comment_id: int
    reason: FlagReason
    note: str | None
    created_at: str = Field(description="ISO 8601 with a UTC offset.")

    @classmethod
    def of(cls, flag: Flag) -> Self:
        return cls(
            id=flag.id,
            comment_id=flag.comment_id,
            reason=flag.reason,
            note=flag.note,
            created_at=as_utc(flag.created_at).isoformat(),
        )


@dataclass(frozen=True, slots=True)
class Flagged:
    """A comment in the queue with its open flags and how many give each reason."""

    comment: Comment
    flags: tuple[Flag, ...]
    reasons: tuple[tuple[FlagReason, int], ...]


def visible_comment(session: Session, actor: User | None, comment_id: int) -> Comment:
    """Comment `comment_id`, if `actor` may see its consultation (else 404)."""
    comment = session.get(Comment, comment_id)
    if comment is None or not policy.can_view(actor, comment.thread.consultation):
        raise NotFound(N_("No comment %(id)s."), id=comment_id)
    return comment


def flag_comment(
    session: Session, clock: Clock, actor: User | None, comment_id: int, data: NewFlag
) -> Flag:
    """`actor` flags comment `comment_id` for the moderators: one open flag per person and
    comment (409 for a second, even in a race: a partial unique index keeps one)."""
    person = require_signed_in(actor)
    comment = visible_comment(session, person, comment_id)
    if comment.hidden:
        raise Conflict(N_("A moderator has hidden this comment already."))
    open_flag = select(Flag.id).where(
        Flag.comment_id == comment.id, Flag.user_id == person.id, Flag.resolved_at.is_(None)
    )
    if session.scalar(open_flag) is not None:
        raise Conflict(FLAGGED_ONCE)
    note = (data.note or "").strip() or None
    flag = Flag(
        comment_id=comment.id,
        user_id=person.id,
        reason=data.reason,
        note=note,
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(flag)
    except IntegrityError as error:  # a concurrent flag by the same person won
        raise Conflict(FLAGGED_ONCE) from error
    audit.record(
        session,
        actor_id=person.id,
        action="comment.flag",
        subject=("comment", comment.id),
        now=clock.now(),
        reason=data.reason.value,
        note=note,
        consultation_id=comment.thread.consultation_id,
    )
    return flag


def hide_comment(
    session: Session, clock: Clock, actor: User | None, comment_id: int, data: ModerationDecision
) -> Comment:
    """Hide a comment, as an editor, saying why: it stays in place, its replies stay."""
    editor = require_editor(actor)
    comment = visible_comment(session, editor, comment_id)
    if comment.hidden:
        raise Conflict(N_("This comment is hidden already."))
    reason = data.reason.strip()
    comment.hidden_at, comment.hidden_reason, comment.hidden_by_id = clock.now(), reason, editor.id
    _decide(session, clock, editor, comment, "comment.hide", HIDDEN, reason)
    return comment


def restore_comment(
    session: Session, clock: Clock, actor: User | None, comment_id: int, data: ModerationDecision
) -> Comment:
    """Show a hidden comment again, as an editor, saying why."""
    editor = require_editor(actor)
    comment = visible_comment(session, editor, comment_id)
    if not comment.hidden:
        raise Conflict(N_("This comment is not hidden."))
    comment.hidden_at, comment.hidden_reason, comment.hidden_by_id = None, None, None
    _decide(session, clock, editor, comment, "comment.restore", KEPT, data.reason.strip())
    return comment


def keep_comment(
    session: Session, clock: Clock, actor: User | None, comment_id: int, data: ModerationDecision
) -> Comment:
    """Leave a flagged comment visible, as an editor, saying why: its flags are resolved."""
    editor = require_editor(actor)
    comment = visible_comment(session, editor, comment_id)
    if comment.hidden:
        raise Conflict(N_("This comment is hidden: restore it instead."))
    _decide(session, clock, editor, comment, "comment.keep", KEPT, data.reason.strip())
    return comment


def _decide(
    session: Session,
    clock: Clock,
    editor: User,
    comment: Comment,
    action: str,
    resolution: str,
    reason: str,
) -> None:
    """Resolve the open flags, audit, tell the author (hide and restore), reindex."""
    now = clock.now()
    flags = session.scalars(
        select(Flag).where(Flag.comment_id == comment.id, Flag.resolved_at.is_(None))
    ).all()
    for flag in flags:
        flag.resolved_at, flag.resolution, flag.resolved_by_id = now, resolution, editor.id
    thread = comment.thread
    audit.record(
        session,
        actor_id=editor.id,
        action=action,
        subject=("comment", comment.id),
        now=now,
        reason=reason,
        flags=len(flags),
        consultation_id=thread.consultation_id,
    )
    if action == "comment.keep":
        return
    kind = "comment_hidden" if action == "comment.hide" else "comment_restored"
    if comment.author_id is not None and comment.author_id != editor.id:
        outbox.emit(session, outbox.MAIL, kind, now, comment_id=comment.id, reason=reason)
        following.fan_out(
            session,
            kind,
            now,
            actor_id=editor.id,
            mailed=[comment.author_id],
            consultation_id=thread.consultation_id,
            thread_id=thread.id,
            comment_id=comment.id,
        )
    outbox.emit(session, outbox.SEARCH, "comment", now, id=comment.id)


def queue(session: Session, actor: User | None) -> list[Flagged]:
    """Comments with open flags, most flagged first, for an editor."""
    require_editor(actor)
    flags = session.scalars(
        select(Flag)
        .where(Flag.resolved_at.is_(None))
        .options(
            selectinload(Flag.comment)
            .selectinload(Comment.thread)
            .selectinload(Thread.consultation)
        )
        .order_by(Flag.id)
    ).all()
    by_comment: dict[int, list[Flag]] = {}
    for flag in flags:
        by_comment.setdefault(flag.comment_id, []).append(flag)
    items = [
        Flagged(
            found[0].comment,
            tuple(found),
            tuple(Counter(flag.reason for flag in found).most_common()),
        )
        for found in by_comment.values()
    ]
    items.sort(key=lambda item: (-len(item.flags), item.flags[0].id))
    return items[:QUEUE_SIZE]


def hidden_comments(session: Session, actor: User | None) -> list[Comment]:
    """Hidden comments, most recently hidden first (to restore), for an editor."""
    require_editor(actor)
    query = (
        select(Comment)
        .where(Comment.hidden_at.is_not(None))
        .options(selectinload(Comment.thread).selectinload(Thread.consultation))
        .order_by(Comment.hidden_at.desc(), Comment.id.desc())
        .limit(QUEUE_SIZE)
    )
    return list(session.scalars(query))


def flagged_by(session: Session, user: User | None, comment_ids: list[int]) -> frozenset[int]:
    """Which of `comment_ids` `user` has an open flag on (the page then says so)."""
    if user is None or not comment_ids:
        return frozenset()
    query = select(Flag.comment_id).where(
        Flag.user_id == user.id, Flag.comment_id.in_(comment_ids), Flag.resolved_at.is_(None)
    )
    return frozenset(session.scalars(query))
