"""Abuse is contained, not turned against users: double submits, rate limits, proxies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from accounts.models import User
from accounts.services import AccountService
from consultations.models import Comment
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import StakeholderGroup
from tests.factories import make_user, open_consultation
from tests.functional.conftest import Browser, app_with, page, text_of

CLIENT_A, CLIENT_B, PROXY = ("198.51.100.7", 40000), ("198.51.100.8", 40000), ("10.0.0.2", 1)
GOOD = {"body": "End users first.", "stance": "support", "attribution": "group"}


def comments(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Comment.id))) or 0


@pytest.fixture
def key(session: Session, clock: FixedClock) -> str:
    consultation = open_consultation(session, clock, paragraphs=3, slug="end-users")
    service = ConsultationService(session, clock=clock)
    session.commit()
    return service.paragraphs(service.version(consultation))[1].key


@pytest.fixture
def people(session: Session, clock: FixedClock) -> list[User]:
    made = [make_user(session, clock, group=StakeholderGroup.ACADEMIA) for _ in range(2)]
    session.commit()
    return made


def client(app: Starlette, address: tuple[str, int] = CLIENT_A) -> Browser:
    return Browser(app, base_url="http://testserver", follow_redirects=False, client=address)


def form_of(browser: Browser, key: str) -> dict[str, str]:
    """The fields the comment form on the paragraph page carries, filled in."""
    html = page(browser.get(f"/consultations/end-users/p/{key}"))
    form = html.select_one("form.comment-form")
    assert form is not None
    hidden = {str(i["name"]): str(i["value"]) for i in form.select("input[type=hidden]")}
    assert hidden["once"]  # the one-time token
    return {**hidden, **GOOD}


# -- a double submit of the comment form ----------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_sending_the_form_twice_posts_one_comment_and_shows_it(
    browser: Browser, key: str, people: list[User], session: Session, htmx: bool
) -> None:
    browser.sign_in(people[0].email)
    fields = form_of(browser, key)
    headers = {"HX-Request": "true"} if htmx else {}

    first = browser.post(f"/consultations/end-users/p/{key}/comments", data=fields, headers=headers)
    second = browser.post(
        f"/consultations/end-users/p/{key}/comments", data=fields, headers=headers
    )

    assert comments(session) == 1
    [comment_id] = session.scalars(select(Comment.id)).all()
    if htmx:
        assert first.status_code == second.status_code == 200
        shown = page(second).select(f"#c-{comment_id}")
        assert len(shown) == 1 and GOOD["body"] in shown[0].get_text()
    else:
        assert first.status_code == second.status_code == 303
        assert second.headers["location"] == first.headers["location"]
        assert second.headers["location"].endswith(f"#c-{comment_id}")


def test_a_used_form_with_new_text_is_explained_and_keeps_the_text(
    browser: Browser, key: str, people: list[User], session: Session
) -> None:
    browser.sign_in(people[0].email)
    fields = form_of(browser, key)
    browser.post(f"/consultations/end-users/p/{key}/comments", data=fields)

    again = browser.post(
        f"/consultations/end-users/p/{key}/comments", data=fields | {"body": "Second thoughts."}
    )

    assert again.status_code == 422
    html = page(again)
    assert "already posted a comment" in text_of(html, ".threads")
    assert text_of(html, "form.comment-form textarea[name=body]") == "Second thoughts."
    assert comments(session) == 1
    resent = {**form_of(browser, key), "body": "Second thoughts."}
    sent = browser.post(f"/consultations/end-users/p/{key}/comments", data=resent)
    assert sent.status_code == 303
    assert comments(session) == 2


# -- rate limits ---------------------------------------------------------------------------


@pytest.fixture
def limited(sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path) -> Starlette:
    return app_with(
        sessions,
        clock,
        tmp_path,
        comment_rate_limit="2/minute",
        search_rate_limit="3/minute",
        forwarded_allow_ips=(PROXY[0],),
    )


def api_post(http: Browser, token: str, key: str, **headers: str) -> httpx.Response:
    url = f"/api/v1/consultations/end-users/paragraphs/{key}/comments"
    sent: httpx.Response = http.post(
        url, json=GOOD, headers={"Authorization": f"Bearer {token}", **headers}
    )
    return sent


@pytest.fixture
def tokens(session: Session, clock: FixedClock, people: list[User]) -> list[str]:
    accounts = AccountService(session, clock=clock)
    made = [accounts.create_token(person, "write") for person in people]
    session.commit()
    return made


def test_comments_are_limited_per_account(
    limited: Starlette, key: str, tokens: list[str], session: Session, clock: FixedClock
) -> None:
    with client(limited, CLIENT_A) as a, client(limited, CLIENT_B) as b:
        assert [api_post(a, tokens[0], key).status_code for _ in range(2)] == [201, 201]
        clock.advance(timedelta(seconds=20))
        refused = api_post(b, tokens[0], key)  # the same account from elsewhere
        other = api_post(b, tokens[1], key)

        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.headers["retry-after"] == "40"
        assert other.status_code == 201
        assert comments(session) == 3
        clock.advance(timedelta(seconds=40))
        assert api_post(a, tokens[0], key).status_code == 201


def test_comments_are_limited_per_address_and_the_form_keeps_the_text(
    limited: Starlette, key: str, people: list[User], tokens: list[str], session: Session
) -> None:
    with client(limited, CLIENT_A) as a, client(limited, CLIENT_A) as same_place:
        assert api_post(a, tokens[0], key).status_code == 201
        assert api_post(same_place, tokens[1], key).status_code == 201
        same_place.sign_in(people[1].email)
        fields = form_of(same_place, key) | {"body": "Typed with care."}

        refused = same_place.post(f"/consultations/end-users/p/{key}/comments", data=fields)

        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        html = page(refused)
        assert "Too many attempts" in text_of(html, ".threads")
        assert text_of(html, "form.comment-form textarea[name=body]") == "Typed with care."
    assert comments(session) == 2


def test_x_forwarded_for_counts_only_from_an_allowed_proxy(
    limited: Starlette, key: str, tokens: list[str], session: Session, clock: FixedClock
) -> None:
    """Behind the proxy, people are counted at their own addresses; from anywhere else the
    header is ignored and the sender's own address counts."""
    with client(limited, CLIENT_A) as liar:
        for n in range(2):
            sent = api_post(liar, tokens[n], key, **{"X-Forwarded-For": f"192.0.2.{n}"})
            assert sent.status_code == 201
        spoofed = api_post(liar, tokens[0], key, **{"X-Forwarded-For": "192.0.2.9"})
        assert spoofed.status_code == 429  # counted at CLIENT_A, its third there
    clock.advance(timedelta(minutes=1))
    with client(limited, PROXY) as proxy:
        # Four comments through one proxy in a minute: over 2/minute for the proxy's own
        # address, but within it for each of the three addresses it forwards for.
        for token, address in zip(tokens * 2, ("1", "2", "3", "1"), strict=True):
            forwarded = api_post(proxy, token, key, **{"X-Forwarded-For": f"192.0.2.{address}"})
            assert forwarded.status_code == 201, forwarded.text
        again = api_post(proxy, tokens[0], key, **{"X-Forwarded-For": "192.0.2.1"})
        assert again.status_code == 429
    assert comments(session) == 6


