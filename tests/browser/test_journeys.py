"""Journey 1 (stakeholder) in Chromium: with htmx in the margin, and with JavaScript off."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Locator, Page, expect
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.services import AccountService
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Role, StakeholderGroup
from tests.browser.conftest import LiveServer
from tests.factories import PASSWORD, comment_on, make_user, open_consultation

pytestmark = pytest.mark.browser

BODY = "Lawful access must not weaken end-to-end encryption."
REWORDING = "Encryption protects end users and must never be weakened."


@dataclass(frozen=True)
class Scene:
    slug: str
    keys: list[str]
    email: str

    @property
    def path(self) -> str:
        return f"/consultations/{self.slug}"


def passwordless(
    session: Session,
    clock: FixedClock,
    handle: str,
    *,
    role: Role = Role.PARTICIPANT,
    group: StakeholderGroup = StakeholderGroup.CIVIL_SOCIETY,
    organisation: str | None = None,
) -> User:
    """People who never sign in here need no password hash (Argon2 costs ~0.5 s each)."""
    return AccountService(session, clock=clock).create_user(
        email=f"{handle}@example.org",
        name=handle.title(),
        role=role,
        group=group,
        organisation=organisation,
        country="UA",
    )


def open_draft(server: LiveServer, slug: str) -> Scene:
    """A 12-paragraph open draft, a government participant, and an earlier thread on ¶3."""

    def build(session: Session, clock: FixedClock) -> Scene:
        chair = passwordless(session, clock, f"editor-{slug}", role=Role.EDITOR)
        consultation = open_consultation(session, clock, paragraphs=12, slug=slug, by=chair)
        service = ConsultationService(session, clock=clock)
        keys = [p.key for p in service.paragraphs(service.version(consultation))]
        participant = make_user(
            session,
            clock,
            name="Olena Kovalenko",
            organisation="Ministry of Digital Transformation",
            group=StakeholderGroup.GOVERNMENT,
        )
        engineer = passwordless(
            session,
            clock,
            f"engineer-{slug}",
            organisation="UA-IX",
            group=StakeholderGroup.TECHNICAL_COMMUNITY,
        )
        comment_on(
            session,
            clock,
            consultation,
            author=engineer,
            ordinal=3,
            stance="amend",
            suggestion="The Internet is for end users, and protocols must serve them first.",
        )
        return Scene(slug, keys, participant.email)

    return server.seed(build)


def sign_in(page: Page, email: str, then: str) -> None:
    """Through the real form, as a person does, landing where they were going."""
    page.goto(f"/signin?next={then}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{then}")


def fill_comment(form: Locator) -> None:
    form.get_by_label("Oppose").check()
    form.get_by_label("Comment", exact=True).fill(BODY)
    form.get_by_label("Proposed replacement text (optional)").fill(REWORDING)
    form.get_by_label("Show my comment as").select_option("group")
    form.get_by_role("button", name="Post comment").click()


def expect_group_only(comment: Locator) -> None:
    """Chatham House: the group label, never the name or the organisation."""
    expect(comment.locator(".author")).to_have_text("Government")
    expect(comment.locator(".stance")).to_have_text("Oppose")
    expect(comment.locator(".suggestion ins").first).to_be_visible()
    expect(comment).not_to_contain_text("Olena")
    expect(comment).not_to_contain_text("Ministry")


def test_stakeholder_comments_in_the_margin_without_a_reload(
    page: Page, live_server: LiveServer
) -> None:
    scene = open_draft(live_server, "end-users-htmx")
    key = scene.keys[6]
    sign_in(page, scene.email, scene.path)
    navigations: list[str] = []
    page.on("framenavigated", lambda f: navigations.append(f.url) if f == page.main_frame else None)
    page.evaluate("window.__marker = 'still here'")
    count = page.locator(f"#p-{key} .margin-count")
    expect(count).to_contain_text("0 comments")

    count.click()
    panel = page.locator(f"#margin-{key}")
    expect(panel.locator("form.comment-form")).to_be_visible()
    fill_comment(panel.locator("form.comment-form"))

    expect_group_only(panel.locator(".comment").filter(has_text=BODY))
    assert page.evaluate("window.__marker") == "still here"
    assert navigations == []
    assert page.url == live_server.url + scene.path
    page.reload()
    expect(page.locator(f"#p-{key} .margin-count")).to_contain_text("1 comment")


def test_stakeholder_comments_without_javascript(
    page_without_js: Page, live_server: LiveServer
) -> None:
    page = page_without_js
    scene = open_draft(live_server, "end-users-plain")
    key = scene.keys[6]
    sign_in(page, scene.email, scene.path)

    page.locator(f"#p-{key} .margin-count").click()
    page.wait_for_url(f"**{scene.path}/p/{key}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Paragraph 7")
    fill_comment(page.locator("form.comment-form"))

    page.wait_for_url(re.compile(rf"{re.escape(scene.path)}/p/{key}\?posted=\d+#c-\d+$"))
    expect_group_only(page.locator(".comment").filter(has_text=BODY))
    page.goto(scene.path)
    expect(page.locator(f"#p-{key} .margin-count")).to_contain_text("1 comment")


CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_draft_page_and_thread_panel_respect_the_content_security_policy(
    page: Page, live_server: LiveServer
) -> None:
    scene = open_draft(live_server, "end-users-csp")
    sign_in(page, scene.email, scene.path)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.add_init_script(CSP_RECORDER)
    page.goto(scene.path)
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"

    page.locator(f"#p-{scene.keys[2]} .margin-count").click()
    expect(page.locator(f"#margin-{scene.keys[2]} .comment")).to_have_count(1)
    page.locator(f"#p-{scene.keys[6]} .margin-count").click()
    expect(page.locator(f"#margin-{scene.keys[6]} form.comment-form")).to_be_visible()

    assert page.evaluate("window.__cspViolations") == []
    assert [p for p in problems if "Content Security Policy" in p] == []
    assert problems == []


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Not committed: set ROUNDTABLE_SCREENSHOTS to keep them somewhere to look at."""
    chosen = os.environ.get("ROUNDTABLE_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_screenshot_of_the_draft_with_the_margin_open(
    page: Page, live_server: LiveServer, screenshots: Path, request: pytest.FixtureRequest
) -> None:
    scene = open_draft(live_server, "end-users-look")
    sign_in(page, scene.email, scene.path)
    key = scene.keys[2]
    page.locator(f"#p-{key} .margin-count").click()
    expect(page.locator(f"#margin-{key} form.comment-form")).to_be_visible()

    database = request.node.callspec.params["served_engine"]
    target = screenshots / f"draft-margin-open-{database}.png"
    page.locator(f"#p-{key}").scroll_into_view_if_needed()
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
