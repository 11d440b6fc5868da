"""Fixtures of the core tests: the clock of the month the topic and invitation tests play in."""

from __future__ import annotations

import pytest

from bot.ports import ManualClock
from tests.core.march import START


@pytest.fixture
def clock() -> ManualClock:
    """A clock that stands still on 2 March 2026, 09:00 in Seoul, until a test moves it."""
    return ManualClock(START)
