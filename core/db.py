"""One declarative base, engine set-up for SQLite and PostgreSQL, and the unit of work."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar, cast

from sqlalchemy import DateTime, Engine, Enum, MetaData, Table, create_engine, event, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on both databases: SQLite forgets the zone, we restore UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Roundtable stores only timezone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def enum_column(enum: type[StrEnum]) -> Enum:
    """Enums stored by value as short strings with a CHECK, the same on both databases."""
    return Enum(
        enum,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        create_constraint=True,
        name=enum.__name__.lower(),
        validate_strings=True,
        length=30,
    )


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, foreign keys and real transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip per checkout on the comment hot path; connections
    # are recycled well before servers or proxies drop idle ones. The pool keeps as many
    # connections as a process serves requests at once under load (16 in the comment
    # benchmark with one web process): a smaller one closes the connections above its size
    # whenever the load dips and opens new ones when it rises, and each new PostgreSQL
    # backend costs milliseconds of CPU on both sides.
    return create_engine(url, pool_recycle=1800, pool_size=20, max_overflow=20, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we take it over,
    # as the SQLAlchemy documentation recommends.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
        # instead of one failing with "database is locked" when it upgrades its lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, **kwargs)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error, so nothing is half-written."""
    with factory() as session, session.begin():
        yield session


Row = TypeVar("Row", bound=Base)


def insert_one(
    session: Session, model: type[Row], related: Mapping[str, Base] | None = None, **values: Any
) -> Row:
    """Write one row now and return it as a persistent object, as if it had been loaded:
    one Core INSERT … RETURNING, for hot paths where the unit of work's flush costs more
    than the statement (on the comment path it was a third of the request's CPU). Column
    defaults apply as in a flush. The object joins the identity map; `related` gives its
    many-to-one objects, held as if loaded with it (the identity map alone holds objects
    weakly: one nobody else holds would be read again)."""
    table = cast(Table, model.__table__)
    plan = _insert_plan(table, frozenset(values))
    returned = session.execute(plan.statement, values).one()
    instance = model(**values, **plan.defaults, **returned._mapping)
    make_transient_to_detached(instance)
    for name, value in (related or {}).items():
        set_committed_value(instance, name, value)
    session.add(instance)
    return instance


@dataclass(frozen=True)
class _InsertPlan:
    statement: Insert  # returning only what the database decides: the key, its defaults
    defaults: dict[str, Any]  # the other columns not given: their scalar default, or None


@functools.lru_cache(maxsize=64)
def _insert_plan(table: Table, given: frozenset[str]) -> _InsertPlan:
    """Built once per table and set of columns: building an INSERT and its cache key costs
    more than running it, and every column returned costs the driver an object."""
    returning, defaults = [], {}
    for column in table.columns:
        if column.key in given:
            continue
        default = column.default
        if column.primary_key or column.server_default is not None:
            returning.append(column)
        elif default is not None and not getattr(default, "is_scalar", False):
            returning.append(column)  # a callable default: computed by SQLAlchemy, read back
        else:
            defaults[column.key] = getattr(default, "arg", None)
    return _InsertPlan(insert(table).returning(*returning), defaults)
