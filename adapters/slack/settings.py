"""The Slack adapter's settings (SLACK_*, IDEAROOM_SLACK_*) and the sending pace they give."""

from __future__ import annotations

from pydantic import Field

from bot.config import PlatformSettings
from bot.ports import PlatformLimits, window

# chat.postMessage takes one message a second per channel and "short bursts > 1": a message may
# arrive up to this much sooner than a second after the one before, so long as the average keeps.
# Half of the smallest burst Slack documents (two at once).
CHANNEL_EARLY_SECONDS = 0.5
# Above the channels, Slack keeps the app's posts to "several hundred messages per minute" per
# workspace; its figure is not published, so this is a low reading of it.
WORKSPACE_POSTS_PER_MINUTE = 600


class SlackSettings(PlatformSettings):
    """Slack's tokens and sending pace; names match `.env.example`."""

    slack_bot_token: str = Field("", alias="SLACK_BOT_TOKEN")
    slack_app_token: str = Field("", alias="SLACK_APP_TOKEN")
    slack_signing_secret: str = Field("", alias="SLACK_SIGNING_SECRET")
    slack_api_base_url: str = Field("https://slack.com/api/", alias="SLACK_API_BASE_URL")
    slack_channel_max_per_second: int = Field(1, alias="IDEAROOM_SLACK_CHANNEL_MAX_PER_SECOND")
    slack_reactions_max_per_minute: int = Field(50, alias="IDEAROOM_SLACK_REACTIONS_MAX_PER_MINUTE")

    @property
    def slack_limits(self) -> PlatformLimits:
        """About one message a second per channel (with its short bursts), several hundred a minute
        in the workspace, and Slack's reactions.add tier, as set."""
        return PlatformLimits(
            overall=window(WORKSPACE_POSTS_PER_MINUTE, 60.0),
            per_chat=window(self.slack_channel_max_per_second, 1.0, CHANNEL_EARLY_SECONDS),
            reactions=window(self.slack_reactions_max_per_minute, 60.0),
        )


DEFAULT_LIMITS = SlackSettings.model_construct().slack_limits
