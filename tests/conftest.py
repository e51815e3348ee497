"""Shared fixtures. Every database test runs twice, on SQLite and on PostgreSQL, each inside
a transaction that is rolled back at the end (the app's commits become savepoints)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from core.clock import FixedClock
from core.db import make_engine, make_sessionmaker
from core.migrations import upgrade as migrate

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
_postgres_skipped: list[str] = []


def postgres_engine(schema: str) -> Engine:
    """An engine on a fresh schema of its own, so parallel runs never share tables.
    Skips loudly when PostgreSQL is absent, and fails instead under CI."""
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:
        engine.dispose()
        message = f"PostgreSQL at {POSTGRES_URL} is unavailable: {error.__class__.__name__}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL is required)", pytrace=False)
        _postgres_skipped.append(message)
        pytest.skip(message)
    return engine


@contextmanager
def scratch_database(
    kind: str, folder: Path, name: str, *, migrated: bool = True
) -> Iterator[tuple[str, Engine]]:
    """A fresh database of `kind` ("sqlite" or "postgresql"), removed afterwards: its URL
    (for other processes and the CLI) and an engine on it. PostgreSQL gets a schema of its
    own per process, so parallel runs never share tables."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / f'{name}.db'}"
        engine = make_engine(url)
    else:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        schema = f"{name}_{worker}_{os.getpid()}"
        engine = postgres_engine(schema)
        separator = "&" if "?" in POSTGRES_URL else "?"
        url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    try:
        if migrated:
            migrate(engine)
        yield url, engine
    finally:
        if kind == "postgresql":
            with engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("db")
    with scratch_database(request.param, folder, "roundtable_test") as (_url, engine):
        yield engine


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory whose commits are savepoints inside one rolled-back transaction."""
    connection = engine.connect()
    outer = connection.begin()
    yield make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    outer.rollback()
    connection.close()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_skipped:
        terminalreporter.section("PostgreSQL SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            "Half of the suite did not run: " + _postgres_skipped[0], red=True, bold=True
        )
