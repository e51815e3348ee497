"""Journey 2 (editor), consultation part: create, open, revise mid-consultation."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import docx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultations.models import Consultation
from consultations.paragraphs import split_blocks
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus
from tests.corpora import CORPORA
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of

CENTRALIZATION = CORPORA / "ietf" / "rfc9518-centralization" / "versions"


def draft(n: int) -> str:
    return (
        CENTRALIZATION / f"draft-nottingham-avoiding-internet-centralization-{n:02d}.md"
    ).read_text(encoding="utf-8")


def test_editor_creates_opens_and_publishes_a_consultation(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    chief = editor(session, clock)
    session.commit()
    browser.sign_in(chief.email)
    closes = (clock.now() + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")

    response = browser.form(
        "/consultations",
        {
            "title": "Avoiding Internet Centralization",
            "slug": "centralization",
            "summary": "The IAB's view, for comment.",
            "language": "en",
            "topics": "fragmentation, standards",
            "closes_at": closes,
            "markdown": draft(0),
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/consultations/centralization/manage"

    manage = page(browser.get("/consultations/centralization/manage"))
    assert "Participation by stakeholder group" in manage.get_text()
    assert (
        browser.form("/consultations/centralization/status", {"status": "open"}).status_code == 303
    )

    public = page(browser.get("/consultations/centralization"))
    assert public.select_one("h1").get_text(strip=True) == "Avoiding Internet Centralization"  # type: ignore[union-attr]
    assert len(public.select("section.block")) > 80
    assert public.select_one(".badge").get_text(strip=True) == "Open"  # type: ignore[union-attr]
    consultation = session.scalars(
        select(Consultation).where(Consultation.slug == "centralization")
    ).one()
    assert [t.slug for t in consultation.topics] == ["fragmentation", "standards"]
    assert consultation.closes_at == datetime.fromisoformat(closes).replace(tzinfo=UTC)


def test_drafts_are_hidden_from_the_public(
    browser: Browser, anonymous: Browser, session: Session, clock: FixedClock
) -> None:
    chief = editor(session, clock)
    ConsultationService(session, clock=clock).create(
        editor=chief, slug="not-yet", title="Not yet", markdown="Secret plan."
    )
    session.commit()
    assert anonymous.get("/consultations/not-yet").status_code == 404
    assert "Not yet" not in anonymous.get("/consultations").text
    browser.sign_in(chief.email)
    assert browser.get("/consultations/not-yet").status_code == 200


def test_docx_upload_becomes_paragraphs(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    chief = editor(session, clock)
    session.commit()
    browser.sign_in(chief.email)
    document = docx.Document()
    document.add_heading("Про електронні комунікації", level=1)
    document.add_paragraph("Шифрування захищає користувачів.")
    document.add_paragraph("Перший пункт", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)

    response = browser.post(
        "/consultations",
        data={
            "csrftoken": browser.cookies["csrftoken"],
            "title": "Комунікації",
            "slug": "komunikatsii",
            "language": "uk",
        },
        files={"file": ("draft.docx", buffer.getvalue())},
    )

    assert response.status_code == 303, response.text
    blocks = page(browser.get("/consultations/komunikatsii")).select("section.block")
    assert [b["class"][1] for b in blocks] == [
        "block--heading",
        "block--paragraph",
        "block--list_item",
    ]
    assert "Шифрування захищає користувачів." in blocks[1].get_text()


def test_version_two_keeps_comments_marks_outdated_and_queues_orphans(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    chief = editor(session, clock)
    consultation = open_consultation(
        session, clock, markdown=draft(0), slug="centralization", by=chief
    )
    service = ConsultationService(session, clock=clock)
    v1 = service.paragraphs(service.version(consultation))
    participant = make_user(session, clock)
    texts_in_v2 = {block.text for block in split_blocks(draft(1))}
    kept = next(p for p in v1 if p.text in texts_in_v2 and p.kind == "paragraph")
    unchanged_key = kept.key
    on_first = comment_on(session, clock, consultation, author=participant, ordinal=kept.ordinal)
    session.commit()
    browser.sign_in(chief.email)

    response = browser.form(
        "/consultations/centralization/versions",
        {"markdown": draft(1), "change_note": "Revised after the first round"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/consultations/centralization/v/2"
    v2 = service.paragraphs(service.version(consultation))
    assert unchanged_key in {p.key for p in v2}
    assert on_first.thread.paragraph_key == unchanged_key
    current = page(browser.get("/consultations/centralization"))
    assert "1 comment" in current.select_one(f"#p-{unchanged_key} .margin-count").get_text()  # type: ignore[union-attr]
    diff = page(browser.get("/consultations/centralization/diff/1..2"))
    assert diff.select("ins") and diff.select(".diff-block--changed")
    old = page(browser.get("/consultations/centralization/v/1"))
    assert len(old.select("section.block")) == len(v1)


def test_a_comment_on_a_deleted_paragraph_waits_to_be_reanchored(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    chief = editor(session, clock)
    markdown = (
        "# Title\n\nKeep this paragraph about routing security.\n\n"
        "Delete this one about MANRS entirely.\n"
    )
    consultation = open_consultation(session, clock, markdown=markdown, slug="routing", by=chief)
    thread = comment_on(
        session, clock, consultation, author=make_user(session, clock), ordinal=3
    ).thread
    session.commit()
    browser.sign_in(chief.email)

    browser.form(
        "/consultations/routing/versions",
        {
            "markdown": "# Title\n\nKeep this paragraph about routing security.\n",
            "change_note": "Shorter",
        },
    )

    manage = page(browser.get("/consultations/routing/manage"))
    orphans = manage.select_one("#orphans-title").parent  # type: ignore[union-attr]
    assert "1 thread was written on a paragraph" in orphans.get_text()  # type: ignore[union-attr]
    assert orphans.select_one("a.button")["href"] == "/consultations/routing/reanchor"  # type: ignore[union-attr,index]
    queue = page(browser.get("/consultations/routing/reanchor"))
    card = queue.select_one(f"#orphan-{thread.id}")
    quoted = card.select_one("blockquote")  # type: ignore[union-attr]
    assert "Delete this one about MANRS entirely." in quoted.get_text()  # type: ignore[union-attr]
    paragraph = page(browser.get(f"/consultations/routing/p/{thread.paragraph_key}"))
    assert "not in the current version" in paragraph.get_text()
    assert paragraph.select_one(".notice a")["href"] == "/consultations/routing/reanchor"  # type: ignore[index]


def test_participants_cannot_edit(browser: Browser, session: Session, clock: FixedClock) -> None:
    consultation = open_consultation(session, clock, slug="guarded")
    participant = make_user(session, clock)
    session.commit()
    browser.sign_in(participant.email)

    assert browser.get("/consultations/new").status_code == 403
    assert browser.get("/consultations/guarded/manage").status_code == 403
    created = browser.form("/consultations", {"title": "Mine", "slug": "mine", "markdown": "Text"})
    assert created.status_code == 403
    assert browser.form("/consultations/guarded/status", {"status": "closed"}).status_code == 403
    session.refresh(consultation)
    assert consultation.status == ConsultationStatus.OPEN


def test_invalid_consultation_form_keeps_what_was_typed(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    chief = editor(session, clock)
    session.commit()
    browser.sign_in(chief.email)

    response = browser.form(
        "/consultations",
        {
            "title": "Routing security",
            "slug": "Bad Slug!",
            "markdown": "Some text",
            "closes_at": "tomorrow",
        },
    )

    assert response.status_code == 422
    html = page(response)
    assert html.select_one("#title")["value"] == "Routing security"  # type: ignore[index]
    assert html.select_one(".notice--error") is not None


GOOD_FORM = {"title": "Routing security", "slug": "routing", "markdown": "MANRS matters."}
FORM_PROBLEMS = [
    ({"slug": "Bad Slug!"}, "slug", "Use lowercase letters, digits and single hyphens."),
    ({"slug": "a" * 121}, "slug", "Use lowercase letters, digits and single hyphens."),
    ({"title": "   "}, "title", "A title of up to 300 characters is required."),
    ({"title": "t" * 301}, "title", "A title of up to 300 characters is required."),
    ({"language": "fr"}, "language", "Language must be en or uk."),
    (
        {"topics": "encryption, net neutrality"},
        "topics",
        "Topics use lowercase letters, digits and hyphens, such as “net-neutrality”.",
    ),
    ({"opens_at": "next week"}, "opens_at", "Dates must look like 2026-12-01T18:00."),
    (
        {"opens_at": "2026-12-02T00:00", "closes_at": "2026-12-01T23:59"},
        "closes_at",
        "The comment period must close after it opens.",
    ),
    ({"markdown": " \n\n "}, "markdown", "The draft has no text."),
    ({"markdown": "x" * 2_000_001}, "markdown", "A draft is limited to 2,000,000 characters."),
]


@pytest.mark.parametrize(("change", "field", "message"), FORM_PROBLEMS)
def test_each_problem_of_a_new_consultation_is_named_on_its_field(
    browser: Browser,
    session: Session,
    clock: FixedClock,
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    chief = editor(session, clock)
    session.commit()
    browser.sign_in(chief.email)

    response = browser.form("/consultations", {**GOOD_FORM, **change})

    assert response.status_code == 422
    notice = page(response).select_one(".notice--error")
    assert notice is not None
    assert text_of(notice, "p") == "The consultation could not be created."
    assert [li.get_text(" ", strip=True) for li in notice.select("li")] == [f"{field} : {message}"]
    assert session.scalars(select(Consultation)).all() == []


def test_a_taken_slug_is_refused_in_ukrainian_and_topics_are_trimmed(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    chief = editor(session, clock)
    session.commit()
    browser.sign_in(chief.email)
    first = browser.form("/consultations", {**GOOD_FORM, "topics": " Routing , IXP,, "})
    assert first.status_code == 303
    browser.cookies.set("lang", "uk")

    again = browser.form("/consultations", GOOD_FORM)

    assert again.status_code == 422
    notice = page(again).select_one(".notice--error")
    assert notice is not None
    assert text_of(notice, "p") == "Не вдалося створити консультацію."
    assert text_of(notice, "li") == "slug : Ця адреса вже зайнята."
    consultation = session.scalars(select(Consultation)).one()
    assert [t.slug for t in consultation.topics] == ["ixp", "routing"]


def test_a_participant_is_refused_before_the_form_is_checked(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    participant = make_user(session, clock)
    session.commit()
    browser.sign_in(participant.email)
    response = browser.form("/consultations", {**GOOD_FORM, "slug": "Bad Slug!"})
    assert response.status_code == 403
    assert session.scalars(select(Consultation)).all() == []
