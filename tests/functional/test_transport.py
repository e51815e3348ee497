"""Transport and session: HSTS on https, where unsafe requests may come from, and a CSRF
token that changes at sign-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import User
from core.clock import FixedClock
from tests.factories import make_user
from tests.functional.conftest import Browser, app_with, page


@pytest.fixture
def person(session: Session, clock: FixedClock) -> User:
    made = make_user(session, clock)
    session.commit()
    return made


def test_hsts_only_when_the_site_is_served_over_https(
    sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path
) -> None:
    secure = app_with(sessions, clock, tmp_path, base_url="https://roundtable.example")
    with Browser(secure, base_url="https://roundtable.example") as https:
        assert https.get("/").headers["strict-transport-security"] == "max-age=31536000"
    plain = app_with(sessions, clock, tmp_path)
    with Browser(plain, base_url="http://testserver") as http:
        assert "strict-transport-security" not in http.get("/").headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
    ],
    ids=["origin", "null-origin", "both", "fetch-site", "sibling-site"],
)
def test_a_cross_site_request_is_refused_even_with_a_valid_token(
    browser: Browser, person: User, headers: dict[str, str]
) -> None:
    browser.get("/signin")
    fields = {"csrftoken": browser.cookies["csrftoken"], "email": person.email}

    refused = browser.post("/signin", data=fields | {"password": "x"}, headers=headers)

    assert refused.status_code == 403
    assert "another site" in refused.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-origin"},
        {},  # a program, or a browser too old to say: the token alone decides
    ],
    ids=["both", "origin", "fetch-site", "neither"],
)
def test_same_origin_requests_with_the_token_are_accepted(
    browser: Browser, person: User, headers: dict[str, str]
) -> None:
    browser.get("/signin")
    fields = {"csrftoken": browser.cookies["csrftoken"], "email": person.email}

    signed_in = browser.post(
        "/signin", data=fields | {"password": "correct horse battery staple"}, headers=headers
    )

    assert signed_in.status_code == 303


def test_without_origin_headers_the_token_is_still_required(browser: Browser) -> None:
    browser.get("/signin")
    assert browser.post("/signin", data={"email": "a@example.org"}).status_code == 403


def test_the_csrf_token_changes_at_sign_in(browser: Browser, person: User) -> None:
    before = browser.get("/signin").cookies["csrftoken"]
    field = page(browser.get("/signin")).select_one("input[name=csrftoken]")
    assert field is not None and field["value"] == before

    signed_in = browser.sign_in(person.email)

    after = signed_in.cookies["csrftoken"]
    assert after and after != before
    # The old token no longer works; the new one does, in the forms of the next page.
    stale = browser.post("/signout", data={"csrftoken": before})
    assert stale.status_code == 403
    field = page(browser.get("/account")).select_one("input[name=csrftoken]")
    assert field is not None and field["value"] == after
    assert browser.post("/signout", data={"csrftoken": after}).status_code == 303
