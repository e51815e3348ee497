"""The XSS corpus (tests/browser/xss_payloads.json) in Chromium, through the real app: each
payload as a profile name, an organisation, a comment body, a suggestion, a consultation
title, a brief's Markdown and a search query, seen by a signed-in editor (the person the
stored-XSS attack on /search aimed at). Not one script may run (no dialog, no console mark,
no request to the payloads' /xss-hit URLs) and not one element or attribute may come from a
payload (the DOM is checked against the elements and attributes our templates and Markdown
produce)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from app.templating import TEMPLATES_DIR
from app.urls import app_paths
from briefs.services import BriefService
from consultations.models import Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus, StakeholderGroup
from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import sign_in
from tests.factories import comment_on, editor, make_user

pytestmark = pytest.mark.browser

PAYLOADS: list[str] = json.loads(
    (Path(__file__).parent / "xss_payloads.json").read_text(encoding="utf-8")
)
FIELDS = (
    "profile name",
    "organisation",
    "comment body",
    "suggestion",
    "quote (highlighted by app/static/quotes.js)",
    "consultation title",
    "brief Markdown",
    "search query",
)
#: What safe Markdown output adds to the elements and attributes of our templates.
MARKDOWN_TAGS = {"p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "hr"}
MARKDOWN_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "br", "img", "table", "thead", "tbody"}
MARKDOWN_TAGS |= {"tr", "th", "td", "s", "del", "ins", "mark"}
MARKDOWN_ATTRIBUTES = {"href", "rel", "src", "alt", "title", "start", "style", "class"}
EDITOR_EMAIL = "xss-editor@example.org"


def _template_vocabulary() -> tuple[set[str], set[str]]:
    """Every element and attribute name written in app/templates."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in TEMPLATES_DIR.rglob("*.html"))
    source = re.sub(r"{[{%#].*?[}%#]}", " ", source, flags=re.S)
    tags = set(re.findall(r"<([a-z][a-z0-9-]*)", source))
    attributes = set()
    for inside in re.findall(r"<[a-z][a-z0-9-]*(\s[^<>]*)>", source):
        attributes |= set(re.findall(r"\s([a-z][a-z0-9:._-]*)(?=[\s=>]|$)", inside))
    return tags, attributes


TEMPLATE_TAGS, TEMPLATE_ATTRIBUTES = _template_vocabulary()
ALLOWED = {
    "tags": sorted(TEMPLATE_TAGS | MARKDOWN_TAGS | {"html", "head", "body"}),
    "attributes": sorted(TEMPLATE_ATTRIBUTES | MARKDOWN_ATTRIBUTES),
    # Ours, from app/static (base.html); any other is injected.
    "scripts": [
        "/static/htmx.min.js",
        "/static/quotes.js",
        "/static/local-time.js",
        "/static/cite.js",
    ],
}
#: Runs in the page: every element or attribute the allow-list does not know, every event
#: handler, link or source whose URL scheme runs code, htmx attribute naming a payload's
#: /xss-hit or alert(), and any script but ours.
FIND_INJECTED = r"""(allowed) => {
  const tags = new Set(allowed.tags), attributes = new Set(allowed.attributes), found = [];
  const urls = new Set(["href", "src", "action", "formaction", "data", "background", "poster"]);
  const runs = /^(javascript|vbscript|data:text)/;
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName;
    if (!tags.has(tag)) found.push(`<${tag}>`);
    if (tag === "script" && !allowed.scripts.includes(el.getAttribute("src"))) found.push("script");
    for (const {name, value} of el.attributes) {
      const v = value.trim().toLowerCase();
      if (!attributes.has(name) || name.startsWith("on")) found.push(`<${tag} ${name}>`);
      if (urls.has(name) && runs.test(v.replace(/[\s\x00-\x1f]/g, "")))
        found.push(`<${tag} ${name}=${v.slice(0, 30)}>`);
      if ((name.startsWith("hx-") || name.startsWith("data-hx-")) && /xss-hit|alert\(/.test(v))
        found.push(`<${tag} ${name}=${v.slice(0, 30)}>`);
    }
  }
  return found;
}"""


@dataclass
class Scene:
    consultation_paths: list[str]
    brief_paths: list[str]


