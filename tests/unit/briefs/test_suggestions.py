"""Applying suggestions: merged with the editor's later revisions, previewed, confirmed,
batched, and recorded; refused for threads that were not accepted."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from briefs import suggestions
from briefs.dispositions import Decision
from briefs.suggestions import ApplySuggestions, Batch
from briefs.synthesis import SynthesisService
from consultations.models import AppliedSuggestion, Comment
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Disposition
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.factories import comment_on
from tests.unit.briefs.conftest import Consulted

SLUG = "lawful-access"


def accept(session: Session, clock: FixedClock, consulted: Consulted, comment: Comment) -> None:
    SynthesisService(session, clock=clock).decide(
        comment.thread_id, editor=consulted.editor, decision=Decision.of("accepted", "Agreed.")
    )


def apply(
    session: Session, clock: FixedClock, consulted: Consulted, ids: list[int], **texts: str
) -> int:
    preview = suggestions.preview_suggestions(
        session, clock, consulted.editor, SLUG, Batch(comments=ids)
    )
    data = ApplySuggestions(comments=ids, version=preview.version.number, texts=texts)
    return suggestions.apply_suggestions(session, clock, consulted.editor, SLUG, data).version


def current_texts(session: Session, clock: FixedClock, consulted: Consulted) -> list[str]:
    service = ConsultationService(session, clock=clock)
    return [p.text for p in service.paragraphs(service.version(consulted.consultation))]


def test_a_clean_suggestion_becomes_the_next_version_and_is_recorded(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    before = current_texts(session, clock, consulted)
    accept(session, clock, consulted, consulted.chatham)

    number = apply(session, clock, consulted, [consulted.chatham.id])

    after = current_texts(session, clock, consulted)
    assert number == 2
    assert after[1] == "Encryption protects end users and must never be weakened."
    assert after[:1] + after[2:] == before[:1] + before[2:]
    [record] = session.scalars(select(AppliedSuggestion)).all()
    assert (record.comment_id, record.version_number, record.disposition) == (
        consulted.chatham.id,
        2,
        Disposition.ACCEPTED,
    )
    assert not record.resolved_conflict
    with pytest.raises(Conflict, match="applied already, in version 2"):
        apply(session, clock, consulted, [consulted.chatham.id])


@pytest.mark.parametrize("disposition", [None, "not_accepted", "noted", "out_of_scope"])
def test_only_accepted_or_partly_accepted_suggestions_apply(
    session: Session, clock: FixedClock, consulted: Consulted, disposition: str | None
) -> None:
    if disposition:
        SynthesisService(session, clock=clock).decide(
            consulted.chatham.thread_id,
            editor=consulted.editor,
            decision=Decision.of(disposition, "Because."),
        )
    with pytest.raises(Conflict, match="accepted or partially accepted"):
        apply(session, clock, consulted, [consulted.chatham.id])


def test_preview_needs_an_editor_a_suggestion_and_a_comment_of_this_consultation(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    batch = Batch(comments=[consulted.chatham.id])
    with pytest.raises(NotAllowed):
        suggestions.preview_suggestions(session, clock, consulted.participant, SLUG, batch)
    with pytest.raises(InvalidInput):
        suggestions.preview_suggestions(
            session, clock, consulted.editor, SLUG, Batch(comments=[consulted.named.id])
        )
    with pytest.raises(NotFound):
        suggestions.preview_suggestions(
            session, clock, consulted.editor, SLUG, Batch(comments=[987654])
        )


def test_the_editors_later_revision_survives_the_suggestion(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    """The issue's case: written on version 1, applied after version 2 added a word."""
    service = ConsultationService(session, clock=clock)
    v1 = service.version(consulted.consultation)
    fourth = service.paragraphs(v1)[3]
    original = fourth.text
    suggestion = original.replace(" (4)", " in every case (4)")
    comment = comment_on(
        session,
        clock,
        consulted.consultation,
        author=consulted.participant,
        ordinal=4,
        suggestion=suggestion,
    )
    revised = v1.source.replace(fourth.source, "Indeed, " + fourth.source)
    service.publish_version(
        consulted.consultation, editor=consulted.editor, markdown=revised, change_note=""
    )
    accept(session, clock, consulted, comment)

    preview = suggestions.preview_suggestions(
        session, clock, consulted.editor, SLUG, Batch(comments=[comment.id])
    )
    assert preview.clean and preview.version.number == 2
    [paragraph] = preview.paragraphs
    assert paragraph.text == "Indeed, " + suggestion
    assert apply(session, clock, consulted, [comment.id]) == 3
    assert current_texts(session, clock, consulted)[3] == "Indeed, " + suggestion


def test_two_suggestions_on_one_paragraph_both_land_in_one_version(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    original = current_texts(session, clock, consulted)[4]
    first = comment_on(
        session,
        clock,
        consulted.consultation,
        author=consulted.participant,
        ordinal=5,
        suggestion="Clearly, " + original,
    )
    second = comment_on(
        session,
        clock,
        consulted.consultation,
        author=consulted.editor,
        ordinal=5,
        body="Say where.",
        suggestion=original.replace(" (5)", " on the Internet (5)"),
    )
    accept(session, clock, consulted, first)
    accept(session, clock, consulted, second)

    number = apply(session, clock, consulted, [second.id, first.id])

    assert number == 2
    expected = "Clearly, " + original.replace(" (5)", " on the Internet (5)")
    assert current_texts(session, clock, consulted)[4] == expected
    records = session.scalars(select(AppliedSuggestion).order_by(AppliedSuggestion.comment_id))
    assert [(r.comment_id, r.version_number) for r in records] == [(first.id, 2), (second.id, 2)]


def test_a_conflict_needs_the_editors_text_and_records_the_resolution(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    original = current_texts(session, clock, consulted)[4]
    words = original.split()
    one = comment_on(
        session,
        clock,
        consulted.consultation,
        author=consulted.participant,
        ordinal=5,
        suggestion=" ".join(["Alpha", *words[1:]]),
    )
    other = comment_on(
        session,
        clock,
        consulted.consultation,
        author=consulted.editor,
        ordinal=5,
        body="No.",
        suggestion=" ".join(["Beta", *words[1:]]),
    )
    accept(session, clock, consulted, one)
    accept(session, clock, consulted, other)
    preview = suggestions.preview_suggestions(
        session, clock, consulted.editor, SLUG, Batch(comments=[one.id, other.id])
    )
    assert not preview.clean
    [paragraph] = preview.paragraphs
    [conflict] = paragraph.merges[1].merged.conflicts
    assert (conflict.current, conflict.suggested) == ("Alpha", "Beta")

    with pytest.raises(Conflict, match="has a conflict"):
        apply(session, clock, consulted, [one.id, other.id])
    resolved = " ".join(["Gamma", *words[1:]])
    key = paragraph.key
    assert apply(session, clock, consulted, [one.id, other.id], **{key: resolved}) == 2
    assert current_texts(session, clock, consulted)[4] == resolved
    assert all(r.resolved_conflict for r in session.scalars(select(AppliedSuggestion)))


def test_a_preview_of_an_older_version_is_refused(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    accept(session, clock, consulted, consulted.chatham)
    service = ConsultationService(session, clock=clock)
    version = service.version(consulted.consultation)
    service.publish_version(
        consulted.consultation,
        editor=consulted.editor,
        markdown=version.source + "\n\nMore.",
        change_note="",
    )
    stale = ApplySuggestions(comments=[consulted.chatham.id], version=1)
    with pytest.raises(Conflict, match="changed since the preview"):
        suggestions.apply_suggestions(session, clock, consulted.editor, SLUG, stale)
