"""Fixtures of the Slack adapter tests: a fake Slack Web API and the bot's Slack stand."""

from tests.adapters.slack.stand import fake_slack, slack  # noqa: F401
