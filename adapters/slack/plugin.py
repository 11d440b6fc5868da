"""Registers Slack with the bot (entry point `idearoom.adapters: slack`)."""

from __future__ import annotations

from adapters.slack.cli import add_commands
from adapters.slack.settings import SlackSettings
from bot.ports import AdapterPlugin

plugin = AdapterPlugin.lazy(
    "slack",
    "adapters.slack.adapter:SlackAdapter",
    SlackSettings,
    configured_when="slack_bot_token",
    add_commands=add_commands,
)
