"""threads know where they stand in the current version: anchored, outdated, orphaned…

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:00:00

A thread's anchor state is set when a version is published, by comparing the paragraph it
was written on with the new version (consultations/carry.py), and when an editor moves an
orphaned thread to another paragraph or closes it with a reason. Existing threads start
from what the previous rule would show: orphaned where the current version lacks their
key, outdated where their paragraph's text changed since the version they were written on.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = ("anchored", "outdated", "orphaned", "moved", "closed")

# The paragraph of key `k` in version `n` of the thread's consultation, as SQL.
_PARAGRAPH_TEXT = """
    SELECT p.text FROM paragraphs p JOIN draft_versions v ON v.id = p.version_id
    WHERE v.consultation_id = threads.consultation_id AND p.key = threads.paragraph_key
      AND v.number = {number}
"""
_CURRENT = """(SELECT max(number) FROM draft_versions c
               WHERE c.consultation_id = threads.consultation_id)"""


def upgrade() -> None:
    with op.batch_alter_table("threads") as batch:
        batch.add_column(
            sa.Column(
                "state",
                sa.Enum(
                    *STATES,
                    name="threadstate",
                    native_enum=False,
                    create_constraint=True,
                    length=30,
                ),
                server_default="anchored",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("origin_key", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("moved_from", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("moved_in_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("closed_reason", sa.Text(), nullable=True))
    op.execute("UPDATE threads SET origin_key = paragraph_key")
    current = _PARAGRAPH_TEXT.format(number=_CURRENT)
    written = _PARAGRAPH_TEXT.format(number="threads.version_number")
    op.execute(f"UPDATE threads SET state = 'orphaned' WHERE NOT EXISTS ({current})")
    op.execute(
        f"UPDATE threads SET state = 'outdated' WHERE state = 'anchored' "
        f"AND ({current}) IS DISTINCT FROM ({written})"
        if op.get_bind().dialect.name == "postgresql"
        else f"UPDATE threads SET state = 'outdated' WHERE state = 'anchored' "
        f"AND ({current}) IS NOT ({written})"
    )


def downgrade() -> None:
    with op.batch_alter_table("threads") as batch:
        batch.drop_constraint(op.f("ck_threads_threadstate"), type_="check")
        batch.drop_column("closed_reason")
        batch.drop_column("moved_in_version")
        batch.drop_column("moved_from")
        batch.drop_column("origin_key")
        batch.drop_column("state")
