"""POST /api/v1/consultations/{slug}/versions: an editor's token publishes the next version.

The answer says what became of the threads; every refusal leaves the current version as it
was.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from accounts.models import User
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus
from tests.factories import comment_on, numbered_markdown
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

TEMPLATE = "/consultations/{slug}/versions"


def current(session: Session, clock: FixedClock, world: World) -> int:
    session.expire_all()
    return ConsultationService(session, clock=clock).version(world.consultation).number


def test_an_editor_publishes_a_version_and_learns_what_became_of_the_threads(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    for ordinal in (1, 2, 2, 3):
        comment_on(session, clock, world.consultation, author=world.participant, ordinal=ordinal)
    blocks = numbered_markdown(8).split("\n\n")
    blocks[1] = blocks[1].replace("(2)", "(2), as the second round asked")
    del blocks[2]
    secret = token(session, clock, chief)

    response = browser.post(
        f"{API}/consultations/{world.slug}/versions",
        json={"markdown": "\n\n".join(blocks), "change_note": "After the first round"},
        headers=bearer(secret),
    )

    assert response.status_code == 201, response.text
    assert_documented(response, TEMPLATE, "post")
    # Two threads on the edited paragraph (two comments there started two threads).
    assert response.json() == {"version": 2, "kept": 1, "outdated": 2, "orphaned": 1}
    assert response.headers["location"] == f"/consultations/{world.slug}/v/2"
    page = browser.get(f"{API}/consultations/{world.slug}").json()
    assert page["version"] == 2
    assert [p["key"] for p in page["paragraphs"]] == world.keys[:2] + world.keys[3:]
    assert page["paragraphs"][1]["text"].endswith("(2), as the second round asked")


def test_a_draft_larger_than_a_comment_body_is_accepted(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    markdown = numbered_markdown(900)  # some 150 KB: over the 64 KiB of other bodies
    assert len(markdown.encode()) > 64 * 1024

    response = browser.post(
        f"{API}/consultations/{world.slug}/versions",
        json={"markdown": markdown},
        headers=bearer(token(session, clock, chief)),
    )

    assert response.status_code == 201, response.text
    assert response.json()["orphaned"] == 0 and current(session, clock, world) == 2


@NOT_AN_EDITORS_WRITE_TOKEN
def test_only_an_editors_write_token_publishes(
    browser: Browser,
    world: World,
    session: Session,
    clock: FixedClock,
    chief: User,
    who: str | None,
    scope: str | None,
    status: int,
    code: str,
) -> None:
    headers = credentials(session, clock, who, scope, editor=chief, participant=world.participant)

    response = browser.post(
        f"{API}/consultations/{world.slug}/versions", json={"markdown": "Mine."}, headers=headers
    )

    assert_error(response, status, code)
    assert current(session, clock, world) == 1


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "markdown", "This field is required."),
        ({"markdown": None}, "markdown", "This field is required."),
        ({"markdown": " \n\t "}, "markdown", "The draft has no text."),
        ({"markdown": "Text.", "change_note": "x" * 2001}, "change_note", "limited to 2,000"),
        ({"markdown": "Text.\x00"}, "markdown", "without NUL characters"),
        ({"markdown": 7}, "markdown", "Must be a string."),
        ({"markdown": "Text.", "title": "New"}, "title", "Unknown field."),
    ],
)
def test_an_invalid_version_names_the_field(
    browser: Browser,
    world: World,
    session: Session,
    clock: FixedClock,
    chief: User,
    payload: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = browser.post(
        f"{API}/consultations/{world.slug}/versions",
        json=payload,
        headers=bearer(token(session, clock, chief)),
    )

    error = assert_error(response, 422, "invalid", fields=(field,))
    assert error["message"] == "The version could not be published."
    assert message in error["fields"][field]
    assert current(session, clock, world) == 1


def test_a_published_consultation_is_not_revised_and_an_unknown_one_not_found(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    service = ConsultationService(session, clock=clock)
    for status in (ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED):
        service.set_status(world.consultation, status, editor=chief)
    headers = bearer(token(session, clock, chief))
    body = {"markdown": "A late change."}

    published = browser.post(
        f"{API}/consultations/{world.slug}/versions", json=body, headers=headers
    )
    unknown = browser.post(f"{API}/consultations/no-such/versions", json=body, headers=headers)
    malformed = browser.post(f"{API}/consultations/No%20Such/versions", json=body, headers=headers)

    assert_error(published, 409, "conflict")
    assert_error(unknown, 404, "not_found")
    assert_error(malformed, 404, "not_found")
    assert current(session, clock, world) == 1
