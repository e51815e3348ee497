"""Journey 2 (editor) in Chromium: deciding threads, and applying suggestions in the
synthesis workspace (a preview to confirm; a batch whose conflict the editor resolves), with
htmx (the card is swapped in place) and with JavaScript off (a plain POST and a redirect back
to the card), on SQLite and on PostgreSQL.

On SQLite this is the test that caught the htmx disposition waiting 30 s for a lock its
own request held: the card was rendered in a second transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from briefs.dispositions import Decision
from briefs.synthesis import SynthesisService
from consultations.models import DraftVersion, Paragraph, Thread
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Disposition, Role, StakeholderGroup
from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import passwordless, sign_in
from tests.factories import comment_on, make_user, open_consultation

pytestmark = pytest.mark.browser

SUGGESTION = "Protocols must serve the people who use the Internet before anyone else."
RATIONALE = "The brief adopts this wording."


@dataclass(frozen=True)
class Workspace:
    slug: str
    editor: str
    thread_id: int
    comment_id: int

    @property
    def path(self) -> str:
        return f"/consultations/{self.slug}/synthesis"


def workspace(server: LiveServer, slug: str) -> Workspace:
    """An open draft with one amendment (a suggestion on ¶3) and its editor."""

    def build(session: Session, clock: FixedClock) -> Workspace:
        chair = make_user(session, clock, role=Role.EDITOR, email=f"chair-{slug}@example.org")
        consultation = open_consultation(session, clock, paragraphs=6, slug=slug, by=chair)
        author = passwordless(session, clock, f"author-{slug}", group=StakeholderGroup.ACADEMIA)
        comment = comment_on(
            session,
            clock,
            consultation,
            author=author,
            ordinal=3,
            stance="amend",
            suggestion=SUGGESTION,
        )
        return Workspace(slug, chair.email, comment.thread_id, comment.id)

    return server.seed(build)


def stored_disposition(server: LiveServer, thread_id: int) -> tuple[Disposition | None, str | None]:
    def read(session: Session, _clock: FixedClock) -> tuple[Disposition | None, str | None]:
        thread = session.get(Thread, thread_id)
        assert thread is not None
        return thread.disposition, thread.rationale

    return server.seed(read)


def record(page: Page, scene: Workspace) -> None:
    card = page.locator(f"#card-{scene.thread_id}")
    card.get_by_label("Disposition").select_option("accepted")
    card.get_by_label("Rationale (required unless noted)").fill(RATIONALE)
    card.get_by_role("button", name="Record disposition").click()


def test_editor_records_a_disposition_in_place_with_javascript(
    page: Page, live_server: LiveServer
) -> None:
    scene = workspace(live_server, "synthesis-htmx")
    sign_in(page, scene.editor, scene.path)
    page.evaluate("window.__marker = 'still here'")

    record(page, scene)

    card = page.locator(f"#card-{scene.thread_id}")
    # The default timeout is 5 s: a request waiting for a lock (30 s) fails here.
    expect(card.locator(".disposition-label")).to_have_text("Accepted")
    expect(card).to_have_class(re.compile(r"\bdecided\b"))
    expect(card.locator("details.change-disposition > summary")).to_have_text("Change disposition")
    assert page.evaluate("window.__marker") == "still here", "the page was reloaded"
    assert page.url == live_server.url + scene.path
    assert stored_disposition(live_server, scene.thread_id) == (Disposition.ACCEPTED, RATIONALE)


def test_editor_records_a_disposition_without_javascript(
    page_without_js: Page, live_server: LiveServer
) -> None:
    page = page_without_js
    scene = workspace(live_server, "synthesis-plain")
    sign_in(page, scene.editor, scene.path)

    record(page, scene)

    page.wait_for_url(f"**{scene.path}#card-{scene.thread_id}")
    card = page.locator(f"#card-{scene.thread_id}")
    expect(card.locator(".disposition-label")).to_have_text("Accepted")
    expect(page.locator("#progress")).to_contain_text("0 thread groups still need a disposition")
    assert stored_disposition(live_server, scene.thread_id) == (Disposition.ACCEPTED, RATIONALE)


def test_a_refused_disposition_keeps_what_the_editor_typed(
    page: Page, live_server: LiveServer
) -> None:
    scene = workspace(live_server, "synthesis-refused")
    sign_in(page, scene.editor, scene.path)
    card = page.locator(f"#card-{scene.thread_id}")
    card.get_by_label("Disposition").select_option("not_accepted")
    card.get_by_role("button", name="Record disposition").click()  # no rationale

    expect(card.get_by_role("alert")).to_contain_text("rationale")
    expect(card.get_by_label("Disposition")).to_have_value("not_accepted")
    assert stored_disposition(live_server, scene.thread_id) == (None, None)


def paragraph_3(server: LiveServer, slug: str) -> tuple[int, str]:
    """The current version's number and its third paragraph's text."""

    def read(session: Session, clock: FixedClock) -> tuple[int, str]:
        service = ConsultationService(session, clock=clock)
        version = service.version(service.get(slug))
        texts = session.scalars(
            select(Paragraph.text)
            .join(DraftVersion)
            .where(DraftVersion.id == version.id, Paragraph.ordinal == 3)
        )
        return version.number, texts.one()

    return server.seed(read)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_editor_previews_and_confirms_a_suggestion(
    request: pytest.FixtureRequest, live_server: LiveServer, javascript: bool
) -> None:
    page: Page = request.getfixturevalue("page" if javascript else "page_without_js")
    scene = workspace(live_server, f"synthesis-apply-{'js' if javascript else 'plain'}")
    sign_in(page, scene.editor, scene.path)
    card = page.locator(f"#card-{scene.thread_id}")
    expect(card.locator(".apply-suggestion-closed")).to_contain_text("Accept or partially")

    record(page, scene)
    card.get_by_role("link", name="Preview and apply this suggestion").click()

    page.wait_for_url(f"**/consultations/{scene.slug}/suggestions/merge?comment={scene.comment_id}")
    expect(page.locator(".merge-clean")).to_have_text("Merges cleanly")
    expect(page.locator(".merge-diff ins").first).to_be_visible()
    assert paragraph_3(live_server, scene.slug)[0] == 1, "a preview publishes nothing"
    page.get_by_role("button", name="Publish as version 2").click()

    page.wait_for_url(f"**/consultations/{scene.slug}/diff/1..2")
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes from version 1 to version 2")
    expect(page.locator(".diff-block--changed")).to_contain_text(SUGGESTION)
    assert paragraph_3(live_server, scene.slug) == (2, SUGGESTION)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_editor_batches_two_conflicting_suggestions_and_resolves_them(
    request: pytest.FixtureRequest, live_server: LiveServer, javascript: bool
) -> None:
    page: Page = request.getfixturevalue("page" if javascript else "page_without_js")
    slug = f"synthesis-conflict-{'js' if javascript else 'plain'}"
    scene = workspace(live_server, slug)

    def rival(session: Session, clock: FixedClock) -> int:
        service = ConsultationService(session, clock=clock)
        consultation = service.get(slug)
        author = passwordless(session, clock, f"rival-{slug}", group=StakeholderGroup.GOVERNMENT)
        rewording = SUGGESTION.replace("before anyone else", "first of all")
        comment = comment_on(
            session,
            clock,
            consultation,
            author=author,
            ordinal=3,
            body="Shorter.",
            stance="amend",
            suggestion=rewording,
        )
        editor = session.scalars(select(User).where(User.email == scene.editor)).one()
        synthesis = SynthesisService(session, clock=clock)
        for thread_id in (scene.thread_id, comment.thread_id):
            synthesis.decide(thread_id, editor=editor, decision=Decision.of("accepted", "Yes."))
        return comment.id

    rival_id = live_server.seed(rival)
    sign_in(page, scene.editor, scene.path)
    for comment_id in (scene.comment_id, rival_id):
        page.locator(f"input[name=comment][value='{comment_id}']").check()
    page.get_by_role("button", name="Preview the batch").click()

    page.wait_for_url(f"**/consultations/{slug}/suggestions/merge?**")
    expect(page.locator(".merge-conflict")).to_have_text("Conflict")
    expect(page.locator(".conflict-current")).to_contain_text("before anyone else")
    expect(page.locator(".conflict-suggested")).to_contain_text("first of all")
    resolved = SUGGESTION.replace("before anyone else", "above all")
    page.get_by_label("Resolve: the paragraph will read").fill(resolved)
    page.get_by_role("button", name="Publish as version 2").click()

    page.wait_for_url(f"**/consultations/{slug}/diff/1..2")
    expect(page.locator(".diff-block--changed")).to_contain_text("above all")
    assert paragraph_3(live_server, slug) == (2, resolved)


def test_editor_filters_the_queue_with_the_keyboard_alone(
    page: Page, live_server: LiveServer
) -> None:
    scene = workspace(live_server, "synthesis-keyboard")
    sign_in(page, scene.editor, scene.path)
    expect(page.locator("#progress")).to_contain_text("0 of 1 thread decided")

    def filter_by_status(presses: int) -> None:
        page.locator("#filter-status").focus()
        for _ in range(presses):  # the closed select moves to the next choice
            page.keyboard.press("ArrowDown")
        for _ in range(6):  # past the other five filters to the button
            page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Filter")).to_be_focused()
        page.keyboard.press("Enter")

    filter_by_status(1)  # "Undecided"
    page.wait_for_url(re.compile(r".*status=undecided.*"))
    expect(page.locator("article.synthesis-card")).to_have_count(1)
    filter_by_status(1)  # from "Undecided" to "Decided"
    page.wait_for_url(re.compile(r".*status=decided.*"))
    expect(page.locator("article.synthesis-card")).to_have_count(0)
    expect(page.get_by_role("link", name="Show all threads")).to_be_visible()
