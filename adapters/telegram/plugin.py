"""Registers Telegram with the bot (entry point `idearoom.adapters: telegram`)."""

from __future__ import annotations

from bot.ports import Adapter, AdapterPlugin, Host

from adapters.telegram.settings import TelegramSettings


def create(host: Host) -> Adapter:
    from adapters.telegram.adapter import TelegramAdapter

    return TelegramAdapter(host)


plugin = AdapterPlugin(
    name="telegram",
    create=create,
    configured=lambda settings: bool(TelegramSettings.of(settings).telegram_bot_token),
    settings=TelegramSettings,
)
