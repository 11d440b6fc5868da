"""The local console adapter: play several people in several rooms from one terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.console.adapter import ConsoleAdapter, ConsoleGateway

__all__ = ["ConsoleAdapter", "ConsoleGateway"]


def __getattr__(name: str) -> Any:
    # Imported when first named: finding the plug-in (adapters.console.plugin) loads none of it.
    if name in __all__:
        from adapters.console import adapter

        return getattr(adapter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
