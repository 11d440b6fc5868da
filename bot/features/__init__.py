"""The bot's features; importing this package registers their commands, buttons and listeners."""

from bot.features import (  # noqa: F401  # noqa: F401  # noqa: F401  # noqa: F401  # noqa: F401  # noqa: F401
    accounts,
    basics,
    committee,
    committee_agenda,
    committee_vote,
    erasure,
    field_visits,
    ideas,
    invitations,
    monthly_topic,
    outbox,
    points,
    proposals,
    reminders,
    reports,
    retention,
    routing,
    strangers,
    todo,  # noqa: F401
    topics,
    web,  # noqa: F401
)
