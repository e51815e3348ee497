"""POST /api/v1/comments/{id}/flags: a participant's flag, its problems and its guards."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultations.models import Flag
from core.clock import FixedClock
from tests.factories import comment_on, make_user
from tests.functional.api.conftest import World
from tests.functional.api.support import API, assert_documented, assert_error, bearer, token
from tests.functional.conftest import Browser

TEMPLATE = "/comments/{comment_id}/flags"
HOSTILE = '<script>alert(1)</script>" hx-get="/x'


def _comment_id(session: Session, clock: FixedClock, world: World) -> int:
    author = make_user(session, clock)
    comment = comment_on(session, clock, world.consultation, author=author, ordinal=2)
    session.commit()
    return comment.id


def _flags(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Flag.id))) or 0


def test_a_flag_is_created(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    comment_id = _comment_id(session, clock, world)
    url = f"{API}/comments/{comment_id}/flags"
    payload = {"reason": "abuse", "note": HOSTILE}

    response = browser.post(url, json=payload, headers=bearer(world.write_token))

    assert response.status_code == 201, response.text
    assert_documented(response, TEMPLATE, "post")
    flag = response.json()
    assert flag["comment_id"] == comment_id and flag["reason"] == "abuse"
    assert flag["note"] == HOSTILE  # JSON carries text as text
    assert response.headers["location"].endswith(f"#c-{comment_id}")
    again = browser.post(url, json=payload, headers=bearer(world.write_token))
    assert_error(again, 409, "conflict")
    assert _flags(session) == 1


def test_bad_input_names_its_fields(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    url = f"{API}/comments/{_comment_id(session, clock, world)}/flags"
    headers = bearer(world.write_token)
    assert_error(
        browser.post(url, json={"reason": "rude"}, headers=headers), 422, fields=("reason",)
    )
    assert_error(
        browser.post(url, json={"reason": "other"}, headers=headers), 422, fields=("note",)
    )
    extra = browser.post(url, json={"reason": "spam", "why": "x"}, headers=headers)
    assert_error(extra, 422, fields=("why",))
    assert _flags(session) == 0


def test_guards(browser: Browser, world: World, session: Session, clock: FixedClock) -> None:
    comment_id = _comment_id(session, clock, world)
    url = f"{API}/comments/{comment_id}/flags"
    assert_error(browser.post(url, json={"reason": "spam"}), 401, "unauthorized")
    read_only = bearer(token(session, clock, world.participant, "read"))
    assert_error(browser.post(url, json={"reason": "spam"}, headers=read_only), 403)
    missing = browser.post(
        f"{API}/comments/999999/flags", json={"reason": "spam"}, headers=bearer(world.write_token)
    )
    assert_error(missing, 404, "not_found")
    assert _flags(session) == 0
