"""platformcursor: the Matrix sync token, stored after the events it covers

Revision ID: 0005_matrix
Revises: 0005_slack
Create Date: 2026-12-01 20:55:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

from storage.types import UTCDateTime


revision: str = '0005_matrix'
down_revision: Union[str, None] = '0005_slack'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "platformcursor",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "account"),
    )


def downgrade() -> None:
    op.drop_table("platformcursor")
