"""The `roundtable` command. Configuration is read lazily, when a command runs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker

from app.settings import ConfigurationError, Settings, listen_url


def _sessions(settings: Settings) -> sessionmaker[Session]:
    from core.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(settings.database_url))


def _ensure_var_dir(settings: Settings) -> None:
    """The default SQLite file and index live under ./var/; create it on first use."""
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    settings.search_index_dir.parent.mkdir(parents=True, exist_ok=True)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Roundtable: multistakeholder policy consultations."""
    try:
        ctx.obj = Settings.from_env()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    _ensure_var_dir(ctx.obj)


@main.command()
@click.option("--host", help="Address to listen on.  [default: HOST, or 127.0.0.1]")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on.  [default: PORT, or 8000]"
)
@click.option("--workers", default=1, show_default=True, type=int)
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    """Run the web app."""
    import os

    import uvicorn

    host, port = host or settings.host, port or settings.port
    # The app reads its settings afresh (in each worker): let them agree with the options,
    # so that BASE_URL, when unset, is the address this server listens on.
    os.environ.update(HOST=host, PORT=str(port))
    click.echo(f"Roundtable is running at {listen_url(host, port)}/")
    if os.environ.get("BASE_URL"):
        click.echo(f"Public address (BASE_URL): {settings.base_url}/")
    # The app itself reads X-Forwarded-For, from FORWARDED_ALLOW_IPS only (app.main).
    uvicorn.run("app.asgi:app", host=host, port=port, workers=workers, proxy_headers=False)


