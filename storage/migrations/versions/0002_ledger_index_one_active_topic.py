"""ledger period index and one active topic per room

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:28:22.285896
"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pointentry", schema=None) as batch_op:
        batch_op.create_index("ix_pointentry_period_person", ["created_at", "person_id", "points"], unique=False)

    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.create_index(
            "uq_topic_one_active_per_room",
            ["room_id"],
            unique=True,
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_topic_one_active_per_room",
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )

    with op.batch_alter_table("pointentry", schema=None) as batch_op:
        batch_op.drop_index("ix_pointentry_period_person")