@dataclass
class Watch:
    """Everything a payload that ran would leave behind."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_dialog(dialog: object) -> None:
            self.dialogs.append(str(getattr(dialog, "message", "")))
            dialog.dismiss()  # type: ignore[attr-defined]

        page.on("dialog", on_dialog)
        page.on("console", lambda message: self.console.append(message.text))
        page.on("request", lambda request: self.requests.append(request.url))

    def scripts_executed(self) -> list[str]:
        marks = [m for m in self.console if "xss" in m.lower() and "Content Security" not in m]
        hits = [url for url in self.requests if "xss-hit" in urlsplit(url).path]
        return self.dialogs + marks + hits


def _build(session: Session, clock: FixedClock) -> Scene:
    chief = editor(session, clock, email=EDITOR_EMAIL)
    consultations = ConsultationService(session, clock=clock)
    briefs = BriefService(session, clock=clock)
    groups = list(StakeholderGroup)
    scene = Scene([], [])
    for number, payload in enumerate(PAYLOADS):
        author = make_user(
            session,
            clock,
            name=payload[:200],  # the column's length; long payloads keep their start
            organisation=payload[:200],
            group=groups[number % len(groups)],
        )
        consultation = consultations.create(
            editor=chief,
            slug=f"probe-{number}",
            title=payload[:300],
            # The payload in the draft too, on one line, so that the comment can quote it.
            markdown=(
                f"Paragraph about zebra{number} and encryption: {' '.join(payload.split())}"
                "\n\nA second paragraph.\n"
            ),
            opens_at=clock.now(),
            closes_at=clock.now() + timedelta(days=30),
        )
        consultations.set_status(consultation, ConsultationStatus.OPEN, editor=chief)
        comment = comment_on(
            session,
            clock,
            consultation,
            author=author,
            body=f"{payload}\n\nzebra{number}",
            stance="amend",
            suggestion=payload,
            quote=_first_paragraph(consultations, consultation),
        )
        briefs.create(chief, f"probe-brief-{number}", f"Brief {number}", "en", [], payload)
        briefs.publish(f"probe-brief-{number}", chief, app_paths())
        scene.consultation_paths.append(
            f"/consultations/probe-{number}/p/{comment.thread.paragraph_key}"
        )
        scene.brief_paths.append(f"/briefs/probe-brief-{number}")
    return scene


def _first_paragraph(service: ConsultationService, consultation: Consultation) -> str:
    """Its text, whatever Markdown made of the payload: all of it may be quoted."""
    return service.paragraphs(service.version(consultation))[0].text[:2000]


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    return live_server.seed(_build)


def test_the_corpus_is_the_one_described() -> None:
    assert len(PAYLOADS) == 62 and len(set(PAYLOADS)) == 62
    assert {"a", "form", "input", "script", "span"} <= TEMPLATE_TAGS
    assert {"hx-get", "hx-disable", "href", "class"} <= TEMPLATE_ATTRIBUTES


def test_no_payload_runs_or_injects_markup_in_any_field(
    page: Page, live_server: LiveServer, scene: Scene
) -> None:
    watch = Watch()
    watch.attach(page)
    sign_in(page, EDITOR_EMAIL, "/")
    injected: dict[str, list[str]] = {}
    visited = 0
    urls = [
        *scene.consultation_paths,  # title, name, organisation, body, suggestion, quote
        *scene.brief_paths,  # brief Markdown
        *(f"/search?q=zebra{number}" for number in range(len(PAYLOADS))),  # author labels
        *(f"/search?{_query(payload)}" for payload in PAYLOADS),  # the query itself
    ]
    _wait_until_indexed(page, len(PAYLOADS) - 1)
    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status < 500, url
        page.wait_for_load_state("load")
        visited += 1
        found = page.evaluate(FIND_INJECTED, ALLOWED)
        if found:
            injected[url] = found
    assert page.evaluate("typeof window.htmx") == "object", "htmx ran on the pages"

    print(
        f"\nXSS corpus: {len(PAYLOADS)} payloads x {len(FIELDS)} fields, {visited} pages; "
        f"scripts executed: {len(watch.scripts_executed())}; "
        f"pages with injected elements: {len(injected)}"
    )
    assert visited == 4 * len(PAYLOADS)
    assert watch.scripts_executed() == []
    assert injected == {}, "\n".join(
        f"{url}: {found}" for url, found in list(injected.items())[:15]
    )


def _query(payload: str) -> str:
    return urlencode({"q": payload[:500]})


def _wait_until_indexed(page: Page, last: int) -> None:
    """The live server's outbox worker indexes the seeded comments within a few polls."""
    for _ in range(100):
        page.goto(f"/search?q=zebra{last}&type=comment")
        if page.locator("ol.search-hits > li").count():
            return
        page.wait_for_timeout(200)
    pytest.fail("the comments were not indexed within 20 s")
