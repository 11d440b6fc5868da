"""Finds the chat platforms: the `idearoom.adapters` entry points, or this checkout's pyproject.toml."""

from __future__ import annotations

import importlib
import tomllib
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from bot.ports import AdapterPlugin

GROUP = "idearoom.adapters"
# In a source checkout whose installed metadata is older than its pyproject.toml (or that was
# never installed), the entry points are read from the file itself, so a new line there is enough.
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _declared_in_pyproject(path: Path = PYPROJECT) -> dict[str, str]:
    if not path.is_file():
        return {}
    project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    return dict(project.get("entry-points", {}).get(GROUP, {}))


def _load(target: str) -> AdapterPlugin:
    module, _, attribute = target.partition(":")
    plugin = getattr(importlib.import_module(module.strip()), attribute.strip())
    if not isinstance(plugin, AdapterPlugin):
        raise TypeError(f"{target} is not an AdapterPlugin")
    return plugin


def discover() -> list[AdapterPlugin]:
    """Every registered platform, installed entry points first; each name once."""
    targets: dict[str, str] = {}
    installed: list[EntryPoint] = list(entry_points(group=GROUP))
    for point in installed:
        targets.setdefault(point.name, point.value)
    for name, target in _declared_in_pyproject().items():
        targets.setdefault(name, target)
    return [_load(target) for target in targets.values()]
