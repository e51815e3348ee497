"""Issue 13's reading aids in Chromium: the margin charts, the outline, the filters and the
consensus page, with JavaScript on and off, and on a phone's width."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from core.clock import FixedClock
from core.enums import StakeholderGroup as G
from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import CSP_RECORDER
from tests.factories import comment_on, editor, make_user, open_consultation

pytestmark = pytest.mark.browser
DRAFT = (
    "# Scope\n\nEnd users' interests must come first.\n\n"
    "## Encryption\n\nStrong encryption protects everyone.\n\nLawful access needs keys.\n\n"
    "# Routing\n\nNetworks should sign their route announcements.\n"
)


@dataclass(frozen=True)
class Seeded:
    slug: str


def build(session: Session, clock: FixedClock) -> Seeded:
    chief = editor(session, clock)
    consultation = open_consultation(session, clock, slug="agree-map", markdown=DRAFT, by=chief)
    people = {g: make_user(session, clock, group=g) for g in G}
    for group in G:  # ¶4 "Strong encryption…": every group supports
        comment_on(session, clock, consultation, author=people[group], ordinal=4)
    comment_on(session, clock, consultation, author=people[G.GOVERNMENT], ordinal=5)
    comment_on(
        session, clock, consultation, author=people[G.CIVIL_SOCIETY], ordinal=5, stance="oppose"
    )
    return Seeded(consultation.slug)


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Seeded:
    return live_server.seed(build)


def paragraph_numbers(page: Page) -> list[str]:
    return page.locator(".draft .block .margin-ordinal").all_inner_texts()


def journey(page: Page, seeded: Seeded) -> None:
    page.goto(f"/consultations/{seeded.slug}")
    block = page.locator(".draft .block").nth(3)
    expect(block.locator("svg.margin-chart")).to_be_visible()
    expect(block.locator(".margin .visually-hidden").last).to_contain_text(
        "Technical community: Support 1"
    )
    page.get_by_text("Outline", exact=True).click()
    outline = page.locator("nav.outline li")
    expect(outline).to_have_count(3)
    expect(outline.nth(1)).to_contain_text("7 threads · 1 contested")
    page.get_by_role("link", name="Most contested").click()
    expect(page.locator("p.notice[role=status]")).to_contain_text("Showing 1 of 7 paragraphs.")
    assert paragraph_numbers(page) == ["¶5"]
    page.get_by_role("link", name="Most agreed").click()
    assert paragraph_numbers(page)[0] == "¶4"
    page.locator(".draft-filters").get_by_role("link", name="Where the groups agree").click()
    expect(page.locator("h2#consensus-title")).to_have_text("Where the groups agree")
    page.get_by_role("link", name="most contested first").click()
    expect(
        page.locator("table.consensus-matrix tbody tr").first.locator("td.ordinal")
    ).to_have_text("¶5")
    page.get_by_role("link", name="most agreed first").click()
    expect(
        page.locator("table.consensus-matrix tbody tr").first.locator("td.ordinal")
    ).to_have_text("¶4")
    page.get_by_text("Show the numbers").click()
    expect(page.locator("figure.timeline-chart table tbody tr")).to_have_count(1)


def test_the_map_and_its_aids_with_javascript(page: Page, seeded: Seeded) -> None:
    page.add_init_script(CSP_RECORDER)
    journey(page, seeded)
    assert page.evaluate("window.__cspViolations") == []


def test_the_map_and_its_aids_without_javascript(page_without_js: Page, seeded: Seeded) -> None:
    journey(page_without_js, seeded)


def test_on_a_phone_the_chart_sits_under_its_paragraph(page: Page, seeded: Seeded) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/consultations/{seeded.slug}")
    block = page.locator(".draft .block").nth(3)
    text, chart = (
        block.locator(".block-text").bounding_box(),
        block.locator("svg.margin-chart").bounding_box(),
    )
    assert text is not None and chart is not None
    assert chart["y"] >= text["y"] + text["height"] - 1, "the chart is under the paragraph"
    assert chart["x"] + chart["width"] <= 375, "and fits the screen"
    page.goto(f"/consultations/{seeded.slug}/consensus")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling"
