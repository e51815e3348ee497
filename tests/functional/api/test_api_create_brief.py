"""POST /api/v1/briefs: an editor's token starts a brief, and publishes it if asked.

The same `create_brief` runs behind the editor's form; every refusal leaves no brief behind.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from briefs.models import Brief
from core.clock import FixedClock
from tests.factories import comment_on
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
from tests.functional.api.test_api_briefs import publish_brief
from tests.functional.conftest import Browser


def briefs(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Brief.id))) or 0


def new_brief(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "consultation": world.slug,
        "slug": "end-user-findings",
        "title": "End users: findings",
        "body_markdown": "Encryption must stay strong.",
        "language": "en",
        "topics": ["encryption"],
        "publish": True,
    } | changes


def test_an_editor_publishes_a_brief_citing_a_thread_and_the_public_reads_it(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    thread = comment_on(session, clock, world.consultation, author=world.participant).thread_id
    session.commit()
    body = f"Encryption must stay strong. [[thread:{thread}]]"

    response = browser.post(
        f"{API}/briefs",
        json=new_brief(world, body_markdown=body),
        headers=bearer(token(session, clock, chief)),
    )

    assert response.status_code == 201, response.text
    assert_documented(response, "/briefs", "post")
    url = "/briefs/end-user-findings/v/1"
    assert response.json() == {
        "slug": "end-user-findings",
        "version": 1,
        "published": True,
        "url": url,
    }
    assert response.headers["location"] == url
    public = browser.get(f"{API}/briefs/end-user-findings").json()
    assert (public["title"], public["citations"], public["topics"]) == (
        "End users: findings",
        [thread],
        ["encryption"],
    )
    assert [d["thread_id"] for d in public["annex"]["dispositions"]] == [thread]


def test_without_publish_the_brief_stays_a_working_copy(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    payload = {"slug": "notes", "title": "Notes", "body_markdown": "Not yet."}

    response = browser.post(
        f"{API}/briefs", json=payload, headers=bearer(token(session, clock, chief))
    )

    assert response.status_code == 201, response.text
    assert response.json() == {
        "slug": "notes",
        "version": 1,
        "published": False,
        "url": "/briefs/notes/edit",
    }
    assert_error(browser.get(f"{API}/briefs/notes"), 404, "not_found")
    assert briefs(session) == 1


@NOT_AN_EDITORS_WRITE_TOKEN
def test_only_an_editors_write_token_creates(
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

    response = browser.post(f"{API}/briefs", json=new_brief(world), headers=headers)

    assert_error(response, status, code)
    assert briefs(session) == 0


def test_a_participant_learns_nothing_from_an_invalid_brief(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    response = browser.post(
        f"{API}/briefs",
        json={"slug": "Not A Slug"},
        headers=bearer(token(session, clock, world.participant)),
    )

    assert_error(response, 403, "forbidden")


def test_a_taken_slug_is_a_conflict(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    publish_brief(session, clock, "end-user-findings", by=chief)

    response = browser.post(
        f"{API}/briefs", json=new_brief(world), headers=bearer(token(session, clock, chief))
    )

    error = assert_error(response, 409, "conflict", fields=("slug",))
    assert error["message"] == "A brief called “end-user-findings” already exists."
    assert_documented(response, "/briefs", "post")
    assert briefs(session) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"consultation": "no-such-consultation"}, "consultation", "no consultation has this"),
        ({"consultation": "Not A Slug"}, "consultation", "no consultation has this"),
        ({"slug": None}, "slug", "This field is required."),
        ({"slug": "Not A Slug"}, "slug", "lowercase letters"),
        ({"title": " \t"}, "title", "up to 300 characters"),
        ({"title": "x" * 301}, "title", "up to 300 characters"),
        ({"body_markdown": "Text.\x00"}, "body_markdown", "without NUL characters"),
        ({"body_markdown": "\n"}, "body_markdown", "The brief has no text."),
        ({"language": "fr"}, "language", "en or uk"),
        ({"topics": ["Not a topic"]}, "topics", "lowercase letters"),
        ({"publish": "yes"}, "publish", "true or false"),
        ({"publish": 1}, "publish", "true or false"),
        ({"summary": "New"}, "summary", "Unknown field."),
    ],
)
def test_an_invalid_brief_names_the_field(
    browser: Browser,
    world: World,
    session: Session,
    clock: FixedClock,
    chief: User,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = browser.post(
        f"{API}/briefs",
        json=new_brief(world, **changes),
        headers=bearer(token(session, clock, chief)),
    )

    error = assert_error(response, 422, "invalid", fields=(field,))
    assert error["message"] == "The brief could not be created."
    assert message in error["fields"][field]
    assert_documented(response, "/briefs", "post")
    assert briefs(session) == 0


def test_publishing_at_once_a_citation_of_another_consultation_leaves_no_brief(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    response = browser.post(
        f"{API}/briefs",
        json=new_brief(world, body_markdown="See [[thread:987654]]."),
        headers=bearer(token(session, clock, chief)),
    )

    error = assert_error(response, 422, "invalid", fields=("body_markdown",))
    assert "[[thread:987654]]" in error["message"]
    assert briefs(session) == 0