@main.command()
@click.option(
    "--poll",
    type=float,
    help="Seconds between passes. [default: OUTBOX_POLL_SECONDS, or 0.5 when that is 0]",
)
@click.pass_obj
def worker(settings: Settings, poll: float | None) -> None:
    """Keep this node's search index current and send mail, until stopped.

    Run one beside the web processes of each node, and give those OUTBOX_POLL_SECONDS=0
    so they leave the work to it (see the Procfile)."""
    import logging
    import signal
    import threading

    from app.worker import OutboxWorker
    from core.clock import SystemClock

    seconds = poll if poll is not None else settings.outbox_poll_seconds or 0.5
    if seconds <= 0:
        raise click.BadParameter("must be more than 0", param_hint="--poll")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    outbox = OutboxWorker.from_settings(settings, _sessions(settings), SystemClock())
    click.echo(f"Outbox worker: a pass every {seconds} s; index at {settings.search_index_dir}")
    outbox.run_forever(seconds, stop)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Apply migrations (alembic upgrade head)."""
    from alembic.config import Config

    from alembic import command

    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "alembic"))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    command.upgrade(config, "head")
    click.echo("Database is at the latest schema.")


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", type=click.Choice(["participant", "editor", "admin"]), default="participant"
)
@click.option(
    "--group",
    type=click.Choice(
        ["government", "private_sector", "academia", "civil_society", "technical_community"]
    ),
)
@click.option("--org", "organisation")
@click.option("--country", help="ISO 3166-1 alpha-2 code, e.g. UA")
@click.option("--password", help="Prompted for when omitted.")
@click.pass_obj
def users_create(settings: Settings, /, **options: str | None) -> None:
    """Add an account."""
    from accounts.services import AccountService
    from core.clock import SystemClock
    from core.db import unit_of_work
    from core.enums import Role, StakeholderGroup

    password = options.pop("password") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    group = options.pop("group")
    with _domain_errors(), unit_of_work(_sessions(settings)) as session:
        user = AccountService(session, clock=SystemClock()).create_user(
            email=str(options["email"]),
            name=str(options["name"]),
            role=Role(options["role"] or Role.PARTICIPANT),
            group=StakeholderGroup(group) if group else None,
            organisation=options["organisation"],
            country=options["country"],
            password=password,
        )
        click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.option("--email", required=True)
@click.option("--scope", type=click.Choice(["read", "write"]), default="write", show_default=True)
@click.pass_obj
def tokens_create(settings: Settings, email: str, scope: str) -> None:
    """Print a new API token alone on the last line."""
    from accounts.services import AccountService
    from core.clock import SystemClock
    from core.db import unit_of_work

    with _domain_errors(), unit_of_work(_sessions(settings)) as session:
        service = AccountService(session, clock=SystemClock())
        user = service.by_email(email)
        if user is None:
            raise click.ClickException(f"No account for {email}.")
        secret = service.create_token(user, scope)
    click.echo(f"Token for {email} ({scope}); it is shown only once:", err=True)
    click.echo(secret)


@main.command("import-draft")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", required=True)
@click.option("--topic", "topics", multiple=True, help="Repeat for several topics.")
@click.option("--title", help="Defaults to the document's title or first heading.")
@click.option("--language", type=click.Choice(["en", "uk"]), default="en", show_default=True)
@click.option(
    "--opens", help="ISO 8601; with --closes the consultation opens (at once or when due)."
)
@click.option("--closes", help="ISO 8601")
@click.option("--editor", "editor_email", help="Editor account to record as author.")
@click.pass_obj
def import_draft(settings: Settings, /, file: Path, **options: object) -> None:
    """Create a consultation from Markdown (or .docx)."""
    from app.importer import import_draft_file
    from app.urls import app_urls

    with _domain_errors():
        slug = import_draft_file(_sessions(settings), file, **options)  # type: ignore[arg-type]
    click.echo(f"Created {app_urls(settings.base_url)('consultation', slug=slug)}")


@main.command()
@click.pass_obj
def demo(settings: Settings) -> None:
    """Load a realistic sample: consultations, comments from every group, a brief."""
    from app.demo import load_demo

    with _domain_errors():
        summary = load_demo(_sessions(settings), settings)
    click.echo(summary)


@main.command()
@click.pass_obj
def reindex(settings: Settings) -> None:
    """Rebuild the search index from the database."""
    from rich.progress import Progress

    from search.index import SearchIndex

    with Progress() as progress:
        task = progress.add_task("Indexing", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        count = SearchIndex(settings.search_index_dir).rebuild(_sessions(settings), report)
    click.echo(f"Indexed {count} documents.")


@main.command("campaigns")
@click.option("--slug", help="Only this consultation.  [default: every consultation]")
@click.pass_obj
def campaigns_command(settings: Settings, slug: str | None) -> None:
    """Group near-identical comments into campaigns afresh (comments posted before
    campaigns were grouped; the outbox worker places new ones)."""
    from rich.progress import Progress, TaskID
    from sqlalchemy import select

    from consultations import campaigns
    from consultations.models import Consultation
    from core.clock import SystemClock
    from core.db import unit_of_work

    sessions = _sessions(settings)
    with unit_of_work(sessions) as session:
        query = select(Consultation.id, Consultation.slug).order_by(Consultation.id)
        if slug is not None:
            query = query.where(Consultation.slug == slug)
        consultations = session.execute(query).all()
    if slug is not None and not consultations:
        raise click.ClickException(f"No consultation called {slug!r}.")
    placed = found = 0
    with Progress() as progress:
        for consultation_id, name in consultations:
            task = progress.add_task(name, total=None)

            def report(done: int, total: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=total)

            with unit_of_work(sessions) as session:
                now = SystemClock().now()
                placed += campaigns.rebuild(session, consultation_id, now, report)
                found += len(campaigns.campaigns(session, consultation_id))
            progress.update(task, completed=1, total=1) if placed == 0 else None
    click.echo(
        f"Grouped {placed} comments of {len(consultations)} consultations: {found} campaigns."
    )


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def export_command(settings: Settings, file: Path) -> None:
    """Write a full JSON dump of the database to FILE (it contains secrets: keep it safe)."""
    from core.dump import export_all

    if file.exists():
        raise click.ClickException(f"{file} exists already; choose a new file name.")
    file.touch(mode=0o600)  # password hashes and hidden authors are inside
    with (
        _domain_errors(),
        _tables_progress("Exporting") as report,
        _sessions(settings)() as session,
        file.open("w", encoding="utf-8") as out,
    ):
        counts = export_all(session, out, report)
    click.echo(f"Exported {sum(counts.values())} rows from {len(counts)} tables to {file}.")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_command(settings: Settings, file: Path) -> None:
    """Load a dump written by `roundtable export` into an empty, migrated database."""
    from core.db import unit_of_work
    from core.dump import import_all

    with (
        _domain_errors(),
        _tables_progress("Importing") as report,
        unit_of_work(_sessions(settings)) as session,
        file.open(encoding="utf-8") as source,
    ):
        counts = import_all(session, source, report)
    click.echo(f"Imported {sum(counts.values())} rows into {len(counts)} tables.")
    click.echo("Now run `roundtable reindex` to rebuild the search index.")


@contextmanager
def _tables_progress(verb: str) -> Iterator[Callable[[str, int], None]]:
    """A spinner naming the table in progress and its row count (totals aren't known)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}")) as progress:
        task = progress.add_task(verb)

        def report(table: str, rows: int) -> None:
            progress.update(task, description=f"{verb} {table}: {rows:,} rows")

        yield report


class _domain_errors:  # noqa: N801 - used like a function, as a context manager
    """Domain errors become a one-line message and exit status 1, never a traceback."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, _tb: object) -> None:
        from core.errors import DomainError

        if isinstance(error, DomainError):
            details = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
            click.echo(f"Error: {error.message} {details}".rstrip(), err=True)
            sys.exit(1)


if __name__ == "__main__":
    main()
