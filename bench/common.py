"""What the benchmarks share: a fresh database that is removed afterwards, and the web app as
one web worker runs it, called straight through ASGI."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import text


@contextmanager
def temporary_database(postgres_url: str | None, folder: Path, prefix: str) -> Iterator[str]:
    """A DATABASE_URL for an empty database: a SQLite file in `folder`, or on PostgreSQL a
    new schema put first on the search path (dropped when the caller is done)."""
    if postgres_url is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    from core.db import make_engine

    schema = f"{prefix}_{secrets.token_hex(4)}"
    admin = make_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in postgres_url else "?"
    try:
        yield f"{postgres_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def web_app(database_url: str, index_dir: str) -> Any:
    """The app as a web worker of the Procfile builds it (no outbox worker inside)."""
    from app.main import create_app
    from app.settings import Settings
    from core.db import make_engine, make_sessionmaker

    settings = Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "SEARCH_INDEX_DIR": index_dir,
            "OUTBOX_POLL_SECONDS": "0",
            # Far above what a benchmark sends, yet checked on every request.
            "COMMENT_RATE_LIMIT": "1000000/minute",
            "SEARCH_RATE_LIMIT": "1000000/minute",
        }
    )
    sessions = make_sessionmaker(make_engine(database_url))
    return create_app(settings, sessions=sessions, run_worker=False)


async def asgi_get(app: Any, path: str, query: str = "") -> tuple[int, bytes]:
    """One GET straight through the ASGI app: what the server spends, without the network."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "root_path": "", "headers": [(b"host", b"127.0.0.1:8000")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    status, body = 0, bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)
