"""Deriving the search documents from the database, as a rebuild and a catch-up pass do."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.urls import app_paths
from briefs.services import BriefService
from consultations.services import ConsultationService
from core.clock import FixedClock
from search import documents as docs
from tests.unit.search.builders import Archive, build_archive


@pytest.fixture
def archive(session: Session, clock: FixedClock) -> Archive:
    return build_archive(session, clock)


def publish_second_version(session: Session, clock: FixedClock, archive: Archive) -> None:
    service = ConsultationService(session, clock=clock)
    lawful = service.get("lawful-access")
    markdown = service.version(lawful).source + "\n\nA new paragraph about key escrow."
    service.publish_version(lawful, editor=archive.editor, markdown=markdown, change_note="v2")
    session.flush()


def test_the_spelling_vocabulary_holds_each_word_once_as_written() -> None:
    """The `spell` field's analyzer lowercases and normalises apostrophes; only words spelt
    exactly alike are dropped beforehand, so it still sees every form."""
    vocabulary = docs.spelling_vocabulary("Lawful access", "access to пам’ять, and lawful")
    assert vocabulary == "Lawful access to пам’ять and lawful"


def test_a_consultation_is_every_version_then_its_comments_with_one_vocabulary(
    session: Session, clock: FixedClock, archive: Archive
) -> None:
    publish_second_version(session, clock, archive)
    documents = docs.consultation_documents(session, archive.lawful.id)
    kinds = [(document["type"], document["current"]) for document in documents]
    assert kinds == [("paragraph", 0)] * 4 + [("paragraph", 1)] * 5 + [("comment", 1)] * 3
    spelled = [document for document in documents if "spell" in document]
    assert spelled == [documents[4]]  # the current version's first paragraph
    words = spelled[0]["spell"].split()
    assert len(words) == len(set(words))
    assert {"encrypted", "communications", "transparency", "escrow"} <= set(words)
    assert "metadata" not in words  # only in a comment: commenters' typos are no suggestions


def test_only_the_current_brief_version_carries_its_vocabulary(
    session: Session, clock: FixedClock, archive: Archive
) -> None:
    service = BriefService(session, clock=clock)
    service.revise("encryption-brief", archive.editor)
    title = "Encryption: the chapter's position"
    service.update_draft("encryption-brief", archive.editor, title, "Jurisdiction.", "New")
    service.publish("encryption-brief", archive.editor, app_paths())
    session.flush()
    documents = docs.brief_documents(session, archive.brief.id)
    assert [("spell" in document, document["current"]) for document in documents] == [
        (False, 0),
        (True, 1),
    ]
    assert documents[1]["spell"] == "Encryption the chapter's position Jurisdiction"


def test_the_archive_in_chunks_is_each_consultation_and_brief_in_turn(
    session: Session, clock: FixedClock, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild reads many consultations at once; it must derive what a catch-up pass
    derives for each, in the same order."""
    publish_second_version(session, clock, archive)
    monkeypatch.setattr(docs, "ARCHIVE_CHUNK", 2)
    one_by_one = [
        document
        for consultation_id in docs.public_consultation_ids(session)
        for document in docs.consultation_documents(session, consultation_id)
    ]
    one_by_one += docs.brief_documents(session, archive.brief.id)
    chunks = list(docs.archive_chunks(session))
    ukrainian = len(docs.consultation_documents(session, archive.ukrainian.id))
    assert [len(chunk) for chunk in chunks] == [len(one_by_one) - ukrainian - 1, ukrainian, 1]
    assert [document for chunk in chunks for document in chunk] == one_by_one


def test_the_archive_is_read_in_a_few_queries_whatever_its_size(
    session: Session, archive: Archive
) -> None:
    """A query per consultation, version or brief made the rebuild's feeding process a
    bottleneck: the queries are per chunk of a hundred."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        documents = [document for chunk in docs.archive_chunks(session) for document in chunk]
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert len(documents) == docs.count_documents(session) == 16
    assert len(statements) == 2 + 4 + 3  # the ids; consultations; briefs
