"""No user text is ever markup: every template, page and fragment, rendered through the real
app with hostile text in every field a person controls, shows that text as text.

The templates the app loads are recorded by the Jinja loader, so a new template that no
request here renders fails `test_every_template_renders_hostile_text_as_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
from bs4 import BeautifulSoup, Tag
from jinja2 import BaseLoader, Environment
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from accounts import following
from accounts.links import RESET_PASSWORD, EmailLinkService
from accounts.models import User
from app.templating import TEMPLATES_DIR
from app.urls import app_paths
from briefs import contesting
from briefs.contesting import ContestAnswer, NewContest
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from consultations.models import Consultation
from consultations.services import ConsultationService
from core import outbox
from core.clock import FixedClock
from core.enums import ConsultationStatus, Role, StakeholderGroup
from core.outbox import OutboxEvent
from tests.factories import comment_on, make_user
from tests.functional.conftest import Browser

MARK = "xss-probe"
#: Closes any attribute or element it lands in, then tries an element, event handlers, htmx
#: attributes and a script; `%(num)s` and `{{ }}` try the formatting of translated messages.
HOSTILE = (
    f'"\'><{MARK} {MARK}=1 hx-get="/{MARK}" hx-trigger="load" onmouseover="{MARK}()">'
    f'x</{MARK}><img src=x onerror="{MARK}()"><script>{MARK}()</script>%(num)s {{{{7*7}}}}'
)
#: Markdown that tries raw HTML, javascript: links and images, and an htmx attribute.
HOSTILE_MARKDOWN = (
    f"{HOSTILE}\n\n[link](javascript:{MARK}()) ![image](javascript:{MARK}())\n\n"
    f'<div hx-post="/{MARK}" hx-trigger="load">raw</div>\n\n'
    f"[ref][r]\n\n[r]: javascript:{MARK}()\n"
)
OUR_SCRIPTS = {
    "/static/htmx.min.js",
    "/static/quotes.js",
    "/static/local-time.js",
    "/static/cite.js",
}
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "hx-get", "hx-post")


class RecordingLoader(BaseLoader):
    """The app's own loader, noting each template it loads (includes and fragments too)."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner, self.loaded = inner, set[str]()

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        self.loaded.add(template)
        return self.inner.get_source(environment, template)


def _own_chart(element: Tag) -> bool:
    """An SVG chart where a template puts it: the printable brief's participation chart, and
    the consensus page's stance bars (in table cells) and their pattern definitions
    (Markdown renders no raw HTML, so no person's text can make an svg there or anywhere)."""
    parent = element.parent
    if element.name != "svg" or parent is None:
        return False
    classes = element.get("class")
    return (
        (classes == ["chart-svg"] and parent.get("class") == ["annex-section"])
        or (classes == ["stance-svg"] and parent.name == "td")
        or (classes == ["chart-defs"] and parent.name == "main")
        or (classes in (["timeline-svg"], ["strip-svg"]) and parent.name == "figure")
        or (classes == ["margin-chart"] and parent.name == "div")
    )


def injected(html: str) -> list[str]:
    """Every element or attribute of `html` that came from hostile input."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for element in soup.find_all(True):
        if _own_chart(element):
            pass  # the printable brief's participation chart; its attributes are checked below
        elif element.name in {MARK, "img", "iframe", "object", "embed", "svg"} or (
            element.name == "script" and element.get("src") not in OUR_SCRIPTS
        ):
            found.append(f"element <{element.name}>")
        for name, value in element.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name == MARK or name.startswith("on"):
                found.append(f"attribute {name} on <{element.name}>")
            elif name.startswith(("hx-", "data-hx-")) and MARK in text:
                found.append(f"htmx attribute {name}={text!r} on <{element.name}>")
            elif name in URL_ATTRIBUTES and text.strip().lower().startswith("javascript:"):
                found.append(f"javascript: URL in {name} on <{element.name}>")
    return found


class Visit:
    """Requests as a person's browser sends them, each answer checked for injected markup."""

    def __init__(self, browser: Browser) -> None:
        self.browser, self.problems, self.count = browser, list[str](), 0

    def check(self, what: str, response: httpx.Response) -> httpx.Response:
        assert response.status_code < 500, f"{what}: {response.status_code}"
        if response.headers.get("content-type", "").startswith("text/html"):
            self.count += 1
            self.problems += [f"{what}: {problem}" for problem in injected(response.text)]
        return response

    def get(self, url: str, *, htmx: bool = False) -> httpx.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.check(f"GET {url}", self.browser.get(url, headers=headers))

    def post(self, url: str, data: dict[str, str], *, htmx: bool = False) -> httpx.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.check(f"POST {url}", self.browser.form(url, data, headers=headers))


