"""A person's data: the export holds everything about them and no secret; deleting the
account keeps their comments, de-identified to the stakeholder group."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import ApiToken, Identity, User
from accounts.privacy import FORMER_PARTICIPANT, delete_account, export_my_data
from accounts.profiles import ProfileService
from accounts.tokens import TokenService
from app.urls import app_paths
from consultations.models import Comment, Consultation, Endorsement
from core.audit import AuditEvent
from core.clock import FixedClock
from core.enums import Attribution, Role, StakeholderGroup
from core.outbox import SEARCH, OutboxEvent
from tests.factories import comment_on, make_user, open_consultation

NAME, ORGANISATION = "Olena Kovalenko", "Bureau of Quiet Diplomacy"


@pytest.fixture
def person(session: Session, clock: FixedClock) -> User:
    user = make_user(session, clock, name=NAME, organisation=ORGANISATION)
    user.email = "olena@example.org"
    session.add(
        Identity(user_id=user.id, provider="google", subject="1234", created_at=clock.now())
    )
    return user


@pytest.fixture
def consultation(session: Session, clock: FixedClock) -> Consultation:
    return open_consultation(session, clock, slug="end-users", paragraphs=4)


def test_the_export_holds_their_data_and_no_secret(
    session: Session, clock: FixedClock, person: User, consultation: Consultation
) -> None:
    ProfileService(session, clock=clock).update(person, NAME, "government", ORGANISATION, "UA")
    secret = TokenService(session, clock=clock).create(person, "Script", "write")
    comment = comment_on(session, clock, consultation, author=person, attribution="group")
    other = comment_on(session, clock, consultation, author=make_user(session, clock), ordinal=2)
    session.add(
        Endorsement(
            comment_id=other.id,
            user_id=person.id,
            stakeholder_group=StakeholderGroup.GOVERNMENT,
            created_at=clock.now(),
        )
    )
    session.flush()

    data = export_my_data(session, person, app_paths())
    text = json.dumps(data)

    assert data["profile"]["email"] == "olena@example.org"
    assert data["organisation"]["name"] == ORGANISATION
    [exported] = data["comments"]
    assert exported["id"] == comment.id and exported["body"] == comment.body
    assert exported["consultation"]["slug"] == "end-users"
    assert exported["paragraph_key"] == comment.thread.paragraph_key
    assert exported["attribution"] == "group" and exported["public_author_label"] == "Government"
    assert [e["comment_id"] for e in data["endorsements"]] == [other.id]
    assert data["endorsements"][0]["stakeholder_group"] == "government"
    assert [t["name"] for t in data["api_tokens"]] == ["Script"]
    assert data["sign_in_identities"][0]["provider"] == "google"
    [token] = session.scalars(select(ApiToken)).all()
    assert secret not in text and token.token_hash not in text
    assert person.password_hash is not None and person.password_hash not in text
    assert "token_hash" not in text and "password_hash" not in text


def test_deleting_keeps_comments_attributed_to_the_group_only(
    session: Session, clock: FixedClock, person: User, consultation: Consultation
) -> None:
    named = comment_on(session, clock, consultation, author=person, attribution="named")
    by_organisation = comment_on(
        session, clock, consultation, author=person, attribution="organisation", ordinal=2
    )
    someone = make_user(session, clock, name="Taras Shevchenko")
    theirs = comment_on(session, clock, consultation, author=someone, ordinal=3)
    TokenService(session, clock=clock).create(person, "Script", "write")
    session.add(
        Endorsement(
            comment_id=theirs.id,
            user_id=person.id,
            stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
            created_at=clock.now(),
        )
    )
    session.flush()
    person_id = person.id
    events_before = session.scalar(select(func.max(OutboxEvent.id))) or 0

    delete_account(session, person, clock=clock)
    session.expire_all()

    assert session.get(User, person_id) is None
    for comment_id in (named.id, by_organisation.id):
        comment = session.get(Comment, comment_id)
        assert comment is not None
        assert comment.attribution == Attribution.GROUP and comment.author_id is None
        assert (comment.author_name, comment.organisation) == (FORMER_PARTICIPANT, None)
    untouched = session.get(Comment, theirs.id)
    assert untouched is not None and untouched.author_name == "Taras Shevchenko"
    assert session.scalar(select(func.count(ApiToken.id))) == 0
    assert session.scalar(select(func.count(Identity.id))) == 0
    assert session.scalar(select(func.count()).select_from(Endorsement)) == 0
    reindex = session.scalars(
        select(OutboxEvent).where(OutboxEvent.id > events_before, OutboxEvent.topic == SEARCH)
    ).all()
    assert [(e.kind, e.payload) for e in reindex] == [("consultation", {"id": consultation.id})]
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.delete"))
    assert event.subject_id == person_id and "olena" not in json.dumps(event.details)


def test_an_anonymous_comment_stays_anonymous(
    session: Session, clock: FixedClock, person: User, consultation: Consultation
) -> None:
    consultation.allow_anonymous = True
    comment = comment_on(session, clock, consultation, author=person, attribution="anonymous")

    delete_account(session, person, clock=clock)
    session.expire_all()

    kept = session.get(Comment, comment.id)
    assert kept is not None and kept.attribution == Attribution.ANONYMOUS
    assert kept.author_name == FORMER_PARTICIPANT


def test_people_who_verified_or_wrote_survive_an_admins_deletion(
    session: Session, clock: FixedClock, person: User
) -> None:
    admin = make_user(session, clock, role=Role.ADMIN)
    ProfileService(session, clock=clock).verify_affiliation(admin, person)
    session.flush()

    delete_account(session, admin, clock=clock)
    session.expire_all()

    survivor = session.get(User, person.id)
    assert survivor is not None and survivor.affiliation_verified_at is not None
    assert survivor.affiliation_verified_by_id is None
