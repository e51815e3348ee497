"""A campaign in Chromium, with JavaScript and without: the paragraph shows its earliest
letter and "and N similar comments", which unfolds the others (a <details>: no script
needed), and links to the letters on other paragraphs. No letter's words run as code."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import Dialog, Page, expect
from sqlalchemy.orm import Session

from consultations import campaigns
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Role
from tests.browser.conftest import LiveServer
from tests.corpora import campaign_variant, centralization_prose
from tests.factories import comment_on, make_user, open_consultation

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror=alert(1)> <script>alert(2)</script> "><svg onload=alert(3)>'


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_campaign_unfolds_to_every_letter(
    request: pytest.FixtureRequest, live_server: LiveServer, javascript: bool
) -> None:
    page: Page = request.getfixturevalue("page" if javascript else "page_without_js")
    handle = "campaign-js" if javascript else "campaign-plain"

    def build(session: Session, clock: FixedClock) -> tuple[str, list[str], list[int]]:
        chair = make_user(session, clock, role=Role.EDITOR, email=f"chair-{handle}@example.org")
        consultation = open_consultation(session, clock, slug=handle, by=chair)
        service = ConsultationService(session, clock=clock)
        keys = [p.key for p in service.paragraphs(service.version(consultation))]
        rng = random.Random(11)
        letter = f"{HOSTILE} {centralization_prose(1)[0]}"
        threads = []
        for index, ordinal in enumerate((1, 1, 1, 2)):
            author = make_user(session, clock, email=f"{handle}-{index}@example.org")
            body = letter if index == 0 else campaign_variant(letter, rng, 2)
            comment = comment_on(
                session, clock, consultation, author=author, ordinal=ordinal, body=body
            )
            threads.append(comment.thread_id)
        session.flush()
        campaigns.rebuild(session, consultation.id, clock.now())
        return consultation.slug, keys, threads

    slug, keys, threads = live_server.seed(build)
    dialogs: list[Dialog] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.goto(f"/consultations/{slug}/p/{keys[0]}")

    expect(page.locator(f"#t-{threads[0]}")).to_be_visible()
    fold = page.locator(f"details.campaign#campaign-{threads[0]}")
    expect(fold.locator("summary")).to_have_text("and 3 similar comments")
    expect(page.locator(f"#t-{threads[1]}")).to_be_hidden()
    fold.locator("summary").click()
    expect(page.locator(f"#t-{threads[1]}")).to_be_visible()
    expect(page.locator(f"#t-{threads[2]}")).to_be_visible()
    expect(page.locator(f"#t-{threads[0]} .comment").first).to_contain_text("<script>alert(2)")

    fold.get_by_role("link", name=f"Thread {threads[3]}, on another paragraph").click()
    page.wait_for_url(f"**/p/{keys[1]}#t-{threads[3]}")
    expect(page.locator(f"#t-{threads[3]}")).to_be_visible()
    expect(page.locator(f"details.campaign#campaign-{threads[3]} summary")).to_have_text(
        "and 3 similar comments"
    )
    assert dialogs == [], "no letter's words ran as script"
