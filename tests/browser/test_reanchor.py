"""The re-anchor queue in Chromium, with htmx (the card is swapped in place) and with
JavaScript off (plain forms, redirect back to the queue): an editor moves one orphaned
thread to where its text went and closes another with a reason."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from consultations.models import Thread
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Role, ThreadState
from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import passwordless, sign_in
from tests.factories import comment_on, make_user, open_consultation
from tests.functional.test_reanchoring import FILTERS_2, V1, V2

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Queue:
    slug: str
    editor: str
    filters: int  # orphaned: to move
    manrs: int  # orphaned: to close

    @property
    def path(self) -> str:
        return f"/consultations/{self.slug}/reanchor"


def orphaned(server: LiveServer, slug: str) -> Queue:
    """Version 2 of a draft rewrote ¶3 beyond following and dropped ¶4: two orphans."""

    def build(session: Session, clock: FixedClock) -> Queue:
        chair = make_user(session, clock, role=Role.EDITOR, email=f"chair-{slug}@example.org")
        consultation = open_consultation(session, clock, markdown=V1, slug=slug, by=chair)
        author = passwordless(session, clock, f"author-{slug}")
        filters = comment_on(session, clock, consultation, author=author, ordinal=3).thread
        manrs = comment_on(session, clock, consultation, author=author, ordinal=4).thread
        ConsultationService(session, clock=clock).publish_version(
            consultation, editor=chair, markdown=V2, change_note="Tighter"
        )
        return Queue(slug, chair.email, filters.id, manrs.id)

    return server.seed(build)


def states(server: LiveServer, *ids: int) -> list[tuple[ThreadState, str | None]]:
    def read(session: Session, _clock: FixedClock) -> list[tuple[ThreadState, str | None]]:
        threads = [session.get_one(Thread, thread_id) for thread_id in ids]
        return [(thread.state, thread.closed_reason) for thread in threads]

    return server.seed(read)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_editor_moves_one_orphan_and_closes_another(
    request: pytest.FixtureRequest, live_server: LiveServer, javascript: bool
) -> None:
    page: Page = request.getfixturevalue("page" if javascript else "page_without_js")
    scene = orphaned(live_server, f"reanchor-{'js' if javascript else 'plain'}")
    sign_in(page, scene.editor, scene.path)
    page.evaluate("window.__marker = 'still here'")

    card = page.locator(f"#orphan-{scene.filters}")
    candidate = card.locator("label.candidate").first
    expect(candidate).to_contain_text(FILTERS_2[:30])
    expect(candidate).to_contain_text("similarity")
    card.get_by_role("button", name="Move the thread").click()
    if javascript:  # the card says where the thread went
        expect(page.locator(f"#orphan-{scene.filters} .resolved")).to_contain_text("Moved to")
    else:  # back to the queue, which the thread has left
        page.wait_for_url(f"**{scene.path}#orphan-{scene.filters}")
        expect(page.locator(f"#orphan-{scene.filters}")).to_have_count(0)

    other = page.locator(f"#orphan-{scene.manrs}")
    other.get_by_label("…or close it, saying why").fill("MANRS has its own page.")
    other.get_by_role("button", name="Close the thread").click()
    if javascript:
        expect(page.locator(f"#orphan-{scene.manrs} .resolved")).to_contain_text(
            "MANRS has its own page."
        )
        assert page.evaluate("window.__marker") == "still here", "the page was reloaded"
    else:
        page.wait_for_url(f"**{scene.path}#orphan-{scene.manrs}")
        expect(page.locator(".reanchor-queue .empty")).to_have_text(
            "No thread waits to be re-anchored."
        )
    assert states(live_server, scene.filters, scene.manrs) == [
        (ThreadState.MOVED, None),
        (ThreadState.CLOSED, "MANRS has its own page."),
    ]
