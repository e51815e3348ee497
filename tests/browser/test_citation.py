"""Journey 3 in Chromium: a diplomat copies a brief's citation with one click, and with
JavaScript off still finds it as selectable text (the button is our own script, under the
strict CSP)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from app.urls import app_paths
from briefs.services import BriefService
from core.clock import FixedClock
from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import CSP_RECORDER
from tests.unit.briefs.conftest import build_consulted

pytestmark = pytest.mark.browser
CITATION = (
    "Internet Society Ukraine Chapter. “Citing a brief”. Version 1, 2026-11-02. {url}"
    "/briefs/citing/v/1"
)


def _brief(session: Session, clock: FixedClock) -> int:
    consulted = build_consulted(session, clock, slug="citing-consultation")
    cited = consulted.chatham.thread_id
    service = BriefService(session, clock=clock)
    body = f"First paragraph.\n\nSecond paragraph, which cites [[thread:{cited}]]."
    service.create(
        consulted.editor, "citing", "Citing a brief", "en", [], body, "citing-consultation"
    )
    service.publish("citing", consulted.editor, app_paths())
    return cited


@pytest.fixture(scope="module")
def cited(live_server: LiveServer) -> int:
    return live_server.seed(_brief)


def test_copy_citation_puts_it_on_the_clipboard(
    page: Page, live_server: LiveServer, cited: int
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.add_init_script(CSP_RECORDER)
    page.goto("/briefs/citing")
    button = page.get_by_role("button", name="Copy citation")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator(".copy-status")).to_have_text("Citation copied")
    assert page.evaluate("navigator.clipboard.readText()") == CITATION.format(url=live_server.url)
    page.locator("#para-2 a.citation").click()
    page.wait_for_url(f"**/consultations/citing-consultation/p/*#t-{cited}")
    page.locator(".cited-in a").first.click()
    expect(page).to_have_url(f"{live_server.url}/briefs/citing/v/1#para-2")
    expect(page.locator("#para-2")).to_be_in_viewport()
    assert page.evaluate("window.__cspViolations") == []


def test_without_javascript_the_citation_is_text_and_no_button_shows(
    page_without_js: Page, live_server: LiveServer, cited: int
) -> None:
    page = page_without_js
    page.goto("/briefs/citing")
    expect(page.get_by_role("button", name="Copy citation")).to_have_count(0)
    expect(page.locator("pre#citation")).to_have_text(CITATION.format(url=live_server.url))
    expect(page.locator("#ref-1 a.backref")).to_have_attribute("href", "#cite-1")
    page.locator("#ref-1 a").nth(1).click()
    page.wait_for_url(f"**/consultations/citing-consultation/p/*#t-{cited}")
