"""The Telegram adapter: python-telegram-bot in, the Bot API out (see docs/telegram.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.telegram.adapter import TelegramAdapter, TelegramSetupError
    from adapters.telegram.gateway import TelegramGateway

__all__ = ["TelegramAdapter", "TelegramGateway", "TelegramSetupError"]


def __getattr__(name: str) -> Any:
    # Imported when first named: finding the plug-in (adapters.telegram.plugin) loads no python-telegram-bot.
    if name in ("TelegramAdapter", "TelegramSetupError"):
        from adapters.telegram import adapter

        return getattr(adapter, name)
    if name == "TelegramGateway":
        from adapters.telegram.gateway import TelegramGateway

        return TelegramGateway
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
