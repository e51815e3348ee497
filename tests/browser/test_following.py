"""Following in Chromium, with htmx (the button is swapped in place) and with JavaScript off
(the form posts and the page comes back): a person follows a consultation, an editor
publishes a new version, and the header's badge and the notification list show it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from accounts import following
from accounts.models import User
from consultations.models import Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Role
from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import sign_in
from tests.factories import make_user, numbered_markdown, open_consultation

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_follow_a_consultation_and_read_the_notification(
    request: pytest.FixtureRequest, live_server: LiveServer, javascript: bool
) -> None:
    page: Page = request.getfixturevalue("page" if javascript else "page_without_js")
    handle = "follow-js" if javascript else "follow-plain"

    def build(session: Session, clock: FixedClock) -> tuple[str, int, str, int, int]:
        chair = make_user(session, clock, role=Role.EDITOR, email=f"chair-{handle}@example.org")
        consultation = open_consultation(session, clock, slug=handle, by=chair)
        reader = make_user(session, clock, email=f"{handle}@example.org")
        return consultation.slug, consultation.id, reader.email, reader.id, chair.id

    slug, consultation_id, email, reader_id, chair_id = live_server.seed(build)
    path = f"/consultations/{slug}"
    sign_in(page, email, path)
    page.evaluate("window.__marker = 'still here'")
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Following — unfollow")).to_be_visible()
    if javascript:
        assert page.evaluate("window.__marker") == "still here", "swapped, not reloaded"
    expect(page).to_have_url(f"{live_server.url}{path}")

    def publish(session: Session, clock: FixedClock) -> bool:
        consultation = session.get_one(Consultation, consultation_id)
        ConsultationService(session, clock=clock).publish_version(
            consultation,
            editor=session.get_one(User, chair_id),
            markdown=numbered_markdown(12),
            change_note="More.",
        )
        return following.is_following(session, reader_id, "consultation", consultation_id)

    assert live_server.seed(publish)
    page.goto(path)
    expect(page.locator(".notifications-link .unread")).to_have_text("1 unread")
    page.locator(".notifications-link").click()
    item = page.locator("li.notification.unread")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Version 2 of “The Internet is for End Users” was published")
    page.reload()
    expect(page.locator("li.notification.unread")).to_have_count(0)
    expect(page.locator(".notifications-link .unread")).to_have_count(0)
    page.locator("li.notification a").click()
    page.wait_for_url(f"**{path}")
    page.get_by_role("button", name="Following — unfollow").click()
    expect(page.get_by_role("button", name="Follow")).to_be_visible()
