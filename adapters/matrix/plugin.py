"""Registers Matrix with the bot (entry point `idearoom.adapters: matrix`)."""

from __future__ import annotations

from adapters.matrix.settings import MatrixSettings
from bot.ports import Adapter, AdapterPlugin, Host


def create(host: Host) -> Adapter:
    from adapters.matrix.adapter import MatrixAdapter

    return MatrixAdapter(host)


plugin = AdapterPlugin(
    name="matrix",
    create=create,
    configured=lambda settings: MatrixSettings.of(settings).matrix_configured,
    settings=MatrixSettings,
)
