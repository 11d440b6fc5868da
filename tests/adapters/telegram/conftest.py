"""Fixtures of the Telegram adapter tests: the fake Bot API and a bot connected to it by long polling."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram_stand import Bot, start_bot

from tests.fakes.telegram_api import FakeTelegramAPI


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(long_poll_cap=0.5) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegramAPI, sqlite_url: str) -> AsyncIterator[Bot]:
    """The bot in long-polling mode."""
    running = await start_bot(tg, sqlite_url)
    yield running
    await running.adapter.stop()
    await running.app.close()
