"""What every benchmark needs: a fresh database that is removed afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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
