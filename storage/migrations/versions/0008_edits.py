"""the reaction a support came from, and the latest edit applied from an idea's message

Revision ID: 0008_edits
Revises: 0006_perf
Create Date: 2026-12-01 23:30:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.types


revision: str = '0008_edits'
down_revision: Union[str, None] = '0006_perf'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("support") as batch:
        batch.add_column(sa.Column("reaction", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True))
        batch.create_index(batch.f("ix_support_reaction"), ["reaction"], unique=False)
    with op.batch_alter_table("messagelink") as batch:
        batch.add_column(sa.Column("edited_at", storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messagelink") as batch:
        batch.drop_column("edited_at")
    with op.batch_alter_table("support") as batch:
        batch.drop_index(batch.f("ix_support_reaction"))
        batch.drop_column("reaction")
