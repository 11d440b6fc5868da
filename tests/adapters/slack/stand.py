"""A running Slack adapter (HTTP mode) against the fake Slack Web API, driven by signed requests."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlmodel import func, select

from adapters.slack import SlackAdapter
from adapters.slack.gateway import make_client
from bot.ports import ManualClock
from idearoom.wiring import App
from storage.tables import OutboxMessage, OutboxState
from tests.fakes.slack_api import FakeSlackAPI, event_callback, signed_request_headers
from tests.harness import link_accounts, test_settings
from tests.templates import prepared_app

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # Monday 09:00 in Seoul
# Slack user ids of the demo people (their Slack handle is their directory handle).
USERS = {
    "minji": ("UMINJI", "박민지"),
    "junho": ("UJUNHO", "최준호"),
    "seoyeon": ("USEOYEON", "정서연"),
    "jiwoo": ("UJIWOO", "한지우"),
    "sujin": ("USUJIN", "이수진"),
    "dohyun": ("UDOHYUN", "김도현"),
    "haeun": ("UHAEUN", "윤하은"),
}
ROOM = "CIDEAS"


async def eventually(condition: Callable[[], Any], timeout: float = 60.0) -> None:
    """Wait until `condition()` is true (requests are handled after Slack is answered)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await _value(condition()):
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def _value(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


class SlackStand:
    """The bot on SQLite with the Slack adapter serving /slack/events on a loopback port."""

    def __init__(self, app: App, adapter: SlackAdapter, fake: FakeSlackAPI, clock: ManualClock, waits: list[float]):
        self.app = app
        self.adapter = adapter
        self.fake = fake
        self.clock = clock
        self.waits = waits  # Retry-After waits slack_sdk's retry handler slept through
        self.http = aiohttp.ClientSession()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app.http.port}/slack/events"

    @staticmethod
    def user(handle: str) -> str:
        return USERS[handle][0]

    async def post_raw(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    async def post(self, body: str, *, timestamp: float | None = None, extra: dict[str, str] | None = None) -> int:
        headers = {**signed_request_headers(SECRET, body, timestamp), **(extra or {})}
        status, _ = await self.post_raw(body, headers)
        return status

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None) -> int:
        body = json.dumps(event_callback(event, event_id=event_id or f"Ev{uuid.uuid4().hex[:10]}"))
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post(body, extra=extra)

    async def command(self, handle: str, command: str, text: str = "", channel: str = ROOM) -> int:
        form = {
            "token": "x",
            "team_id": "T1",
            "channel_id": channel,
            "channel_name": "아이디어방" if channel == ROOM else channel.lower(),
            "user_id": self.user(handle),
            "user_name": handle,
            "command": command,
            "text": text,
            "trigger_id": f"trig-{uuid.uuid4().hex}",
            "response_url": "https://hooks.slack.invalid/commands/1",
        }
        return await self.post(urlencode(form))

    async def press(self, handle: str, value: str, channel: str = ROOM, message_ts: str = "1700000000.000100") -> int:
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": self.user(handle), "username": handle, "name": handle},
            "api_app_id": "A1",
            "trigger_id": f"trig-{uuid.uuid4().hex}",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel, "name": "아이디어방"},
            "message": {"ts": message_ts, "text": ""},
            "response_url": "https://hooks.slack.invalid/actions/1",
            "actions": [
                {
                    "type": "button",
                    "action_id": "idearoom-0-0",
                    "block_id": "idearoom-row-0",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    async def handled_all(self) -> bool:
        """Every request answered 200 is in the inbox until handled: nothing left there means all were."""
        return not self.app.inbox.busy and await self.app.inbox.pending() == 0

    async def settle(self, events: int | None = None) -> None:
        """Wait until every request answered so far is handled, then deliver what they queued.

        `events` (how many requests to wait for) is no longer needed: everything answered 200 is in the inbox.
        """
        await eventually(self.handled_all)
        await self.deliver_all()

    async def deliver_all(self, rounds: int = 20) -> int:
        """Drain the outbox; when the sender paces a channel, move the clock past its window."""
        delivered = await self.app.sender.drain()
        for _ in range(rounds):
            if not await self.count(OutboxMessage, OutboxMessage.state == OutboxState.pending):
                break
            self.clock.advance(seconds=2)
            delivered += await self.app.sender.drain()
        return delivered

    async def count(self, table: Any, *where: Any) -> int:
        async with self.app.db.session() as session:
            return (await session.exec(select(func.count()).select_from(table).where(*where))).one()

    def posted_texts(self, channel: str = ROOM) -> list[str]:
        return [m["text"] for m in self.fake.posted_messages(channel)]

    async def close(self) -> None:
        await self.http.close()
        await self.adapter.stop()
        await self.app.close()


async def start_stand(
    sqlite_url: str, fake: FakeSlackAPI, before_start: Callable[[App], Any] | None = None, **settings: Any
) -> SlackStand:
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_BASE_URL": fake.api_url,
        "IDEAROOM_HTTP_HOST": "127.0.0.1",
        "IDEAROOM_HTTP_PORT": 0,
        # The sender's per-channel pacing is the outbox's to test; here the clock stands still.
        "IDEAROOM_SEND_RATE_LIMITS": "off",
        **settings,
    }
    clock = ManualClock(START)
    app = await prepared_app(test_settings(sqlite_url, **values), clock)
    await link_accounts(app, "slack", {handle: user_id for handle, (user_id, _) in USERS.items()})
    waits: list[float] = []

    async def record_wait(seconds: float) -> None:
        waits.append(seconds)

    if before_start is not None:
        await _value(before_start(app))
    adapter = SlackAdapter(app, client=make_client(BOT_TOKEN, fake.api_url, sleep=record_wait))
    app.add_gateway(adapter.gateway)
    await adapter.start()
    if app.http.has_routes:
        await app.http.start()
    return SlackStand(app, adapter, fake, clock, waits)


def add_demo_users(fake: FakeSlackAPI) -> None:
    for handle, (user_id, name) in USERS.items():
        fake.add_user(user_id, name=handle, real_name=name, tz="Asia/Seoul", locale="ko-KR")
    fake.add_channel(ROOM, "아이디어방", members=("UBOT", *(u for u, _ in USERS.values())))


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        add_demo_users(fake)
        yield fake


@pytest.fixture
async def slack(sqlite_url: str, fake_slack: FakeSlackAPI) -> AsyncIterator[SlackStand]:
    stand = await start_stand(sqlite_url, fake_slack)
    yield stand
    await stand.close()
