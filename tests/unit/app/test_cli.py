"""The `roundtable` command against a real database (a fresh SQLite file, or a fresh
PostgreSQL schema), as an operator would use it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, func, select

from app.cli import main
from consultations.models import Consultation, Paragraph
from core.db import make_engine, make_sessionmaker
from search.index import SearchIndex
from tests.conftest import scratch_database
from tests.corpora import CORPORA

RFC8890 = CORPORA / "ietf" / "rfc8890-for-the-users" / "draft-iab-for-the-users.md"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: the CLI migrates it itself."""
    with scratch_database(request.param, tmp_path, "roundtable_cli", migrated=False) as (url, _):
        yield url


Run = Callable[..., Result]


@pytest.fixture
def roundtable(database_url: str, tmp_path: Path) -> Run:
    env = {"DATABASE_URL": database_url, "SEARCH_INDEX_DIR": str(tmp_path / "index")}

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    assert run("db", "upgrade").exit_code == 0
    return run


def test_users_tokens_import_and_reindex(roundtable: Run, database_url: str) -> None:
    created = roundtable(
        "users",
        "create",
        "--email",
        "Editor@Example.org",
        "--name",
        "Iryna Editor",
        "--role",
        "editor",
        "--group",
        "civil_society",
        "--org",
        "ISOC Ukraine",
        "--country",
        "UA",
        "--password",
        "a long passphrase",
    )
    assert created.exit_code == 0, created.output
    assert "editor@example.org" in created.output

    token = roundtable("tokens", "create", "--email", "editor@example.org", "--scope", "read")
    assert token.exit_code == 0
    assert token.stdout.strip().splitlines()[-1].startswith("rt_")

    imported = roundtable(
        "import-draft",
        str(RFC8890),
        "--slug",
        "for-the-users",
        "--topic",
        "encryption",
        "--opens",
        "2026-11-01T00:00+00:00",
        "--closes",
        "2027-01-15T00:00+00:00",
    )
    assert imported.exit_code == 0, imported.output
    assert "/consultations/for-the-users" in imported.output
    sessions = make_sessionmaker(make_engine(database_url))
    with sessions() as session:
        consultation = session.scalars(select(Consultation)).one()
        assert consultation.title == "The Internet is for End Users"
        assert consultation.status.value == "open"
        assert (session.scalar(select(func.count(Paragraph.id))) or 0) > 50

    reindexed = roundtable("reindex")
    assert reindexed.exit_code == 0, reindexed.output
    assert "Indexed" in reindexed.output


def test_errors_are_one_clear_line_and_a_failing_exit(roundtable: Run) -> None:
    no_editor = roundtable("import-draft", str(RFC8890), "--slug", "x", "--topic", "encryption")
    assert no_editor.exit_code == 1
    assert "No editor account found" in no_editor.output
    assert "Traceback" not in no_editor.output

    missing = roundtable("tokens", "create", "--email", "nobody@example.org")
    assert missing.exit_code == 1
    assert "No account for nobody@example.org" in missing.output

    roundtable("users", "create", "--email", "a@example.org", "--name", "A", "--password", "pw")
    again = roundtable(
        "users", "create", "--email", "a@example.org", "--name", "A", "--password", "pw"
    )
    assert again.exit_code == 1
    assert "exists already" in again.output


def test_an_imported_draft_is_checked_like_the_editors_form(roundtable: Run) -> None:
    editor = ("--email", "e@example.org", "--name", "E", "--role", "editor")
    assert roundtable("users", "create", *editor, "--password", "pw").exit_code == 0
    draft = ("import-draft", str(RFC8890), "--slug", "users")
    backwards = roundtable(*draft, "--opens", "2026-12-02T00:00", "--closes", "2026-12-01")
    assert backwards.exit_code == 1
    assert backwards.output.strip() == (
        "Error: The consultation could not be created."
        " closes_at: The comment period must close after it opens."
    )
    spaced = roundtable(*draft, "--topic", "net neutrality")
    assert spaced.exit_code == 1
    assert "topics: Topics use lowercase letters, digits and hyphens" in spaced.output


def editor_imports_a_draft(roundtable: Run, *period: str) -> None:
    """An editor account and RFC 8890 as the consultation `users` (opened with a period)."""
    editor = ("--email", "e@example.org", "--name", "E", "--role", "editor")
    assert roundtable("users", "create", *editor, "--password", "pw").exit_code == 0
    draft = ("import-draft", str(RFC8890), "--slug", "users", "--topic", "encryption")
    assert roundtable(*draft, *period).exit_code == 0


