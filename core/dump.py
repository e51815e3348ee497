"""`roundtable export` / `roundtable import`: a full JSON dump of the database that round-trips.

The dump is one JSON document::

    {"format": "roundtable-dump", "version": 1, "exported_at": "2026-11-02T09:00:00+00:00",
     "schema_revision": "0001",
     "tables": {"outbox_events": [{...}, ...], "topics": [...], ...}}

`tables` holds every table of `Base.metadata` in dependency order (a table comes after the
tables it refers to), each row an object of column → JSON value, rows ordered by primary key,
so two exports of the same data are identical apart from `exported_at`. Datetimes are ISO 8601
with their UTC offset, enums their stored string values, JSON columns as they are.

**It is a complete backup for the operator, secrets included**: `users.password_hash` and
`api_tokens.token_hash` are in it (hashes, not plain secrets, but enough for offline guessing
of weak passwords), as are the e-mail addresses and names behind anonymous (Chatham House)
comments. Protect the file like the database itself (mode 0600, encrypted at rest, never
published); it is not the public "export" of a consultation or brief.

Export streams table by table and row by row, so an archive of any size needs memory for one
batch of rows, not for the whole database. For a consistent snapshot run it in one transaction
(on PostgreSQL at REPEATABLE READ, so writes committed meanwhile do not split the dump).

Import goes into an *empty* database at the *same* schema revision (upgrade it first; the
dump is not migrated), inside the caller's transaction and a savepoint of its own, so any
error leaves nothing written. The document is read incrementally too: rows are inserted in
chunks as they are parsed. A document whose keys come in another order (e.g. re-sorted by a
tool) still imports; tables that arrive before the header or before the tables they refer to
are held in memory until they can be inserted. Integer primary keys keep their values, and on
PostgreSQL the id sequences are moved past them so new rows do not collide.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Enum,
    Integer,
    String,
    Table,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator, TypeEngine

import core.models  # noqa: F401 - every table must be in the metadata
from core.db import Base
from core.errors import Conflict, InvalidInput

FORMAT = "roundtable-dump"
VERSION = 1
CHUNK = 1000

Progress = Callable[[str, int], None]
"""Called with a table name and the rows done so far in it: after every chunk of rows and once
more when the table is finished (so also once, with 0, for an empty table)."""


# --- schema --------------------------------------------------------------------------------


def tables() -> list[Table]:
    """Every table, dependency order: referenced tables come first."""
    return list(Base.metadata.sorted_tables)


def schema_revision(session: Session) -> str | None:
    """The Alembic revision the database is at, or None when it was never migrated."""
    connection = session.connection()
    if not inspect(connection).has_table("alembic_version"):
        return None
    revisions = sorted(
        connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    )
    return ",".join(revisions) or None


def _base_type(column: Column[Any]) -> TypeEngine[Any]:
    type_: TypeEngine[Any] = column.type
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


# --- export --------------------------------------------------------------------------------


def _to_json(value: Any) -> Any:
    if isinstance(value, enum.Enum):  # before str: a StrEnum is a str, store its plain value
        return value.value
    if value is None or isinstance(value, bool | int | str | float | dict | list):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    raise TypeError(f"cannot export a value of type {type(value).__name__}")


def export_all(session: Session, out: IO[str], progress: Progress | None = None) -> dict[str, int]:
    """Write the whole database to `out` as one JSON document; return the rows per table."""
    revision = schema_revision(session)
    if revision is None:
        raise Conflict(
            "This database has no schema revision (alembic_version is missing or empty); "
            "it was not created with `roundtable db upgrade`, so there is nothing to export."
        )
    header = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "schema_revision": revision,
    }
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "tables": {')
    counts: dict[str, int] = {}
    for index, table in enumerate(tables()):
        out.write(("," if index else "") + "\n" + json.dumps(table.name) + ": [")
        names = [column.name for column in table.columns]
        statement = (
            select(table)
            .order_by(*table.primary_key.columns)
            .execution_options(yield_per=CHUNK, stream_results=True)
        )
        count = 0
        for partition in session.execute(statement).partitions():
            for row in partition:
                record = {name: _to_json(value) for name, value in zip(names, row, strict=True)}
                out.write(("," if count else "") + "\n" + json.dumps(record, ensure_ascii=False))
                count += 1
            if progress:
                progress(table.name, count)
        out.write("\n]" if count else "]")
        counts[table.name] = count
        if progress:
            progress(table.name, count)
    out.write("\n}}\n")
    return counts


# --- reading a document incrementally ------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Reader:
    """Just enough of a streaming JSON reader to walk the dump's two levels of objects and its
    row arrays; each row (or header value) is decoded whole by the standard decoder."""

    def __init__(self, source: IO[str], chunk: int = 1 << 16) -> None:
        self.source = source
        self.chunk = chunk
        self.buffer = ""
        self.position = 0
        self.eof = False
        self.consumed = 0  # characters before `buffer`, for error positions

    def _read(self, at_least: int = 0) -> bool:
        if self.eof:
            return False
        data = self.source.read(max(self.chunk, at_least))
        if not isinstance(data, str):
            raise InvalidInput("The dump must be read as text (open the file in text mode).")
        if not data:
            self.eof = True
            return False
        self.consumed += self.position
        self.buffer = self.buffer[self.position :] + data
        self.position = 0
        return True

    def where(self) -> str:
        return f"at character {self.consumed + self.position}"

    def peek(self) -> str:
        """The next character that is not white space, or "" at the end."""
        while True:
            match = _WHITESPACE.match(self.buffer, self.position)
            assert match is not None  # the pattern matches the empty string
            self.position = match.end()
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if not self._read():
                return ""

    def expect(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            shown = repr(found) if found else "the end of the file"
            raise InvalidInput(f"The dump is not valid: expected {what} {self.where()}, {shown}.")
        self.position += 1

    def value(self) -> Any:
        if not self.peek():
            raise InvalidInput("The dump is not valid: it ends in the middle (truncated file?).")
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                if not self._maybe_incomplete(error) or not self._read(len(self.buffer)):
                    raise InvalidInput(
                        f"The dump is not valid JSON: {error.msg} at character "
                        f"{self.consumed + error.pos}."
                    ) from None
                continue
            # A number or literal at the very end of the buffer may continue in the next chunk.
            if end == len(self.buffer) and self._read(len(self.buffer)):
                continue
            self.position = end
            return value

    def _maybe_incomplete(self, error: json.JSONDecodeError) -> bool:
        # A cut-off document fails at its cut, or (for a string) where the string starts.
        return not self.eof and (
            error.pos >= len(self.buffer) - 6 or error.msg.startswith("Unterminated string")
        )

    def members(self, what: str) -> Iterator[str]:
        """Walk an object's keys; the caller reads each value before asking for the next."""
        self.expect("{", f"the start of {what} (a JSON object)")
        if self.peek() == "}":
            self.position += 1
            return
        while True:
            if self.peek() != '"':
                self.expect('"', f"a key in {what}")
            key = self.value()
            self.expect(":", "':'")
            yield key
            if self.peek() == ",":
                self.position += 1
                continue
            self.expect("}", f"',' or the end of {what}")
            return

    def items(self, what: str) -> Iterator[Any]:
        """Walk an array's values."""
        self.expect("[", f"the start of {what} (a JSON array)")
        if self.peek() == "]":
            self.position += 1
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self.position += 1
                continue
            self.expect("]", f"',' or the end of {what}")
            return


