"""A damaged index never fails a search: searches say it is being built, the worker's next
pass rebuilds it from the database; a rebuild elsewhere (`roundtable reindex`) reaches the
searchers of running processes; equal-ranked hits keep one order whatever the generation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.urls import app_paths
from core.clock import FixedClock
from core.outbox import SEARCH, emit
from search.documents import BRIEF
from search.index import SearchIndex
from search.queries import NOTE_NOT_READY, SearchQuery
from tests.unit.search.builders import Archive, consult, find, publish_brief


def live_files(index: SearchIndex, suffix: str) -> list[Path]:
    generation = index.path / (index.path / "CURRENT").read_text().strip()
    return sorted(generation.glob(f"*{suffix}"))


@pytest.mark.parametrize(
    ("suffix", "damage"),
    [
        (".trm", "truncate"),  # the term table: every word search reads it
        (".col", "overwrite"),  # the column files: filters and facets read them
    ],
)
def test_a_damaged_segment_file_is_rebuilt_not_a_500(
    index: SearchIndex, sessions: sessionmaker[Session], suffix: str, damage: str
) -> None:
    healthy = find(index, "encryption")
    assert healthy.total > 0
    fresh = SearchIndex(index.path)  # a process that opens the damaged files anew
    for file in live_files(index, suffix):
        data = file.read_bytes()
        file.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\xff" * len(data))

    damaged = find(fresh, "encryption")
    assert NOTE_NOT_READY in damaged.notes and not damaged.hits
    assert NOTE_NOT_READY in find(index, "encryption").notes, "every process stops using it"

    fresh.catch_up(sessions)  # the worker's next pass
    again = find(fresh, "encryption")
    assert NOTE_NOT_READY not in again.notes
    assert [hit.url for hit in again.hits] == [hit.url for hit in healthy.hits]
    assert [hit.url for hit in find(index, "encryption").hits] == [h.url for h in healthy.hits]


def test_a_rebuild_reaches_a_running_process_searchers(
    index: SearchIndex, sessions: sessionmaker[Session], session: Session, clock: FixedClock,
    archive: Archive,
) -> None:  # fmt: skip
    """The web process's pool threads keep searchers open; `roundtable reindex` (another
    SearchIndex on the same folder, as in another process) swaps generations under them."""
    query = SearchQuery.from_params({"q": "quokka"})
    assert index.search_in_pool(query, app_paths()).total == 0
    consult(session, clock, archive.editor, slug="quokkas", title="Quokka rights",
            paragraphs=["Quokka habitats matter."])  # fmt: skip
    session.commit()  # its search event is not applied: only the rebuild can show it

    SearchIndex(index.path).rebuild(sessions)

    assert index.search_in_pool(query, app_paths()).total > 0
    assert find(index, "quokka").total > 0


def test_equal_ranks_keep_one_order_across_generations(
    index: SearchIndex, sessions: sessionmaker[Session], session: Session, clock: FixedClock,
    archive: Archive, tmp_path: Path,
) -> None:  # fmt: skip
    """Browsing by date alone ties everything written at the same moment (the test clock
    stands still). Re-indexing a document moves it to the end of the incremental index; a
    rebuild numbers documents in archive order."""
    briefs = [
        publish_brief(
            session,
            clock,
            archive.editor,
            slug=f"tie-{number}",
            title="Same words",
            body="Same body.",
        )
        for number in range(3)
    ]
    session.commit()
    index.catch_up(sessions)
    emit(session, SEARCH, BRIEF, clock.now(), id=briefs[0].id)  # as an edit would
    session.commit()
    index.catch_up(sessions)
    rebuilt = SearchIndex(tmp_path / "rebuilt")
    rebuilt.rebuild(sessions, procs=2)

    for params in ({"type": "brief"}, {"q": "same body"}, {"type": "paragraph"}):
        first = [hit.url for hit in find(index, **params, page_size="100").hits]
        second = [hit.url for hit in find(rebuilt, **params, page_size="100").hits]
        assert first and first == second, params
