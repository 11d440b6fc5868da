"""Fixtures of the web dashboard tests: the bot with the dashboard on its HTTP server, and browsers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from browser import Chrome, axe_source, start_chromium
from web_client import Browser, dashboard_client

from idearoom.http import mount_dashboard
from tests.harness import Story


@pytest.fixture
async def site(story: Story) -> AsyncIterator[Browser]:
    """An anonymous browser on the demo organisation's dashboard."""
    client = await dashboard_client(story)
    yield Browser(client, story)
    await client.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def axe() -> str:
    return axe_source()


@pytest.fixture
async def live(story: Story, chromium: Any, axe: str) -> AsyncIterator[Chrome]:
    """The dashboard on the bot's own HTTP server at a real port, and a fresh Chromium session on it."""
    story.app.http.host, story.app.http.port = "127.0.0.1", 0
    assert mount_dashboard(story.app)
    await story.app.http.start()
    base = f"http://127.0.0.1:{story.app.http.port}"
    story.app.settings.web_base_url = base  # the links /web sends name this server
    chromium.delete_all_cookies()
    yield Chrome(chromium, axe, base)
    await asyncio.to_thread(chromium.delete_all_cookies)
