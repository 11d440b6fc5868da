"""the reaction a support came from, the latest edit applied from an idea's message; the term index rebuilt

Revision ID: 0008_edits
Revises: 0008_privacy
Create Date: 2026-12-01 23:30:00.000000
"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0008_edits"
down_revision: str | None = "0008_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("support") as batch:
        batch.add_column(sa.Column("reaction", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True))
        batch.create_index(batch.f("ix_support_reaction"), ["reaction"], unique=False)
    with op.batch_alter_table("messagelink") as batch:
        batch.add_column(sa.Column("edited_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    # The similar-idea terms leave case particles out now: every idea is indexed again, as 0005 did.
    from bot.similar import backfill_terms

    connection = op.get_bind()
    op.execute("DELETE FROM ideaterm")
    op.execute("DELETE FROM termcount")
    rows = connection.execute(sa.text("SELECT id, text FROM idea ORDER BY id")).all()
    index, counted = backfill_terms([(row[0], row[1]) for row in rows])
    if index:
        op.bulk_insert(sa.table("ideaterm", sa.column("term"), sa.column("idea_id")), index)
        op.bulk_insert(
            sa.table("termcount", sa.column("term"), sa.column("ideas")),
            [{"term": term, "ideas": count} for term, count in counted.items()],
        )


def downgrade() -> None:
    # The index keeps the new terms: the code of the older revision still finds ideas by them.
    with op.batch_alter_table("messagelink") as batch:
        batch.drop_column("edited_at")
    with op.batch_alter_table("support") as batch:
        batch.drop_index(batch.f("ix_support_reaction"))
        batch.drop_column("reaction")
