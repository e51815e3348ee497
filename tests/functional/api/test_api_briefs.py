"""GET /api/v1/briefs and /api/v1/briefs/{slug}: published versions only, each at its number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from accounts.models import User
from app.urls import app_paths
from briefs.services import BriefService
from core.clock import FixedClock
from tests.factories import comment_on, editor
from tests.functional.api.conftest import NAME, ORGANISATION, World
from tests.functional.api.support import API, assert_aware, assert_documented, assert_error
from tests.functional.conftest import Browser

SUMMARY_FIELDS = {"slug", "title", "topics", "language", "version", "published_at"}


def publish_brief(
    session: Session,
    clock: FixedClock,
    slug: str,
    *,
    by: User,
    body: str = "Encryption must stay strong.",
    consultation_slug: str | None = None,
) -> None:
    service = BriefService(session, clock=clock)
    service.create(by, slug, f"Brief {slug}", "en", ["encryption"], body, consultation_slug)
    service.publish(slug, by, app_paths())
    session.commit()


@pytest.fixture
def author(session: Session, clock: FixedClock) -> User:
    return editor(session, clock)


def test_listing_shows_published_briefs_only(
    browser: Browser, session: Session, clock: FixedClock, author: User
) -> None:
    publish_brief(session, clock, "lawful-access", by=author)
    BriefService(session, clock=clock).create(
        author, "unfinished", "Working copy", "en", [], "Not yet.", None
    )
    session.commit()

    response = browser.get(f"{API}/briefs")

    assert response.status_code == 200
    assert_documented(response, "/briefs")
    body = response.json()
    [item] = body["items"]
    assert body["next"] is None
    assert set(item) == SUMMARY_FIELDS
    assert item["slug"] == "lawful-access" and item["version"] == 1
    assert item["topics"] == ["encryption"] and item["language"] == "en"
    assert_aware(item["published_at"])
    assert "unfinished" not in response.text


def test_cursor_walks_every_brief_exactly_once(
    browser: Browser, session: Session, clock: FixedClock, author: User
) -> None:
    for number in range(5):
        publish_brief(session, clock, f"brief-{number}", by=author)
        if number % 2:
            clock.advance(timedelta(hours=1))

    seen, url = [], f"{API}/briefs?limit=2"
    while url:
        body = browser.get(url).json()
        seen += [item["slug"] for item in body["items"]]
        url = f"{API}/briefs?limit=2&cursor={body['next']}" if body["next"] else ""

    assert sorted(seen) == [f"brief-{number}" for number in range(5)]
    assert len(seen) == 5 and seen[0] == "brief-4"


def test_a_brief_cites_threads_and_its_annex_honours_attribution(
    browser: Browser, world: World, session: Session, clock: FixedClock, author: User
) -> None:
    comment = comment_on(
        session, clock, world.consultation, author=world.participant, attribution="group"
    )
    session.commit()
    body = f"As government said [[thread:{comment.thread_id}]], keep it strong."
    publish_brief(
        session, clock, "lawful-access", by=author, body=body, consultation_slug="end-users"
    )

    response = browser.get(f"{API}/briefs/lawful-access")

    assert response.status_code == 200, response.text
    assert_documented(response, "/briefs/{slug}")
    brief = response.json()
    assert brief["version"] == 1 and brief["body_markdown"] == body
    assert brief["citations"] == [comment.thread_id]
    assert '<p id="para-1" class="para">' in brief["html"], "paragraphs numbered as on the page"
    [row] = brief["annex"]["dispositions"]
    assert row["thread_id"] == comment.thread_id and row["author_label"] == "Government"
    assert {"group": "government", "comments": 1, "people": 1} in brief["annex"]["participation"]
    assert NAME not in response.text and ORGANISATION not in response.text


def test_each_published_version_stays_at_its_number(
    browser: Browser, session: Session, clock: FixedClock, author: User
) -> None:
    publish_brief(session, clock, "lawful-access", by=author, body="First words.")
    service = BriefService(session, clock=clock)
    service.revise("lawful-access", author)
    service.update_draft("lawful-access", author, "Corrected", "Second words.", "typo")
    service.publish("lawful-access", author, app_paths())
    service.revise("lawful-access", author)  # a working copy, version 3, stays private
    session.commit()

    latest = browser.get(f"{API}/briefs/lawful-access").json()
    first = browser.get(f"{API}/briefs/lawful-access?version=1").json()

    assert (latest["version"], latest["title"], latest["body_markdown"]) == (
        2,
        "Corrected",
        "Second words.",
    )
    assert (first["version"], first["body_markdown"]) == (1, "First words.")
    assert_error(browser.get(f"{API}/briefs/lawful-access?version=3"), 404, "not_found")


ONE = "/briefs/{slug}"


@pytest.mark.parametrize(
    ("path", "template", "status"),
    [
        ("/briefs/no-such-brief", ONE, 404),
        ("/briefs/unfinished", ONE, 404),
        ("/briefs/Bad%00Slug", ONE, 404),
        ("/briefs/lawful-access?version=99", ONE, 404),
        ("/briefs/lawful-access?version=0", ONE, 400),
        ("/briefs/lawful-access?version=one", ONE, 400),
        ("/briefs/lawful-access?version=99999999999999999999", ONE, 400),
        ("/briefs/lawful-access?version=2147483648", ONE, 400),  # past the documented maximum
        ("/briefs/lawful-access?version=", ONE, 400),
        ("/briefs?limit=1000", "/briefs", 400),
        ("/briefs?cursor=xyz", "/briefs", 400),
    ],
)
def test_unknown_briefs_and_bad_parameters(
    browser: Browser,
    session: Session,
    clock: FixedClock,
    author: User,
    path: str,
    template: str,
    status: int,
) -> None:
    publish_brief(session, clock, "lawful-access", by=author)
    BriefService(session, clock=clock).create(author, "unfinished", "Draft", "en", [], "x", None)
    session.commit()

    response = browser.get(f"{API}{path}")

    assert_error(response, status)
    assert_documented(response, template)
