"""POST / DELETE /api/v1/comments/{id}/endorsement, and the counts in the threads API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultations.models import Comment, Endorsement
from core.clock import FixedClock
from core.enums import StakeholderGroup
from tests.factories import comment_on, make_user
from tests.functional.api.conftest import World
from tests.functional.api.support import API, assert_documented, assert_error, bearer, token
from tests.functional.conftest import Browser

PATH = "/comments/{comment_id}/endorsement"


def _comment(session: Session, clock: FixedClock, world: World) -> Comment:
    author = make_user(session, clock, group=StakeholderGroup.ACADEMIA)
    comment = comment_on(session, clock, world.consultation, author=author, suggestion="Users.")
    session.commit()
    return comment


def _endorsements(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Endorsement)) or 0


def test_endorse_is_idempotent_and_withdrawing_is_204(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    comment = _comment(session, clock, world)
    url, headers = f"{API}/comments/{comment.id}/endorsement", bearer(world.write_token)

    first = browser.post(url, headers=headers)
    again = browser.post(url, headers=headers)

    assert first.status_code == 201 and again.status_code == 200
    assert_documented(first, PATH, "post")
    assert_documented(again, PATH, "post")
    assert again.json() == {
        "comment_id": comment.id,
        "endorsed": True,
        "endorsements": {"government": 1},
    }
    assert _endorsements(session) == 1

    gone = browser.delete(url, headers=headers)
    assert gone.status_code == 204 and gone.content == b""
    assert browser.delete(url, headers=headers).status_code == 204
    assert _endorsements(session) == 0


def test_the_threads_api_counts_endorsements_by_group(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    comment = _comment(session, clock, world)
    others = [
        token(session, clock, make_user(session, clock, group=group))
        for group in (StakeholderGroup.CIVIL_SOCIETY, StakeholderGroup.CIVIL_SOCIETY)
    ]
    for secret in [world.write_token, *others]:
        response = browser.post(f"{API}/comments/{comment.id}/endorsement", headers=bearer(secret))
        assert response.status_code == 201

    response = browser.get(f"{API}/consultations/{world.slug}/threads")

    assert_documented(response, "/consultations/{slug}/threads")
    [thread] = response.json()["items"]
    assert thread["comments"][0]["endorsements"] == {"government": 1, "civil_society": 2}


def test_who_may_not_endorse(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    comment = _comment(session, clock, world)
    url = f"{API}/comments/{comment.id}/endorsement"
    assert comment.author_id is not None
    author = session.get(type(world.participant), comment.author_id)
    assert author is not None

    assert_error(browser.post(url), 401, "unauthorized")
    assert_error(browser.delete(url), 401, "unauthorized")
    assert_error(browser.post(url, headers=bearer(world.read_token)), 403, "insufficient_scope")
    own = browser.post(url, headers=bearer(token(session, clock, author)))
    assert_error(own, 403, "forbidden")
    assert_documented(own, PATH, "post")
    missing = browser.post(
        f"{API}/comments/{comment.id + 99}/endorsement", headers=bearer(world.write_token)
    )
    assert_error(missing, 404, "not_found")
    assert _endorsements(session) == 0


def test_no_endorsing_once_the_comment_period_is_over(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    comment = _comment(session, clock, world)
    clock.advance(timedelta(days=31))

    response = browser.post(
        f"{API}/comments/{comment.id}/endorsement", headers=bearer(world.write_token)
    )

    assert_error(response, 409, "conflict")
    assert _endorsements(session) == 0
