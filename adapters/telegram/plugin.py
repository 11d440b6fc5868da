"""Registers Telegram with the bot (entry point `idearoom.adapters: telegram`)."""

from __future__ import annotations

from adapters.telegram.settings import TelegramSettings
from bot.ports import AdapterPlugin

plugin = AdapterPlugin.lazy(
    "telegram", "adapters.telegram.adapter:TelegramAdapter", TelegramSettings, configured_when="telegram_bot_token"
)
