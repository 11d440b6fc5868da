"""The Slack adapter: HTTP or Socket Mode in (through the durable inbox), Web API out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.slack.adapter import SlackAdapter, SlackConfigError
    from adapters.slack.gateway import SlackGateway

__all__ = ["SlackAdapter", "SlackConfigError", "SlackGateway"]


def __getattr__(name: str) -> Any:
    # Imported when first named: finding the plug-in (adapters.slack.plugin) loads no Slack SDK.
    if name in ("SlackAdapter", "SlackConfigError"):
        from adapters.slack import adapter

        return getattr(adapter, name)
    if name == "SlackGateway":
        from adapters.slack.gateway import SlackGateway

        return SlackGateway
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
