"""outbox follow-ups stored typed: a destination and a catalog wording instead of a text with {link} in it

Revision ID: 0008_outbox
Revises: 0006_perf
Create Date: 2026-12-01 23:50:00.000000
"""

import json
from collections.abc import Sequence
from typing import Any, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008_outbox"
down_revision: str | None = "0006_perf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The placeholder each follow-up's text had, and the catalog text that words the old ones the same way.
PLACEHOLDERS = {"on_sent": "{link}", "on_failed": "{start_link}"}
WORDING = "outbox.legacy_follow_up"  # "{before}{link}{after}"

outbox = sa.table("outboxmessage", sa.column("id", sa.Integer), sa.column("payload", sa.JSON))


def _typed(old: dict[str, Any], placeholder: str) -> dict[str, Any]:
    before, _, after = str(old.get("text", "")).partition(placeholder)
    return {
        "to": {"platform": old["platform"], "kind": old["dest_kind"], "id": old["dest_id"]},
        "wording": {"key": WORDING, "locale": "ko", "params": {"before": before, "after": after}},
        "priority": int(old.get("priority", 5)),
    }


def _legacy(old: dict[str, Any], placeholder: str) -> dict[str, Any]:
    params = old["wording"]["params"]
    return {
        "platform": old["to"]["platform"],
        "dest_kind": old["to"]["kind"],
        "dest_id": old["to"]["id"],
        "text": f"{params.get('before', '')}{placeholder}{params.get('after', '')}",
        "priority": old.get("priority", 5),
    }


def _rewrite(convert: Any, is_old: Any) -> None:
    connection = op.get_bind()
    like = sa.or_(*(sa.cast(outbox.c.payload, sa.Text).like(f'%"{name}"%') for name in PLACEHOLDERS))
    for row_id, payload in connection.execute(sa.select(outbox.c.id, outbox.c.payload).where(like)).all():
        payload = json.loads(payload) if isinstance(payload, str) else dict(payload or {})
        changed = False
        for name, placeholder in PLACEHOLDERS.items():
            follow_up = payload.get(name)
            if isinstance(follow_up, dict) and is_old(follow_up):
                payload[name] = convert(follow_up, placeholder)
                changed = True
        if changed:
            connection.execute(sa.update(outbox).where(outbox.c.id == row_id).values(payload=payload))


def upgrade() -> None:
    _rewrite(_typed, lambda follow_up: "dest_id" in follow_up)


def downgrade() -> None:
    _rewrite(_legacy, lambda follow_up: "to" in follow_up and follow_up.get("wording", {}).get("key") == WORDING)
