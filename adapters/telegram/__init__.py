"""The Telegram adapter: python-telegram-bot in, the Bot API out (see docs/telegram.md)."""

from adapters.telegram.adapter import TelegramAdapter, TelegramSetupError
from adapters.telegram.gateway import TelegramGateway

__all__ = ["TelegramAdapter", "TelegramGateway", "TelegramSetupError"]
