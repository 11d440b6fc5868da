"""Registers the console with the bot (entry point `idearoom.adapters: console`): the fallback platform."""

from __future__ import annotations

from bot.ports import AdapterPlugin

# Never configured by a setting: it starts when no other platform is, or with `idearoom run --console`.
plugin = AdapterPlugin.lazy(
    "console", "adapters.console.adapter:ConsoleAdapter", fallback=True, user_ids_are_handles=True
)
