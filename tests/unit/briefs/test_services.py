"""Composing, publishing and revising briefs; permalinks of versions; the frozen annex."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.urls import app_paths
from briefs.dispositions import Decision
from briefs.models import Brief, BriefVersion
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from core.audit import AuditEvent
from core.clock import FixedClock
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound, NotSignedIn
from core.outbox import SEARCH, OutboxEvent
from tests.factories import comment_on, open_consultation
from tests.unit.briefs.conftest import SECRET_NAME, SECRET_ORGANISATION, Consulted


def create_brief(
    service: BriefService, consulted: Consulted, body: str = "Findings.", slug: str = "findings"
) -> Brief:
    return service.create(
        consulted.editor,
        slug,
        "Lawful access: findings",
        "en",
        ["encryption", "Policy"],
        body,
        consultation_slug=consulted.consultation.slug,
    )


@pytest.fixture
def service(session: Session, clock: FixedClock) -> BriefService:
    return BriefService(session, clock=clock)


def test_create_makes_a_working_copy_that_is_not_public(
    service: BriefService, consulted: Consulted
) -> None:
    brief = create_brief(service, consulted)

    draft = service.working_copy(brief)
    assert draft is not None and draft.number == 1 and draft.published_at is None
    assert [t.slug for t in brief.topics] == ["encryption", "policy"]
    assert brief.consultation_id == consulted.consultation.id
    with pytest.raises(NotFound):
        service.published("findings")
    assert service.listing() == []


@pytest.mark.parametrize(
    ("slug", "title", "language", "field"),
    [
        ("Bad Slug", "Title", "en", "slug"),
        ("ok-slug", "  ", "en", "title"),
        ("ok-slug", "Title", "fr", "language"),
    ],
)
def test_create_validates_its_fields(
    service: BriefService, consulted: Consulted, slug: str, title: str, language: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        service.create(consulted.editor, slug, title, language, [], "Text.")
    assert field in error.value.fields


def test_create_refuses_a_taken_slug_and_an_unknown_consultation(
    service: BriefService, consulted: Consulted
) -> None:
    """Input first (422 naming the field), then the taken slug (409): a form can be fixed
    before it can clash."""
    create_brief(service, consulted)
    with pytest.raises(InvalidInput) as invalid:
        service.create(consulted.editor, "findings", "T", "en", [], "x", consultation_slug="nope")
    assert set(invalid.value.fields) == {"consultation"}
    with pytest.raises(Conflict) as taken:
        service.create(consulted.editor, "findings", "T", "en", [], "x")
    assert set(taken.value.fields) == {"slug"}


def test_only_editors_compose_briefs(service: BriefService, consulted: Consulted) -> None:
    with pytest.raises(NotAllowed):
        service.create(consulted.participant, "mine", "T", "en", [], "x")
    with pytest.raises(NotSignedIn):
        service.create(None, "mine", "T", "en", [], "x")
    create_brief(service, consulted)
    with pytest.raises(NotAllowed):
        service.publish("findings", consulted.participant, app_paths())


def test_publish_freezes_citations_annex_and_tells_search(
    session: Session, service: BriefService, consulted: Consulted
) -> None:
    chatham = consulted.chatham.thread
    brief = create_brief(service, consulted, body=f"As one group argued [[thread:{chatham.id}]].")

    version = service.publish("findings", consulted.editor, app_paths())

    assert version.published_at is not None and version.published_by_id == consulted.editor.id
    assert [t.id for t in version.cited_threads] == [chatham.id]
    annex = version.annex
    assert annex["consultation"] == {"slug": "lawful-access", "title": consulted.consultation.title}
    assert [row["thread_id"] for row in annex["dispositions"]] == [
        consulted.named.thread_id,
        chatham.id,
        consulted.organisation_only.thread_id,
    ]
    row = annex["dispositions"][1]
    assert row["paragraph_ordinal"] == 2
    assert row["author_label"] == "Civil society"
    assert row["stance"] == "oppose" and row["disposition"] is None
    assert row["url"] == f"/consultations/lawful-access/p/{chatham.paragraph_key}#t-{chatham.id}"
    assert row["excerpt"] == "Lawful access must not weaken end-to-end encryption."
    groups = {p["group"]: p["comments"] for p in annex["participation"]}
    assert groups == {
        "government": 1,
        "private_sector": 0,
        "academia": 1,
        "civil_society": 1,
        "technical_community": 0,
    }
    events = session.scalars(select(OutboxEvent).where(OutboxEvent.kind == "brief")).all()
    assert [(e.topic, e.payload) for e in events] == [(SEARCH, {"id": brief.id})]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "brief"))
    assert list(actions) == ["brief.create", "brief.publish"]


def test_annex_never_names_a_chatham_house_commenter(
    service: BriefService, consulted: Consulted
) -> None:
    create_brief(service, consulted)
    annex_text = json.dumps(service.publish("findings", consulted.editor, app_paths()).annex)
    assert SECRET_NAME not in annex_text
    assert SECRET_ORGANISATION not in annex_text
    assert "Ministry of Digital Transformation" in annex_text  # the named one is named


def test_publishing_a_citation_of_a_missing_thread_names_it(
    service: BriefService, consulted: Consulted
) -> None:
    create_brief(service, consulted, body="See [[thread:987654]].")
    with pytest.raises(InvalidInput) as error:
        service.publish("findings", consulted.editor, app_paths())
    assert "[[thread:987654]]" in error.value.message
    assert service.working_copy(service.get("findings")) is not None


def test_publishing_a_citation_from_another_consultation_fails(
    session: Session, clock: FixedClock, service: BriefService, consulted: Consulted
) -> None:
    other = open_consultation(session, clock, slug="fragmentation", by=consulted.editor)
    foreign = comment_on(session, clock, other, author=consulted.participant)
    create_brief(service, consulted, body=f"See [[thread:{foreign.thread_id}]].")
    with pytest.raises(InvalidInput, match=f"thread:{foreign.thread_id}"):
        service.publish("findings", consulted.editor, app_paths())


def test_annex_stays_frozen_when_a_disposition_changes_later(
    session: Session, clock: FixedClock, service: BriefService, consulted: Consulted
) -> None:
    synthesis = SynthesisService(session, clock=clock)
    thread_id = consulted.chatham.thread_id
    synthesis.decide(thread_id, editor=consulted.editor, decision=Decision.of("accepted", "Yes."))
    create_brief(service, consulted)
    service.publish("findings", consulted.editor, app_paths())

    synthesis.decide(
        thread_id, editor=consulted.editor, decision=Decision.of("not_accepted", "On reflection.")
    )
    session.commit()
    session.expire_all()

    row = next(
        r
        for r in service.published("findings").annex["dispositions"]
        if r["thread_id"] == thread_id
    )
    assert (row["disposition"], row["rationale"]) == ("accepted", "Yes.")


def test_version_one_keeps_its_permalink_after_version_two(
    service: BriefService, consulted: Consulted, clock: FixedClock
) -> None:
    create_brief(service, consulted, body="First text.")
    service.publish("findings", consulted.editor, app_paths())
    clock.advance(timedelta(days=3))

    draft = service.revise("findings", consulted.editor)
    assert (draft.number, draft.body_markdown, draft.published_at) == (2, "First text.", None)
    service.update_draft("findings", consulted.editor, "Corrected", "Second text.", "Typo fixed")
    second = service.publish("findings", consulted.editor, app_paths())

    assert service.published("findings").id == second.id
    first = service.published("findings", 1)
    assert (first.title, first.body_markdown) == ("Lawful access: findings", "First text.")
    assert service.published("findings", 2).change_note == "Typo fixed"
    assert service.published_numbers(service.get("findings")) == [1, 2]
    with pytest.raises(NotFound):
        service.published("findings", 3)


def test_published_versions_cannot_be_edited(service: BriefService, consulted: Consulted) -> None:
    create_brief(service, consulted)
    service.publish("findings", consulted.editor, app_paths())
    with pytest.raises(Conflict):
        service.update_draft("findings", consulted.editor, "T", "Changed.", "")
    with pytest.raises(Conflict):
        service.publish("findings", consulted.editor, app_paths())


def test_revise_twice_returns_the_same_working_copy(
    service: BriefService, consulted: Consulted
) -> None:
    create_brief(service, consulted)
    service.publish("findings", consulted.editor, app_paths())
    assert (
        service.revise("findings", consulted.editor).id
        == service.revise("findings", consulted.editor).id
    )


def test_update_draft_validates(service: BriefService, consulted: Consulted) -> None:
    create_brief(service, consulted)
    with pytest.raises(InvalidInput) as error:
        service.update_draft("findings", consulted.editor, "", "   ", "")
    assert set(error.value.fields) == {"title", "body_markdown"}


def test_listing_shows_the_latest_published_version_of_each_brief(
    service: BriefService, consulted: Consulted, clock: FixedClock
) -> None:
    create_brief(service, consulted, slug="first")
    service.publish("first", consulted.editor, app_paths())
    service.revise("first", consulted.editor)
    service.update_draft("first", consulted.editor, "First, corrected", "Text.", "")
    service.publish("first", consulted.editor, app_paths())
    service.create(consulted.editor, "second", "Second", "uk", ["routing"], "Текст.")
    service.publish("second", consulted.editor, app_paths())
    create_brief(service, consulted, slug="unpublished")

    assert [(v.brief.slug, v.number) for v in service.listing()] == [
        ("second", 1),
        ("first", 2),
    ]
    assert [v.brief.slug for v in service.listing(topic="routing")] == ["second"]
    recent = service.recent_versions(topic="encryption")
    assert [(v.brief.slug, v.number) for v in recent] == [("first", 2), ("first", 1)]


def test_where_a_thread_landed(service: BriefService, consulted: Consulted) -> None:
    cited = consulted.chatham.thread_id
    create_brief(service, consulted, body=f"[[thread:{cited}]]")
    assert service.citations_of_thread(cited) == []  # a working copy is not public
    version = service.publish("findings", consulted.editor, app_paths())

    assert service.citations_of_thread(cited) == [version]
    landed = service.citations_for_threads([cited, consulted.named.thread_id])
    assert list(landed) == [cited]
    assert [(c.slug, c.title, c.number) for c in landed[cited]] == [("findings", version.title, 1)]


def test_brief_without_consultation_has_an_empty_annex(
    service: BriefService, consulted: Consulted, session: Session
) -> None:
    service.create(
        consulted.editor,
        "note",
        "A note",
        "en",
        [],
        f"Any thread: [[thread:{consulted.named.thread_id}]]",
    )
    version = service.publish("note", consulted.editor, app_paths())
    assert version.annex == {"consultation": None, "dispositions": [], "participation": []}
    assert session.scalars(select(BriefVersion).where(BriefVersion.id == version.id)).one()
