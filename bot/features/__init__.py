"""The bot's features; importing this package registers their commands, buttons and listeners."""

from bot.features import basics, ideas, topics  # noqa: F401
from bot.features import field_visits, invitations  # noqa: F401
from bot.features import committee, committee_agenda, committee_vote, monthly_topic, reminders  # noqa: F401
from bot.features import points, proposals, reports  # noqa: F401
from bot.features import outbox, routing  # noqa: F401
from bot.features import accounts, erasure, retention, strangers  # noqa: F401
from bot.features import todo  # noqa: F401
from bot.features import web  # noqa: F401
