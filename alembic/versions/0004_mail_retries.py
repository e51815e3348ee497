"""mail retries: when a failed mail is tried next, and when it was given up on

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:00:00

Failed mail is retried with exponential back-off for a day (core/mail.py), then listed for
admins on /admin/mail.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
        batch_op.drop_column("next_attempt_at")
