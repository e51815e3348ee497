"""GET /api/v1/search: ranked hits with facets, attribution honoured, bad filters refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from app.urls import app_paths
from briefs.services import BriefService
from core.clock import FixedClock
from search.queries import SearchQuery
from tests.factories import comment_on, editor
from tests.functional.api.conftest import NAME, ORGANISATION, World
from tests.functional.api.support import API, assert_aware, assert_documented, assert_error
from tests.functional.conftest import Browser

HIT_FIELDS = {"type", "url", "title", "paragraph", "version", "current", "snippet", "score"}
HIT_FIELDS |= {"topics", "language", "date"}


@pytest.fixture
def archive(app: Starlette, world: World, session: Session, clock: FixedClock) -> World:
    """The world's consultation with a group-attributed comment and a brief, indexed."""
    comment_on(
        session,
        clock,
        world.consultation,
        author=world.participant,
        attribution="group",
        body="Lawful access weakens encryption for every end user.",
    )
    author = editor(session, clock)
    briefs = BriefService(session, clock=clock)
    briefs.create(
        author,
        "lawful-access",
        "Lawful access and encryption",
        "en",
        ["encryption"],
        "Governments ask for lawful access; strong encryption protects citizens.",
    )
    briefs.publish("lawful-access", author, app_paths())
    session.commit()
    app.state.worker.run_once()
    return world


def test_search_returns_ranked_hits_and_facets(browser: Browser, archive: World) -> None:
    response = browser.get(f"{API}/search?q=lawful+access")

    assert response.status_code == 200, response.text
    assert_documented(response, "/search")
    body = response.json()
    assert body["total"] >= 2 and len(body["hits"]) == min(body["total"], 10)
    assert {hit["type"] for hit in body["hits"]} >= {"brief", "comment"}
    hit = body["hits"][0]
    assert set(hit) == HIT_FIELDS
    assert "<mark" in " ".join(h["snippet"] for h in body["hits"])
    assert_aware(hit["date"])
    assert set(body["facets"]) == {"type", "topic", "group", "lang", "year"}
    assert body["facets"]["topic"].get("encryption", 0) >= 2
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_filters_narrow_the_results(browser: Browser, archive: World) -> None:
    body = browser.get(f"{API}/search?q=lawful+access&type=brief&lang=en").json()

    assert body["total"] == 1
    [hit] = body["hits"]
    assert hit["type"] == "brief" and hit["url"].startswith("/briefs/lawful-access")


def test_search_never_reveals_what_attribution_hides(browser: Browser, archive: World) -> None:
    response = browser.get(f"{API}/search?q=weakens+encryption&type=comment")

    assert response.json()["total"] == 1
    for secret in (NAME, ORGANISATION, "Kovalenko", "Ministry"):
        assert secret not in response.text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("type=briefs", "type"),
        ("group=gov", "group"),
        ("lang=fr", "lang"),
        ("topic=%3Cscript%3E", "topic"),
        ("page=0", "page"),
        ("page=100000", "page"),
        ("from=last-year", "from"),
        ("to=2024-13-45", "to"),
        ("from=0000", "from"),  # no year 0: outside the published pattern
        ("from=2024-1-5", "from"),
        ("topic=Encryption", "topic"),  # the page lowercases it; the API takes it as documented
        ("topic=", "topic"),  # empty: neither a value nor absent
        ("page=", "page"),
        ("page=+2", "page"),
        ("sort=random", "sort"),
    ],
)
def test_a_filter_that_cannot_be_applied_is_a_400(browser: Browser, query: str, field: str) -> None:
    response = browser.get(f"{API}/search?q=encryption&{query}")

    assert_error(response, 400, "invalid_parameter", fields=(field,))
    assert_documented(response, "/search")


@pytest.mark.parametrize(
    "q", ['"unclosed', "*", "AND", "x" * 5000, "шифрування", "%00", "a OR (b AND"]
)
def test_any_query_text_gets_an_answer(browser: Browser, archive: World, q: str) -> None:
    response = browser.get(f"{API}/search", params={"q": q})

    assert response.status_code == 200, response.text
    assert_documented(response, "/search")


def test_the_31st_of_a_shorter_month_is_its_last_day(browser: Browser, archive: World) -> None:
    """Every date the pattern allows is searched: 2026-02-31 means up to the end of February."""
    response = browser.get(f"{API}/search?q=encryption&to=2026-02-31")

    assert response.status_code == 200, response.text
    assert_documented(response, "/search")
    assert SearchQuery.from_params({"to": "2026-02-31"}).date_to == date(2026, 2, 28)
