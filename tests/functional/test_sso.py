"""Signing in with OpenID Connect, against a real provider running in its own process
(`tests/oidc/provider.py`). The browser's hop to the provider goes over real HTTP; the
redirect back to us is followed on the TestClient."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from accounts.identities import is_placeholder_email
from accounts.models import Identity, User
from app.main import create_app
from app.settings import OIDCProvider
from core.clock import FixedClock
from core.enums import Role
from tests.factories import make_user
from tests.functional.conftest import Browser, page, settings_for_tests, text_of
from tests.oidc.runner import RunningProvider, closed_port_url, running_provider

CLIENT_ID, CLIENT_SECRET = "roundtable", "test-client-secret"
SECRET_KEY = "test-secret"  # settings_for_tests's, to read the session cookie
BOB = {"sub": "bob-0002", "email": "bob@idp.example", "email_verified": True, "name": "Bob B."}


def client_registration(*names: str) -> list[dict[str, Any]]:
    uris = [f"http://testserver/auth/{name}/callback" for name in names]
    return [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": uris}]


@pytest.fixture(scope="session")
def provider_process() -> Iterator[RunningProvider]:
    with running_provider(client_registration("test")) as provider:
        yield provider


@pytest.fixture
def idp(provider_process: RunningProvider) -> Iterator[RunningProvider]:
    """The provider, as the default person signed in there and behaving well."""
    provider_process.reset()
    yield provider_process
    provider_process.reset()


def oidc(name: str, issuer: str, display_name: str) -> OIDCProvider:
    return OIDCProvider(name, issuer, CLIENT_ID, CLIENT_SECRET, display_name)


def app_with(
    providers: tuple[OIDCProvider, ...],
    sessions: sessionmaker[Session],
    clock: FixedClock,
    tmp_path: Path,
) -> Starlette:
    settings = replace(settings_for_tests(tmp_path), oidc_providers=providers)
    return create_app(settings, sessions=sessions, clock=clock, run_worker=False)


@pytest.fixture
def sso_app(
    idp: RunningProvider, sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path
) -> Starlette:
    providers = (oidc("test", idp.issuer, "Test ID"), oidc("down", closed_port_url(), "Down ID"))
    return app_with(providers, sessions, clock, tmp_path)


@pytest.fixture
def person(sso_app: Starlette) -> Iterator[Browser]:
    with Browser(sso_app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def stranger(sso_app: Starlette) -> Iterator[Browser]:
    with Browser(sso_app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


def to_provider(browser: Browser, provider: str = "test", next_url: str | None = None) -> str:
    """Start signing in; return where the provider sends the browser back to."""
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    start = browser.get(f"/signin/{provider}{query}")
    assert start.status_code == 302, start.text
    at_provider = httpx.get(start.headers["location"], timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back: str = at_provider.headers["location"]
    assert back.startswith(f"http://testserver/auth/{provider}/callback?")
    return back


def sign_in(browser: Browser, next_url: str | None = None) -> httpx.Response:
    response: httpx.Response = browser.get(to_provider(browser, next_url=next_url))
    return response


def session_of(browser: Browser) -> dict[str, Any]:
    """What the signed session cookie holds (Starlette's format: signed base64 JSON)."""
    cookie = browser.cookies.get("roundtable_session")
    if not cookie:
        return {}
    payload = TimestampSigner(SECRET_KEY).unsign(cookie.encode())
    data: dict[str, Any] = json.loads(base64.b64decode(payload))
    return data


def signed_in_as(browser: Browser) -> str | None:
    whom = page(browser.get("/")).select_one(".who")
    return whom.get_text(strip=True) if whom else None


def users_named(session: Session, name: str) -> list[User]:
    return list(session.scalars(select(User).where(User.name == name)))


def identity_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Identity)) or 0


