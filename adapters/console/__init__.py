"""The local console adapter: play several people in several rooms from one terminal."""

from adapters.console.adapter import ConsoleAdapter, ConsoleGateway

__all__ = ["ConsoleAdapter", "ConsoleGateway"]
