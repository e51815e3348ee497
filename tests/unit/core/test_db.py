"""Database behaviour we rely on: aware datetimes, SQLite pragmas, one unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import User
from core.clock import FixedClock
from core.db import make_engine, unit_of_work
from core.enums import Role
from tests.factories import make_user


def test_datetimes_come_back_aware_in_utc(session: Session, clock: FixedClock) -> None:
    kyiv = timezone(timedelta(hours=2))
    user = make_user(session, clock)
    user.created_at = datetime(2026, 12, 1, 18, 0, tzinfo=kyiv)
    session.commit()
    session.expire_all()
    assert session.get(User, user.id).created_at == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # type: ignore[union-attr]


def test_naive_datetimes_are_refused(session: Session, clock: FixedClock) -> None:
    user = make_user(session, clock)
    user.created_at = datetime(2026, 12, 1, 18, 0)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_unit_of_work_writes_nothing_when_it_fails(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    def crash_half_way() -> None:
        with unit_of_work(sessions) as session:
            make_user(session, clock, email="half@example.org")
            raise RuntimeError("crash in the middle")

    with pytest.raises(RuntimeError):
        crash_half_way()
    with sessions() as session:
        assert session.scalar(select(func.count()).where(User.email == "half@example.org")) == 0


def test_enum_values_are_checked_by_the_database(session: Session, clock: FixedClock) -> None:
    user = make_user(session, clock, role=Role.EDITOR)
    session.flush()
    with pytest.raises(Exception, match=r"(?i)check"):
        session.execute(text("UPDATE users SET role = 'emperor' WHERE id = :id"), {"id": user.id})


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
