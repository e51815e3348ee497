"""Dispositions, applying suggestions, and the editor's queue with near-duplicates."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from briefs.dispositions import Decision
from briefs.synthesis import SynthesisService, normalise, replace_paragraph
from consultations import campaigns
from consultations.models import Paragraph, Thread
from core.audit import AuditEvent
from core.clock import FixedClock
from core.enums import Disposition, StakeholderGroup, ThreadStatus
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.outbox import SEARCH, OutboxEvent
from tests.corpora import campaign_variant, centralization_prose
from tests.factories import comment_on
from tests.unit.briefs.conftest import Consulted, person


@pytest.fixture
def synthesis(session: Session, clock: FixedClock) -> SynthesisService:
    return SynthesisService(session, clock=clock)


def test_decide_resolves_the_thread_and_records_why(
    session: Session, synthesis: SynthesisService, consulted: Consulted, clock: FixedClock
) -> None:
    thread_id = consulted.chatham.thread_id
    thread = synthesis.decide(
        thread_id, editor=consulted.editor, decision=Decision.of("partially_accepted", " Partly. ")
    )

    assert thread.disposition == Disposition.PARTIALLY_ACCEPTED
    assert (thread.rationale, thread.status) == ("Partly.", ThreadStatus.RESOLVED)
    assert (thread.decided_at, thread.decided_by_id) == (clock.now(), consulted.editor.id)
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "thread.disposition"))
    assert [(a.subject_id, a.details["disposition"]) for a in audit] == [
        (thread_id, "partially_accepted")
    ]
    consultation_id = consulted.consultation.id
    reindex = session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == SEARCH, OutboxEvent.kind == "consultation")
    ).all()
    assert reindex[-1].payload == {"id": consultation_id}


@pytest.mark.parametrize(
    ("disposition", "rationale", "field"),
    [
        ("accepted", "  ", "rationale"),
        ("out_of_scope", "", "rationale"),
        ("maybe", "Because.", "disposition"),
        ("accepted", "x" * 10_001, "rationale"),
    ],
)
def test_decide_validates(
    synthesis: SynthesisService, consulted: Consulted, disposition: str, rationale: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        synthesis.decide(
            consulted.named.thread_id,
            editor=consulted.editor,
            decision=Decision.of(disposition, rationale),
        )
    assert list(error.value.fields) == [field]


def test_noted_needs_no_rationale(synthesis: SynthesisService, consulted: Consulted) -> None:
    thread = synthesis.decide(
        consulted.named.thread_id, editor=consulted.editor, decision=Decision.of("noted", "")
    )
    assert (thread.disposition, thread.rationale) == (Disposition.NOTED, None)


def test_only_editors_decide(synthesis: SynthesisService, consulted: Consulted) -> None:
    with pytest.raises(NotAllowed):
        synthesis.decide(
            consulted.named.thread_id,
            editor=consulted.participant,
            decision=Decision.of("noted", ""),
        )
    with pytest.raises(NotFound):
        synthesis.decide(987654, editor=consulted.editor, decision=Decision.of("noted", ""))


def block(key: str, kind: str, source: str) -> Paragraph:
    return Paragraph(key=key, kind=kind, source=source, text=source)


def test_replace_paragraph_keeps_markers_and_picks_the_right_twin() -> None:
    source = "## Scope\n\nSame text.\n\n- item one\n- Same text.\n\nSame text.\n\n> quoted\n"
    paragraphs = [
        block("h", "heading", "## Scope"),
        block("a", "paragraph", "Same text."),
        block("l1", "list_item", "- item one"),
        block("l2", "list_item", "- Same text."),
        block("b", "paragraph", "Same text."),
        block("q", "quote", "> quoted"),
    ]
    assert replace_paragraph(source, paragraphs, "h", "Purpose").startswith("## Purpose\n")
    assert replace_paragraph(source, paragraphs, "b", "New.") == source.replace(
        "\n\nSame text.\n\n>", "\n\nNew.\n\n>"
    )
    assert "- Other\n  line two\n" in replace_paragraph(source, paragraphs, "l2", "Other\nline two")
    assert replace_paragraph(source, paragraphs, "q", "one\ntwo").endswith("> one\n> two\n")
    with pytest.raises(Conflict):
        replace_paragraph(source, paragraphs, "missing", "x")


def test_normalise_ignores_case_punctuation_and_spacing() -> None:
    assert normalise("Keep  encryption STRONG!") == normalise("keep encryption strong.")
    assert normalise("Шифрування — важливе.") == "шифрування важливе"


def test_queue_puts_undecided_first_and_groups_identical_comments(
    session: Session, clock: FixedClock, synthesis: SynthesisService, consulted: Consulted
) -> None:
    campaign = "Keep encryption strong!"
    for index in range(3):
        supporter = person(session, clock, f"Supporter {index}", "", StakeholderGroup.CIVIL_SOCIETY)
        body = campaign.upper() if index == 1 else campaign
        comment_on(session, clock, consulted.consultation, author=supporter, ordinal=5, body=body)
    synthesis.decide(
        consulted.named.thread_id, editor=consulted.editor, decision=Decision.of("noted", "")
    )

    queue = synthesis.queue(consulted.consultation)

    seen = [(i.decided, i.paragraph.ordinal if i.paragraph else None, i.count) for i in queue]
    assert seen == [
        (False, 2, 1),
        (False, 3, 1),
        (False, 5, 3),
        (True, 1, 1),
    ]
    group = queue[2]
    assert all(t.comments[0].body.lower() == campaign.lower() for t in group.duplicates)
    assert synthesis.item(consulted.consultation, group.duplicates[0].id) == group


def test_deciding_a_group_decides_each_thread_in_it(
    session: Session, clock: FixedClock, synthesis: SynthesisService, consulted: Consulted
) -> None:
    ids = []
    for index in range(2):
        supporter = person(session, clock, f"Copy {index}", "", StakeholderGroup.ACADEMIA)
        ids.append(
            comment_on(
                session, clock, consulted.consultation, author=supporter, ordinal=4
            ).thread_id
        )

    synthesis.decide(ids[0], editor=consulted.editor, decision=Decision.of("accepted", "Agreed."))

    decided = session.scalars(select(Thread).where(Thread.id.in_(ids))).all()
    assert {(t.disposition, t.rationale) for t in decided} == {(Disposition.ACCEPTED, "Agreed.")}
    # The same text on another paragraph is one campaign with them.
    assert consulted.named.thread.disposition == Disposition.ACCEPTED


def test_a_campaign_across_paragraphs_is_one_card_decided_at_once(
    session: Session,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    synthesis: SynthesisService,
    consulted: Consulted,
) -> None:
    letter = centralization_prose(1)[0]
    rng = random.Random(7)
    ids = []
    for index in range(5):
        supporter = person(session, clock, f"Campaigner {index}", "", StakeholderGroup.ACADEMIA)
        body = campaign_variant(letter, rng, 3)
        comment = comment_on(
            session, clock, consulted.consultation, author=supporter, ordinal=index + 2, body=body
        )
        ids.append(comment.thread_id)
    session.commit()
    before = synthesis.queue(consulted.consultation)
    assert all(item.count == 1 for item in before if item.thread.id in ids), "not placed yet"

    campaigns.assign_pending(sessions, clock.now)
    session.expire_all()
    queue = synthesis.queue(consulted.consultation)

    [card] = [item for item in queue if item.thread.id in ids]
    assert (card.thread.id, card.count, card.identical) == (ids[0], 5, False)
    assert [t.id for t in card.duplicates] == ids[1:]
    assert synthesis.item(consulted.consultation, ids[3]) == card
    synthesis.decide(ids[2], editor=consulted.editor, decision=Decision.of("noted", ""))
    decided = session.scalars(select(Thread).where(Thread.id.in_(ids))).all()
    assert {t.disposition for t in decided} == {Disposition.NOTED}
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "thread.disposition"))
    assert sorted(a.subject_id for a in audit) == sorted(ids), "an audit entry per thread"

    # A letter arriving after the decision puts the card back among the undecided.
    late = person(session, clock, "Late Campaigner", "", StakeholderGroup.ACADEMIA)
    comment_on(session, clock, consulted.consultation, author=late, body=letter)
    session.commit()
    campaigns.assign_pending(sessions, clock.now)
    session.expire_all()
    [card] = [item for item in synthesis.queue(consulted.consultation) if item.thread.id in ids]
    assert (card.count, card.decided) == (6, False)


def test_thread_lookup_is_scoped_to_its_consultation(
    synthesis: SynthesisService, consulted: Consulted, session: Session, clock: FixedClock
) -> None:
    from tests.factories import open_consultation

    other = open_consultation(session, clock, slug="elsewhere", by=consulted.editor)
    with pytest.raises(NotFound):
        synthesis.thread(other, consulted.named.thread_id)
    assert synthesis.thread(consulted.consultation, consulted.named.thread_id).id == (
        consulted.named.thread_id
    )


def test_orphaned_threads_stay_in_the_queue_marked_not_current(
    session: Session, synthesis: SynthesisService, consulted: Consulted
) -> None:
    service = synthesis.consultations
    current = service.version(consulted.consultation)
    kept = [p.source for p in service.paragraphs(current) if p.ordinal != 3]
    service.publish_version(
        consulted.consultation,
        editor=consulted.editor,
        markdown="\n\n".join(kept),
        change_note="Dropped paragraph 3",
    )

    queue = {item.thread.id: item for item in synthesis.queue(consulted.consultation)}

    orphan = queue[consulted.organisation_only.thread_id]
    assert not orphan.in_current
    assert orphan.paragraph is not None and orphan.paragraph.text.endswith("(3)")
    assert queue[consulted.chatham.thread_id].in_current