def _seed(session: Session, clock: FixedClock) -> dict[str, object]:
    """A consultation, comments, decisions and a brief, with hostile text everywhere."""
    chief = make_user(
        session, clock, role=Role.ADMIN, name=HOSTILE, organisation=HOSTILE, email="chief@x.org"
    )
    people = [
        make_user(session, clock, name=HOSTILE, organisation=HOSTILE, group=group)
        for group in StakeholderGroup
    ]
    unverified = make_user(
        session, clock, name=HOSTILE, organisation=HOSTILE, email_verified=False, group=None
    )
    service = ConsultationService(session, clock=clock)
    consultation = service.create(
        editor=chief,
        slug="hostile",
        title=HOSTILE,
        summary=HOSTILE,
        markdown=f"# {HOSTILE}\n\n{HOSTILE_MARKDOWN}\n\nA plain paragraph to change.\n",
        topics=["hostile-topic"],
        opens_at=clock.now(),
        closes_at=clock.now() + timedelta(days=30),
    )
    service.set_status(consultation, ConsultationStatus.OPEN, editor=chief)
    comments = [
        comment_on(
            session,
            clock,
            consultation,
            author=person,
            ordinal=ordinal,
            body=HOSTILE_MARKDOWN,
            suggestion=HOSTILE,
            stance=stance,
            attribution=attribution,
        )
        for person, ordinal, stance, attribution in zip(
            people,
            [1, 2, 3, 3, 4],
            ["support", "oppose", "amend", "question", "neutral"],
            ["named", "organisation", "group", "named", "named"],
            strict=True,
        )
    ]
    comment_on(
        session, clock, consultation, author=chief, body=HOSTILE_MARKDOWN, parent=comments[0]
    )
    # Two threads on the paragraph version 2 rewrites: orphaned, one to move and one to close.
    last = len(service.paragraphs(service.version(consultation)))
    orphans = [
        comment_on(session, clock, consultation, author=people[1], ordinal=last, body=HOSTILE)
        for _ in range(2)
    ]
    # Quoting the heading: the new version keeps it, so the page marks the quote for the
    # highlight (a data attribute); and a quote the new version no longer has.
    comment_on(session, clock, consultation, author=people[1], body=HOSTILE, quote=HOSTILE)
    comment_on(
        session, clock, consultation, author=people[2], ordinal=7, body=HOSTILE, quote="plain"
    )
    service.publish_version(
        consultation,
        editor=chief,
        markdown=f"# {HOSTILE}\n\n{HOSTILE_MARKDOWN}\n\nA changed paragraph, {HOSTILE}.\n",
        change_note=HOSTILE,
    )
    # Two accepted suggestions that conflict on the heading, and a contest with its answer.
    rivals = [
        comment_on(
            session,
            clock,
            consultation,
            author=people[index],
            ordinal=1,
            body=HOSTILE_MARKDOWN,
            suggestion=f"{HOSTILE} {word}",
        )
        for index, word in ((1, "one"), (2, "two"))
    ]
    service.set_status(consultation, ConsultationStatus.CLOSED, editor=chief)
    synthesis = SynthesisService(session, clock=clock)
    synthesis.decide(
        comments[0].thread_id,
        editor=chief,
        decision=Decision.of("accepted", HOSTILE_MARKDOWN),
    )
    briefs = BriefService(session, clock=clock)
    briefs.create(
        chief,
        "hostile-brief",
        HOSTILE,
        "en",
        ["hostile-topic"],
        f"{HOSTILE_MARKDOWN}\n\nCites [[thread:{comments[0].thread_id}]].",
        consultation_slug="hostile",
    )
    briefs.publish("hostile-brief", chief, app_paths())
    for rival in rivals:
        synthesis.decide(
            rival.thread_id, editor=chief, decision=Decision.of("accepted", HOSTILE_MARKDOWN)
        )
    contesting.contest_disposition(
        session, clock, people[0], comments[0].thread_id, NewContest(reason=HOSTILE_MARKDOWN)
    )
    contesting.answer_contest(
        session,
        clock,
        chief,
        "hostile",
        comments[0].thread_id,
        ContestAnswer(answer=HOSTILE_MARKDOWN),
    )
    briefs.create(chief, "hostile-draft", HOSTILE, "en", [], HOSTILE_MARKDOWN)
    still_open = service.create(
        editor=chief, slug="hostile-open", title=HOSTILE, markdown=HOSTILE_MARKDOWN
    )
    service.set_status(still_open, ConsultationStatus.OPEN, editor=chief)
    on_open = comment_on(session, clock, still_open, author=people[0], body=HOSTILE_MARKDOWN)
    # Mail given up on, whose last error echoes what the mail server said (and so the address).
    session.add(
        OutboxEvent(
            topic=outbox.MAIL,
            kind=HOSTILE[:40],
            payload={"to": HOSTILE},
            created_at=clock.now(),
            attempts=12,
            last_error=HOSTILE,
            failed_at=clock.now(),
        )
    )
    session.commit()
    return {
        "chief": chief,
        "people": people,
        "unverified": unverified,
        "comments": comments,
        "rivals": rivals,
        "open_key": on_open.thread.paragraph_key,
        "orphans": [(o.thread_id, o.thread.paragraph_key) for o in orphans],
    }


