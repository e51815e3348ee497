"""campaigns: near-identical thread openings grouped by MinHash and LSH

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:30:00

`campaign_members` holds each opening comment's MinHash signature and its campaign (the id
of the campaign's earliest comment); `campaign_bands` its LSH band hashes, looked up by
consultation and hash. Existing comments get theirs from `roundtable campaigns`.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_members",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_campaign_members_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_campaign_members_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_campaign_members")),
    )
    op.create_index(
        "ix_campaign_members_campaign", "campaign_members", ["consultation_id", "campaign_id"]
    )
    op.create_table(
        "campaign_bands",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["campaign_members.comment_id"],
            name=op.f("fk_campaign_bands_comment_id_campaign_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_campaign_bands_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("comment_id", "band", name=op.f("pk_campaign_bands")),
    )
    op.create_index("ix_campaign_bands_lookup", "campaign_bands", ["consultation_id", "hash"])


def downgrade() -> None:
    op.drop_index("ix_campaign_bands_lookup", table_name="campaign_bands")
    op.drop_table("campaign_bands")
    op.drop_index("ix_campaign_members_campaign", table_name="campaign_members")
    op.drop_table("campaign_members")