def test_the_authorization_request_uses_pkce_state_and_nonce(
    person: Browser, idp: RunningProvider
) -> None:
    start = person.get("/signin/test")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert start.headers["location"].startswith(f"{idp.issuer}/authorize?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/auth/test/callback"]
    assert {"state", "nonce", "code_challenge"} <= query.keys()
    assert query["scope"] == ["openid email profile"]


def test_first_sign_in_creates_a_participant_account(
    person: Browser, idp: RunningProvider, session: Session
) -> None:
    response = sign_in(person, next_url="/consultations")

    assert response.status_code == 303
    assert response.headers["location"] == "/consultations"
    assert signed_in_as(person) == "Alice Example"
    [user] = users_named(session, "Alice Example")
    assert user.email == "alice@idp.example"
    assert user.email_verified_at is not None
    assert (user.role, user.stakeholder_group, user.password_hash) == (Role.PARTICIPANT, None, None)
    [identity] = user.identities
    assert (identity.provider, identity.subject) == ("test", "alice-0001")


def test_the_csrf_token_changes_at_sign_in(person: Browser, idp: RunningProvider) -> None:
    before = person.get("/signin").cookies["csrftoken"]

    response = sign_in(person)

    assert response.status_code == 303
    after = response.cookies["csrftoken"]
    assert after and after != before
    assert person.post("/signout", data={"csrftoken": before}).status_code == 403


def test_next_may_only_lead_back_to_this_site(person: Browser, idp: RunningProvider) -> None:
    response = sign_in(person, next_url="https://evil.example/phish")
    assert response.headers["location"] == "/"


def test_later_sign_ins_link_by_subject_not_by_email(
    person: Browser, stranger: Browser, idp: RunningProvider, session: Session
) -> None:
    sign_in(person)
    first = session_of(person)["uid"]
    # The same subject with a new address at the provider is still the same person.
    idp.control(user={"sub": "alice-0001", "email": "alice@elsewhere.example", "name": "Al"})
    assert sign_in(stranger).status_code == 303

    assert session_of(stranger)["uid"] == first
    assert identity_count(session) == 1
    [user] = users_named(session, "Alice Example")
    assert user.email == "alice@idp.example"
    assert user.identities[0].email == "alice@elsewhere.example"


def test_a_verified_email_of_an_existing_account_is_not_linked(
    person: Browser, idp: RunningProvider, session: Session, clock: FixedClock
) -> None:
    owner = make_user(session, clock, email="bob@idp.example", name="Bob Owner")
    session.commit()
    idp.control(user=BOB)

    response = sign_in(person)

    assert response.status_code == 409
    assert "exists already" in text_of(page(response), "[role=alert]")
    assert "uid" not in session_of(person)
    assert identity_count(session) == 0
    assert owner.identities == []


def test_an_unverified_email_is_never_used(
    person: Browser, idp: RunningProvider, session: Session, clock: FixedClock
) -> None:
    make_user(session, clock, email="bob@idp.example", name="Bob Owner")
    session.commit()
    idp.control(user={**BOB, "email_verified": False})

    assert sign_in(person).status_code == 303

    [newcomer] = users_named(session, "Bob B.")
    assert is_placeholder_email(newcomer.email)
    assert newcomer.email_verified_at is None
    assert signed_in_as(person) == "Bob B."


def test_the_session_is_rotated_at_sign_in(
    person: Browser, idp: RunningProvider, session: Session, clock: FixedClock
) -> None:
    make_user(session, clock, email="carol@example.org", name="Carol Password")
    session.commit()
    person.sign_in("carol@example.org")
    back = to_provider(person)
    before = person.cookies.get("roundtable_session")
    assert any(key.startswith("_state_test_") for key in session_of(person))

    person.get(back)

    assert person.cookies.get("roundtable_session") != before
    assert set(session_of(person)) == {"uid", "epoch"}
    assert signed_in_as(person) == "Alice Example"


