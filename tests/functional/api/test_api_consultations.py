"""GET /api/v1/consultations and /api/v1/consultations/{slug}: shapes, drafts, pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from consultations.services import ConsultationService
from core.clock import FixedClock
from tests.factories import comment_on, editor, numbered_markdown, open_consultation
from tests.functional.api.conftest import World
from tests.functional.api.support import API, assert_aware, assert_documented, assert_error
from tests.functional.conftest import Browser

SUMMARY_FIELDS = {
    "slug",
    "title",
    "status",
    "topics",
    "language",
    "opens_at",
    "closes_at",
    "current_version",
}


def draft_consultation(session: Session, clock: FixedClock, slug: str) -> None:
    """Created but never opened: the public must not learn it exists."""
    ConsultationService(session, clock=clock).create(
        editor=editor(session, clock), slug=slug, title="Secret", markdown=numbered_markdown(2)
    )
    session.commit()


def test_listing_shows_public_consultations_in_the_contract_shape(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    draft_consultation(session, clock, "not-yet")

    response = browser.get(f"{API}/consultations")

    assert response.status_code == 200
    assert_documented(response, "/consultations")
    body = response.json()
    assert body["next"] is None
    [item] = body["items"]
    assert set(item) == SUMMARY_FIELDS
    assert item["slug"] == "end-users" and item["status"] == "open"
    assert item["topics"] == ["encryption"] and item["language"] == "en"
    assert item["current_version"] == 1
    assert_aware(item["opens_at"])
    assert_aware(item["closes_at"])
    assert "not-yet" not in response.text


def test_cursor_walks_every_consultation_exactly_once(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    # Several share a creation time (the clock stands still): the cursor must still order them.
    for number in range(7):
        open_consultation(session, clock, paragraphs=1, slug=f"c-{number}")
        if number % 3 == 0:
            clock.advance(timedelta(minutes=1))
    session.commit()

    seen, pages, url = [], 0, f"{API}/consultations?limit=3"
    while url:
        body = browser.get(url).json()
        seen += [item["slug"] for item in body["items"]]
        pages += 1
        url = f"{API}/consultations?limit=3&cursor={body['next']}" if body["next"] else ""

    assert pages == 3
    assert sorted(seen) == [f"c-{number}" for number in range(7)]
    assert seen[0] == "c-6"  # newest first


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WzEsMl0", "cursor"),  # valid base64 of JSON, but not a position
        ("cursor=%00%FF", "cursor"),
        ("cursor=", "cursor"),  # empty: not a page of ours
        ("cursor=12.3%0A", "cursor"),  # the pattern, then a new line
        ("limit=", "limit"),
    ],
)
def test_bad_paging_parameters_are_a_400_naming_the_parameter(
    browser: Browser, world: World, query: str, field: str
) -> None:
    response = browser.get(f"{API}/consultations?{query}")

    assert_error(response, 400, "invalid_parameter", fields=(field,))
    assert_documented(response, "/consultations")


def test_consultation_has_paragraphs_with_thread_counts(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    comment_on(session, clock, world.consultation, author=world.participant, ordinal=3)
    comment_on(session, clock, world.consultation, author=world.participant, ordinal=3)
    session.commit()

    response = browser.get(f"{API}/consultations/end-users")

    assert response.status_code == 200
    assert_documented(response, "/consultations/{slug}")
    body = response.json()
    assert set(body) >= SUMMARY_FIELDS
    assert body["version"] == 1 and body["accepting_comments"] is True
    paragraphs = body["paragraphs"]
    assert [p["key"] for p in paragraphs] == world.keys
    assert [p["ordinal"] for p in paragraphs] == list(range(1, 9))
    assert [p["thread_count"] for p in paragraphs] == [0, 0, 2, 0, 0, 0, 0, 0]
    assert paragraphs[0]["kind"] == "paragraph"
    assert paragraphs[0]["text"].endswith("(1)") and paragraphs[0]["html"].startswith("<p>")


def test_new_version_is_the_one_shown(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    service = ConsultationService(session, clock=clock)
    service.publish_version(
        world.consultation,
        editor=editor(session, clock),
        markdown=numbered_markdown(9),
        change_note="One more paragraph",
    )
    session.commit()

    body = browser.get(f"{API}/consultations/end-users").json()

    assert body["version"] == body["current_version"] == 2
    assert len(body["paragraphs"]) == 9
    assert [p["key"] for p in body["paragraphs"][:8]] == world.keys


def test_past_the_deadline_it_reads_closed(
    browser: Browser, world: World, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=31))

    body = browser.get(f"{API}/consultations/end-users").json()

    assert body["status"] == "closed" and body["accepting_comments"] is False


@pytest.mark.parametrize("path", ["", "/threads"])
def test_drafts_and_unknown_slugs_are_not_found(
    browser: Browser, world: World, session: Session, clock: FixedClock, path: str
) -> None:
    draft_consultation(session, clock, "not-yet")

    for slug in ("not-yet", "no-such-thing", "Bad%00Slug", "x" * 300):
        response = browser.get(f"{API}/consultations/{slug}{path}")
        assert_error(response, 404, "not_found")
        assert_documented(response, f"/consultations/{{slug}}{path}")
