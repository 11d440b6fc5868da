"""Registers Slack with the bot (entry point `idearoom.adapters: slack`)."""

from __future__ import annotations

from bot.ports import Adapter, AdapterPlugin, Host

from adapters.slack.cli import add_commands
from adapters.slack.settings import SlackSettings


def create(host: Host) -> Adapter:
    from adapters.slack.adapter import SlackAdapter

    return SlackAdapter(host)


plugin = AdapterPlugin(
    name="slack",
    create=create,
    configured=lambda settings: bool(SlackSettings.of(settings).slack_bot_token),
    settings=SlackSettings,
    add_commands=add_commands,
)
