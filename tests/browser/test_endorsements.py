"""Endorsing in Chromium, with htmx (only the comment's endorsement block is swapped) and
with JavaScript off (the form posts and the page comes back at the comment)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from core.clock import FixedClock
from core.enums import Role, StakeholderGroup
from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import sign_in
from tests.factories import comment_on, make_user, open_consultation

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_endorse_a_suggestion_and_withdraw(
    request: pytest.FixtureRequest, live_server: LiveServer, javascript: bool
) -> None:
    page: Page = request.getfixturevalue("page" if javascript else "page_without_js")
    handle = "endorse-js" if javascript else "endorse-plain"

    def build(session: Session, clock: FixedClock) -> tuple[str, str, int]:
        chair = make_user(session, clock, role=Role.EDITOR, email=f"chair-{handle}@example.org")
        consultation = open_consultation(session, clock, slug=handle, by=chair, paragraphs=3)
        author = make_user(session, clock, email=f"author-{handle}@example.org")
        comment = comment_on(
            session, clock, consultation, author=author, suggestion="End users come first."
        )
        reader = make_user(
            session, clock, email=f"{handle}@example.org", group=StakeholderGroup.ACADEMIA
        )
        path = f"/consultations/{consultation.slug}/p/{comment.thread.paragraph_key}"
        return path, reader.email, comment.id

    path, email, comment_id = live_server.seed(build)
    sign_in(page, email, path)
    page.evaluate("window.__marker = 'still here'")
    block = page.locator(f"#endorsement-{comment_id}")

    block.get_by_role("button", name="Endorse").click()

    expect(block.get_by_role("button", name="Endorsed — withdraw endorsement")).to_be_visible()
    expect(block.locator(".endorsement-counts")).to_have_text("Endorsed by 1 person: 1 Academia")
    if javascript:
        assert page.evaluate("window.__marker") == "still here", "swapped, not reloaded"
    else:
        expect(page).to_have_url(f"{live_server.url}{path}#c-{comment_id}")

    block.get_by_role("button", name="Endorsed — withdraw endorsement").click()

    expect(block.get_by_role("button", name="Endorse")).to_be_visible()
    expect(block.locator(".endorsement-counts")).to_have_count(0)
    page.reload()
    expect(page.locator(f"#endorsement-{comment_id}").get_by_role("button")).to_have_text("Endorse")
