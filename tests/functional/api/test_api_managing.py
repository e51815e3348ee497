"""PUT /api/v1/consultations/{slug}/status and …/rules: an editor's token runs the
consultation, through the same use cases as the dashboard's forms.

Every refusal leaves the consultation as it was; every change is in the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from consultations.models import Consultation
from core.audit import AuditEvent
from core.clock import FixedClock
from core.enums import ConsultationStatus
from tests.functional.api.conftest import World
from tests.functional.api.support import (
    API,
    NOT_AN_EDITORS_WRITE_TOKEN,
    assert_documented,
    assert_error,
    bearer,
    credentials,
    token,
)
from tests.functional.conftest import Browser


def reread(session: Session, world: World) -> Consultation:
    session.expire_all()
    consultation = session.get(Consultation, world.consultation.id)
    assert consultation is not None
    return consultation


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_editor_closes_and_reopens_a_consultation(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    headers = bearer(token(session, clock, chief))
    url = f"{API}/consultations/{world.slug}/status"

    closed = browser.put(url, json={"status": "closed"}, headers=headers)

    assert closed.status_code == 200, closed.text
    assert_documented(closed, "/consultations/{slug}/status", "put")
    assert closed.json()["status"] == closed.json()["phase"] == "closed"
    assert reread(session, world).status == ConsultationStatus.CLOSED
    reopened = browser.put(url, json={"status": "open"}, headers=headers)
    assert reopened.json()["phase"] == "open" and reopened.json()["closes_at"] is None
    assert actions(session)[-2:] == ["consultation.closed", "consultation.open"]


def test_a_consultation_does_not_go_back_from_synthesis_to_open(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    headers = bearer(token(session, clock, chief))
    url = f"{API}/consultations/{world.slug}/status"
    assert browser.put(url, json={"status": "synthesis"}, headers=headers).status_code == 200

    refused = browser.put(url, json={"status": "open"}, headers=headers)

    assert_error(refused, 409, "conflict")
    assert reread(session, world).status == ConsultationStatus.SYNTHESIS


def test_an_editor_sets_the_comment_period_and_anonymity(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    opens = clock.now() + timedelta(days=1)
    body = {
        "opens_at": opens.isoformat(),
        "closes_at": "2027-02-01T18:00",  # no offset: UTC, as the dashboard's form sends it
        "allow_anonymous": True,
    }

    response = browser.put(
        f"{API}/consultations/{world.slug}/rules",
        json=body,
        headers=bearer(token(session, clock, chief)),
    )

    assert response.status_code == 200, response.text
    assert_documented(response, "/consultations/{slug}/rules", "put")
    answer = response.json()
    assert answer["phase"] == "scheduled" and answer["allow_anonymous"] is True
    assert datetime.fromisoformat(answer["closes_at"]) == datetime(2027, 2, 1, 18, tzinfo=UTC)
    consultation = reread(session, world)
    assert consultation.allow_anonymous and consultation.opens_at is not None
    assert actions(session)[-1] == "consultation.rules"


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("status", {"status": "finished"}, "status"),
        ("status", {}, "status"),
        ("status", {"status": "closed", "why": "x"}, "why"),
        ("rules", {"opens_at": "next Tuesday"}, "opens_at"),
        ("rules", {"opens_at": "2027-02-01T00:00Z", "closes_at": "2027-01-01T00:00Z"}, "closes_at"),
        ("rules", {"allow_anonymous": "perhaps"}, "allow_anonymous"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    browser: Browser,
    world: World,
    session: Session,
    clock: FixedClock,
    chief: User,
    path: str,
    payload: dict[str, object],
    field: str,
) -> None:
    before = actions(session)

    response = browser.put(
        f"{API}/consultations/{world.slug}/{path}",
        json=payload,
        headers=bearer(token(session, clock, chief)),
    )

    assert_error(response, 422, fields=(field,))
    consultation = reread(session, world)
    assert consultation.status == ConsultationStatus.OPEN and not consultation.allow_anonymous
    assert actions(session) == before


@NOT_AN_EDITORS_WRITE_TOKEN
@pytest.mark.parametrize("path", ["status", "rules"])
def test_only_an_editors_write_token_runs_a_consultation(
    browser: Browser,
    world: World,
    session: Session,
    clock: FixedClock,
    chief: User,
    who: str | None,
    scope: str | None,
    status: int,
    code: str,
    path: str,
) -> None:
    headers = credentials(session, clock, who, scope, editor=chief, participant=world.participant)

    response = browser.put(
        f"{API}/consultations/{world.slug}/{path}",
        json={"status": "closed"} if path == "status" else {"allow_anonymous": True},
        headers=headers,
    )

    assert_error(response, status, code)
    consultation = reread(session, world)
    assert consultation.status == ConsultationStatus.OPEN and not consultation.allow_anonymous


def test_an_unknown_consultation_is_a_404(
    browser: Browser, session: Session, clock: FixedClock, chief: User
) -> None:
    response = browser.put(
        f"{API}/consultations/no-such-thing/status",
        json={"status": "closed"},
        headers=bearer(token(session, clock, chief)),
    )

    assert_error(response, 404)
