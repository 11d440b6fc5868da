"""Registers the console with the bot (entry point `idearoom.adapters: console`): the fallback platform."""

from __future__ import annotations

from bot.ports import Adapter, AdapterPlugin, Host


def create(host: Host) -> Adapter:
    from adapters.console.adapter import ConsoleAdapter

    return ConsoleAdapter(host)


# Never configured by a setting: it starts when no other platform is, or with `idearoom run --console`.
plugin = AdapterPlugin(
    name="console", create=create, configured=lambda settings: False, fallback=True, user_ids_are_handles=True
)
