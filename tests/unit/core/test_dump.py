"""`export` / `import`: a full JSON dump that round-trips, on both databases, and refuses
anything it cannot restore faithfully without writing a row."""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import EmailLink, Identity, Organisation, RateLimit, User
from accounts.services import AccountService
from app.demo import load_demo
from app.settings import Settings
from consultations.models import Comment, Endorsement
from core.clock import FixedClock
from core.db import make_engine, make_sessionmaker, unit_of_work
from core.dump import FORMAT, VERSION, export_all, import_all, tables
from core.enums import StakeholderGroup
from core.errors import Conflict, DomainError, InvalidInput
from core.idempotency import IdempotencyKey
from tests.conftest import scratch_database
from tests.factories import comment_on, make_user, open_consultation

Document = dict[str, Any]


def add_identity_rows(session: Session, person: User) -> None:
    """Rows for the identity-and-trust tables, which the demo leaves empty."""
    now = datetime.now(UTC)
    organisation = Organisation(
        name="Digital Rights Lab",
        stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
        country="UA",
        created_at=now,
    )
    session.add(organisation)
    session.flush()
    person.organisation_id = organisation.id
    session.add_all(
        [
            Identity(user_id=person.id, provider="isoc", subject="sub-1", created_at=now),
            EmailLink(
                user_id=person.id,
                purpose="verify",
                token_hash="0" * 64,
                expires_at=now,
                created_at=now,
            ),
            RateLimit(
                key="signin:ip:127.0.0.1",
                window_start=now,
                expires_at=now + timedelta(minutes=15),
                hits=3,
            ),
            IdempotencyKey(
                user_id=person.id,
                key="api:retry-1",
                fingerprint="0" * 64,
                status=201,
                body="{}",
                created_at=now,
            ),
        ]
    )


def row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in tables()
    }


def export_text(session: Session) -> str:
    out = io.StringIO()
    export_all(session, out)
    return out.getvalue()


def without_exported_at(text: str) -> str:
    return re.sub(r'"exported_at": "[^"]*"', '"exported_at": ""', text, count=1)


