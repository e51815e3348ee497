"""Quoted spans over HTTP: the form's quote field, its 422, and the quote re-found (or not)
in the current version when the paragraph's threads are shown."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from accounts.models import User
from consultations.models import Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import StakeholderGroup
from tests.factories import comment_on, make_user, open_consultation
from tests.functional.conftest import Browser, page

DRAFT = (
    "# Retention\n\n"
    "Providers of electronic communications must keep traffic data for twelve months "
    "and then delete it.\n\n"
    "Постачальники зберігають дані про трафік протягом дванадцяти місяців.\n"
)


@dataclass
class Scene:
    consultation: Consultation
    keys: list[str]
    participant: User

    def paragraph(self, ordinal: int) -> str:
        return f"/consultations/{self.consultation.slug}/p/{self.keys[ordinal - 1]}"


@pytest.fixture
def scene(session: Session, clock: FixedClock) -> Scene:
    consultation = open_consultation(session, clock, markdown=DRAFT, slug="retention")
    service = ConsultationService(session, clock=clock)
    keys = [p.key for p in service.paragraphs(service.version(consultation))]
    participant = make_user(session, clock, group=StakeholderGroup.ACADEMIA)
    session.commit()
    return Scene(consultation, keys, participant)


def comment(quote: str) -> dict[str, str]:
    return {"body": "Why twelve?", "stance": "question", "attribution": "named", "quote": quote}


@pytest.mark.parametrize(
    ("ordinal", "quote", "kept"),
    [
        (2, "keep traffic data\nfor  twelve months", "keep traffic data for twelve months"),
        (3, "дані про трафік", "дані про трафік"),
    ],
)
def test_the_form_quotes_words_of_the_paragraph(
    browser: Browser, scene: Scene, ordinal: int, quote: str, kept: str
) -> None:
    browser.sign_in(scene.participant.email)

    response = browser.form(f"{scene.paragraph(ordinal)}/comments", comment(quote))

    assert response.status_code == 303
    html = page(browser.get(scene.paragraph(ordinal)))
    shown = html.select_one(".thread blockquote.quote")
    assert shown is not None and shown.get_text() == kept
    # For the highlight: the words as they stand in the paragraph's current text.
    assert shown["data-quote"] == kept
    assert shown["data-quote-key"] == scene.keys[ordinal - 1]
    assert html.select(".quote-lost") == []


@pytest.mark.parametrize("htmx", [False, True])
def test_a_quote_that_is_not_in_the_paragraph_is_a_422_keeping_the_form(
    browser: Browser, scene: Scene, session: Session, clock: FixedClock, htmx: bool
) -> None:
    browser.sign_in(scene.participant.email)
    headers = {"HX-Request": "true"} if htmx else {}

    response = browser.form(
        f"{scene.paragraph(2)}/comments", comment("keep logs for ten years"), headers=headers
    )

    assert response.status_code == 422
    html = page(response)
    alert = html.select_one("[role=alert]")
    assert alert is not None
    assert "The quoted passage is not in the text of this paragraph." in alert.get_text()
    field = html.select_one("textarea[name=quote]")
    assert field is not None and field.get_text() == "keep logs for ten years"
    assert ConsultationService(session, clock=clock).threads(scene.consultation) == []


def test_the_422_is_translated(browser: Browser, scene: Scene) -> None:
    browser.sign_in(scene.participant.email)

    response = browser.form(
        f"{scene.paragraph(3)}/comments",
        comment("дані про пошту"),
        headers={"Accept-Language": "uk"},
    )

    assert response.status_code == 422
    alert = page(response).select_one("[role=alert]")
    assert alert is not None
    assert "Цитованого уривка немає в тексті цього абзацу." in alert.get_text()


def test_the_quote_is_refound_in_a_new_version_or_marked_no_longer_found(
    browser: Browser, scene: Scene, session: Session, clock: FixedClock
) -> None:
    consultation, author = scene.consultation, scene.participant
    comment_on(session, clock, consultation, author=author, ordinal=2, quote="keep traffic data")
    comment_on(session, clock, consultation, author=author, ordinal=2, quote="then delete it")
    service = ConsultationService(session, clock=clock)
    chief = session.get(User, consultation.created_by_id)
    revised = DRAFT.replace("keep traffic data", "keep the traffic data").replace(
        " and then delete it", ", and publish a yearly report"
    )
    service.publish_version(consultation, editor=chief, markdown=revised, change_note="Shorter")
    session.commit()

    html = page(browser.get(scene.paragraph(2)))

    kept, lost = html.select(".thread")
    found = kept.select_one("blockquote.quote")
    assert found is not None and found["data-quote"] == "keep the traffic data"
    assert kept.select(".quote-lost") == []
    gone = lost.select_one("blockquote.quote")
    assert gone is not None and not gone.has_attr("data-quote")
    assert gone.get_text() == "then delete it"  # what the author quoted, as written
    assert "Quote no longer found" in lost.select_one(".quote-lost").get_text()  # type: ignore[union-attr]


def test_without_javascript_the_form_has_a_quote_field(browser: Browser, scene: Scene) -> None:
    browser.sign_in(scene.participant.email)

    html = page(browser.get(scene.paragraph(2)))

    field = html.select_one("form.comment-form textarea[name=quote]")
    assert field is not None
    label = html.select_one(f"label[for={field['id']}]")
    assert label is not None and label.get_text() == "Quoted passage (optional)"
