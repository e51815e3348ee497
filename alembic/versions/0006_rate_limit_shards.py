"""rate-limit keys shared by many clients are counted in several rows (shards)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 16:00:00

`rate_limits` gets a `shard` column in its primary key, so that the count of one address
(every client behind a NAT or an unconfigured proxy) is spread over several rows and
concurrent comments stop queueing for one row lock. The table is made anew, dropping its
counts (they cover at most the last day): after the upgrade every limit starts afresh.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(*, sharded: bool) -> None:
    columns = [sa.Column("key", sa.String(length=200), nullable=False)]
    if sharded:
        columns.append(sa.Column("shard", sa.SmallInteger(), nullable=False))
    op.create_table(
        "rate_limits",
        *columns,
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            *(["key", "shard"] if sharded else ["key"]), name=op.f("pk_rate_limits")
        ),
    )
    op.create_index(op.f("ix_rate_limits_expires_at"), "rate_limits", ["expires_at"])


def upgrade() -> None:
    op.drop_table("rate_limits")
    _create(sharded=True)


def downgrade() -> None:
    op.drop_table("rate_limits")
    _create(sharded=False)