# --- import --------------------------------------------------------------------------------

Converter = Callable[[Any], Any]


def _converter(column: Column[Any]) -> Converter:
    """Check one JSON value against a column and turn it into what the column binds."""
    base = _base_type(column)
    nullable = bool(column.nullable)

    def checked(convert: Converter) -> Converter:
        def run(value: Any) -> Any:
            if value is None:
                if not nullable:
                    raise ValueError("must not be null")
                return None
            return convert(value)

        return run

    if isinstance(base, JSON):
        return lambda value: value
    if isinstance(base, DateTime):

        def to_datetime(value: Any) -> datetime:
            if not isinstance(value, str):
                raise ValueError(f"{value!r} is not an ISO 8601 date and time")
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not an ISO 8601 date and time") from None
            if moment.tzinfo is None:
                raise ValueError(f"{value!r} has no UTC offset")
            return moment

        return checked(to_datetime)
    if isinstance(base, Enum):
        allowed = list(base.enums)

        def to_enum(value: Any) -> str:
            if value not in allowed:
                raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
            return str(value)

        return checked(to_enum)
    if isinstance(base, Boolean):
        return checked(lambda value: _expect(value, bool, "true or false"))
    if isinstance(base, Integer):
        return checked(lambda value: _expect(value, int, "an integer"))
    if isinstance(base, String):
        return checked(lambda value: _expect(value, str, "a string"))
    return lambda value: value  # a type this module does not know: let the database judge