def _pages(visit: Visit, seeded: dict[str, object]) -> None:
    """Every page and fragment: public, participant's, editor's and admin's."""
    comments = seeded["comments"]
    assert isinstance(comments, list)
    key = comments[0].thread.paragraph_key
    for url in [
        "/",
        "/consultations",
        "/consultations?status=closed",
        "/consultations/hostile",
        "/consultations/hostile/v/1",
        "/consultations/hostile/diff/1..2",
        f"/consultations/hostile/p/{key}",
        "/briefs",
        "/briefs/hostile-brief",
        "/briefs/hostile-brief/v/1",
        # The printable document and every other export of the brief and the consultation:
        # HTML is checked for markup, the others for never failing on hostile text.
        "/briefs/hostile-brief.html",
        "/briefs/hostile-brief/v/1.html",
        "/briefs/hostile-brief.pdf",
        "/briefs/hostile-brief.md",
        "/briefs/hostile-brief.bib",
        "/briefs/hostile-brief.ris",
        "/briefs/hostile-brief.csl.json",
        "/consultations/hostile/comments.csv",
        "/consultations/hostile/comments.json",
        "/consultations/hostile/consensus",
        f"/consultations/hostile/consensus?sort={HOSTILE}",
        "/consultations/hostile/consensus.csv",
        f"/consultations/{HOSTILE}/comments.csv",
        f"/briefs/{HOSTILE}.html",
        "/search?q=xss",
        f"/search?q={HOSTILE}",
        f"/search?q=xss&topic={HOSTILE}&type={HOSTILE}&from={HOSTILE}&page={HOSTILE}",
        f"/consultations/{HOSTILE}",
        f"/briefs/{HOSTILE}",
        f"/no/such/{HOSTILE}",
    ]:
        visit.get(url)
    for url in [f"/consultations/hostile/p/{key}", f"/search?q={HOSTILE}", "/search?q=xss"]:
        visit.get(url, htmx=True)
    visit.get(f"/consultations/{HOSTILE}", htmx=True)


def _forms(visit: Visit, key: str) -> None:
    """Forms sent back with hostile values: their errors must not echo markup."""
    slug_url = f"/consultations/hostile/p/{key}/comments"
    bad_comment = {"body": HOSTILE, "stance": HOSTILE, "attribution": HOSTILE}
    visit.post(slug_url, {**bad_comment, "parent_id": HOSTILE})
    visit.post(slug_url, {**bad_comment, "parent_id": HOSTILE}, htmx=True)
    # A quote that is not in the paragraph: the 422 must not echo it as markup.
    quoting = {"body": HOSTILE, "stance": "support", "attribution": "named", "quote": HOSTILE * 2}
    visit.post(slug_url, quoting)
    visit.post(slug_url, quoting, htmx=True)
    visit.post("/consultations/hostile/status", {"status": HOSTILE})
    visit.post("/consultations/hostile/status", {"status": HOSTILE}, htmx=True)
    visit.post("/consultations/hostile/period", {"opens_at": HOSTILE, "closes_at": HOSTILE})
    new = {"slug": HOSTILE, "title": HOSTILE, "summary": HOSTILE, "language": HOSTILE}
    visit.post("/consultations", {**new, "topics": HOSTILE, "markdown": HOSTILE})
    brief = {"slug": HOSTILE, "title": HOSTILE, "language": HOSTILE, "topics": HOSTILE}
    visit.post("/briefs", {**brief, "consultation": HOSTILE, "body_markdown": HOSTILE_MARKDOWN})
    visit.post(
        "/briefs/hostile-draft/edit",
        {"title": HOSTILE, "body_markdown": f"{HOSTILE} [[thread:999999]]", "change_note": HOSTILE},
    )
    visit.post("/account/profile", {"name": HOSTILE, "organisation": HOSTILE, "country": HOSTILE})
    visit.post("/account/tokens", {"name": HOSTILE, "scope": HOSTILE})
    visit.post("/account/delete", {"email": HOSTILE})


