"""linking accounts: one-time link codes, the record of a merged person

Revision ID: 0007_people
Revises: 0005_similar
Create Date: 2026-12-01 21:15:00.000000
"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0007_people"
down_revision: str | None = "0005_similar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a foreign key would make SQLite rebuild the table everyone points at.
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.create_table(
        "linkcode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index(op.f("ix_linkcode_person_id"), "linkcode", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_linkcode_person_id"), table_name="linkcode")
    op.drop_table("linkcode")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("merged_into_id")