def test_searches_are_limited_per_address(limited: Starlette) -> None:
    with client(limited, CLIENT_A) as a, client(limited, CLIENT_B) as b:
        answers = [a.get("/search?q=encryption").status_code for _ in range(2)]
        answers.append(a.get("/api/v1/search?q=encryption").status_code)
        page_refused = a.get("/search?q=encryption")
        api_refused = a.get("/api/v1/search?q=encryption")
        elsewhere = b.get("/search?q=encryption")

    assert answers == [200, 200, 200]
    assert page_refused.status_code == 429 and page_refused.headers["retry-after"] == "60"
    assert "Too many attempts" in page(page_refused).get_text()
    assert api_refused.status_code == 429 and api_refused.json()["error"]["code"] == "rate_limited"
    assert elsewhere.status_code == 200


def test_zero_turns_a_limit_off(
    sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path, key: str, tokens: list[str]
) -> None:
    app = app_with(sessions, clock, tmp_path, comment_rate_limit="0", search_rate_limit="0")
    with client(app) as a:
        assert {api_post(a, tokens[0], key).status_code for _ in range(35)} == {201}


# -- sign-in failures ----------------------------------------------------------------------


@pytest.fixture
def two_places(app: Starlette) -> Iterator[tuple[Browser, Browser]]:
    with client(app, CLIENT_A) as a, client(app, CLIENT_B) as b:
        yield a, b


def test_failed_sign_ins_elsewhere_do_not_lock_the_owner_out(
    two_places: tuple[Browser, Browser], people: list[User]
) -> None:
    attacker, owner = two_places
    email = people[0].email
    statuses = [
        attacker.form("/signin", {"email": email, "password": "guess"}).status_code
        for _ in range(11)
    ]

    assert statuses == [401] * 10 + [429]
    locked = attacker.form("/signin", {"email": email, "password": "correct horse battery staple"})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    owner.sign_in(email)  # from another address: a 303 into the account


def test_a_successful_sign_in_clears_the_failures(
    two_places: tuple[Browser, Browser], people: list[User]
) -> None:
    person, _ = two_places
    email = people[0].email
    for _ in range(9):
        person.form("/signin", {"email": email, "password": "typo"})
    person.sign_in(email)
    person.post("/signout", data={"csrftoken": person.cookies["csrftoken"]})
    statuses = [
        person.form("/signin", {"email": email, "password": "typo"}).status_code for _ in range(9)
    ]
    assert statuses == [401] * 9
