"""Attribution, end to end: for each choice an author can make, every public output shows
exactly what they chose and nothing more; editors see the author for moderation."""

from __future__ import annotations

import io
import json

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from app.urls import app_paths
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus, StakeholderGroup
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, text_of

NAME, ORGANISATION = "Oksana Hidalgo-Petrenko", "Bureau of Quiet Negotiations"
BODY = "Exceptional access mechanisms weaken encryption for everyone."

# attribution → (name shown, organisation shown, group shown)
VISIBLE = {
    "named": (True, True, True),
    "organisation": (False, True, True),
    "group": (False, False, True),
    "anonymous": (False, False, False),
}


def public_outputs(app: Starlette, visitor: Browser, key: str) -> dict[str, str]:
    """Every place a visitor can read the comment or its author, as text."""
    app.state.worker.run_once()
    with app.state.worker.index.searcher() as searcher:
        stored = json.dumps([dict(fields) for fields in searcher.all_stored_fields()], default=str)
    pdf = PdfReader(io.BytesIO(visitor.get("/briefs/position.pdf").content))
    api = "/api/v1/consultations/lawful-access"
    return {
        "paragraph page": visitor.get(f"/consultations/lawful-access/p/{key}").text,
        "htmx fragment": visitor.get(
            f"/consultations/lawful-access/p/{key}", headers={"HX-Request": "true"}
        ).text,
        "draft page": visitor.get("/consultations/lawful-access").text,
        "API threads": visitor.get(f"{api}/threads").text,
        "API search": visitor.get("/api/v1/search", params={"q": "exceptional access"}).text,
        "search page": visitor.get("/search", params={"q": "exceptional access"}).text,
        "search index": stored,
        "brief page": visitor.get("/briefs/position").text,
        "brief JSON": visitor.get("/briefs/position.json").text,
        "brief Markdown": visitor.get("/briefs/position.md").text,
        "brief PDF": "".join(page.extract_text() for page in pdf.pages),
        "feeds": visitor.get("/feeds/briefs.atom").text
        + visitor.get("/feeds/consultations.atom").text
        + visitor.get("/feeds/topics/encryption.atom").text,
    }


@pytest.mark.parametrize("attribution", list(VISIBLE))
def test_each_output_shows_only_what_the_author_chose(
    app: Starlette,
    browser: Browser,
    anonymous: Browser,
    session: Session,
    clock: FixedClock,
    attribution: str,
) -> None:
    chief = editor(session, clock)
    consultation = open_consultation(session, clock, slug="lawful-access", paragraphs=4, by=chief)
    consultation.allow_anonymous = True
    author = make_user(
        session, clock, name=NAME, organisation=ORGANISATION, group=StakeholderGroup.GOVERNMENT
    )
    comment = comment_on(
        session, clock, consultation, author=author, body=BODY, attribution=attribution
    )
    ConsultationService(session, clock=clock).set_status(
        consultation, ConsultationStatus.CLOSED, editor=chief
    )
    SynthesisService(session, clock=clock).decide(
        comment.thread_id, editor=chief, decision=Decision.of("noted", "Recorded.")
    )
    briefs = BriefService(session, clock=clock)
    briefs.create(
        chief,
        "position",
        "Our position",
        "en",
        ["encryption"],
        f"We weighed every view [[thread:{comment.thread_id}]].",
        consultation_slug="lawful-access",
    )
    briefs.publish("position", chief, app_paths())
    session.commit()

    outputs = public_outputs(app, anonymous, comment.thread.paragraph_key)

    name_shown, organisation_shown, group_shown = VISIBLE[attribution]
    assert BODY in outputs["paragraph page"] and BODY in outputs["API threads"]
    assert "mechanisms weaken encryption" in outputs["API search"], "the comment is searchable"
    author_label = text_of(BeautifulSoup(outputs["htmx fragment"], "html.parser"), ".author")
    assert ("Government" in author_label) == group_shown
    for output, text in outputs.items():
        assert (NAME in text) <= name_shown, f"the name leaks into the {output}"
        assert (ORGANISATION in text) <= organisation_shown, f"the organisation leaks: {output}"
    for output in ("paragraph page", "htmx fragment", "API threads", "brief JSON"):
        text = outputs[output]
        assert (NAME in text) == name_shown, output
        assert (ORGANISATION in text) == organisation_shown, output
    threads = json.loads(outputs["API threads"])["items"]
    assert threads[0]["comments"][0]["stakeholder_group"] == ("government" if group_shown else None)

    browser.sign_in(chief.email)
    moderation = browser.get(f"/consultations/lawful-access/p/{comment.thread.paragraph_key}")
    assert NAME in moderation.text, "editors see who wrote it"
