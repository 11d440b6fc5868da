"""Registers Matrix with the bot (entry point `idearoom.adapters: matrix`)."""

from __future__ import annotations

from adapters.matrix.settings import MatrixSettings
from bot.ports import AdapterPlugin

plugin = AdapterPlugin.lazy(
    "matrix", "adapters.matrix.adapter:MatrixAdapter", MatrixSettings, configured_when="matrix_configured"
)
