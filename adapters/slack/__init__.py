"""The Slack adapter (Bolt for Python, async): HTTP or Socket Mode in, Web API out."""

from adapters.slack.adapter import SlackAdapter, SlackConfigError
from adapters.slack.gateway import SlackGateway

__all__ = ["SlackAdapter", "SlackConfigError", "SlackGateway"]
