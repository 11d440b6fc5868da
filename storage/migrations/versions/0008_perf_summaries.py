"""summary rows for the month report and the departments' leaderboard, kept by triggers, backfilled

Revision ID: 0008_perf
Revises: 0008_edits
Create Date: 2026-12-01 23:40:00.000000
"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

from storage import summaries

revision: str = "0008_perf"
down_revision: str | None = "0008_edits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthactivity",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("ideas", sa.Integer(), nullable=False),
        sa.Column("supports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "person_id"),
    )
    op.create_table(
        "departmentmonth",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("department_key", sa.Integer(), nullable=False),
        sa.Column("ideas", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "department_key"),
    )
    op.create_table(
        "departmentpoints",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("department_key", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", "department_key"),
    )
    # Triggers first, then the recount, in the same transaction: nothing written meanwhile is missed.
    summaries.install(op.get_bind(), backfill=True)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in summaries.drop_statements(bind.dialect.name):
        bind.exec_driver_sql(statement)
    op.drop_table("departmentpoints")
    op.drop_table("departmentmonth")
    op.drop_table("monthactivity")
