"""Moderation in Chromium: a participant flags a comment with JavaScript on (htmx swaps the
comment in place) and off (the form posts and the page comes back), an editor hides it from
the queue with a reason, and a reader sees the placeholder where the comment was."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from core.clock import FixedClock
from core.enums import Role
from tests.browser.conftest import LiveServer, _context
from tests.browser.test_journeys import sign_in
from tests.factories import comment_on, make_user, open_consultation

pytestmark = pytest.mark.browser

SECRET = "Call Petro on +380 44 000 00 00 at home."


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_flag_hide_and_read_the_placeholder(
    request: pytest.FixtureRequest,
    live_server: LiveServer,
    chromium: Browser,
    javascript: bool,
) -> None:
    page: Page = request.getfixturevalue("page" if javascript else "page_without_js")
    handle = "moderate-js" if javascript else "moderate-plain"

    def build(session: Session, clock: FixedClock) -> tuple[str, str, int, str, str]:
        chair = make_user(session, clock, role=Role.EDITOR, email=f"chair-{handle}@example.org")
        consultation = open_consultation(session, clock, slug=handle, by=chair)
        author = make_user(session, clock)
        comment = comment_on(session, clock, consultation, author=author, body=SECRET)
        flagger = make_user(session, clock, email=f"{handle}@example.org")
        return (
            consultation.slug,
            comment.thread.paragraph_key,
            comment.id,
            flagger.email,
            chair.email,
        )

    slug, key, comment_id, email, chair = live_server.seed(build)
    path = f"/consultations/{slug}/p/{key}"
    sign_in(page, email, path)
    page.evaluate("window.__marker = 'still here'")
    comment = page.locator(f"#c-{comment_id}")
    comment.get_by_text("Flag", exact=True).click()
    comment.get_by_label("Personal data").check()
    comment.get_by_label("Note for the moderators (needed with “Other”)").fill("A phone number.")
    comment.get_by_role("button", name="Flag for the moderators").click()
    expect(page.locator(f"#c-{comment_id} .flagged")).to_contain_text("You flagged this comment")
    if javascript:
        assert page.evaluate("window.__marker") == "still here", "swapped, not reloaded"

    context = _context(chromium, live_server, javascript=javascript)
    editor_page = context.new_page()
    sign_in(editor_page, chair, "/moderation")
    item = editor_page.locator(f"#m-{comment_id}")
    expect(item).to_contain_text("Personal data (1)")
    expect(item).to_contain_text("A phone number.")
    item.get_by_label("Why it is hidden (everyone reads this)").fill(
        "Personal data of a third person."
    )
    item.get_by_role("button", name="Hide the comment").click()
    expect(editor_page.locator(f"#m-{comment_id} .hidden-note")).to_be_visible()
    context.close()

    page.goto(path)
    note = page.locator(f"#c-{comment_id} .hidden-note")
    expect(note).to_have_text("Hidden by a moderator: Personal data of a third person.")
    expect(page.locator(f"#c-{comment_id}")).not_to_contain_text(SECRET)
