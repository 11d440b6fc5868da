"""The Telegram adapter's settings (TELEGRAM_*, IDEAROOM_TELEGRAM_*) and the sending pace they give."""

from __future__ import annotations

from pydantic import Field

from bot.config import PlatformSettings
from bot.ports import PlatformLimits, window


def is_group_chat(dest_kind: str, dest_id: str) -> bool:
    # Telegram group and supergroup chat ids are negative; a person's chat id is positive.
    return dest_kind == "room" and dest_id.startswith("-")


class TelegramSettings(PlatformSettings):
    """Telegram's tokens and sending pace; names match `.env.example`."""

    telegram_bot_token: str = Field("", alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_url: str = Field("", alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str = Field("", alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base_url: str = Field("https://api.telegram.org", alias="TELEGRAM_API_BASE_URL")
    telegram_max_per_second: int = Field(30, alias="IDEAROOM_TELEGRAM_MAX_PER_SECOND")
    telegram_chat_max_per_second: int = Field(1, alias="IDEAROOM_TELEGRAM_CHAT_MAX_PER_SECOND")
    telegram_group_max_per_minute: int = Field(20, alias="IDEAROOM_TELEGRAM_GROUP_MAX_PER_MINUTE")

    @property
    def telegram_limits(self) -> PlatformLimits:
        """Telegram's documented limits (30/s per bot, 1/s per chat, 20/min per group), as set."""
        return PlatformLimits(
            overall=window(self.telegram_max_per_second, 1.0),
            per_chat=window(self.telegram_chat_max_per_second, 1.0),
            per_group=window(self.telegram_group_max_per_minute, 60.0),
            is_group=is_group_chat,
        )


DEFAULT_LIMITS = TelegramSettings.model_construct().telegram_limits
