"""office hours for custom reminders; the committee's chair, closing and minutes

Revision ID: 0005_sched
Revises: 0004
Create Date: 2026-12-01 20:30:00.000000
"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0005_sched"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recurringreminder") as batch:
        batch.add_column(sa.Column("anytime", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("committeemember") as batch:
        batch.add_column(sa.Column("is_chair", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("committeemeeting") as batch:
        batch.add_column(sa.Column("closed_by", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_committeemeeting_closed_by_person", "person", ["closed_by"], ["id"])
    op.create_table(
        "committeeoutcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("revive", sa.Integer(), nullable=False),
        sa.Column("keep", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("quorum_met", sa.Boolean(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("recused", sa.JSON(), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["committeemeeting.id"]),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "proposal_id"),
    )
    with op.batch_alter_table("committeeoutcome") as batch:
        batch.create_index(batch.f("ix_committeeoutcome_meeting_id"), ["meeting_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("committeeoutcome") as batch:
        batch.drop_index(batch.f("ix_committeeoutcome_meeting_id"))
    op.drop_table("committeeoutcome")
    with op.batch_alter_table("committeemeeting") as batch:
        batch.drop_constraint("fk_committeemeeting_closed_by_person", type_="foreignkey")
        batch.drop_column("closed_by")
    with op.batch_alter_table("committeemember") as batch:
        batch.drop_column("is_chair")
    with op.batch_alter_table("recurringreminder") as batch:
        batch.drop_column("anytime")
