"""Fixtures of the web dashboard tests: the bot with the dashboard on its HTTP server, and browsers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from web_client import Browser, dashboard_client

from tests.harness import Story


@pytest.fixture
async def site(story: Story) -> AsyncIterator[Browser]:
    """An anonymous browser on the demo organisation's dashboard."""
    client = await dashboard_client(story)
    yield Browser(client, story)
    await client.close()
