"""Every page type on a phone (390 px) and a laptop (1,280 px) in Chromium: screenshots under
var/screenshots/, no sideways scrolling, one H1, a header of one row (two on a phone) for
every role in both languages, search results on the first screen of a phone, one table per
Markdown table in a draft, the query kept after Back, and axe-core with no serious or
critical violation.

axe-core is vendored under tests/browser/vendor/axe-core (see its README) and injected by
the test, never served by the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader
from sqlalchemy.orm import Session

from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Role, StakeholderGroup
from tests.browser.conftest import LiveServer
from tests.factories import comment_on, make_user, open_consultation
from tests.unit.search.builders import publish_brief

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE, LAPTOP = 390, 1280
HEIGHT = {PHONE: 844, LAPTOP: 800}
# Long names, as real ones can be: the header must still fit.
NAMES = {
    Role.PARTICIPANT: "Oleksandra Kovalenko-Shevchenko",
    Role.EDITOR: "Maximilian Featherstonehaugh",
    Role.ADMIN: "Volodymyr Hrytsenko-Ostapchuk",
}
DRAFT = """# The Internet is for End Users

This document explains why the IAB believes that the Internet should be for end users.

| Party | Role | Interest |
|---|---|---|
| End users | People using the network | Privacy and reach |
| Operators | Run the networks | Reliable routing |
| Vendors | Build equipment | Markets |

## Why encryption matters

Encryption protects end users when lawful access regimes ask for their communications.

- Protocols should serve the people who use them.
- Standards bodies should weigh their interests.
"""


@dataclass(frozen=True)
class Site:
    slug: str
    key: str  # the paragraph with a thread
    brief: str
    emails: dict[Role, str]


@pytest.fixture(scope="module")
def site(live_server: LiveServer) -> Site:
    def build(session: Session, clock: FixedClock) -> Site:
        people = {
            role: make_user(
                session,
                clock,
                role=role,
                name=name,
                email=f"{role.value}-layout@example.org",
                group=StakeholderGroup.TECHNICAL_COMMUNITY,
            )
            for role, name in NAMES.items()
        }
        chair = people[Role.EDITOR]
        consultation = open_consultation(
            session, clock, markdown=DRAFT, slug="end-users-layout", by=chair
        )
        comment_on(session, clock, consultation, author=people[Role.PARTICIPANT], ordinal=2)
        comment_on(
            session,
            clock,
            consultation,
            author=people[Role.ADMIN],
            ordinal=7,
            stance="amend",
            suggestion="Encryption protects end users from everyone.",
        )
        service = ConsultationService(session, clock=clock)
        key = service.paragraphs(service.version(consultation))[1].key
        publish_brief(
            session,
            clock,
            chair,
            slug="encryption-layout",
            title="Encryption and end users: the chapter's position",
            body="# Summary\n\nThe chapter opposes any **exceptional access** mechanism.\n\n"
            "## Recommendations\n\nStrong encryption protects the economy.",
        )
        return Site(
            consultation.slug, key, "encryption-layout", {r: p.email for r, p in people.items()}
        )

    return live_server.seed(build)


def page_paths(site: Site) -> dict[str, tuple[str, Role | None]]:
    """Each page type: its path and who looks at it (None: signed out)."""
    draft = f"/consultations/{site.slug}"
    return {
        "home": ("/", None),
        "consultations": ("/consultations", None),
        "draft": (draft, Role.PARTICIPANT),
        "paragraph": (f"{draft}/p/{site.key}", Role.PARTICIPANT),
        "search": ("/search?q=encryption", None),
        "briefs": ("/briefs", None),
        "brief": (f"/briefs/{site.brief}", None),
        "signin": ("/signin", None),
        "account": ("/account", Role.PARTICIPANT),
        "synthesis": (f"{draft}/synthesis", Role.EDITOR),
        "admin": ("/admin/people", Role.ADMIN),
    }


@pytest.fixture(scope="module")
def signed_in(chromium: Browser, live_server: LiveServer, site: Site) -> dict[Role, Any]:
    """One sign-in per role through the real form; contexts reuse its cookies."""
    states: dict[Role, Any] = {}
    for role, email in site.emails.items():
        context = chromium.new_context(base_url=live_server.url)
        page = context.new_page()
        page.goto("/signin")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        states[role] = context.storage_state()
        context.close()
    return states


@pytest.fixture
def browse(chromium: Browser, live_server: LiveServer, signed_in: dict[Role, Any]) -> Iterator[Any]:
    """Open a context of a given width, role and language; closed after the test."""
    contexts: list[BrowserContext] = []

    def open_page(width: int, role: Role | None, language: str = "en") -> Page:
        context = chromium.new_context(
            base_url=live_server.url,
            locale="en-GB",
            viewport={"width": width, "height": HEIGHT[width]},
            storage_state=signed_in[role] if role else None,
        )
        context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
        context.set_default_timeout(5_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def header_rows(page: Page) -> int:
    """How many rows the visible boxes of the site header take."""
    return int(
        page.evaluate(
            """() => {
        const boxes = [...document.querySelectorAll('.site-header *')]
          .filter(e => e.checkVisibility({visibilityProperty: true}))
          .filter(e => e.children.length === 0 || e.matches('input, button, select'))
          .map(e => e.getBoundingClientRect())
          .filter(r => r.width > 1 && r.height > 1)
          .sort((a, b) => a.top - b.top);
        let rows = 0, bottom = -Infinity;
        for (const r of boxes) { if (r.top >= bottom - 2) { rows += 1; bottom = r.bottom; }
                                 else { bottom = Math.max(bottom, r.bottom); } }
        return rows;
    }"""
        )
    )


def header_overlaps(page: Page) -> list[str]:
    """Visible links, buttons, inputs and names in the header that overlap each other or
    leave the viewport, or are squeezed to nothing."""
    return list(
        page.evaluate(
            """() => {
        const items = [...document.querySelectorAll(
            ['a', 'button', 'input', 'summary', 'strong'].map(t => '.site-header ' + t).join())]
          .filter(e => e.checkVisibility({visibilityProperty: true}))
          .filter(e => !e.closest('.visually-hidden') && !e.matches('.skip-link'));
        const problems = [];
        const boxes = items.map(e => [e, e.getBoundingClientRect()]);
        for (const [e, r] of boxes) {
          const name = e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 20);
          if (r.width < 16) problems.push('squeezed: ' + name);
          if (r.left < 0 || r.right > window.innerWidth) problems.push('outside: ' + name);
        }
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
          const [a, p] = boxes[i], [b, q] = boxes[j];
          if (a.contains(b) || b.contains(a)) continue;
          const apart = p.right - 1 <= q.left || q.right - 1 <= p.left
            || p.bottom - 1 <= q.top || q.bottom - 1 <= p.top;
          const label = e => e.textContent.trim().slice(0, 20);
          if (!apart) problems.push('overlap: ' + label(a) + ' / ' + label(b));
        }
        return problems;
    }"""
        )
    )


def axe_violations(page: Page) -> list[str]:
    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
          .map(v => v.id + ' (' + v.impact + '): '
                    + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }"""
    )
    return list(result)


