"""The app's Settings: the core's, with the settings every registered platform declares."""

from __future__ import annotations

from bot.config import Settings as CoreSettings
from bot.ports import AdapterPlugin
from idearoom.plugins import discover


def compose(plugins: list[AdapterPlugin]) -> type[CoreSettings]:
    """One settings class with the core's fields and each platform's (all read from the same .env)."""
    mixins = tuple(plugin.settings for plugin in plugins if plugin.settings is not None)
    namespace = {"__module__": __name__, "__doc__": CoreSettings.__doc__, "model_config": CoreSettings.model_config}
    return type("Settings", (CoreSettings, *mixins), namespace)


PLUGINS = discover()
AppSettings = compose(PLUGINS)
Settings = AppSettings  # the name the rest of the code knows


def configured_platforms(settings: CoreSettings, plugins: list[AdapterPlugin] | None = None) -> list[AdapterPlugin]:
    """The platforms the settings ask for (a token is set), in registration order."""
    return [plugin for plugin in (PLUGINS if plugins is None else plugins) if plugin.configured(settings)]


def handle_platforms() -> set[str]:
    """Platforms whose user ids are directory handles (the console)."""
    return {plugin.name for plugin in PLUGINS if plugin.user_ids_are_handles}


def fallback_platform() -> AdapterPlugin | None:
    """The platform started when no other is configured (the console)."""
    return next((plugin for plugin in PLUGINS if plugin.fallback), None)
