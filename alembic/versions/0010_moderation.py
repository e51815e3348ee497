"""moderation: flags on comments, hidden comments

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:30:00

`flags` holds participants' reports of comments (one open flag per person and comment, a
partial unique index); a comment a moderator hid keeps its row, with when, why and by whom.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("hidden_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_comments_hidden_by_id_users"),
            "users",
            ["hidden_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "spam",
                "abuse",
                "off_topic",
                "personal_data",
                "other",
                name="flagreason",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(20), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_flags_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_flags_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_flags_resolved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
    )
    op.create_index(op.f("ix_flags_comment_id"), "flags", ["comment_id"], unique=False)
    op.create_index(
        "uq_flags_open",
        "flags",
        ["comment_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_flags_open", table_name="flags")
    op.drop_index(op.f("ix_flags_comment_id"), table_name="flags")
    op.drop_table("flags")
    with op.batch_alter_table("comments") as batch:
        batch.drop_constraint(op.f("fk_comments_hidden_by_id_users"), type_="foreignkey")
        batch.drop_column("hidden_by_id")
        batch.drop_column("hidden_reason")
        batch.drop_column("hidden_at")
