"""A signed-in browser without a browser: the aiohttp test client with the dashboard on the bot's own server."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from idearoom.http import mount_dashboard
from tests.harness import Story

LINK = re.compile(r"(/web/login/[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def link_path(texts: list[str]) -> str:
    """The log-in link's path in what the bot answered."""
    found = [m.group(1) for text in texts for m in [LINK.search(text)] if m]
    assert found, texts
    return found[-1]


@dataclass
class Browser:
    """One person's cookie jar on the dashboard."""

    client: TestClient
    story: Story
    csrf: str = ""
    last_link: str = ""

    async def get(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.client.get(path, allow_redirects=True, **kwargs)

    async def page(self, path: str, status: int = 200) -> str:
        response = await self.get(path)
        text = await response.text()
        assert response.status == status, (path, response.status, text[:2000])
        return text

    async def post(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> ClientResponse:
        fields = {**data}
        if csrf:
            fields.setdefault("csrf", self.csrf)
        return await self.client.post(path, data=fields, allow_redirects=True)

    async def act(self, action: str, status: int = 200, **fields: Any) -> str:
        """Send a dashboard form (as its page would) and return the result page."""
        response = await self.post("/web/act", {"action": action, "nonce": uuid.uuid4().hex, "back": "/web", **fields})
        text = await response.text()
        assert response.status == status, (action, response.status, text[:2000])
        await self.story.app.sender.drain()
        return text

    async def sign_in(self, person: str) -> str:
        """`/web` in the person's direct chat, then the link opened and its button pressed."""
        path = self.last_link = link_path(await self.story.dm(person, "/web"))
        login = await self.page(path)
        response = await self.client.post(
            "/web/login", data={"token": path.rsplit("/", 1)[1], "csrf": CSRF.search(login).group(1)}
        )  # type: ignore[union-attr]
        text = await response.text()
        assert response.status == 200, text[:2000]
        self.csrf = CSRF.search(text).group(1)  # type: ignore[union-attr]
        return text


async def dashboard_client(story: Story) -> TestClient:
    """The dashboard mounted on the story's own HTTP server, served to a test client."""
    assert mount_dashboard(story.app)
    client = TestClient(TestServer(story.app.http.app))
    await client.start_server()
    return client


def other_browser(site: Browser) -> aiohttp.ClientSession:
    """Another browser (cookies of its own) on the same server; close it when done."""
    return aiohttp.ClientSession(base_url=str(site.client.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True))