def _editor_pages(visit: Visit, key: str) -> None:
    for url in [
        "/consultations/new",
        "/consultations/hostile/manage",
        "/consultations/hostile/synthesis",
        "/briefs/new",
        "/briefs/hostile-draft/edit",
        "/account",
        "/admin/people",
        f"/admin/people?group={HOSTILE}&status={HOSTILE}&q={HOSTILE}",
        "/admin/organisations",
        "/admin/mail",
    ]:
        visit.get(url)
    visit.post("/account/tokens", {"name": HOSTILE, "scope": "read"})
    visit.get("/account")
    _forms(visit, key)
    visit.get("/account/comments")  # the hostile comments the forms above posted
    visit.get(f"/account/comments?page={HOSTILE}")


def _reanchoring(visit: Visit, key: str, orphans: list[tuple[int, str]]) -> None:
    """The re-anchor queue, its refused forms, then a thread closed and one moved."""
    (closed, old_key), (moved, _same) = orphans
    visit.get("/consultations/hostile/reanchor")
    threads = "/consultations/hostile/threads"
    for htmx in (False, True):
        visit.post(f"{threads}/{moved}/move", {"key": HOSTILE}, htmx=htmx)
        visit.post(f"{threads}/{closed}/close", {"reason": " "}, htmx=htmx)
    assert visit.post(f"{threads}/{closed}/close", {"reason": HOSTILE}, htmx=True).is_success
    assert visit.post(f"{threads}/{moved}/move", {"key": key}, htmx=True).is_success
    visit.get("/consultations/hostile/reanchor")
    visit.get(f"/consultations/hostile/p/{old_key}")
    visit.get(f"/consultations/hostile/p/{key}", htmx=True)


def _flagging(visit: Visit, comment_id: int) -> None:
    """The flag form refused (the page and the htmx fragment), then a hostile note sent."""
    flags = f"/comments/{comment_id}/flags"
    for htmx in (False, True):
        visit.post(flags, {"reason": HOSTILE, "note": HOSTILE}, htmx=htmx)
    assert visit.post(flags, {"reason": "other", "note": HOSTILE}).status_code == 303


def _moderating(visit: Visit, comment_id: int, key: str) -> None:
    """The queue with a hostile note, a refused and a hostile reason, the hidden comment, and
    the audit log with hostile filters."""
    visit.get("/moderation")
    visit.post(f"/moderation/comments/{comment_id}/hide", {"reason": " "})
    assert (
        visit.post(f"/moderation/comments/{comment_id}/hide", {"reason": HOSTILE}).status_code
        == 303
    )
    visit.get("/moderation")
    visit.get(f"/consultations/hostile/p/{key}")
    visit.get("/audit")
    visit.get(f"/audit?action={HOSTILE}&actor={HOSTILE}&consultation={HOSTILE}&from={HOSTILE}")
    visit.get("/audit?consultation=hostile")


def _merging(visit: Visit, seeded: dict[str, object], key: str) -> None:
    """The preview of a conflicting batch, the workspace filtered, and bad confirmations."""
    rivals = seeded["rivals"]
    assert isinstance(rivals, list)
    ids = ",".join(str(rival.id) for rival in rivals)
    query = "&".join(f"comment={rival.id}" for rival in rivals)
    visit.get(f"/consultations/hostile/suggestions/merge?{query}")
    visit.get(f"/consultations/hostile/suggestions/merge?comment={HOSTILE}")
    visit.get(
        f"/consultations/hostile/synthesis?group={HOSTILE}&stance={HOSTILE}&status=decided"
        f"&paragraph={HOSTILE}&suggestion=yes&disposition=accepted"
    )
    apply = "/consultations/hostile/suggestions/apply"
    visit.post(apply, {"comments": ids, "version": "2", f"text-{key}": ""})
    visit.post(apply, {"comments": ids, "version": HOSTILE, f"text-{key}": HOSTILE})
    visit.post(apply, {"comments": HOSTILE, "version": HOSTILE})
    answer = f"/consultations/hostile/threads/{rivals[0].thread_id}/contest/answer"
    visit.post(answer, {"answer": HOSTILE})


