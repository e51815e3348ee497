"""outbox notify: wake the workers when events are committed (PostgreSQL)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 12:00:00

A statement trigger, not a NOTIFY sent by the application: it costs the comment hot path no
extra round trip, and PostgreSQL delivers it only when the transaction commits (folding the
notifications of one transaction into one). SQLite has no notifications: workers poll.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('outbox', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER outbox_notify ON outbox_events")
    op.execute("DROP FUNCTION outbox_notify()")
