"""opinion maps: the opinion groups the worker computes for each consultation

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opinion_maps",
        sa.Column(
            "consultation_id",
            sa.Integer(),
            sa.ForeignKey("consultations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("opinion_maps")