def _expect(value: Any, kind: type, description: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{value!r} is not {description}")
    return value


class _TableLoader:
    """Checks, converts and inserts one table's rows in chunks."""

    def __init__(self, session: Session, table: Table, progress: Progress | None) -> None:
        self.session = session
        self.table = table
        self.progress = progress
        self.columns = {column.name: column for column in table.columns}
        self.converters = {name: _converter(column) for name, column in self.columns.items()}
        self.keys = {name: column.key for name, column in self.columns.items()}
        self.pending: list[dict[str, Any]] = []
        self.count = 0
        # Self-references (a reply's parent comment): a row whose parent is not inserted yet
        # gets it set afterwards, so any row order imports.
        self.self_references = [
            (key.parent.name, key.column.name)
            for key in table.foreign_keys
            if key.column.table is table and key.parent.nullable
        ]
        self.seen: dict[str, set[Any]] = {target: set() for _, target in self.self_references}
        self.deferred: list[tuple[dict[str, Any], str, Any]] = []

    def check(self, row: Any) -> dict[str, Any]:
        where = f"row {self.count + len(self.pending) + 1} of table {self.table.name!r}"
        if not isinstance(row, dict):
            raise InvalidInput(f"The dump is not valid: {where} is not a JSON object.")
        unknown = sorted(set(row) - set(self.columns))
        if unknown:
            raise InvalidInput(
                f"The dump is not valid: {where} has unknown column "
                f"{', '.join(f'{self.table.name}.{name}' for name in unknown)}."
            )
        missing = sorted(set(self.columns) - set(row))
        if missing:
            raise InvalidInput(
                f"The dump is not valid: {where} lacks column "
                f"{', '.join(f'{self.table.name}.{name}' for name in missing)}."
            )
        converted: dict[str, Any] = {}
        for name, value in row.items():
            try:
                converted[self.keys[name]] = self.converters[name](value)
            except ValueError as error:
                raise InvalidInput(
                    f"The dump is not valid: {self.table.name}.{name} in {where}: {error}."
                ) from None
        return converted

    def add(self, row: dict[str, Any]) -> None:
        for column, target in self.self_references:
            key, target_key = self.keys[column], self.keys[target]
            self.seen[target].add(row[target_key])
            if row[key] is not None and row[key] not in self.seen[target]:
                self.deferred.append((row, key, row[key]))
                row = {**row, key: None}
        self.pending.append(row)
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self._execute(insert(self.table), self.pending)
        self.count += len(self.pending)
        self.pending = []
        if self.progress:
            self.progress(self.table.name, self.count)

    def finish(self) -> int:
        self.flush()
        if self.deferred:
            (primary,) = self.table.primary_key.columns
            for row, key, value in self.deferred:
                statement = (
                    update(self.table).where(primary == row[primary.key]).values({key: value})
                )
                self._execute(statement)
        if self.progress:
            self.progress(self.table.name, self.count)
        return self.count

    def _execute(self, statement: Executable, rows: list[dict[str, Any]] | None = None) -> None:
        try:
            self.session.execute(statement, rows)
        except (DBAPIError, StatementError) as error:
            detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            where = f"rows {self.count + 1}-{self.count + len(rows)}" if rows else "a reference"
            raise InvalidInput(
                f"The database refused the rows of table {self.table.name!r} ({where}): {detail}"
            ) from error


class _Importer:
    """Receives the document's parts in any order and inserts tables as soon as they may be:
    once the header is checked and every table they refer to is in."""

    def __init__(self, session: Session, revision: str, progress: Progress | None) -> None:
        self.session = session
        self.revision = revision
        self.progress = progress
        self.tables = {table.name: table for table in tables()}
        self.order = list(self.tables)
        self.header: dict[str, Any] = {}
        self.done: dict[str, int] = {}
        self.held: dict[str, list[dict[str, Any]]] = {}
        self.seen: set[str] = set()

    def header_value(self, key: str, value: Any) -> None:
        if key == "format" and value != FORMAT:
            raise InvalidInput(
                f"This is not a Roundtable dump (format is {value!r}, expected {FORMAT!r})."
            )
        if key == "version" and (value != VERSION or isinstance(value, bool)):
            raise InvalidInput(
                f"This dump has format version {value!r}; this Roundtable reads version "
                f"{VERSION} only. Import it with the release that wrote it."
            )
        if key == "schema_revision" and value != self.revision:
            raise Conflict(
                f"The dump was taken at schema revision {value!r} but this database is at "
                f"{self.revision!r}. Bring both to the same revision first: run "
                "`roundtable db upgrade` here, or import with the release that wrote the dump."
            )
        self.header[key] = value

    @property
    def header_checked(self) -> bool:
        return {"format", "version", "schema_revision"} <= set(self.header)

    def ready(self, name: str) -> bool:
        table = self.tables[name]
        needs = {key.column.table.name for key in table.foreign_keys} - {name}
        return self.header_checked and needs <= set(self.done)

    def table(self, name: Any, rows: Iterator[Any]) -> None:
        if not isinstance(name, str) or name not in self.tables:
            raise InvalidInput(
                f"The dump is not valid: unknown table {name!r} (known: {', '.join(self.order)})."
            )
        if name in self.seen:
            raise InvalidInput(f"The dump is not valid: table {name!r} appears twice.")
        self.seen.add(name)
        loader = _TableLoader(self.session, self.tables[name], self.progress)
        if self.ready(name):
            for row in rows:
                loader.add(loader.check(row))
            self.done[name] = loader.finish()
            self.release()
        else:  # out of order: keep it until what it refers to is in
            self.held[name] = [loader.check(row) for row in rows]

    def release(self) -> None:
        progressed = True
        while progressed:
            progressed = False
            for name in [name for name in self.order if name in self.held]:
                if self.ready(name):
                    loader = _TableLoader(self.session, self.tables[name], self.progress)
                    for row in self.held.pop(name):
                        loader.add(row)
                    self.done[name] = loader.finish()
                    progressed = True

    def finish(self) -> dict[str, int]:
        missing_header = sorted({"format", "version", "schema_revision"} - set(self.header))
        if missing_header:
            raise InvalidInput(
                f"This is not a Roundtable dump: it lacks {', '.join(missing_header)}."
            )
        if "tables" not in self.header:
            raise InvalidInput("This is not a Roundtable dump: it has no 'tables'.")
        missing = [name for name in self.order if name not in self.seen]
        if missing:
            raise InvalidInput(f"The dump is incomplete: table {', '.join(missing)} is missing.")
        self.release()
        return {name: self.done[name] for name in self.order}


def _tables_with_rows(session: Session) -> list[str]:
    return [
        table.name
        for table in tables()
        if session.execute(select(1).select_from(table).limit(1)).first() is not None
    ]


def _reset_sequences(session: Session) -> None:
    """Move PostgreSQL's id sequences past the imported ids (SQLite uses max(rowid) + 1)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = func.pg_get_serial_sequence(table.fullname, column.name)
        highest = select(func.max(column)).scalar_subquery()
        session.execute(
            select(func.setval(sequence, func.coalesce(highest, 1), highest.is_not(None)))
        )


def import_all(
    session: Session, source: IO[str], progress: Progress | None = None
) -> dict[str, int]:
    """Load a dump written by `export_all` into this empty database; return rows per table.

    Raises `Conflict` when the database is not empty or not at the dump's schema revision,
    `InvalidInput` when the document is not a valid dump; nothing is written then."""
    revision = schema_revision(session)
    if revision is None:
        raise Conflict(
            "This database has no schema yet: run `roundtable db upgrade` first, then import."
        )
    occupied = _tables_with_rows(session)
    if occupied:
        raise Conflict(
            "Import needs an empty database, but this one has rows in "
            f"{', '.join(occupied)}. Import into a freshly created and upgraded database."
        )
    with session.begin_nested():
        importer = _Importer(session, revision, progress)
        reader = _Reader(source)
        if reader.peek() != "{":
            raise InvalidInput(
                "This is not a Roundtable dump: expected a JSON object at the start of the file."
            )
        for key in reader.members("the dump"):
            if key == "tables":
                importer.header["tables"] = True
                for name in reader.members("'tables'"):
                    importer.table(name, reader.items(f"table {name!r}"))
            else:
                importer.header_value(key, reader.value())
        if reader.peek():
            raise InvalidInput(
                f"The dump is not valid: unexpected data after its end {reader.where()}."
            )
        counts = importer.finish()
        _reset_sequences(session)
    return counts
