"""Two OS processes keep one index folder current (two web processes of one node) and a third
keeps a folder of its own (another node), while the test commits: both folders end up
holding exactly what the database holds, with no document twice and none missing.

The database is a real one every process can see: a migrated SQLite file, or a fresh
PostgreSQL schema (the usual fixtures' rolled-back transaction is invisible to others).
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from consultations.services import ConsultationService
from core.clock import FixedClock
from core.db import make_engine, make_sessionmaker
from search.index import SearchIndex
from tests.conftest import scratch_database
from tests.factories import comment_on
from tests.unit.search.builders import build_archive, consult, person

NODES = {"node-a": 2, "node-b": 1}  # processes per index folder
CHILDREN = sum(NODES.values())
ROUNDS = 24
CHILD_DEADLINE = 120.0


def keep_catching_up(
    url: str, folder: str, name: str, stop: Any, reports: Any
) -> None:  # pragma: no cover (runs in the children)
    """A child: catch up in a loop until told to stop, then once more; report how many
    events it applied, or the traceback of whatever went wrong."""
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        index = SearchIndex(folder, lock_timeout=0.2)
        reports.put((name, "ready", 0))
        applied, started = 0, time.monotonic()
        while not stop.is_set() and time.monotonic() - started < CHILD_DEADLINE:
            applied += index.catch_up(sessions)
            time.sleep(0.01)
        applied += index.catch_up(sessions)
        reports.put((name, "done", applied))
    except BaseException:
        reports.put((name, "error", traceback.format_exc()))
        raise
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A URL the children can open, and the parent's engine on the same database."""
    with scratch_database(request.param, tmp_path, "roundtable_concurrent") as database:
        yield database


def indexed_ids(index: SearchIndex) -> list[str]:
    with index.searcher() as searcher:
        return [str(document["id"]) for document in searcher.documents()]


def commit_while_children_index(session: Session, clock: FixedClock) -> set[int]:
    """The parent's writes: comments, new consultations and a new version, one commit each;
    returns the ids of every comment it made."""
    archive = build_archive(session, clock)
    session.commit()
    commenter = person(session, clock, "Concurrent Commenter")
    session.commit()
    consultations = [archive.lawful, archive.end_users]
    comments = {archive.named.id, archive.chatham.id, archive.organisation_only.id}
    comments.add(archive.ukrainian_comment.id)
    service = ConsultationService(session, clock=clock)
    for round_number in range(ROUNDS):
        if round_number % 6 == 5:
            consultations.append(
                consult(
                    session, clock, archive.editor,
                    slug=f"concurrent-{round_number}", title=f"Concurrent {round_number}",
                    paragraphs=[f"Paragraph {n} of round {round_number}." for n in (1, 2, 3)],
                )
            )  # fmt: skip
        elif round_number == 10:
            markdown = service.version(archive.lawful).source + "\n\nA paragraph added later."
            service.publish_version(
                archive.lawful, editor=archive.editor, markdown=markdown, change_note="More"
            )
        else:
            target = consultations[round_number % len(consultations)]
            body = f"Concurrent comment number {round_number}."
            comments.add(comment_on(session, clock, target, author=commenter, body=body).id)
        session.commit()
        time.sleep(0.02)
    return comments


def test_processes_and_nodes_catching_up_together_index_everything_once(
    database: tuple[str, Engine], tmp_path: Path, clock: FixedClock
) -> None:
    url, engine = database
    context = multiprocessing.get_context("spawn")
    stop, reports = context.Event(), context.Queue()
    children = [
        context.Process(
            target=keep_catching_up,
            args=(url, str(tmp_path / node), f"{node}-{n}", stop, reports),
        )
        for node, processes in NODES.items()
        for n in range(processes)
    ]
    for child in children:
        child.start()
    messages: list[tuple[str, str, Any]] = []
    try:
        while sum(kind == "ready" for _name, kind, _value in messages) < CHILDREN:
            message = reports.get(timeout=60)
            messages.append(message)
            assert message[1] != "error", message[2]
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        with sessions() as session:
            comments = commit_while_children_index(session, clock)
        time.sleep(0.5)  # let the children poll a few more times while idle
    finally:
        stop.set()
        for child in children:
            child.join(timeout=60)
    while len(messages) < 2 * CHILDREN and not reports.empty():
        messages.append(reports.get(timeout=5))
    errors = [value for _name, kind, value in messages if kind == "error"]
    assert not errors, errors[0]
    assert [child.exitcode for child in children] == [0] * CHILDREN
    applied = {name: value for name, kind, value in messages if kind == "done"}
    assert len(applied) == CHILDREN and sum(applied.values()) > 0, applied

    fresh = SearchIndex(tmp_path / "fresh")
    fresh.rebuild(sessions)
    for node in NODES:
        index = SearchIndex(tmp_path / node)
        assert index.catch_up(sessions) == 0, f"{node}'s processes left events unapplied"
        ids = indexed_ids(index)
        duplicates = [doc_id for doc_id, times in Counter(ids).items() if times > 1]
        assert not duplicates, node
        assert sorted(ids) == sorted(indexed_ids(fresh)), node
        assert {doc_id for doc_id in ids if doc_id.startswith("comment:")} == {
            f"comment:{comment_id}" for comment_id in comments
        }
        assert any(doc_id.startswith("paragraph:") and ":2:" in doc_id for doc_id in ids)
