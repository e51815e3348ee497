"""Open data: a consultation's public comments as CSV and JSON, over HTTP. Each row says of
its author exactly what the page says; no cell can run as a spreadsheet formula; drafts stay
out of sight for those who may not see them."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.orm import Session

from briefs.dispositions import Decision
from briefs.synthesis import SynthesisService
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus, StakeholderGroup
from tests.corpora import ukrainian_provisions
from tests.factories import PASSWORD, comment_on, make_user
from tests.functional.conftest import Browser, page
from tests.unit.briefs.conftest import (
    SECRET_NAME,
    SECRET_ORGANISATION,
    Consulted,
    build_consulted,
)

#: What spreadsheets run as formulas, as names and comments people could type.
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


@pytest.fixture
def consulted(session: Session, clock: FixedClock) -> Consulted:
    consulted = build_consulted(session, clock, password=PASSWORD)
    SynthesisService(session, clock=clock).decide(
        consulted.chatham.thread_id,
        editor=consulted.editor,
        decision=Decision.of("accepted", "Merged."),
    )
    session.commit()
    return consulted


def rows(response_text: str) -> list[dict[str, str]]:
    assert response_text.startswith("\ufeff"), "the byte order mark spreadsheets look for"
    return list(csv.DictReader(io.StringIO(response_text.removeprefix("\ufeff"))))


def test_csv_has_one_row_per_comment_as_the_page_shows_its_author(
    anonymous: Browser, consulted: Consulted
) -> None:
    response = anonymous.get("/consultations/lawful-access/comments.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "lawful-access-comments.csv" in response.headers["content-disposition"]
    assert SECRET_NAME not in response.text and SECRET_ORGANISATION not in response.text
    found = {int(row["comment_id"]): row for row in rows(response.text)}
    assert set(found) == {consulted.named.id, consulted.chatham.id, consulted.organisation_only.id}
    named = found[consulted.named.id]
    assert named["author"] == "Taras Named, Ministry of Digital Transformation (Government)"
    assert (named["paragraph_number"], named["version"], named["stance"]) == ("1", "1", "support")
    chatham = found[consulted.chatham.id]
    assert (chatham["author"], chatham["stakeholder_group"]) == ("Civil society", "civil_society")
    assert chatham["disposition"] == "accepted" and chatham["paragraph_number"] == "2"
    assert chatham["paragraph_key"] == consulted.chatham.thread.paragraph_key
    assert chatham["url"].endswith(f"#t-{consulted.chatham.thread_id}")
    assert chatham["url"].startswith("http://testserver/consultations/lawful-access/p/")
    scholar = found[consulted.organisation_only.id]
    assert scholar["author"] == "Kyiv Polytechnic (Academia)"
    assert scholar["disposition"] == ""


def test_json_has_the_same_rows(anonymous: Browser, consulted: Consulted) -> None:
    data = anonymous.get("/consultations/lawful-access/comments.json").json()
    assert data["consultation"]["slug"] == "lawful-access"
    assert data["consultation"]["url"] == "http://testserver/consultations/lawful-access"
    by_id = {row["comment_id"]: row for row in data["comments"]}
    chatham = by_id[consulted.chatham.id]
    assert chatham["author"] == "Civil society" and chatham["paragraph_number"] == 2
    assert chatham["disposition"] == "accepted" and chatham["reply_to"] is None
    assert list(chatham) == data["columns"]
    text = anonymous.get("/consultations/lawful-access/comments.json").text
    assert SECRET_NAME not in text and SECRET_ORGANISATION not in text


def test_no_cell_runs_as_a_formula_and_cyrillic_survives(
    anonymous: Browser, session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    """Hostile names, organisations and comments, a reply, and a Ukrainian article."""
    consultation = consulted.consultation
    article = ukrainian_provisions(1)[0][1]
    posted = []
    for formula in FORMULAS:
        author = make_user(
            session,
            clock,
            name=formula,
            organisation=formula,
            group=StakeholderGroup.PRIVATE_SECTOR,
        )
        posted.append(comment_on(session, clock, consultation, author=author, body=formula))
    reply = comment_on(
        session, clock, consultation, author=consulted.editor, body=article, parent=posted[0]
    )
    session.commit()
    found = {
        int(row["comment_id"]): row
        for row in rows(anonymous.get("/consultations/lawful-access/comments.csv").text)
    }
    for comment, formula in zip(posted, FORMULAS, strict=True):
        row = found[comment.id]
        assert row["body"] == "'" + formula, "shown as text by a spreadsheet"
        assert row["author"] == "'" + f"{formula}, {formula} (Private sector)"
    for row in found.values():
        for name, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, value)
    assert found[reply.id]["body"] == article
    assert found[reply.id]["reply_to"] == str(posted[0].id)
    data = anonymous.get("/consultations/lawful-access/comments.json").json()
    bodies = {row["comment_id"]: row["body"] for row in data["comments"]}
    assert bodies[posted[0].id] == FORMULAS[0], "JSON keeps the text as typed"


def test_a_draft_consultation_is_not_found_except_for_editors(
    browser: Browser, anonymous: Browser, session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    draft = ConsultationService(session, clock=clock).create(
        editor=consulted.editor, slug="not-yet", title="Not yet", markdown="A paragraph."
    )
    assert draft.status == ConsultationStatus.DRAFT
    participant = make_user(session, clock, email="reader@example.org")
    session.commit()
    for path in ("/consultations/not-yet/comments.csv", "/consultations/not-yet/comments.json"):
        assert anonymous.get(path).status_code == 404
    browser.sign_in(participant.email)
    assert browser.get("/consultations/not-yet/comments.json").status_code == 404
    browser.cookies.clear()
    browser.sign_in(consulted.editor.email)
    assert browser.get("/consultations/not-yet/comments.csv").status_code == 200
    assert anonymous.get("/consultations/no-such/comments.csv").status_code == 404


def test_the_consultation_pages_link_the_downloads(
    anonymous: Browser, consulted: Consulted
) -> None:
    html = page(anonymous.get("/consultations/lawful-access"))
    links = {a.get_text(): a["href"] for a in html.select(".downloads a")}
    assert links == {
        "CSV": "/consultations/lawful-access/comments.csv",
        "JSON": "/consultations/lawful-access/comments.json",
    }
