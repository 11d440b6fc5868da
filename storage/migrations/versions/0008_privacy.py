"""whose direct chat a room is, so that erasure finds a Slack DM channel or a Matrix direct room

Revision ID: 0008_privacy
Revises: 0008_outbox
Create Date: 2026-12-01 23:30:00.000000
"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008_privacy"
down_revision: str | None = "0008_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN ... REFERENCES, allowed for a nullable column: no rebuild of a table so many point at.
        op.execute("ALTER TABLE room ADD COLUMN person_id INTEGER REFERENCES person (id)")
    else:
        op.add_column("room", sa.Column("person_id", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "room", "person", ["person_id"], ["id"])
    op.create_index(op.f("ix_room_person_id"), "room", ["person_id"], unique=False)
    # Direct chats named after their person's account (Telegram: the user id; the console: dm:<name>).
    op.execute(
        """
        UPDATE room SET person_id = (
            SELECT identity.person_id FROM identity
            WHERE identity.platform = room.platform
              AND (room.external_id = identity.external_id OR room.external_id = 'dm:' || identity.external_id)
            LIMIT 1
        )
        WHERE room.is_direct AND room.person_id IS NULL
        """
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_room_person_id"), table_name="room")
    with op.batch_alter_table("room") as batch:
        batch.drop_column("person_id")
