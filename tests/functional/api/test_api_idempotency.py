"""Retries never double-post: the comment API's `Idempotency-Key`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.services import AccountService
from consultations.models import Comment
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.db import make_sessionmaker, unit_of_work
from core.enums import StakeholderGroup
from tests.conftest import scratch_database
from tests.factories import make_user, open_consultation
from tests.functional.api.conftest import World
from tests.functional.api.support import API, assert_documented, assert_error, bearer, written
from tests.functional.conftest import Browser, app_with

TEMPLATE = "/consultations/{slug}/paragraphs/{key}/comments"
GOOD = {"body": "Encryption protects end users.", "stance": "oppose", "attribution": "group"}


def url(world: World) -> str:
    return f"{API}/consultations/{world.slug}/paragraphs/{world.keys[2]}/comments"


def keyed(world: World, key: str) -> dict[str, str]:
    return bearer(world.write_token) | {"Idempotency-Key": key}


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer_and_posts_nothing(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    first = browser.post(url(world), json=GOOD, headers=keyed(world, "retry-1"))
    clock.advance(timedelta(hours=23))
    # Key order and spacing differ: the body is the same JSON.
    again = browser.post(
        url(world),
        content='{"attribution":"group", "stance":"oppose",'
        '"body":"Encryption protects end users."}',
        headers=keyed(world, "retry-1") | {"Content-Type": "application/json"},
    )

    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert_documented(again, TEMPLATE, "post")
    assert written(session) == (1, 1)


def test_the_same_key_with_another_body_is_refused(
    browser: Browser, world: World, session: Session
) -> None:
    browser.post(url(world), json=GOOD, headers=keyed(world, "retry-2"))

    other = browser.post(url(world), json=GOOD | {"body": "Other"}, headers=keyed(world, "retry-2"))

    assert_error(other, 422, "idempotency_key_reused", fields=("Idempotency-Key",))
    assert_documented(other, TEMPLATE, "post")
    assert written(session) == (1, 1)


def test_keys_are_per_user_and_expire_after_a_day(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    other = make_user(session, clock, group=StakeholderGroup.ACADEMIA)
    other_token = AccountService(session, clock=clock).create_token(other, "write")
    session.commit()

    mine = browser.post(url(world), json=GOOD, headers=keyed(world, "shared"))
    theirs = browser.post(
        url(world), json=GOOD, headers=bearer(other_token) | {"Idempotency-Key": "shared"}
    )
    clock.advance(timedelta(hours=24, seconds=1))
    later = browser.post(url(world), json=GOOD, headers=keyed(world, "shared"))

    assert {mine.status_code, theirs.status_code, later.status_code} == {201}
    assert len({mine.json()["id"], theirs.json()["id"], later.json()["id"]}) == 3
    assert "idempotent-replayed" not in later.headers
    assert written(session) == (3, 3)  # each a new thread


def test_a_malformed_key_is_a_400_and_posts_nothing(
    browser: Browser, world: World, session: Session
) -> None:
    for key in ("", "x" * 256, "caf\u00e9".encode("latin-1"), "tab\there"):
        headers = [*bearer(world.write_token).items(), ("Idempotency-Key", key)]
        response = browser.post(url(world), json=GOOD, headers=headers)
        assert_error(response, 400, "invalid_parameter", fields=("Idempotency-Key",))
    assert written(session) == (0, 0)


def test_without_credentials_a_keyed_request_is_a_401(browser: Browser, world: World) -> None:
    response = browser.post(url(world), json=GOOD, headers={"Idempotency-Key": "k"})
    assert_error(response, 401, "unauthorized")


# -- two copies of one request at the same moment -------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def committing_world(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Browser, Browser, World, Session]]:
    """A real database whose transactions commit (the rolled-back test connection could not
    serve two requests at once), and two clients of one app on it."""
    with scratch_database(request.param, tmp_path, "roundtable_idempotency") as (_url, engine):
        sessions = make_sessionmaker(engine)
        clock = FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        with unit_of_work(sessions) as session:
            consultation = open_consultation(session, clock, paragraphs=3, slug="race")
            service = ConsultationService(session, clock=clock)
            keys = [p.key for p in service.paragraphs(service.version(consultation))]
            user = make_user(session, clock, group=StakeholderGroup.GOVERNMENT)
            token = AccountService(session, clock=clock).create_token(user, "write")
        world = World(consultation, keys, user, token, "")
        app = app_with(sessions, clock, tmp_path)
        with (
            Browser(app, base_url="http://testserver") as one,
            Browser(app, base_url="http://testserver") as two,
            sessions() as reader,
        ):
            yield one, two, world, reader


def _send_together(
    client: Browser, world: World, n: int, start: threading.Barrier, answers: list[httpx.Response]
) -> None:
    start.wait()
    body = GOOD | {"body": f"Round {n}"}
    answers.append(client.post(url(world), json=body, headers=keyed(world, f"race-{n}")))


def test_concurrent_copies_of_a_keyed_request_post_one_comment(
    committing_world: tuple[Browser, Browser, World, Session],
) -> None:
    one, two, world, reader = committing_world
    rounds = 4
    for n in range(rounds):
        start = threading.Barrier(2)
        answers: list[httpx.Response] = []

        threads = [
            threading.Thread(target=_send_together, args=(client, world, n, start, answers))
            for client in (one, two)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        assert answers[0].json() == answers[1].json()
    reader.expire_all()
    bodies = reader.scalars(select(Comment.body).order_by(Comment.id)).all()
    assert bodies == [f"Round {n}" for n in range(rounds)]
    assert reader.scalar(select(func.count(Comment.id))) == rounds
