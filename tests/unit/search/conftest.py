"""The archive of consultations and briefs the index tests search, and its index."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.clock import FixedClock
from search.index import SearchIndex
from tests.unit.search.builders import Archive, build_archive


@pytest.fixture
def archive(session: Session, clock: FixedClock) -> Archive:
    built = build_archive(session, clock)
    session.commit()
    return built


@pytest.fixture
def index(tmp_path: Path, sessions: sessionmaker[Session], archive: Archive) -> SearchIndex:
    index = SearchIndex(tmp_path / "index")
    index.catch_up(sessions)
    return index