def test_export_then_import_into_an_empty_database(roundtable: Run, tmp_path: Path) -> None:
    editor_imports_a_draft(roundtable)
    dump = tmp_path / "dump.json"

    exported = roundtable("export", str(dump))
    assert exported.exit_code == 0, exported.output
    assert dump.stat().st_mode & 0o077 == 0, "the dump holds secrets: owner-only"
    assert roundtable("export", str(dump)).exit_code == 1, "never overwrites a dump"

    # Into a fresh SQLite database, whichever database the dump came from.
    target = {"DATABASE_URL": f"sqlite:///{tmp_path / 'restored.db'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=target).exit_code == 0
    imported = runner.invoke(main, ["import", str(dump)], env=target)
    assert imported.exit_code == 0, imported.output
    again = runner.invoke(main, ["import", str(dump)], env=target)
    assert again.exit_code == 1 and "Traceback" not in again.output
    sessions = make_sessionmaker(make_engine(target["DATABASE_URL"]))
    with sessions() as session:
        assert session.scalars(select(Consultation.slug)).all() == ["users"]


def test_worker_indexes_what_is_committed_and_stops_on_sigterm(
    roundtable: Run, database_url: str, tmp_path: Path
) -> None:
    editor_imports_a_draft(roundtable, "--opens", "2026-11-01T00:00+00:00")
    worker = start_worker(database_url, tmp_path / "index", poll="0.2")
    try:
        index = SearchIndex(tmp_path / "index")
        deadline = time.monotonic() + 30
        while index.doc_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert index.doc_count() > 50, "the worker indexed the imported draft"
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0, output


def test_a_commit_wakes_the_worker_on_postgresql(
    roundtable: Run, database_url: str, tmp_path: Path
) -> None:
    """PostgreSQL notifies the worker when outbox events commit, so it does not wait for its
    poll (a minute here); SQLite has no notifications, so there it polls (every second)."""
    editor_imports_a_draft(roundtable, "--opens", "2026-11-01T00:00+00:00")
    poll = "60" if database_url.startswith("postgresql") else "1"
    worker = start_worker(database_url, tmp_path / "index", poll)
    try:
        index = SearchIndex(tmp_path / "index")
        assert wait_for(lambda: index.doc_count() > 0)
        first = index.doc_count()
        draft = ("import-draft", str(RFC8890), "--slug", "users-again", "--topic", "encryption")
        assert roundtable(*draft, "--opens", "2026-11-01T00:00+00:00").exit_code == 0
        committed = time.monotonic()
        assert wait_for(lambda: index.doc_count() == 2 * first), "the second draft was indexed"
        assert time.monotonic() - committed < 10
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=90)
    assert worker.returncode == 0, output


def wait_for(condition: Callable[[], object], seconds: float = 30) -> object:
    deadline = time.monotonic() + seconds
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def start_worker(database_url: str, index_dir: Path, poll: str) -> subprocess.Popen[str]:
    """`roundtable worker` as the Procfile runs it: a process of its own."""
    env = {**os.environ, "DATABASE_URL": database_url, "SEARCH_INDEX_DIR": str(index_dir)}
    command = [sys.executable, "-m", "app.cli", "worker", "--poll", poll]
    return subprocess.Popen(  # noqa: S603 - our own CLI, with arguments of our own
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def test_the_worker_outlives_a_database_that_is_down(tmp_path: Path) -> None:
    """It cannot listen for notifications, nor apply anything: it keeps polling (logging
    each failed pass) until the database is back or it is stopped."""
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/roundtable?connect_timeout=1"
    worker = start_worker(unreachable, tmp_path / "index", poll="0.2")
    assert worker.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 60  # importing the app takes seconds on a busy machine
    while sum("outbox worker pass failed" in line for line in seen) < 3:
        line = worker.stdout.readline()
        assert line and time.monotonic() < deadline, "".join(seen)
        seen.append(line)
    assert worker.poll() is None, "still running after three failed passes"
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert any("cannot listen for outbox notifications" in line for line in seen)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> str | None:
    try:
        return httpx.get(url, timeout=5).raise_for_status().text
    except httpx.TransportError:  # not listening yet
        return None


@pytest.mark.parametrize("how", ["environment", "option"])
def test_serve_listens_where_asked_and_base_url_follows(tmp_path: Path, how: str) -> None:
    """`make run` passes HOST/PORT in the environment, `--port` overrides PORT; with BASE_URL
    unset, the app's absolute links (the search feed's) point at the server that listens."""
    port, other = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"BASE_URL", "HOST", "PORT"}}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'roundtable.db'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "HOST": "127.0.0.1",
        "PORT": str(port if how == "environment" else other),
    }
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603 - our own CLI
    options = ["--port", str(port)] if how == "option" else []
    server = subprocess.Popen(  # noqa: S603 - our own CLI, with arguments of our own
        [*cli, "serve", *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        feed = wait_for(lambda: _get(f"http://127.0.0.1:{port}/search.atom?q=privacy"), 60)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert isinstance(feed, str), output
    assert f"Roundtable is running at http://127.0.0.1:{port}/" in output
    atom = "{http://www.w3.org/2005/Atom}"
    root = ElementTree.fromstring(feed)  # noqa: S314 - our own feed, not untrusted XML
    links = {link.get("rel"): link.get("href") for link in root.iter(f"{atom}link")}
    assert links["self"] == f"http://127.0.0.1:{port}/search.atom?q=privacy"
    assert links["alternate"] == f"http://127.0.0.1:{port}/search?q=privacy"


def test_campaigns_are_grouped_afresh_for_existing_comments(
    roundtable: Run, database_url: str
) -> None:
    """The demo's comments, as if posted before campaigns were grouped, get theirs."""
    from consultations.models import CampaignBand, CampaignMember

    assert roundtable("demo").exit_code == 0
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session, session.begin():
        session.execute(delete(CampaignBand))
        session.execute(delete(CampaignMember))

    grouped = roundtable("campaigns")
    assert grouped.exit_code == 0, grouped.output
    assert "of 3 consultations: 1 campaigns." in grouped.output
    with make_sessionmaker(engine)() as session:
        placed = session.scalar(select(func.count()).select_from(CampaignMember)) or 0
        campaigned = select(func.count()).where(CampaignMember.campaign_id.is_not(None))
        assert placed > 30 and session.scalar(campaigned) == 4
    engine.dispose()

    again = roundtable("campaigns", "--slug", "privacy-partitioning-encryption")
    assert "of 1 consultations: 1 campaigns." in again.output
    missing = roundtable("campaigns", "--slug", "nowhere")
    assert missing.exit_code == 1 and "No consultation called 'nowhere'" in missing.output
