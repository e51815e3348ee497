"""follows, notifications and each person's mail preferences

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 04:00:00

`follows` says who follows which consultation, thread or topic; `notifications` is each
person's in-app list (and what their digests carry); users get a mail language, a timezone
and how often they want mail.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(5), server_default="en", nullable=False))
        batch.add_column(
            sa.Column("timezone", sa.String(64), server_default="Europe/Kyiv", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "notify_frequency", sa.String(12), server_default="immediately", nullable=False
            )
        )
        batch.add_column(
            sa.Column("digest_hour", sa.SmallInteger(), server_default="8", nullable=False)
        )
        batch.add_column(
            sa.Column("digest_weekday", sa.SmallInteger(), server_default="0", nullable=False)
        )
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint(
            "user_id", "target_kind", "target_id", name=op.f("uq_follows_user_id_target_kind_target_id")
        ),
    )
    op.create_index("ix_follows_target", "follows", ["target_kind", "target_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_notifications_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_unread", "notifications", ["user_id", "read_at"])
    op.create_index(op.f("ix_notifications_emailed_at"), "notifications", ["emailed_at"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("follows")
    with op.batch_alter_table("users") as batch:
        for column in ("digest_weekday", "digest_hour", "notify_frequency", "timezone", "language"):
            batch.drop_column(column)
