"""field visits confirmed by a person; a proposal's review clock paused for a supplement

Revision ID: 0005_points
Revises: 0005_sched
Create Date: 2026-12-01 20:20:00.000000
"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005_points"
down_revision: str | None = "0005_sched"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fieldvisit") as batch:
        batch.add_column(sa.Column("confirmed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("confirmed_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_fieldvisit_confirmed_by_person", "person", ["confirmed_by"], ["id"])
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("review_paused_at", storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("review_paused_at")
    with op.batch_alter_table("fieldvisit") as batch:
        batch.drop_constraint("fk_fieldvisit_confirmed_by_person", type_="foreignkey")
        batch.drop_column("confirmed_at")
        batch.drop_column("confirmed_by")
