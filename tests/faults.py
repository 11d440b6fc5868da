"""Faults inside the core's transaction, injected through the public registry (restored after the test)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.core import Core


class FailingCommand:
    """Makes a command raise the given errors, one per run (or every run during an outage), then work again."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, core: Core, name: str, *errors: BaseException) -> None:
        self.spec = core.registry.commands[name]
        self.errors = list(errors)
        self.outage_error: BaseException | None = None
        self.calls = 0
        monkeypatch.setitem(core.registry.commands, name, replace(self.spec, handler=self._run))

    async def _run(self, ctx: Any, command: Any) -> Any:
        self.calls += 1
        if self.outage_error is not None:
            raise self.outage_error
        if self.errors:
            raise self.errors.pop(0)
        return await self.spec.handler(ctx, command)

    def outage(self, error: BaseException) -> None:
        """Every run fails with `error` until `restore()`."""
        self.outage_error = error

    def restore(self) -> None:
        self.outage_error = None


def fail_command(monkeypatch: pytest.MonkeyPatch, core: Core, name: str, *errors: BaseException) -> FailingCommand:
    """`name` fails with `errors` in turn (inside the event's transaction, as a database fault would)."""
    return FailingCommand(monkeypatch, core, name, *errors)
