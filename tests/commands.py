"""The `idearoom` command as the tests run it: this checkout's code, whatever the virtualenv has installed."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDEAROOM = (sys.executable, "-m", "idearoom.cli")


def command_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with this checkout first on the path, so a process started elsewhere imports this code."""
    paths = [str(ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    return {**env, "PYTHONPATH": os.pathsep.join(paths)}


PACKAGES = ("adapters", "bot", "idearoom", "scheduler", "storage", "web")


def write_bytecode() -> None:
    """Write the bytecode an installation would have (py_compile writes it whatever PYTHONDONTWRITEBYTECODE
    says): with that variable set, every `idearoom run` would compile ~150 modules from source."""
    import compileall

    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)
