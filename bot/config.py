"""Settings read from the environment and a `.env` file."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_csv(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value)  # type: ignore[arg-type]


class Settings(BaseSettings):
    """Every setting of the bot; names match `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Core
    database_url: str = Field("sqlite+aiosqlite:///./idearoom.db", alias="IDEAROOM_DATABASE_URL")
    locale: str = Field("ko", alias="IDEAROOM_LOCALE")
    timezone: str = Field("Asia/Seoul", alias="IDEAROOM_TIMEZONE")
    organizers: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="IDEAROOM_ORGANIZERS")
    # None: the demo organisation fills an empty database only when no platform is configured.
    demo_data: bool | None = Field(None, alias="IDEAROOM_DEMO_DATA")
    log_level: str = Field("INFO", alias="IDEAROOM_LOG_LEVEL")
    max_idea_length: int = Field(2000, alias="IDEAROOM_MAX_IDEA_LENGTH")
    review_due_days: int = Field(30, alias="IDEAROOM_REVIEW_DUE_DAYS")
    points_rules_file: str = Field("", alias="IDEAROOM_POINTS_RULES")
    report_dir: str = Field("./reports", alias="IDEAROOM_REPORT_DIR")

    # Scheduler
    reminder_grace_hours: int = Field(12, alias="IDEAROOM_REMINDER_GRACE_HOURS")
    auto_pick_topic: bool = Field(False, alias="IDEAROOM_AUTO_PICK_TOPIC")
    committee_meeting_day: int = Field(15, alias="IDEAROOM_COMMITTEE_MEETING_DAY")
    committee_meeting_month_of_quarter: int = Field(3, alias="IDEAROOM_COMMITTEE_MEETING_MONTH")

    # Sending
    send_rate_limits: str = Field("on", alias="IDEAROOM_SEND_RATE_LIMITS")
    send_max_attempts: int = Field(6, alias="IDEAROOM_SEND_MAX_ATTEMPTS")
    send_lease_seconds: float = Field(60.0, alias="IDEAROOM_SEND_LEASE_SECONDS")
    ack_coalesce_seconds: float = Field(5.0, alias="IDEAROOM_ACK_COALESCE_SECONDS")
    telegram_max_per_second: int = Field(30, alias="IDEAROOM_TELEGRAM_MAX_PER_SECOND")
    telegram_chat_max_per_second: int = Field(1, alias="IDEAROOM_TELEGRAM_CHAT_MAX_PER_SECOND")
    telegram_group_max_per_minute: int = Field(20, alias="IDEAROOM_TELEGRAM_GROUP_MAX_PER_MINUTE")
    slack_channel_max_per_second: int = Field(1, alias="IDEAROOM_SLACK_CHANNEL_MAX_PER_SECOND")
    slack_reactions_max_per_minute: int = Field(50, alias="IDEAROOM_SLACK_REACTIONS_MAX_PER_MINUTE")

    # Intake: requests are committed to the inbox before the platform is answered
    inbox_lease_seconds: float = Field(30.0, alias="IDEAROOM_INBOX_LEASE_SECONDS")
    drain_seconds: float = Field(10.0, alias="IDEAROOM_DRAIN_SECONDS")

    # HTTP (webhooks, health, metrics)
    http_host: str = Field("0.0.0.0", alias="IDEAROOM_HTTP_HOST")
    http_port: int = Field(8080, alias="IDEAROOM_HTTP_PORT")

    # Telegram
    telegram_bot_token: str = Field("", alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_url: str = Field("", alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str = Field("", alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base_url: str = Field("https://api.telegram.org", alias="TELEGRAM_API_BASE_URL")

    # Slack
    slack_bot_token: str = Field("", alias="SLACK_BOT_TOKEN")
    slack_app_token: str = Field("", alias="SLACK_APP_TOKEN")
    slack_signing_secret: str = Field("", alias="SLACK_SIGNING_SECRET")
    slack_api_base_url: str = Field("https://slack.com/api/", alias="SLACK_API_BASE_URL")

    @field_validator("organizers", mode="before")
    @classmethod
    def _organizers_csv(cls, value: object) -> list[str]:
        return _split_csv(value)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        value = value.strip().lower()[:2]
        if value not in ("ko", "en"):
            raise ValueError("IDEAROOM_LOCALE must be ko or en")
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def rate_limits_enabled(self) -> bool:
        return self.send_rate_limits.strip().lower() not in ("off", "0", "false", "no")

    @property
    def load_demo_data(self) -> bool:
        """Demo people (an organizer among them) never appear by default where real people chat."""
        if self.demo_data is not None:
            return self.demo_data
        return not (self.telegram_bot_token or self.slack_bot_token)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
