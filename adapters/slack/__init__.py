"""The Slack adapter: HTTP or Socket Mode in (through the durable inbox), Web API out."""

from adapters.slack.adapter import SlackAdapter, SlackConfigError
from adapters.slack.gateway import SlackGateway

__all__ = ["SlackAdapter", "SlackConfigError", "SlackGateway"]
