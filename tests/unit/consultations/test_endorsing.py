"""Endorsing: one per person and comment, withdrawable, counted by the group the endorser
had when they endorsed, for many comments in one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from accounts.models import User
from consultations.endorsing import counts_by_group, endorse, endorsed_by, withdraw
from consultations.models import Comment, Consultation
from core.clock import FixedClock
from core.enums import StakeholderGroup
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound, NotSignedIn
from tests.factories import comment_on, make_user, open_consultation

ACADEMIA, CIVIL, GOVERNMENT = (
    StakeholderGroup.ACADEMIA,
    StakeholderGroup.CIVIL_SOCIETY,
    StakeholderGroup.GOVERNMENT,
)


@pytest.fixture
def consultation(session: Session, clock: FixedClock) -> Consultation:
    return open_consultation(session, clock, paragraphs=3)


@pytest.fixture
def comment(session: Session, clock: FixedClock, consultation: Consultation) -> Comment:
    return comment_on(session, clock, consultation, author=make_user(session, clock))


def person(session: Session, clock: FixedClock, group: StakeholderGroup | None) -> User:
    return make_user(session, clock, group=group)


def test_endorsing_twice_is_one_endorsement_and_withdrawing_removes_it(
    session: Session, clock: FixedClock, comment: Comment
) -> None:
    someone = person(session, clock, CIVIL)

    assert endorse(session, clock, someone, comment.id) is True
    assert endorse(session, clock, someone, comment.id) is False
    assert counts_by_group(session, [comment.id]) == {comment.id: {CIVIL: 1}}
    assert endorsed_by(session, someone.id, [comment.id]) == {comment.id}

    assert withdraw(session, clock, someone, comment.id) is True
    assert withdraw(session, clock, someone, comment.id) is False
    assert counts_by_group(session, [comment.id]) == {comment.id: {}}
    assert endorsed_by(session, someone.id, [comment.id]) == frozenset()


def test_counts_are_by_group_for_many_comments_in_one_query(
    session: Session, clock: FixedClock, consultation: Consultation, comment: Comment
) -> None:
    other = comment_on(session, clock, consultation, author=make_user(session, clock), ordinal=2)
    unendorsed = comment_on(
        session, clock, consultation, author=make_user(session, clock), ordinal=3
    )
    for group in (CIVIL, CIVIL, ACADEMIA):
        endorse(session, clock, person(session, clock, group), comment.id)
    endorse(session, clock, person(session, clock, GOVERNMENT), other.id)
    session.flush()
    statements: list[str] = []
    listen = event.listens_for(session.get_bind(), "before_cursor_execute")
    listen(lambda *args: statements.append(args[2]))

    counts = counts_by_group(session, [comment.id, other.id, unendorsed.id])

    assert counts == {
        comment.id: {ACADEMIA: 1, CIVIL: 2},
        other.id: {GOVERNMENT: 1},
        unendorsed.id: {},
    }
    assert list(counts[comment.id]) == [ACADEMIA, CIVIL]  # in StakeholderGroup order
    assert len(statements) == 1
    assert counts_by_group(session, []) == {}


def test_the_group_is_the_one_the_endorser_had_when_they_endorsed(
    session: Session, clock: FixedClock, comment: Comment
) -> None:
    someone = person(session, clock, ACADEMIA)
    endorse(session, clock, someone, comment.id)
    someone.stakeholder_group = GOVERNMENT
    endorse(session, clock, someone, comment.id)  # again: nothing changes

    assert counts_by_group(session, [comment.id]) == {comment.id: {ACADEMIA: 1}}


def test_who_may_endorse(
    session: Session, clock: FixedClock, consultation: Consultation, comment: Comment
) -> None:
    assert comment.author_id is not None
    author = session.get(User, comment.author_id)
    with pytest.raises(NotSignedIn):
        endorse(session, clock, None, comment.id)
    with pytest.raises(NotAllowed):
        endorse(session, clock, author, comment.id)
    with pytest.raises(NotAllowed):  # an unconfirmed address
        endorse(session, clock, make_user(session, clock, email_verified=False), comment.id)
    with pytest.raises(InvalidInput):
        endorse(session, clock, person(session, clock, None), comment.id)
    with pytest.raises(NotFound):
        endorse(session, clock, person(session, clock, CIVIL), comment.id + 1000)
    assert counts_by_group(session, [comment.id]) == {comment.id: {}}


def test_endorsements_stand_still_once_the_comment_period_is_over(
    session: Session, clock: FixedClock, consultation: Consultation, comment: Comment
) -> None:
    someone = person(session, clock, CIVIL)
    endorse(session, clock, someone, comment.id)
    clock.advance(timedelta(days=31))

    with pytest.raises(Conflict):
        endorse(session, clock, person(session, clock, ACADEMIA), comment.id)
    with pytest.raises(Conflict):
        withdraw(session, clock, someone, comment.id)
    assert counts_by_group(session, [comment.id]) == {comment.id: {CIVIL: 1}}
