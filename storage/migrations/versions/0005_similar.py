"""the term index of ideas, for similar ideas and search; an idea's withdrawal

Revision ID: 0005_similar
Revises: 0005_matrix
Create Date: 2026-12-01 21:05:00.000000
"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0005_similar"
down_revision: str | None = "0005_matrix"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idea") as batch:
        batch.add_column(sa.Column("withdrawn_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_idea_merged_into_id_idea", "idea", ["merged_into_id"], ["id"])
    op.create_table(
        "ideacoauthor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idea_id", "person_id"),
    )
    op.create_index(op.f("ix_ideacoauthor_idea_id"), "ideacoauthor", ["idea_id"], unique=False)
    op.create_table(
        "ideacomment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ideacomment_idea_id"), "ideacomment", ["idea_id"], unique=False)
    op.create_table(
        "ideaterm",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"]),
        sa.PrimaryKeyConstraint("term", "idea_id"),
    )
    op.create_table(
        "termcount",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("ideas", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )
    # Ideas posted before this revision join the index (a few seconds per 100,000 ideas).
    from bot.similar import backfill_terms

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, text FROM idea ORDER BY id")).all()
    index, counted = backfill_terms([(row[0], row[1]) for row in rows])
    if index:
        op.bulk_insert(sa.table("ideaterm", sa.column("term"), sa.column("idea_id")), index)
        op.bulk_insert(
            sa.table("termcount", sa.column("term"), sa.column("ideas")),
            [{"term": term, "ideas": count} for term, count in counted.items()],
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_ideacomment_idea_id"), table_name="ideacomment")
    op.drop_table("ideacomment")
    op.drop_table("termcount")
    op.drop_table("ideaterm")
    op.drop_index(op.f("ix_ideacoauthor_idea_id"), table_name="ideacoauthor")
    op.drop_table("ideacoauthor")
    with op.batch_alter_table("idea") as batch:
        batch.drop_constraint("fk_idea_merged_into_id_idea", type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("withdrawn_at")
