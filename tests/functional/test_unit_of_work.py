"""One transaction per request, off the event loop (see `UnitOfWorkGuard` in conftest.py,
under which every functional test runs), and what the busiest requests cost in SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from accounts.services import AccountService
from consultations.models import Comment, Thread
from core.clock import FixedClock
from core.db import unit_of_work
from core.enums import Disposition
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, Tally, page, text_of


def _one_transaction(request: Request) -> None:
    with unit_of_work(request.app.state.sessions) as session:
        session.execute(text("SELECT 1"))


async def two_transactions(request: Request) -> Response:
    await run_in_threadpool(_one_transaction, request)
    await run_in_threadpool(_one_transaction, request)
    return PlainTextResponse("done")


async def on_the_loop(request: Request) -> Response:
    _one_transaction(request)
    return PlainTextResponse("done")


@pytest.mark.parametrize(
    ("route", "complaint"),
    [(two_transactions, "opened 2 transactions"), (on_the_loop, "on the event loop")],
)
def test_the_guard_fails_a_route_that_breaks_the_rule(
    app: Starlette, browser: Browser, route: object, complaint: str
) -> None:
    app.router.routes.insert(0, Route("/broken", route))  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match=complaint):
        browser.get("/broken")


@pytest.fixture
def scene(session: Session, clock: FixedClock) -> dict[str, str]:
    chief = editor(session, clock, email="chief@example.org")
    consultation = open_consultation(session, clock, slug="costs", paragraphs=6, by=chief)
    author = make_user(session, clock, email="author@example.org", name="Ada Author")
    comment = comment_on(session, clock, consultation, author=author, ordinal=2)
    token = AccountService(session, clock=clock).create_token(author, "write")
    session.commit()
    return {"key": comment.thread.paragraph_key, "thread": str(comment.thread_id), "token": token}


def _last(tallies: list[Tally], method: str) -> Tally:
    return [tally for tally in tallies if tally.method == method][-1]


def test_each_comment_post_is_one_transaction(
    browser: Browser, scene: dict[str, str], tallies: list[Tally], session: Session
) -> None:
    browser.sign_in("author@example.org")
    form = {"body": "By htmx.", "stance": "support", "attribution": "group"}
    htmx = browser.form(
        f"/consultations/costs/p/{scene['key']}/comments", form, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 200
    comments = [c.get_text(" ", strip=True) for c in page(htmx).select(".comment")]
    assert any("By htmx." in comment for comment in comments)
    assert _last(tallies, "POST").transactions == 1

    api = browser.post(
        f"/api/v1/consultations/costs/paragraphs/{scene['key']}/comments",
        json={"body": "By the API.", "stance": "support", "attribution": "group"},
        headers={"Authorization": f"Bearer {scene['token']}"},
    )
    assert api.status_code == 201
    assert _last(tallies, "POST").transactions == 1
    bodies = set(session.scalars(select(Comment.body)))
    assert {"By htmx.", "By the API."} <= bodies


def test_a_refused_comment_shows_the_form_again_in_the_same_transaction(
    browser: Browser, scene: dict[str, str], tallies: list[Tally]
) -> None:
    browser.sign_in("author@example.org")
    refused = browser.form(
        f"/consultations/costs/p/{scene['key']}/comments",
        {"body": "", "stance": "support", "attribution": "group"},
    )
    assert refused.status_code == 422
    assert page(refused).select_one("form.comment-form") is not None
    assert _last(tallies, "POST").transactions == 1


def test_a_disposition_by_htmx_is_one_transaction_and_returns_the_card(
    browser: Browser, scene: dict[str, str], tallies: list[Tally], session: Session
) -> None:
    browser.sign_in("chief@example.org")
    response = browser.form(
        f"/consultations/costs/threads/{scene['thread']}/disposition",
        {"disposition": "accepted", "rationale": "Agreed with the author."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    card = page(response)
    assert text_of(card, f"#card-{scene['thread']} .disposition-label") == "Accepted"
    assert _last(tallies, "POST").transactions == 1
    thread = session.get(Thread, int(scene["thread"]))
    assert thread is not None
    session.refresh(thread)
    assert thread.disposition == Disposition.ACCEPTED


def test_an_error_page_needs_no_second_transaction(
    browser: Browser, tallies: list[Tally], scene: dict[str, str]
) -> None:
    browser.sign_in("author@example.org")
    missing = browser.get("/consultations/costs/p/nosuchkey")
    assert missing.status_code == 404
    assert text_of(page(missing), ".who") == "Ada Author"
    assert _last(tallies, "GET").transactions == 1
    unknown = browser.get("/no/such/page")
    assert unknown.status_code == 404
    assert text_of(page(unknown), ".who") == "Ada Author", "the header shows who is signed in"
    assert _last(tallies, "GET").transactions == 1