@pytest.fixture
def second_engine(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty database of the same kind as `engine`, migrated to head."""
    with scratch_database(engine.dialect.name, tmp_path, "roundtable_restore") as (_url, target):
        yield target


# --- round trip ----------------------------------------------------------------------------


def test_the_demo_round_trips_into_an_empty_database(
    sessions: sessionmaker[Session], second_engine: Engine, tmp_path: Path
) -> None:
    load_demo(sessions, Settings.from_env({"SEARCH_INDEX_DIR": str(tmp_path / "search")}))
    with unit_of_work(sessions) as session:  # the demo has neither: cover every table
        people = session.scalars(select(User).order_by(User.id)).all()
        comments = session.scalars(select(Comment).order_by(Comment.id).limit(3)).all()
        session.add_all(
            Endorsement(
                comment_id=comment.id,
                user_id=person.id,
                stakeholder_group=StakeholderGroup.ACADEMIA,
                created_at=comment.created_at,
            )
            for comment in comments
            for person in people[-2:]
        )
        AccountService(session, clock=FixedClock(datetime.now(UTC))).create_token(people[0])
        add_identity_rows(session, people[0])

    first = io.StringIO()
    with sessions() as session:
        exported = export_all(session, first)
        assert exported == row_counts(session)
    assert list(exported) == [table.name for table in tables()]
    assert all(exported.values()), f"every table has rows: {exported}"
    document = json.loads(first.getvalue())
    assert (document["format"], document["version"]) == (FORMAT, VERSION)
    assert document["schema_revision"]
    assert datetime.fromisoformat(document["exported_at"]).tzinfo is not None

    restored = make_sessionmaker(second_engine)
    seen: dict[str, int] = {}
    with unit_of_work(restored) as session:
        imported = import_all(session, io.StringIO(first.getvalue()), seen.__setitem__)
    assert imported == exported
    assert seen == exported  # the last progress report of each table is its count

    with restored() as session:
        assert row_counts(session) == exported
        second = export_text(session)
    assert without_exported_at(second) == without_exported_at(first.getvalue())

    # Ids went over as they were; new rows (many tables, one transaction) must not collide.
    clock = FixedClock(datetime.now(UTC))
    with unit_of_work(restored) as session:
        author = make_user(session, clock)
        consultation = open_consultation(session, clock)
        comment = comment_on(session, clock, consultation, author=author)

    def highest(table: str) -> int:
        return int(max(row["id"] for row in document["tables"][table]))

    assert author.id == highest("users") + 1
    assert consultation.id == highest("consultations") + 1
    assert comment.id == highest("comments") + 1


def test_any_key_order_and_row_order_imports_the_same(session: Session, clock: FixedClock) -> None:
    """A dump re-sorted by a tool (`jq -S`: "tables" before "version", tables by name, replies
    before their parent) still imports, to the same data."""
    with session.begin_nested() as nested:
        author = make_user(session, clock)
        consultation = open_consultation(session, clock)
        parent = comment_on(session, clock, consultation, author=author)
        comment_on(session, clock, consultation, author=author, parent=parent, body="Agreed.")
        session.flush()
        original = export_text(session)
        nested.rollback()
    document = json.loads(original)
    document["tables"]["comments"].reverse()
    assert document["tables"]["comments"][0]["parent_id"] is not None
    shuffled = json.dumps(document, sort_keys=True, indent=1)
    assert shuffled.index('"tables"') < shuffled.index('"version"')

    counts = import_all(session, io.StringIO(shuffled))

    assert counts == row_counts(session)
    assert counts["comments"] == 2
    assert without_exported_at(export_text(session)) == without_exported_at(original)


class Trickle(io.StringIO):
    """A source that hands out a few characters per read, as a pipe may: every token of the
    document ends up cut at a chunk boundary somewhere."""

    def read(self, size: int | None = -1, /) -> str:
        return super().read(5)


def test_a_source_read_a_few_characters_at_a_time_imports_the_same(
    session: Session, valid_dump: Document
) -> None:
    text = json.dumps(valid_dump, ensure_ascii=False, indent=2)

    counts = import_all(session, Trickle(text))

    assert counts == row_counts(session) and counts["users"] == 2
    assert json.loads(without_exported_at(export_text(session))) == json.loads(
        without_exported_at(json.dumps(valid_dump))
    )


# --- refusals ------------------------------------------------------------------------------


def test_import_into_a_database_with_rows_is_refused(session: Session, clock: FixedClock) -> None:
    make_user(session, clock)
    session.flush()
    dump = export_text(session)
    before = row_counts(session)

    with pytest.raises(Conflict, match=r"empty database.*users"):
        import_all(session, io.StringIO(dump))

    assert row_counts(session) == before


@pytest.fixture
def valid_dump(session: Session, clock: FixedClock) -> Document:
    """A small dump (a user, their token, an editor's consultation) of an otherwise empty
    database, which is empty again afterwards."""
    with session.begin_nested() as nested:
        person = make_user(session, clock)
        AccountService(session, clock=clock).create_token(person)
        open_consultation(session, clock)
        session.flush()
        document: Document = json.loads(export_text(session))
        nested.rollback()
    assert not any(row_counts(session).values())
    assert document["tables"]["users"] and document["tables"]["api_tokens"]
    return document


def edit(change: Callable[[Document], object]) -> Callable[[Document], str]:
    def run(document: Document) -> str:
        change(document)
        return json.dumps(document)

    return run


def unknown_table(document: Document) -> None:
    document["tables"]["votes"] = [{"id": 1}]  # after every real table: those went in first


def missing_table(document: Document) -> None:
    del document["tables"]["endorsements"]


def first_user(document: Document) -> dict[str, Any]:
    user: dict[str, Any] = document["tables"]["users"][0]
    return user


def dangling_token(document: Document) -> None:
    document["tables"]["api_tokens"][0]["user_id"] = 999


BROKEN: dict[str, tuple[Callable[[Document], str], type[DomainError], str]] = {
    "not JSON": (lambda _: "roundtable", InvalidInput, "expected a JSON object"),
    "bad JSON": (lambda d: json.dumps(d).replace("], ", "] ", 1), InvalidInput, "not valid"),
    "truncated": (lambda d: json.dumps(d)[:-200], InvalidInput, "not valid"),
    "trailing data": (lambda d: json.dumps(d) + "{}", InvalidInput, "after its end"),
    "an array": (lambda d: json.dumps([d]), InvalidInput, "expected a JSON object"),
    "other format": (
        edit(lambda d: d.update(format="wordpress")),
        InvalidInput,
        "not a Roundtable dump",
    ),
    "no format": (edit(lambda d: d.pop("format")), InvalidInput, "lacks format"),
    "newer version": (edit(lambda d: d.update(version=2)), InvalidInput, "version 2"),
    "other schema": (
        edit(lambda d: d.update(schema_revision="9999")),
        Conflict,
        r"revision '9999'.*roundtable db upgrade",
    ),
    "unknown table": (edit(unknown_table), InvalidInput, "unknown table 'votes'"),
    "missing table": (edit(missing_table), InvalidInput, "endorsements is missing"),
    "unknown column": (
        edit(lambda d: first_user(d).update(shoe_size=42)),
        InvalidInput,
        r"unknown column users\.shoe_size",
    ),
    "missing column": (
        edit(lambda d: first_user(d).pop("email")),
        InvalidInput,
        r"lacks column users\.email",
    ),
    "row not an object": (
        edit(lambda d: d["tables"]["users"].append([1, "x"])),
        InvalidInput,
        "not a JSON object",
    ),
    "bad date": (
        edit(lambda d: first_user(d).update(created_at="yesterday")),
        InvalidInput,
        r"users\.created_at.*ISO 8601",
    ),
    "naive date": (
        edit(lambda d: first_user(d).update(created_at="2026-11-02T09:00:00")),
        InvalidInput,
        r"users\.created_at.*no UTC offset",
    ),
    "bad enum": (
        edit(lambda d: first_user(d).update(role="emperor")),
        InvalidInput,
        r"users\.role.*'emperor' is not one of",
    ),
    "wrong type": (
        edit(lambda d: first_user(d).update(id="one")),
        InvalidInput,
        r"users\.id.*not an integer",
    ),
    "null where required": (
        edit(lambda d: first_user(d).update(email=None)),
        InvalidInput,
        r"users\.email.*must not be null",
    ),
    "dangling reference": (edit(dangling_token), InvalidInput, "refused the rows of table"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_dump_is_refused_and_writes_nothing(
    session: Session, valid_dump: Document, case: str
) -> None:
    make_text, error, message = BROKEN[case]
    source = io.StringIO(make_text(copy.deepcopy(valid_dump)))

    with pytest.raises(error, match=message):
        import_all(session, source)

    assert not any(row_counts(session).values())
    # The savepoint is gone and the session usable: the intact dump still imports.
    assert import_all(session, io.StringIO(json.dumps(valid_dump)))["users"] == 2


def test_a_database_without_schema_is_refused(tmp_path: Path) -> None:
    bare = make_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    try:
        with make_sessionmaker(bare)() as session:
            with pytest.raises(Conflict, match="db upgrade"):
                import_all(session, io.StringIO("{}"))
            with pytest.raises(Conflict, match="no schema revision"):
                export_all(session, io.StringIO())
    finally:
        bare.dispose()
