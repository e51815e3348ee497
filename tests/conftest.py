"""Shared fixtures. Every database test runs twice, on SQLite and on PostgreSQL, each inside
a transaction that is rolled back at the end (the app's commits become savepoints)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from alembic import command
from core.clock import FixedClock
from core.db import make_engine, make_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
_postgres_skipped: list[str] = []


def migrate(engine: Engine) -> None:
    """Build the schema with the real migration chain, as production does."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["configure_logger"] = False
        command.upgrade(config, "head")


def _postgres_engine(worker: str) -> Engine:
    """A schema of its own per test process, so parallel runs never share tables."""
    schema = f"roundtable_test_{worker}_{os.getpid()}"
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


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "roundtable.db"
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = _postgres_engine(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    migrate(engine)
    yield engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    engine.dispose()


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
