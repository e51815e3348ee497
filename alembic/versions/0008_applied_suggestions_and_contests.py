"""applied suggestions and disposition contests

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:16:54

`applied_suggestions` records each suggestion merged into the draft (its disposition then,
the version it landed in); `disposition_contests` a commenter's one objection to their
thread's disposition and the editor's answer.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applied_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column(
            "disposition",
            sa.Enum(
                "accepted",
                "partially_accepted",
                "not_accepted",
                "noted",
                "out_of_scope",
                name="disposition",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("resolved_conflict", sa.Boolean(), nullable=False),
        sa.Column("applied_by_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applied_by_id"],
            ["users.id"],
            name=op.f("fk_applied_suggestions_applied_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_applied_suggestions_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["threads.id"],
            name=op.f("fk_applied_suggestions_thread_id_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applied_suggestions")),
        sa.UniqueConstraint("comment_id", name=op.f("uq_applied_suggestions_comment_id")),
    )
    with op.batch_alter_table("applied_suggestions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applied_suggestions_thread_id"), ["thread_id"], unique=False
        )

    op.create_table(
        "disposition_contests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "disposition",
            sa.Enum(
                "accepted",
                "partially_accepted",
                "not_accepted",
                "noted",
                "out_of_scope",
                name="disposition",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_disposition_contests_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_disposition_contests_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_disposition_contests_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["threads.id"],
            name=op.f("fk_disposition_contests_thread_id_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposition_contests")),
        sa.UniqueConstraint("thread_id", name=op.f("uq_disposition_contests_thread_id")),
    )


def downgrade() -> None:
    op.drop_table("disposition_contests")
    with op.batch_alter_table("applied_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applied_suggestions_thread_id"))

    op.drop_table("applied_suggestions")
