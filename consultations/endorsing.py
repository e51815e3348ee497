"""Endorsing a comment (or the suggestion it carries): one endorsement per person and
comment, withdrawable, counted by the endorser's stakeholder group.

The page's button and the JSON API both call `endorse` and `withdraw`, so the rules are
the same wherever a person endorses:

- signed in, with a confirmed email address and a stakeholder group on their profile (the
  group is recorded with the endorsement, as a comment records its author's: a later
  profile change does not move past endorsements between groups);
- the comment is on a consultation they may see (a draft's comments do not exist for
  others) and not their own;
- only while the consultation accepts comments: after the period the counts are frozen,
  for synthesis and the brief (`policy.accepts_endorsements`).

Endorsing twice is one endorsement (one idempotent INSERT), withdrawing what was not
endorsed changes nothing. Comments are never hidden or withdrawn in this version; when
moderation hides one, `_endorsable` is where it is refused.

`counts_by_group` gives the counts of many comments in one query: the page, the threads
API, the synthesis workspace and (later) bridging scores read it.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.registration import require_verified_email
from consultations import policy
from consultations.models import Comment, Consultation, Endorsement, Thread
from core.clock import Clock
from core.db import UTCDateTime
from core.enums import StakeholderGroup
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound, NotSignedIn
from core.i18n import N_

NO_COMMENT = N_("No comment %(id)s.")
Counts = dict[StakeholderGroup, int]


class EndorsementState(BaseModel):
    """A comment's endorsements after an endorsement or its withdrawal."""

    model_config = ConfigDict(frozen=True)

    comment_id: int
    endorsed: bool = Field(description="Whether the caller endorses the comment now.")
    endorsements: Counts = Field(
        description="Endorsements by the endorsers' stakeholder group when they endorsed; "
        "groups with none are left out."
    )


def endorse(session: Session, clock: Clock, actor: User | None, comment_id: int) -> bool:
    """`actor` endorses comment `comment_id`; returns whether this made a new endorsement
    (False: they had endorsed it already, and nothing changed)."""
    user = _endorser(actor)
    comment = _endorsable(session, clock, user, comment_id)
    if policy.endorses_own(user.id, comment.author_id):
        raise NotAllowed(N_("You cannot endorse your own comment."))
    if user.stakeholder_group is None:
        raise InvalidInput(
            N_("Choose your stakeholder group on your profile before endorsing."),
            fields={"stakeholder_group": N_("required")},
        )
    values = {
        "comment_id": comment.id,
        "user_id": user.id,
        "group": user.stakeholder_group.value,
        "now": clock.now(),
    }
    return _changed(session.execute(_ENDORSE_ONCE, values))


# The same text on SQLite and PostgreSQL (the primary key makes it idempotent).
_ENDORSE_ONCE = text(
    "INSERT INTO endorsements (comment_id, user_id, stakeholder_group, created_at) "
    "VALUES (:comment_id, :user_id, :group, :now) "
    "ON CONFLICT (comment_id, user_id) DO NOTHING"
).bindparams(bindparam("now", type_=UTCDateTime()))


def withdraw(session: Session, clock: Clock, actor: User | None, comment_id: int) -> bool:
    """`actor` withdraws their endorsement; returns whether there was one."""
    user = _endorser(actor)
    _endorsable(session, clock, user, comment_id)
    query = delete(Endorsement).where(
        Endorsement.comment_id == comment_id, Endorsement.user_id == user.id
    )
    return _changed(session.execute(query))


def state(session: Session, user: User, comment_id: int) -> EndorsementState:
    return EndorsementState(
        comment_id=comment_id,
        endorsed=comment_id in endorsed_by(session, user.id, [comment_id]),
        endorsements=counts_by_group(session, [comment_id])[comment_id],
    )


def _changed(result: object) -> bool:
    """Whether the statement wrote (or deleted) its one row."""
    return int(getattr(result, "rowcount", 0) or 0) == 1


def _endorser(actor: User | None) -> User:
    if actor is None:
        raise NotSignedIn(N_("Sign in to endorse comments."))
    require_verified_email(actor)
    return actor


def _endorsable(session: Session, clock: Clock, user: User, comment_id: int) -> Comment:
    """The comment, if `user` may see it and its consultation takes endorsements now."""
    query = (
        select(Comment, Consultation)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Consultation, Consultation.id == Thread.consultation_id)
        .where(Comment.id == comment_id)
    )
    row = session.execute(query).first()
    if row is None or not policy.can_view(user, row[1]):
        raise NotFound(NO_COMMENT, id=comment_id)
    comment, consultation = row
    if not policy.accepts_endorsements(consultation, clock.now()):
        raise Conflict(N_("This consultation is not open for endorsements."))
    return comment


def counts_by_group(session: Session, comment_ids: Collection[int]) -> dict[int, Counts]:
    """Each comment's endorsements by stakeholder group, in one query (on the primary key's
    index): every id asked for is in the answer, with {} when nobody endorsed it; groups
    come in `StakeholderGroup` order, those with none left out."""
    found: dict[int, Counts] = {comment_id: {} for comment_id in comment_ids}
    if not found:
        return found
    query = (
        select(Endorsement.comment_id, Endorsement.stakeholder_group, func.count())
        .where(Endorsement.comment_id.in_(found))
        .group_by(Endorsement.comment_id, Endorsement.stakeholder_group)
    )
    rows = {(int(c), StakeholderGroup(g)): int(n) for c, g, n in session.execute(query)}
    for comment_id, counts in found.items():
        for group in StakeholderGroup:
            if n := rows.get((comment_id, group)):
                counts[group] = n
    return found


def endorsed_by(session: Session, user_id: int, comment_ids: Collection[int]) -> frozenset[int]:
    """Which of `comment_ids` the person endorses (for the buttons of a page)."""
    if not comment_ids:
        return frozenset()
    query = select(Endorsement.comment_id).where(
        Endorsement.user_id == user_id, Endorsement.comment_id.in_(list(comment_ids))
    )
    return frozenset(int(c) for c in session.scalars(query))
