"""How stored reminders read in lists for organizers (missed ones, upcoming ones)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.context import Context
from bot.i18n import Translator
from storage.tables import Reminder


def kind_label(t: Translator, kind: str) -> str:
    """The reminder kind in words, or the kind itself when the catalog does not know it."""
    key = f"reminder.kind.{kind}"
    text = t(key)
    return kind if text == key else text


def describe_reminders(ctx: Context, t: Translator, reminders: Iterable[Reminder]) -> list[str]:
    """One line per reminder: when it was due and what it was."""
    return [t("scheduler.reminder_line", when=ctx.when(r.due_at), what=kind_label(t, r.kind)) for r in reminders]