def _signed_out_flows(visit: Visit, session: Session, clock: FixedClock, person: User) -> None:
    """Sign-in, sign-up, verification and password pages with hostile input echoed back."""
    for url in ["/signin", f"/signin?next={HOSTILE}", "/signup", "/password/forgot"]:
        visit.get(url)
    visit.get(f"/verify/{HOSTILE}")
    visit.get(f"/password/reset/{HOSTILE}")
    visit.post("/signin", {"email": HOSTILE, "password": HOSTILE, "next": HOSTILE})
    visit.post("/signup", {"name": HOSTILE, "email": HOSTILE, "password": "x"})
    visit.post("/signup", {"name": HOSTILE, "email": "new@x.org", "password": HOSTILE * 2})
    visit.post("/password/forgot", {"email": HOSTILE})
    secret = EmailLinkService(session, clock=clock).issue(
        person, RESET_PASSWORD, timedelta(hours=1)
    )
    session.commit()
    visit.get(f"/password/reset/{secret}")
    visit.post(f"/password/reset/{secret}", {"password": "short", "confirm": HOSTILE})


def _following(
    visit: Visit, session: Session, clock: FixedClock, person: User, thread_id: int
) -> None:
    """Follow buttons, the notification list, its settings and the unsubscribe pages."""
    hostile = session.scalars(select(Consultation).where(Consultation.slug == "hostile")).one()
    following.fan_out(
        session,
        "version",
        clock.now(),
        actor_id=None,
        direct=[person.id],
        consultation_id=hostile.id,
        number=HOSTILE,
    )
    following.follow(session, person.id, "thread", thread_id, clock.now())
    session.commit()
    topic = hostile.topics[0]
    visit.get("/consultations?topic=hostile-topic")
    visit.post(f"/follow/topic/{topic.id}", {"action": "follow", "next": HOSTILE}, htmx=True)
    visit.post(f"/follow/topic/{topic.id}", {"action": HOSTILE, "next": HOSTILE})
    visit.get("/notifications")
    visit.post("/notifications/read", {})
    settings = {"language": HOSTILE, "timezone": HOSTILE, "notify_frequency": HOSTILE}
    visit.post("/account/notifications", {**settings, "digest_hour": HOSTILE})
    token = following.unsubscribe_token("test-secret", person.id, "thread", thread_id)
    visit.get(f"/unsubscribe/{token}")
    visit.post(f"/unsubscribe/{token}", {})
    visit.get(f"/unsubscribe/{HOSTILE}")


def test_every_template_renders_hostile_text_as_text(
    app: Starlette, browser: Browser, session: Session, clock: FixedClock
) -> None:
    loader = RecordingLoader(app.state.templates.env.loader)
    app.state.templates.env.loader = loader
    app.state.templates.env.cache = None  # load every template through the recording loader
    seeded = _seed(session, clock)
    app.state.worker.run_once()  # index everything for the search pages
    visit = Visit(browser)
    hits = BeautifulSoup(browser.get("/search?q=xss").text, "html.parser").select(".author")
    assert len(hits) >= 5, "the search page must show the hostile authors"
    comments, unverified = seeded["comments"], seeded["unverified"]
    assert isinstance(comments, list) and isinstance(unverified, User)
    key = comments[0].thread.paragraph_key

    _signed_out_flows(visit, session, clock, unverified)
    _pages(visit, seeded)
    people = seeded["people"]
    assert isinstance(people, list)
    browser.sign_in(people[0].email)  # the comment and reply forms of an open consultation
    open_key = seeded["open_key"]
    visit.get(f"/consultations/hostile-open/p/{open_key}")
    visit.get(f"/consultations/hostile-open/p/{open_key}", htmx=True)
    visit.post(f"/consultations/hostile-open/p/{open_key}/comments", {"body": HOSTILE_MARKDOWN})
    _following(visit, session, clock, people[0], comments[0].thread_id)
    _flagging(visit, comments[0].id)
    browser.cookies.clear()
    browser.sign_in(unverified.email)
    visit.get("/verify")
    visit.post("/verify/resend", {})
    visit.get(f"/consultations/hostile/p/{key}")
    browser.cookies.clear()
    chief = seeded["chief"]
    assert isinstance(chief, User)
    browser.sign_in(chief.email)
    _pages(visit, seeded)
    _editor_pages(visit, key)
    orphans = seeded["orphans"]
    assert isinstance(orphans, list)
    _reanchoring(visit, key, orphans)
    _merging(visit, seeded, key)
    _moderating(visit, comments[0].id, key)
    visit.post("/account/delete", {"email": chief.email})

    templates = {path.relative_to(TEMPLATES_DIR).as_posix() for path in _templates()}
    assert not templates - loader.loaded, (
        f"templates no request rendered: {templates - loader.loaded}"
    )
    assert visit.count >= 60
    assert not visit.problems, "\n".join(visit.problems)


def _templates() -> list[Path]:
    return sorted(TEMPLATES_DIR.rglob("*.html"))
