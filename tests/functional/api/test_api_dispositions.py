"""PUT /api/v1/threads/{id}/disposition and POST /api/v1/threads/{id}/contest: the editor's
decision and the commenter's one objection, with the same rules as the pages, shown in the
thread's JSON and in the brief's annex."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from briefs.models import DispositionContest
from core.clock import FixedClock
from core.outbox import MAIL, OutboxEvent
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

DISPOSITION = "/threads/{thread_id}/disposition"
CONTEST = "/threads/{thread_id}/contest"


def a_thread(session: Session, clock: FixedClock, world: World) -> int:
    thread_id = comment_on(session, clock, world.consultation, author=world.participant).thread_id
    session.commit()
    return thread_id


def test_an_editor_decides_a_thread_and_its_commenter_is_told(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    thread_id = a_thread(session, clock, world)

    response = browser.put(
        f"{API}/threads/{thread_id}/disposition",
        json={"disposition": "partially_accepted", "rationale": "The principle is kept."},
        headers=bearer(token(session, clock, chief)),
    )

    assert response.status_code == 200, response.text
    assert_documented(response, DISPOSITION, "put")
    body = response.json()
    assert (body["id"], body["disposition"], body["rationale"], body["status"]) == (
        thread_id,
        "partially_accepted",
        "The principle is kept.",
        "resolved",
    )
    assert body["contest"] is None
    told = select(OutboxEvent).where(OutboxEvent.topic == MAIL, OutboxEvent.kind != "receipt")
    mail = session.scalars(told).all()
    assert [(m.kind, m.payload) for m in mail] == [
        ("disposition", {"thread_id": thread_id, "user_id": world.participant.id})
    ]


def test_a_decision_without_rationale_is_a_422(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    thread_id = a_thread(session, clock, world)
    response = browser.put(
        f"{API}/threads/{thread_id}/disposition",
        json={"disposition": "not_accepted"},
        headers=bearer(token(session, clock, chief)),
    )
    assert_error(response, 422, "invalid", fields=("rationale",))
    missing = browser.put(
        f"{API}/threads/987654/disposition",
        json={"disposition": "noted"},
        headers=bearer(token(session, clock, chief)),
    )
    assert_error(missing, 404, "not_found")


@NOT_AN_EDITORS_WRITE_TOKEN
def test_only_an_editors_write_token_decides(
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
    thread_id = a_thread(session, clock, world)
    headers = credentials(session, clock, who, scope, editor=chief, participant=world.participant)
    response = browser.put(
        f"{API}/threads/{thread_id}/disposition", json={"disposition": "noted"}, headers=headers
    )
    assert_error(response, status, code)


def test_a_commenter_contests_once_after_the_brief_and_the_annex_shows_it(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    thread_id = a_thread(session, clock, world)
    editor_headers = bearer(token(session, clock, chief))
    commenter = bearer(world.write_token)
    url = f"{API}/threads/{thread_id}/contest"
    reason = {"reason": "The rationale ignores the research we cited."}

    undecided = browser.post(url, json=reason, headers=commenter)
    assert_error(undecided, 409, "conflict")
    browser.put(
        f"{API}/threads/{thread_id}/disposition",
        json={"disposition": "not_accepted", "rationale": "Out of balance."},
        headers=editor_headers,
    )
    before_brief = browser.post(url, json=reason, headers=commenter)
    assert_error(before_brief, 409, "conflict")
    publish_brief(
        session,
        clock,
        "findings",
        by=chief,
        body=f"See [[thread:{thread_id}]].",
        consultation_slug=world.slug,
    )

    response = browser.post(url, json=reason, headers=commenter)

    assert response.status_code == 201, response.text
    assert_documented(response, CONTEST, "post")
    assert response.json()["reason"] == reason["reason"]
    assert response.json()["disposition"] == "not_accepted"
    assert response.json()["answer"] is None
    assert response.headers["location"].endswith(f"#t-{thread_id}")
    again = browser.post(url, json={"reason": "Still."}, headers=commenter)
    assert_error(again, 409, "conflict")
    assert_documented(again, CONTEST, "post")

    session.expire_all()
    contest = session.scalars(select(DispositionContest)).one()
    contest.answer, contest.answered_at = "The research was weighed in paragraph 4.", clock.now()
    session.commit()
    brief = browser.get(f"{API}/briefs/findings")
    assert_documented(brief, "/briefs/{slug}")
    [row] = brief.json()["annex"]["dispositions"]
    assert (row["disposition"], row["contest"]["reason"], row["contest"]["answer"]) == (
        "not_accepted",
        reason["reason"],
        "The research was weighed in paragraph 4.",
    )
    threads = browser.get(f"{API}/consultations/{world.slug}/threads").json()["items"]
    assert threads[0]["contest"]["answer"] == "The research was weighed in paragraph 4."


def test_only_a_commenter_of_the_thread_may_contest(
    browser: Browser, world: World, session: Session, clock: FixedClock, chief: User
) -> None:
    thread_id = a_thread(session, clock, world)
    url = f"{API}/threads/{thread_id}/contest"
    others = browser.post(url, json={"reason": "No."}, headers=bearer(token(session, clock, chief)))
    assert_error(others, 403, "forbidden")
    nobody = browser.post(url, json={"reason": "No."})
    assert_error(nobody, 401, "unauthorized")
    blank = browser.post(url, json={"reason": "  "}, headers=bearer(world.write_token))
    assert_error(blank, 422, "invalid", fields=("reason",))
    missing = browser.post(
        f"{API}/threads/987654/contest", json={"reason": "No."}, headers=bearer(world.write_token)
    )
    assert_error(missing, 404, "not_found")
