"""Journeys 2 and 3 over HTTP: an editor composes and publishes a brief; a diplomat reads it,
downloads it and cites a version that stays at its permalink."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup, Tag
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.urls import app_paths
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from core.clock import FixedClock
from tests.factories import PASSWORD, make_user
from tests.functional.conftest import Browser, page
from tests.unit.briefs.conftest import (
    SECRET_NAME,
    SECRET_ORGANISATION,
    Consulted,
    build_consulted,
)

BODY = "## Findings\n\nGroups disagreed on lawful access [[thread:{cited}]].\n"


def one(html: BeautifulSoup | Tag, selector: str) -> Tag:
    """The element a person would look at; a missing one fails with its selector."""
    found = html.select_one(selector)
    assert found is not None, f"nothing matches {selector!r}"
    return found


@dataclass
class Published:
    consulted: Consulted
    cited: int

    @property
    def editor_email(self) -> str:
        return self.consulted.editor.email


@pytest.fixture
def consulted(session: Session, clock: FixedClock) -> Consulted:
    consulted = build_consulted(session, clock, password=PASSWORD)
    session.commit()
    return consulted


@pytest.fixture
def published(session: Session, clock: FixedClock, consulted: Consulted) -> Published:
    """Brief "findings", version 1, citing the Chatham House thread, which was accepted."""
    cited = consulted.chatham.thread_id
    SynthesisService(session, clock=clock).decide(
        cited, editor=consulted.editor, decision=Decision.of("accepted", "Merged.")
    )
    service = BriefService(session, clock=clock)
    service.create(
        consulted.editor,
        "findings",
        "Lawful access: findings",
        "en",
        ["encryption"],
        BODY.format(cited=cited),
        consulted.consultation.slug,
    )
    service.publish("findings", consulted.editor, app_paths())
    session.commit()
    return Published(consulted, cited)


def test_editor_composes_and_publishes_a_brief(browser: Browser, consulted: Consulted) -> None:
    cited = consulted.chatham.thread_id
    browser.sign_in(consulted.editor.email)
    form = page(browser.get("/briefs/new?consultation=lawful-access"))
    assert one(form, "select#consultation option[selected]")["value"] == "lawful-access"

    created = browser.form(
        "/briefs",
        {
            "title": "Lawful access: findings",
            "slug": "findings",
            "consultation": "lawful-access",
            "language": "en",
            "topics": "encryption",
            "body_markdown": BODY.format(cited=cited),
        },
    )
    assert created.status_code == 303 and created.headers["location"] == "/briefs/findings/edit"
    editing = page(browser.get("/briefs/findings/edit"))
    assert one(editing, ".preview a.citation").get_text() == "[1]"
    assert f"[[thread:{cited}]]" in one(editing, "#citable").get_text()

    assert "0 of 3 threads decided" in one(editing, ".publish-progress").get_text()
    assert one(editing, "input[name=confirm_undecided]").has_attr("required")
    refused = browser.form("/briefs/findings/publish")
    assert refused.status_code == 409
    assert "3 threads of the consultation have no disposition" in page(refused).get_text()

    published = browser.form("/briefs/findings/publish", {"confirm_undecided": "1"})
    assert published.status_code == 303
    assert published.headers["location"] == "/briefs/findings/v/1"
    html = page(browser.get("/briefs/findings"))
    assert one(html, "h1").get_text() == "Lawful access: findings"
    link = one(html, ".brief-body a.citation")
    assert str(link["href"]).endswith(f"#t-{cited}")


def test_reader_sees_the_annex_and_participation(anonymous: Browser, published: Published) -> None:
    html = page(anonymous.get("/briefs/findings"))

    rows = html.select("table#dispositions tbody tr")
    assert len(rows) == 3
    cited_row = one(html, f"#annex-t-{published.cited}")
    cells = [td.get_text(strip=True) for td in cited_row.select("td")]
    assert cells[2] == "Civil society"
    assert cells[4:] == ["Oppose", "Accepted", "Merged."]
    meters = html.select("table#participation meter")
    assert [m["value"] for m in meters] == ["1", "0", "1", "1", "0"]
    assert html.select("[style]") == []


def test_copy_citation_names_the_version_permalink(
    anonymous: Browser, published: Published
) -> None:
    html = page(anonymous.get("/briefs/findings"))
    citation = one(html, "pre.citation").get_text()
    assert citation.startswith("Internet Society Ukraine Chapter. “Lawful access: findings”.")
    assert "Version 1, 2026-11-02" in citation
    assert citation.endswith("http://testserver/briefs/findings/v/1")


def test_version_one_stays_at_its_permalink(
    browser: Browser, anonymous: Browser, published: Published
) -> None:
    browser.sign_in(published.editor_email)
    assert browser.form("/briefs/findings/revise").headers["location"] == "/briefs/findings/edit"
    saved = browser.form(
        "/briefs/findings/edit",
        {"title": "Lawful access: corrected", "body_markdown": "Corrected.", "change_note": "Fix"},
    )
    assert saved.status_code == 303
    republished = browser.form("/briefs/findings/publish", {"confirm_undecided": "1"})
    assert republished.headers["location"] == "/briefs/findings/v/2"

    latest = page(anonymous.get("/briefs/findings"))
    assert one(latest, "h1").get_text() == "Lawful access: corrected"
    first = page(anonymous.get("/briefs/findings/v/1"))
    assert one(first, "h1").get_text() == "Lawful access: findings"
    note = one(first, ".newer-version a")
    assert note["href"] == "/briefs/findings/v/2"
    assert anonymous.get("/briefs/findings/v/3").status_code == 404


def test_exports_of_a_version(anonymous: Browser, published: Published) -> None:
    pdf = anonymous.get("/briefs/findings.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    markdown = anonymous.get("/briefs/findings/v/1.md")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("# Lawful access: findings")
    assert "max-age=86400" in markdown.headers["cache-control"]
    data = anonymous.get("/briefs/findings.json").json()
    assert (data["slug"], data["version"], data["citations"]) == ("findings", 1, [published.cited])
    assert anonymous.get("/briefs/nothing.json").status_code == 404


def test_chatham_house_author_appears_in_no_output(
    anonymous: Browser, published: Published
) -> None:
    outputs = [
        anonymous.get("/briefs/findings").text,
        anonymous.get("/briefs/findings/v/1").text,
        anonymous.get("/briefs/findings.md").text,
        anonymous.get("/briefs/findings.json").text,
        anonymous.get("/feeds/briefs.atom").text,
        anonymous.get("/feeds/topics/encryption.atom").text,
        anonymous.get("/briefs").text,
    ]
    reader = PdfReader(io.BytesIO(anonymous.get("/briefs/findings.pdf").content))
    outputs.append("\n".join(p.extract_text() for p in reader.pages))
    for output in outputs:
        assert SECRET_NAME not in output
        assert SECRET_ORGANISATION not in output


def test_list_and_topic_filter(anonymous: Browser, published: Published) -> None:
    listed = page(anonymous.get("/briefs"))
    assert [a.get_text() for a in listed.select(".card > a")] == ["Lawful access: findings"]
    other = page(anonymous.get("/briefs?topic=routing"))
    assert other.select(".card") == [] and other.select_one(".empty") is not None


def test_unpublished_brief_is_not_public(
    browser: Browser, anonymous: Browser, session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    BriefService(session, clock=clock).create(consulted.editor, "secret", "S", "en", [], "Text.")
    session.commit()
    assert anonymous.get("/briefs/secret").status_code == 404
    assert anonymous.get("/briefs/secret.pdf").status_code == 404
    browser.sign_in(consulted.editor.email)
    assert browser.get("/briefs/secret").headers["location"] == "/briefs/secret/edit"


def test_publishing_an_unknown_citation_is_refused_with_its_name(
    browser: Browser, session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    BriefService(session, clock=clock).create(
        consulted.editor, "bad", "Bad", "en", [], "See [[thread:987654]].", "lawful-access"
    )
    session.commit()
    browser.sign_in(consulted.editor.email)

    response = browser.form("/briefs/bad/publish")

    assert response.status_code == 422
    html = page(response)
    assert "[[thread:987654]]" in one(html, ".notice--error").get_text()
    assert "987654" in one(html, "#unresolved").get_text()


def test_invalid_new_brief_keeps_what_was_typed(browser: Browser, consulted: Consulted) -> None:
    browser.sign_in(consulted.editor.email)
    response = browser.form(
        "/briefs", {"title": "Kept title", "slug": "Not A Slug", "body_markdown": "Body."}
    )
    assert response.status_code == 422
    html = page(response)
    assert "slug" in one(html, ".notice--error").get_text()
    assert one(html, "#title")["value"] == "Kept title"


def test_the_form_publishes_at_once_when_the_box_is_ticked(
    browser: Browser, consulted: Consulted
) -> None:
    cited = consulted.chatham.thread_id
    browser.sign_in(consulted.editor.email)
    box = one(page(browser.get("/briefs/new")), "input[type=checkbox][name=publish]")
    assert not box.has_attr("checked")

    created = browser.form(
        "/briefs",
        {
            "title": "Lawful access: findings",
            "slug": "findings",
            "consultation": "lawful-access",
            "language": "uk",
            "topics": " Encryption, , lawful-access ",
            "body_markdown": BODY.format(cited=cited),
            "publish": "1",
            "confirm_undecided": "1",
        },
    )

    assert created.status_code == 303 and created.headers["location"] == "/briefs/findings/v/1"
    html = page(browser.get("/briefs/findings/v/1"))
    assert one(html, "h1").get_text() == "Lawful access: findings"
    assert str(one(html, ".brief-body a.citation")["href"]).endswith(f"#t-{cited}")
    topics = [a.get_text() for a in html.select("a[href^='/briefs?topic=']")]
    assert topics == ["#encryption", "#lawful-access"]
    assert one(html, ".brief-body")["lang"] == "uk"


def test_a_taken_slug_is_refused_with_the_form_kept(browser: Browser, published: Published) -> None:
    browser.sign_in(published.editor_email)

    response = browser.form(
        "/briefs",
        {"title": "Second findings", "slug": "findings", "language": "en", "body_markdown": "B."},
    )

    assert response.status_code == 409
    html = page(response)
    assert "A brief called “findings” already exists." in one(html, ".notice--error").get_text()
    assert one(html, "#title")["value"] == "Second findings"
    assert one(html, "#body_markdown").get_text() == "B."


EDITOR_PAGES = [
    ("get", "/briefs/new"),
    ("post", "/briefs"),
    ("get", "/briefs/findings/edit"),
    ("post", "/briefs/findings/edit"),
    ("post", "/briefs/findings/publish"),
    ("post", "/briefs/findings/revise"),
]


def test_participants_may_not_edit_briefs(
    browser: Browser, published: Published, session: Session, clock: FixedClock
) -> None:
    participant = make_user(session, clock)
    session.commit()
    browser.sign_in(participant.email)
    for method, url in EDITOR_PAGES:
        response = browser.get(url) if method == "get" else browser.form(url, {"title": "x"})
        assert response.status_code == 403, url


def test_anonymous_visitors_are_asked_to_sign_in(anonymous: Browser, published: Published) -> None:
    for method, url in EDITOR_PAGES:
        if method == "get":
            response = anonymous.get(url)
            assert response.status_code == 303, url
            assert response.headers["location"].startswith("/signin")
        else:
            assert anonymous.form(url, {"title": "x"}).status_code == 401, url
