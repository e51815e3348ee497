"""endorsements record the endorser's stakeholder group

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:00:00

Counts of endorsements are shown by stakeholder group, and later feed bridging scores: the
group is the endorser's when they endorsed (as `comments.stakeholder_group` is the author's
when they wrote), not whatever their profile says today. Existing rows take their
endorser's current group; a row whose endorser has none cannot be counted by group and is
removed (no page or API wrote endorsements before this revision).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUP = sa.Enum(
    "government",
    "private_sector",
    "academia",
    "civil_society",
    "technical_community",
    name="stakeholdergroup",
    native_enum=False,
    create_constraint=True,
    length=30,
)


def upgrade() -> None:
    with op.batch_alter_table("endorsements") as batch:
        batch.add_column(sa.Column("stakeholder_group", GROUP, nullable=True))
    op.execute(
        "UPDATE endorsements SET stakeholder_group = "
        "(SELECT users.stakeholder_group FROM users WHERE users.id = endorsements.user_id)"
    )
    op.execute("DELETE FROM endorsements WHERE stakeholder_group IS NULL")
    with op.batch_alter_table("endorsements") as batch:
        batch.alter_column("stakeholder_group", existing_type=GROUP, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("endorsements") as batch:
        batch.drop_constraint(op.f("ck_endorsements_stakeholdergroup"), type_="check")
        batch.drop_column("stakeholder_group")
