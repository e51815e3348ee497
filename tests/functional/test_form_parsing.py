"""A form is parsed once per request, shared by the CSRF check and the route, and a URL-encoded
one is decoded as browsers encode it: big texts are accepted, unreadable ones refused (400)."""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.formparsers import MultiPartParser

from accounts.models import User
from briefs.models import BriefVersion
from briefs.services import MAX_BRIEF_CHARS, BriefService
from core.clock import FixedClock
from tests.factories import editor, open_consultation
from tests.functional.conftest import Browser, page, text_of

UNREADABLE = "The form could not be read. Reload the page and send it again."
URLENCODED = {"content-type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Desk:
    editor_email: str
    editor_id: int


@pytest.fixture
def desk(session: Session, clock: FixedClock) -> Desk:
    chief = editor(session, clock)
    open_consultation(session, clock, by=chief, slug="forms", paragraphs=3)
    BriefService(session, clock=clock).create(
        chief, "findings", "Findings", "en", ["encryption"], "The findings.", "forms"
    )
    session.commit()
    return Desk(chief.email, chief.id)


def counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Count the calls of a library function (python-multipart's, Starlette's, the stdlib's)."""
    calls: list[int] = []
    original: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def post(browser: Browser, url: str, body: bytes, htmx: bool = False) -> httpx.Response:
    """A raw URL-encoded body; with `htmx` the token goes in the header, as htmx sends it."""
    token = browser.cookies["csrftoken"]
    headers = {**URLENCODED, "x-csrftoken": token, "HX-Request": "true"} if htmx else URLENCODED
    prefix = b"" if htmx else f"csrftoken={token}&".encode()
    response: httpx.Response = browser.post(url, content=prefix + body, headers=headers)
    return response


def names(session: Session, user_id: int) -> str:
    session.expire_all()
    user = session.get(User, user_id)
    assert user is not None
    return user.name


PROFILE = b"stakeholder_group=academia&organisation=&country=PL"


@pytest.mark.parametrize("htmx", [False, True], ids=["token-field", "token-header"])
def test_a_multipart_draft_is_parsed_once(
    browser: Browser, desk: Desk, monkeypatch: pytest.MonkeyPatch, htmx: bool
) -> None:
    """With the token in the form, the CSRF check parses it; in the header, the route does:
    either way once, and the route still gets the text and the file."""
    browser.sign_in(desk.editor_email)
    parses = counting(monkeypatch, MultiPartParser, "parse")
    token = browser.cookies["csrftoken"]
    fields = {"change_note": "Second", "markdown": "Ignored: a file is chosen."}
    response = browser.post(
        "/consultations/forms/versions",
        data=fields if htmx else {"csrftoken": token, **fields},
        files={"file": ("draft.md", b"# Second draft\n\nA new paragraph.\n")},
        headers={"x-csrftoken": token} if htmx else {},
    )
    assert response.status_code == 303, response.text
    assert len(parses) == 1
    html = page(browser.get("/consultations/forms"))
    assert "A new paragraph." in html.get_text()


@pytest.mark.parametrize("htmx", [False, True], ids=["token-field", "token-header"])
def test_a_urlencoded_form_is_decoded_once(
    browser: Browser, session: Session, desk: Desk, monkeypatch: pytest.MonkeyPatch, htmx: bool
) -> None:
    browser.sign_in(desk.editor_email)
    decodes = counting(monkeypatch, binascii, "a2b_qp")  # once for each name and each value
    body = b"name=Olena+K." + b"&" + PROFILE
    response = post(browser, "/account/profile", body, htmx=htmx)
    assert response.status_code in (200, 303), response.text
    fields = body.count(b"&") + 1 + (0 if htmx else 1)
    assert len(decodes) == 2 * fields
    assert names(session, desk.editor_id) == "Olena K."


def test_repeated_names_plus_signs_and_stray_percent_signs(
    browser: Browser, session: Session, desk: Desk
) -> None:
    """As Starlette's `form.get`, the last value of a repeated name; `+` is a space, and a `%`
    without two hex digits is kept as typed."""
    browser.sign_in(desk.editor_email)
    body = b"name=First&name=Olena+K.+100%+sure+%zz%4+%2B1&" + PROFILE
    assert post(browser, "/account/profile", body).status_code == 303
    assert names(session, desk.editor_id) == "Olena K. 100% sure %zz%4 +1"


def test_a_500000_character_cyrillic_brief_sent_urlencoded_is_saved(
    browser: Browser, session: Session, desk: Desk
) -> None:
    """The longest brief a person may write, in 2-byte letters: 3 MB once percent-encoded."""
    browser.sign_in(desk.editor_email)
    text = "шифрування" * (MAX_BRIEF_CHARS // 10)
    fields = {"title": "Висновки", "body_markdown": text, "change_note": "Повний текст"}
    body = urlencode(fields).encode()
    assert len(body) > 3_000_000
    response = post(browser, "/briefs/findings/edit", body)
    assert response.status_code == 303, response.text
    editing = page(browser.get("/briefs/findings/edit"))
    assert text_of(editing, "textarea#body_markdown") == text
    session.expire_all()
    versions = session.scalars(select(BriefVersion)).all()
    assert [v.body_markdown for v in versions] == [text]


@pytest.mark.parametrize("body", [b"name=%FF", b"name=%D0", b"name=\xd0\xa8\xff"])
def test_text_that_is_not_utf8_is_a_bad_request(
    browser: Browser, session: Session, desk: Desk, body: bytes
) -> None:
    browser.sign_in(desk.editor_email)
    refused = post(browser, "/account/profile", body + b"&" + PROFILE)  # by the CSRF check
    assert (refused.status_code, refused.text) == (400, UNREADABLE)
    refused = post(browser, "/account/profile", body + b"&" + PROFILE, htmx=True)  # the route
    assert refused.status_code == 400
    assert text_of(page(refused), ".notice--error") == UNREADABLE
    assert names(session, desk.editor_id) != "Olena K."


@pytest.mark.parametrize("htmx", [False, True], ids=["token-field", "token-header"])
def test_1001_urlencoded_fields_are_too_many_and_1000_are_not(
    browser: Browser, session: Session, desk: Desk, htmx: bool
) -> None:
    browser.sign_in(desk.editor_email)
    room = 1000 - PROFILE.count(b"&") - 2 - (0 if htmx else 1)  # less `name` and the last one
    filler = b"".join(f"f{i}=x&".encode() for i in range(room))
    accepted = post(browser, "/account/profile", filler + b"name=Kept&" + PROFILE, htmx=htmx)
    assert accepted.status_code in (200, 303), accepted.text
    assert names(session, desk.editor_id) == "Kept"
    refused = post(
        browser, "/account/profile", b"x=1&" + filler + b"name=Lost&" + PROFILE, htmx=htmx
    )
    assert refused.status_code == 413
    message = "A form may have at most 1,000 fields and 1 file."
    assert (text_of(page(refused), ".notice--error") if htmx else refused.text) == message
    assert names(session, desk.editor_id) == "Kept"


def test_a_urlencoded_field_past_5_mb_is_too_large(browser: Browser, desk: Desk) -> None:
    browser.sign_in(desk.editor_email)
    body = b"markdown=" + quote_plus("x" * (5 * 1024 * 1024 + 1)).encode() + b"&change_note=x"
    refused = post(browser, "/consultations/forms/versions", body)
    assert (refused.status_code, refused.text) == (413, "Each field of a form is limited to 5 MB.")
