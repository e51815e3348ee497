"""Journey 3 (diplomat) in Chromium: results as you type with htmx, facets as links, and the
same search with JavaScript off."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import CSP_RECORDER
from tests.unit.search.builders import SECRET_NAME, SECRET_ORGANISATION, Archive, build_archive

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def archive(live_server: LiveServer) -> Archive:
    """Seeded once per server; its outbox worker indexes it within a poll or two."""
    return live_server.seed(build_archive)


def search_for(page: Page, words: str) -> None:
    page.get_by_label("Search for").fill(words)


def test_results_appear_as_you_type_without_a_reload(page: Page, archive: Archive) -> None:
    page.add_init_script(CSP_RECORDER)
    page.goto("/search")
    page.evaluate("window.__marker = 'still here'")
    results = page.locator("#search-results")
    search_for(page, "lawful access")  # typed: no button pressed
    expect(results.locator("ol.search-hits > li")).to_have_count(9, timeout=10_000)
    expect(results.locator(".snippet mark").first).to_be_visible()
    assert page.evaluate("window.__marker") == "still here", "the page was not reloaded"
    assert parse_qs(urlsplit(page.url).query) == {"q": ["lawful access"]}, "shareable URL"

    page.locator(".facet--type a", has_text="Policy brief").click()
    expect(results.locator("ol.search-hits > li")).to_have_count(1)
    assert parse_qs(urlsplit(page.url).query)["type"] == ["brief"]
    expect(results).not_to_contain_text(SECRET_NAME)
    expect(results).not_to_contain_text(SECRET_ORGANISATION)
    assert page.evaluate("window.__cspViolations") == []


def test_a_filter_searches_in_place_when_changed(page: Page, archive: Archive) -> None:
    """Only the filters' changes search: the query box's own change event, fired when it
    loses focus to a facet link, would push its URL over the link's navigation."""
    page.goto("/search?q=lawful+access")
    page.evaluate("window.__marker = 'still here'")
    page.locator("#search-sort").select_option("date")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("sort") == ["date"])
    expect(page.locator("ol.search-hits > li")).to_have_count(9)
    assert page.evaluate("window.__marker") == "still here", "a filter searches in place"


def test_the_same_search_without_javascript(page_without_js: Page, archive: Archive) -> None:
    page = page_without_js
    page.goto("/search")
    search_for(page, "lawful access")
    page.locator("form.search-form").get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == ["lawful access"])
    expect(page.locator("ol.search-hits > li")).to_have_count(9, timeout=10_000)

    page.locator(".facet--year a").first.click()
    expect(page.locator(".facet--year a[aria-current=true]")).to_have_count(1)
    expect(page.locator("ol.search-hits > li")).to_have_count(9)
    page.locator("ol.search-hits > li a").first.click()
    expect(page).to_have_url(re.compile(r"/consultations/lawful-access(/v/\d+|/p/\w+)?#[pc]-\w+$"))
