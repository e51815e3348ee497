"""POST /api/v1/consultations/{slug}/paragraphs/{key}/comments: the write path and its guards.

Every refusal is checked three ways: the status, the contract's error shape, and that
nothing at all was written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from accounts.services import AccountService
from consultations.receipts import receipt_number
from core.clock import FixedClock
from tests.factories import comment_on, make_user
from tests.functional.api.conftest import NAME, ORGANISATION, World
from tests.functional.api.support import (
    API,
    assert_aware,
    assert_documented,
    assert_error,
    bearer,
    written,
)
from tests.functional.conftest import Browser

TEMPLATE = "/consultations/{slug}/paragraphs/{key}/comments"
GOOD = {"body": "Encryption protects end users.", "stance": "oppose", "attribution": "group"}


def url(world: World, key: str | None = None, slug: str | None = None) -> str:
    return f"{API}/consultations/{slug or world.slug}/paragraphs/{key or world.keys[6]}/comments"


def test_a_comment_is_created_and_found_at_its_location(
    browser: Browser, world: World, session: Session
) -> None:
    payload = GOOD | {"suggestion": "End users' security comes first."}

    response = browser.post(url(world), json=payload, headers=bearer(world.write_token))

    assert response.status_code == 201, response.text
    assert_documented(response, TEMPLATE, "post")
    created = response.json()
    assert created["paragraph_key"] == world.keys[6]
    assert created["body"] == GOOD["body"] and created["stance"] == "oppose"
    assert created["suggestion"] == payload["suggestion"]
    assert created["stakeholder_group"] == "government"
    assert created["author_label"] == "Government"
    assert NAME not in response.text and ORGANISATION not in response.text
    assert_aware(created["created_at"])
    assert created["receipt"] == receipt_number(created["id"]), "the same receipt as on screen"
    assert written(session) == (1, 1)

    listed = browser.get(response.headers["location"])
    assert listed.status_code == 200
    [thread] = listed.json()["items"]
    assert thread["id"] == created["thread_id"]
    assert [c["id"] for c in thread["comments"]] == [created["id"]]


def test_a_reply_joins_its_parents_thread(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    parent = comment_on(session, clock, world.consultation, author=world.participant, ordinal=7)
    session.commit()
    payload = {"body": "And a follow-up.", "attribution": "named", "parent_id": parent.id}

    response = browser.post(url(world), json=payload, headers=bearer(world.write_token))

    assert response.status_code == 201, response.text
    assert_documented(response, TEMPLATE, "post")
    reply = response.json()
    assert reply["thread_id"] == parent.thread_id and reply["parent_id"] == parent.id
    assert reply["stance"] is None
    assert reply["author_label"] == f"{NAME}, {ORGANISATION} (Government)"
    assert written(session) == (1, 2)


def test_the_same_rules_as_the_browser_apply_to_the_tokens_user(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    nobody = make_user(session, clock, group=None)
    token = AccountService(session, clock=clock).create_token(nobody, "write")
    session.commit()

    response = browser.post(url(world), json=GOOD, headers=bearer(token))

    assert_error(response, 422, "invalid", fields=("stakeholder_group",))
    assert written(session) == (0, 0)


# -- refusals: each the right status, the error shape, and nothing written ----------------------

BAD_JSON: list[tuple[str, bytes, int, str, tuple[str, ...]]] = [
    ("empty request", b"", 400, "malformed_json", ()),
    ("truncated", b'{"body": "x"', 400, "malformed_json", ()),
    ("not utf-8", b'{"body": "\xff\xfe"}', 400, "malformed_json", ()),
    ("NaN", b'{"body": NaN}', 400, "malformed_json", ()),
    ("deep nesting", b"[" * 30_000 + b"]" * 30_000, 400, "malformed_json", ()),
    ("array", b"[1, 2]", 400, "invalid_body", ()),
    ("string", b'"a comment"', 400, "invalid_body", ()),
    ("null", b"null", 400, "invalid_body", ()),
]


@pytest.mark.parametrize(
    ("raw", "status", "code", "fields"),
    [case[1:] for case in BAD_JSON],
    ids=[case[0] for case in BAD_JSON],
)
def test_malformed_bodies_are_refused(
    browser: Browser,
    world: World,
    session: Session,
    raw: bytes,
    status: int,
    code: str,
    fields: tuple[str, ...],
) -> None:
    headers = bearer(world.write_token) | {"Content-Type": "application/json"}

    response = browser.post(url(world), content=raw, headers=headers)

    assert_error(response, status, code, fields)
    assert_documented(response, TEMPLATE, "post")
    assert written(session) == (0, 0)


BAD_FIELDS: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("empty body", GOOD | {"body": "   "}, ("body",)),
    ("10,001 characters", GOOD | {"body": "x" * 10_001}, ("body",)),
    ("unknown stance", GOOD | {"stance": "furious"}, ("stance",)),
    ("no stance", {"body": "x", "attribution": "group"}, ("stance",)),
    ("null stance on a new thread", GOOD | {"stance": None}, ("stance",)),
    ("parent id is a fraction", GOOD | {"parent_id": 1.5}, ("parent_id",)),
    ("unknown attribution", GOOD | {"attribution": "everyone"}, ("attribution",)),
    ("anonymous not allowed here", GOOD | {"attribution": "anonymous"}, ("attribution",)),
    ("missing fields", {}, ("body", "attribution")),
    ("body is a number", GOOD | {"body": 42}, ("body",)),
    ("stance is a list", GOOD | {"stance": ["oppose"]}, ("stance",)),
    ("attribution is null", GOOD | {"attribution": None}, ("attribution",)),
    ("parent id is a string", GOOD | {"parent_id": "1"}, ("parent_id",)),
    ("parent id is a boolean", GOOD | {"parent_id": True}, ("parent_id",)),
    ("parent id is huge", GOOD | {"parent_id": 10**30}, ("parent_id",)),
    ("parent id is negative", GOOD | {"parent_id": -1}, ("parent_id",)),
    ("suggestion is an object", GOOD | {"suggestion": {"text": "x"}}, ("suggestion",)),
    ("suggestion too long", GOOD | {"suggestion": "y" * 10_001}, ("suggestion",)),
    ("NUL character", GOOD | {"body": "a\x00b"}, ("body",)),
    ("lone surrogate", GOOD | {"body": "a\ud800b"}, ("body",)),
    ("unknown field", GOOD | {"author_name": "Someone Else"}, ("author_name",)),
]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [case[1:] for case in BAD_FIELDS],
    ids=[case[0] for case in BAD_FIELDS],
)
def test_invalid_fields_are_a_422_naming_them(
    browser: Browser,
    world: World,
    session: Session,
    payload: dict[str, Any],
    fields: tuple[str, ...],
) -> None:
    # json.dumps keeps a lone surrogate as the escape "\ud800", as a hostile client would send.
    raw = json.dumps(payload).encode()
    headers = bearer(world.write_token) | {"Content-Type": "application/json"}

    response = browser.post(url(world), content=raw, headers=headers)

    assert_error(response, 422, "invalid", fields)
    assert_documented(response, TEMPLATE, "post")
    assert written(session) == (0, 0)


@pytest.mark.parametrize(
    ("slug", "key"),
    [
        ("end-users", "zzzzzzzz"),
        ("end-users", "NOT-A-KEY"),
        ("end-users", "%00"),
        ("no-such-consultation", None),
        ("Bad%20Slug", None),
    ],
)
def test_unknown_consultation_or_paragraph_is_a_404(
    browser: Browser, world: World, session: Session, slug: str, key: str | None
) -> None:
    response = browser.post(url(world, key, slug), json=GOOD, headers=bearer(world.write_token))

    assert_error(response, 404, "not_found")
    assert_documented(response, TEMPLATE, "post")
    assert written(session) == (0, 0)


def test_a_reply_to_a_comment_on_another_paragraph_is_a_404(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    """On this paragraph there is no such comment: the same answer as for an unknown id."""
    parent = comment_on(session, clock, world.consultation, author=world.participant, ordinal=2)
    session.commit()
    payload = {"body": "Replying here.", "attribution": "named", "parent_id": parent.id}

    response = browser.post(url(world), json=payload, headers=bearer(world.write_token))

    assert_error(response, 404, "not_found")
    assert_documented(response, TEMPLATE, "post")
    assert written(session) == (1, 1)


def test_an_id_written_as_a_whole_float_is_that_id(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    """JSON has one kind of number; 7.0 is the integer 7 for JSON Schema too."""
    parent = comment_on(session, clock, world.consultation, author=world.participant, ordinal=7)
    session.commit()
    raw = f'{{"body": "Yes.", "attribution": "named", "parent_id": {parent.id}.0}}'.encode()
    headers = bearer(world.write_token) | {"Content-Type": "application/json"}

    response = browser.post(url(world), content=raw, headers=headers)

    assert response.status_code == 201, response.text
    assert response.json()["parent_id"] == parent.id


def test_a_reply_to_a_comment_that_does_not_exist_is_a_404(
    browser: Browser, world: World, session: Session
) -> None:
    payload = GOOD | {"parent_id": 2_000_000_000}

    response = browser.post(url(world), json=payload, headers=bearer(world.write_token))

    assert_error(response, 404, "not_found")
    assert written(session) == (0, 0)


def test_after_the_deadline_a_comment_is_a_409(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    assert world.consultation.closes_at is not None
    clock.advance(timedelta(days=30, seconds=1))

    response = browser.post(url(world), json=GOOD, headers=bearer(world.write_token))

    assert_error(response, 409, "conflict")
    assert_documented(response, TEMPLATE, "post")
    assert written(session) == (0, 0)


@pytest.mark.parametrize("size", [64 * 1024 + 1, 1024 * 1024])
def test_a_body_over_64_kib_is_a_413(
    browser: Browser, world: World, session: Session, size: int
) -> None:
    raw = json.dumps(GOOD | {"body": "x" * size}).encode()
    headers = bearer(world.write_token) | {"Content-Type": "application/json"}

    response = browser.post(url(world), content=raw, headers=headers)

    assert_error(response, 413, "payload_too_large")
    assert_documented(response, TEMPLATE, "post")
    assert written(session) == (0, 0)


def test_a_streamed_body_over_64_kib_is_a_413(
    browser: Browser, world: World, session: Session
) -> None:
    """Without a Content-Length the limit is counted as the body arrives."""
    chunks = iter([b'{"body": "', b"x" * 40_000, b"x" * 40_000, b'"}'])
    headers = bearer(world.write_token) | {"Content-Type": "application/json"}

    response = browser.post(url(world), content=chunks, headers=headers)

    assert_error(response, 413, "payload_too_large")
    assert written(session) == (0, 0)


def test_a_form_encoded_body_is_a_415(browser: Browser, world: World, session: Session) -> None:
    response = browser.post(url(world), data=GOOD, headers=bearer(world.write_token))

    assert_error(response, 415, "unsupported_media_type")
    assert written(session) == (0, 0)


# -- credentials ----------------------------------------------------------------------------------


Credentials = Callable[[World, Session, FixedClock], dict[str, str]]


def _revoked(world: World, session: Session, clock: FixedClock) -> dict[str, str]:
    for token in world.participant.tokens:
        token.revoked_at = clock.now()
    session.commit()
    return bearer(world.write_token)


def _disabled(world: World, session: Session, clock: FixedClock) -> dict[str, str]:
    world.participant.is_active = False
    session.commit()
    return bearer(world.write_token)


def _sent(headers: dict[str, str]) -> Credentials:
    return lambda world, session, clock: headers


NOT_VALID: dict[str, Credentials] = {
    "no token": _sent({}),
    "empty": _sent({"Authorization": "Bearer "}),
    "unknown": _sent({"Authorization": "Bearer rt_not-a-real-token"}),
    "basic auth": _sent({"Authorization": "Basic b2xlbmE6c2VjcmV0"}),
    "revoked": _revoked,
    "disabled account": _disabled,
}


@pytest.mark.parametrize("credentials", NOT_VALID.values(), ids=NOT_VALID.keys())
def test_without_a_valid_token_it_is_a_401_with_a_challenge(
    browser: Browser, world: World, session: Session, clock: FixedClock, credentials: Credentials
) -> None:
    headers = credentials(world, session, clock)

    response = browser.post(url(world), json=GOOD, headers=headers)

    assert_error(response, 401, "unauthorized")
    assert_documented(response, TEMPLATE, "post")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert written(session) == (0, 0)


def test_a_read_token_cannot_write(browser: Browser, world: World, session: Session) -> None:
    response = browser.post(url(world), json=GOOD, headers=bearer(world.read_token))

    assert_error(response, 403, "insufficient_scope")
    assert_documented(response, TEMPLATE, "post")
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert written(session) == (0, 0)


def test_a_signed_in_browser_session_does_not_authenticate_the_api(
    browser: Browser, world: World, session: Session
) -> None:
    browser.sign_in(world.participant.email)

    response = browser.post(url(world), json=GOOD)

    assert_error(response, 401, "unauthorized")
    assert written(session) == (0, 0)


def test_the_api_needs_no_csrf_token_with_a_bearer_token(
    browser: Browser, world: World, session: Session
) -> None:
    """Bearer tokens are not sent by browsers on their own, so CSRF does not apply."""
    browser.cookies.clear()

    response = browser.post(url(world), json=GOOD, headers=bearer(world.write_token))

    assert response.status_code == 201
    assert written(session) == (1, 1)
