"""indexes for the month report and the departments' leaderboard at a city's size

Revision ID: 0006_perf
Revises: 0007_people
Create Date: 2026-12-01 21:40:00.000000
"""

from collections.abc import Sequence
from typing import Union

from alembic import op

revision: str = "0006_perf"
down_revision: str | None = "0007_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_idea_created_author", "idea", ["created_at", "author_id"])
    op.create_index("ix_support_created_person", "support", ["created_at", "person_id"])
    op.create_index("ix_person_id_department", "person", ["id", "department_id"])


def downgrade() -> None:
    op.drop_index("ix_person_id_department", table_name="person")
    op.drop_index("ix_support_created_person", table_name="support")
    op.drop_index("ix_idea_created_author", table_name="idea")