def test_a_disabled_account_cannot_sign_in_with_its_provider(
    person: Browser, stranger: Browser, idp: RunningProvider, session: Session
) -> None:
    sign_in(person)
    [user] = users_named(session, "Alice Example")
    user.is_active = False
    session.commit()

    response = sign_in(stranger)

    assert response.status_code == 403
    assert "uid" not in session_of(stranger)


@pytest.mark.parametrize("tamper", ["wrong state", "no state", "another browser"])
def test_a_callback_with_the_wrong_state_is_refused(
    person: Browser, stranger: Browser, idp: RunningProvider, session: Session, tamper: str
) -> None:
    back = to_provider(person)
    url, query = back.split("?")[0], parse_qs(urlsplit(back).query)
    if tamper == "wrong state":
        query["state"] = ["forged-state"]
    if tamper == "no state":
        del query["state"]
    browser = stranger if tamper == "another browser" else person

    response = browser.get(f"{url}?{urlencode(query, doseq=True)}")

    assert response.status_code == 400
    assert "start again" in text_of(page(response), "[role=alert]")
    assert "uid" not in session_of(browser)
    assert users_named(session, "Alice Example") == []


def test_a_callback_cannot_be_replayed(
    person: Browser, stranger: Browser, idp: RunningProvider
) -> None:
    back = to_provider(person)
    pending = person.cookies.get("roundtable_session")
    assert person.get(back).status_code == 303

    # The session cookie from before the callback still carries the state: the provider
    # must refuse the used code.
    replayed = stranger.get(back, headers={"Cookie": f"roundtable_session={pending}"})

    assert replayed.status_code == 400
    assert "did not complete" in text_of(page(replayed), "[role=alert]")


@pytest.mark.parametrize("misbehave", ["bad-signature", "expired", "wrong-audience", "wrong-nonce"])
def test_an_id_token_that_does_not_verify_is_refused(
    person: Browser, idp: RunningProvider, session: Session, misbehave: str
) -> None:
    idp.control(misbehave=misbehave)

    response = sign_in(person)

    assert response.status_code == 400
    assert "could not be verified" in text_of(page(response), "[role=alert]")
    assert "uid" not in session_of(person)
    assert users_named(session, "Alice Example") == []


def test_a_refusal_at_the_provider_is_explained(person: Browser, idp: RunningProvider) -> None:
    back = to_provider(person)
    state = parse_qs(urlsplit(back).query)["state"][0]
    query = urlencode({"error": "access_denied", "state": state})

    response = person.get(f"/auth/test/callback?{query}")

    assert response.status_code == 400
    assert "did not complete" in text_of(page(response), "[role=alert]")


def test_a_provider_that_is_down_gets_a_friendly_page(person: Browser) -> None:
    response = person.get("/signin/down")

    assert response.status_code == 503
    assert "not responding" in text_of(page(response), "[role=alert]")


def test_a_provider_that_goes_down_mid_sign_in_gets_a_friendly_page(
    sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path
) -> None:
    with running_provider(client_registration("flaky")) as flaky:
        app = app_with((oidc("flaky", flaky.issuer, "Flaky ID"),), sessions, clock, tmp_path)
        with Browser(app, base_url="http://testserver", follow_redirects=False) as browser:
            back = to_provider(browser, "flaky")
            flaky.stop()
            response = browser.get(back)

    assert response.status_code == 503
    assert "not responding" in text_of(page(response), "[role=alert]")
    assert "uid" not in session_of(browser)


@pytest.mark.parametrize("path", ["/signin/nowhere", "/auth/nowhere/callback?code=x&state=y"])
def test_an_unknown_provider_is_not_found(person: Browser, path: str) -> None:
    assert person.get(path).status_code == 404


def test_the_sign_in_page_offers_each_provider(person: Browser) -> None:
    html = page(person.get("/signin?next=/briefs"))

    links = {a.get_text(strip=True): a["href"] for a in html.select(".sso-providers a")}
    assert links == {
        "Sign in with Test ID": "/signin/test?next=/briefs",
        "Sign in with Down ID": "/signin/down?next=/briefs",
    }
