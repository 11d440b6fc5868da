"""The Slack app manifest a workspace admin pastes into api.slack.com to create the app."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.i18n import Translator

APP_NAME = "idearoom"
BACKGROUND_COLOR = "#2e5aac"
EVENTS_PATH = "/slack/events"
BOT_SCOPES = [
    "app_mentions:read",
    "channels:history",
    "channels:manage",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "groups:write",
    "im:history",
    "im:write",
    "mpim:history",
    "reactions:read",
    "reactions:write",
    "users:read",
]
# Edits arrive as `message` events (subtype message_changed) of the same subscriptions.
BOT_EVENTS = [
    "app_home_opened",
    "message.channels",
    "message.groups",
    "message.im",
    "reaction_added",
    "reaction_removed",
]
# Core commands that make no sense as a Slack slash command (Telegram's deep-link start).
NOT_SLASH_COMMANDS = frozenset({"start"})


def slash_command_names(command_names: Iterable[str]) -> list[str]:
    """The core's top-level commands that Slack gets a slash command for."""
    return sorted(name for name in command_names if name not in NOT_SLASH_COMMANDS)


def _slash_command(name: str, t: Translator, request_url: str | None) -> dict[str, Any]:
    key = f"slack.command.{name}"
    command: dict[str, Any] = {
        "command": f"/{name}",
        "description": t(key) if t.has(key) else t("slack.command.default", name=name),
        # Mentions arrive as <@U…|name>, which the core resolves to a person.
        "should_escape": True,
    }
    usage = f"slack.usage.{name}"
    if t.has(usage):
        command["usage_hint"] = t(usage)
    if request_url:
        command["url"] = request_url
    return command


def build_manifest(
    command_names: Iterable[str], *, base_url: str | None = None, socket_mode: bool = False, locale: str = "ko"
) -> dict[str, Any]:
    """A manifest for Socket Mode (no URLs), or for HTTP with every request sent to `base_url`/slack/events."""
    t = Translator(locale)
    request_url = None if socket_mode or not base_url else base_url.rstrip("/") + EVENTS_PATH
    event_subscriptions: dict[str, Any] = {"bot_events": BOT_EVENTS}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if request_url:
        event_subscriptions["request_url"] = request_url
        interactivity["request_url"] = request_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": APP_NAME,
            "description": t("slack.app.description")[:140],
            "background_color": BACKGROUND_COLOR,
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            "slash_commands": [_slash_command(n, t, request_url) for n in slash_command_names(command_names)],
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": event_subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }
