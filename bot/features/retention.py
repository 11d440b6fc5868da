"""The nightly purge of what is kept no longer than the retention settings say (it sends nothing)."""

from __future__ import annotations

import logging

from bot import retention
from bot.context import Context
from bot.registry import registry
from storage.tables import Reminder

log = logging.getLogger(__name__)


@registry.reminder(retention.RETENTION, exact=True, quiet=True)
async def purge_due(ctx: Context, reminder: Reminder) -> None:
    """One batch per table per run, so no transaction holds the tables for long while events flow."""
    purged = await retention.purge_batch(ctx.session, ctx.settings, ctx.now())
    if any(count >= ctx.settings.retention_batch for table, count in purged.items() if table != "files"):
        number = int(reminder.payload.get("batch", 0)) + 1
        await retention.schedule_next_batch(ctx.session, reminder.due_at, number, ctx.now())
    if any(purged.values()):
        ctx.audit("retention.purged", "", None, **purged)
        log.info("retention purged %s", purged)