PAGE_TYPES = [
    "home",
    "consultations",
    "draft",
    "paragraph",
    "search",
    "briefs",
    "brief",
    "signin",
    "account",
    "synthesis",
    "admin",
]


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_every_page_type_fits_and_passes_axe(
    browse: Any, site: Site, kind: str, width: int, request: pytest.FixtureRequest
) -> None:
    path, role = page_paths(site)[kind]
    page: Page = browse(width, role)
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    if kind == "search":
        expect(page.locator("ol.search-hits > li").first).to_be_visible(timeout=10_000)

    database = request.node.callspec.params["served_engine"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{kind}-{width}-{database}.png"), full_page=True)

    overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"{kind} scrolls sideways at {width} px: {overflow}"
    assert page.locator("h1").count() == 1, f"{kind}: one H1 per page"
    assert header_rows(page) <= (2 if width == PHONE else 1), f"{kind}: header rows"
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", ["en", "uk"])
@pytest.mark.parametrize("role", [None, Role.PARTICIPANT, Role.EDITOR, Role.ADMIN])
@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_the_header_takes_one_row_or_two_on_a_phone(
    browse: Any, role: Role | None, language: str, width: int
) -> None:
    page: Page = browse(width, role, language)
    page.goto("/consultations")
    assert page.locator("html").get_attribute("lang") == language
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    who = role.value if role else "signed-out"
    page.locator(".site-header").screenshot(
        path=str(SCREENSHOTS / f"header-{who}-{language}-{width}.png")
    )
    rows = header_rows(page)
    assert rows <= (2 if width == PHONE else 1), f"{rows} rows"
    assert header_overlaps(page) == [], "nothing in the header overlaps or is cut off"
    search = page.locator("#site-search-q").bounding_box()
    assert search is not None and search["width"] >= 100, "room to type a query"
    height = page.locator(".site-header").bounding_box()
    assert height is not None and height["height"] <= (120 if width == PHONE else 72)
    if role is not None:
        # Signing out stays in reach: in the header on a laptop, behind Menu on a phone.
        sign_out = page.locator(".site-header").get_by_role(
            "button", name="Sign out" if language == "en" else "Вийти"
        )
        if width == PHONE:
            expect(sign_out).to_be_hidden()
            page.locator(".site-menu > summary").click()
            page.screenshot(path=str(SCREENSHOTS / f"menu-{who}-{language}-{width}.png"))
        expect(sign_out).to_be_visible()
        assert header_overlaps(page) == []


def test_the_first_search_result_is_on_the_first_screen_of_a_phone(browse: Any, site: Site) -> None:
    page: Page = browse(PHONE, None)
    page.goto("/search?q=encryption")
    first = page.locator("ol.search-hits > li").first
    expect(first).to_be_visible(timeout=10_000)
    box = first.bounding_box()
    assert box is not None and box["y"] < HEIGHT[PHONE] - 60, box
    # The filters are one tap away, and work without JavaScript too (a <details>).
    expect(page.locator("#search-group")).to_be_hidden()
    page.locator(".search-filters-disclosure > summary").click()
    expect(page.locator("#search-group")).to_be_visible()


def test_a_markdown_table_is_one_table_whose_rows_keep_their_comments(
    browse: Any, site: Site
) -> None:
    page: Page = browse(LAPTOP, Role.PARTICIPANT)
    page.goto(f"/consultations/{site.slug}")
    tables = page.locator(".draft table")
    expect(tables).to_have_count(1)
    rows = tables.locator("tr")
    expect(rows).to_have_count(4)
    for index in range(4):
        expect(rows.nth(index).locator(".margin-count")).to_have_count(1)
    expect(rows.nth(0).locator("th").first).to_have_text("Party")
    # The draft's own H1 is a section heading under the page's.
    expect(page.locator(".draft h2").first).to_have_text("The Internet is for End Users")
    # A row's thread opens in its row.
    row = rows.nth(2)
    row.locator(".margin-count").click()
    expect(row.locator(".margin-panel form.comment-form")).to_be_visible()


def test_the_search_box_keeps_its_query_after_back(browse: Any, site: Site) -> None:
    page: Page = browse(LAPTOP, None)
    page.goto("/search")
    box = page.get_by_label("Search for")
    box.fill("encryption")
    page.wait_for_url("**/search?q=encryption*")
    expect(page.locator("ol.search-hits > li").first).to_be_visible(timeout=10_000)
    box.fill("routing")
    page.wait_for_url("**/search?q=routing*")
    page.go_back()
    page.wait_for_url("**/search?q=encryption*")
    expect(page.get_by_label("Search for")).to_have_value("encryption")
    page.locator("ol.search-hits > li a").first.click()
    page.wait_for_url(lambda url: "/search" not in url)
    page.go_back()
    expect(page.get_by_label("Search for")).to_have_value("encryption")


def test_favicon_is_served(browse: Any) -> None:
    page: Page = browse(LAPTOP, None)
    response = page.request.get("/favicon.ico")
    assert response.ok
    assert response.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert response.body()[:4] == b"\x00\x00\x01\x00"


@pytest.mark.parametrize("kind", ["draft", "brief"])
def test_printing_keeps_paragraph_numbers_the_permalink_and_the_date(
    browse: Any, site: Site, kind: str
) -> None:
    path, role = page_paths(site)[kind]
    page: Page = browse(LAPTOP, role)
    page.goto(path)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    permalink = page.locator(".print-permalink")
    expect(permalink).to_be_visible()
    expect(permalink).to_contain_text(path)
    expect(page.locator(".print-permalink time")).to_have_count(1)
    if kind == "draft":
        numbers = page.evaluate(
            """() => [...document.querySelectorAll('.draft [data-ordinal]')].slice(0, 3)
                 .map(e => getComputedStyle(e, '::before').content)"""
        )
        assert numbers == ['"¶ 1"', '"¶ 2"', '"¶ 3"'], numbers
    else:
        # The citable numbers are in the brief's own HTML (briefs.citations), once each.
        numbers = page.locator(".brief-body .para-number")
        expect(numbers.first).to_be_visible()
        assert numbers.all_inner_texts()[:2] == ["1", "2"]
        assert page.locator(".brief-body").evaluate(
            "e => getComputedStyle(e.querySelector('.para'), '::before').content"
        ) in ("none", "normal")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    printed = SCREENSHOTS / f"{kind}-print.pdf"
    page.pdf(path=str(printed))
    text = " ".join(sheet.extract_text() for sheet in PdfReader(printed).pages)
    first = "¶ 1" if kind == "draft" else "1 "
    assert first in text, text[:500]
    assert "2026-11-02" in text, "the version's date"
    assert path in text.replace("\n", ""), "the permanent address"
    assert "Search the archive" not in text, "no header"


def test_the_accessibility_check_itself_finds_problems(browse: Any) -> None:
    """The harness can fail: a page with a nameless button and an image without alt text."""
    page: Page = browse(LAPTOP, None)
    page.goto("/signin")
    page.evaluate(
        """() => { const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<button></button><img src="/favicon.ico">'); }"""
    )
    found = axe_violations(page)
    assert any(v.startswith("button-name") for v in found), found
    assert any(v.startswith("image-alt") for v in found), found
