"""A real `idearoom run` worker killed in the middle of a burst of ideas, in each Telegram mode: every
update Telegram was told is done (confirmed by an offset, or answered 200) is stored, once, and every
idea gets its confirmation after the restart."""

from __future__ import annotations

import asyncio
import html
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import func, select

from bot.i18n import Translator
from storage.db import Database
from storage.tables import Idea, ProcessedEvent
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.harness import distinct_text
from tests.ops.telegram_updates import GroupStream, TelegramUser
from tests.ops.worker_processes import (
    SECRET_HEADER,
    WEBHOOK_PATH,
    Webhook,
    WorkerProcess,
    clean_environment,
    eventually,
    run_command,
)

TOKEN = "123456:crash-test"
SECRET = "crash_test_secret"
GROUP_ID = -1007654321
IDEAS = 30
KILL_AFTER = 8  # updates Telegram was told are done before the worker dies
TEST_TIMEOUT = 90
USERS = [TelegramUser(7201 + n, name, f"crash_{n}") for n, name in enumerate(["하늘", "가람", "누리", "보람", "다솜"])]
ko = Translator("ko")


def idea_text(n: int) -> str:
    return f"crash-idea {n} {distinct_text(n)}"


class Stand:
    """The fake Telegram, the database as the workers see it, and the workers started so far."""

    def __init__(self, fake: FakeTelegramAPI, db: Database, env: dict[str, str], cwd: Path) -> None:
        self.fake = fake
        self.db = db
        self.env = env
        self.cwd = cwd
        self.workers: list[WorkerProcess] = []
        self.http = aiohttp.ClientSession()

    async def start_worker(self) -> WorkerProcess:
        worker = WorkerProcess.start(f"worker{len(self.workers) + 1}", self.env, self.cwd)
        self.workers.append(worker)

        async def up() -> dict[str, Any] | None:
            assert worker.alive, worker.log_tail()
            return await worker.health(self.http)

        await eventually(up, 30, f"{worker.name} answers /healthz")
        return worker

    async def claimed(self) -> Counter[str]:
        """Update ids the core claimed (committed), with how often each was claimed."""
        async with self.db.session() as session:
            rows = (
                await session.exec(select(ProcessedEvent.event_id).where(ProcessedEvent.platform == "telegram"))
            ).all()
        return Counter(rows)

    async def ideas(self) -> Counter[str]:
        async with self.db.session() as session:
            return Counter((await session.exec(select(Idea.text))).all())

    async def idea_count(self) -> int:
        async with self.db.session() as session:
            return (await session.exec(select(func.count()).select_from(Idea))).one()

    def answered_messages(self) -> Counter[int]:
        """The people's message ids that got an idea confirmation at Telegram, with how often."""
        recorded = ko("idea.recorded", number=0).split("0")[0]  # the text before the number
        return Counter(
            c.params["reply_parameters"]["message_id"]
            for c in self.fake.calls_to("sendMessage")
            if c.status == 200
            and html.unescape(c.params["text"]).startswith(recorded)
            and c.params.get("reply_parameters")
        )

    async def everything_done(self, message_ids: list[int]) -> bool:
        return await self.idea_count() >= IDEAS and set(self.answered_messages()) >= set(message_ids)

    async def close(self) -> None:
        # In a thread: the fake Telegram runs on this loop and must answer the workers' last calls.
        await asyncio.gather(*(asyncio.to_thread(worker.stop) for worker in self.workers))
        await self.http.close()


@pytest.fixture
async def stand(database_url: str, tmp_path: Path) -> AsyncIterator[Stand]:
    async with FakeTelegramAPI(token=TOKEN) as fake:
        env = clean_environment(
            {
                "IDEAROOM_DATABASE_URL": database_url,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": fake.url,
                "IDEAROOM_DEMO_DATA": "false",
                "IDEAROOM_SEND_RATE_LIMITS": "off",
                # A message the dead worker had claimed is sent by the next one soon after.
                "IDEAROOM_SEND_LEASE_SECONDS": "1",
                "IDEAROOM_LOG_LEVEL": "INFO",
            }
        )
        await run_command(["db", "upgrade"], env, tmp_path, timeout=60)
        db = Database(database_url)
        running = Stand(fake, db, env, tmp_path)
        try:
            yield running
        except BaseException:
            print("\n\n".join(worker.log_tail() for worker in running.workers))
            raise
        finally:
            await running.close()
            await db.dispose()


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
async def test_polling_worker_stopped_mid_burst_stores_every_confirmed_update_once(stand: Stand, how: str) -> None:
    async with asyncio.timeout(TEST_TIMEOUT):
        fake = stand.fake
        worker = await stand.start_worker()
        updates: list[dict[str, Any]] = []
        stopped = asyncio.Event()
        poster = asyncio.create_task(_post_slowly(fake, updates, stopped))
        await eventually(lambda: _true(len(fake.confirmed) >= KILL_AFTER), 30, "the worker confirms some updates")
        if how == "SIGKILL":
            worker.kill()
        else:
            worker.process.send_signal(signal.SIGTERM)
        stopped.set()
        await asyncio.to_thread(worker.process.wait, 15)  # a SIGTERM drains within the bounded time
        confirmed = list(fake.confirmed)
        claimed = await stand.claimed()
        await poster

        assert len(confirmed) < IDEAS, "the stop came after the burst, not in the middle of it"
        # Everything Telegram was told is done is in the database, once.
        assert confirmed and all(claimed[str(u)] == 1 for u in confirmed), (confirmed, claimed)
        if how == "SIGTERM":
            assert worker.process.returncode == 0
            # The drain confirmed exactly what was committed: nothing more, nothing less.
            assert sorted(int(u) for u in claimed) == sorted(confirmed)
        print(f"{how}: {len(confirmed)} of {IDEAS} updates confirmed before the stop, all stored once")

        await stand.start_worker()
        message_ids = [u["message"]["message_id"] for u in updates]
        await eventually(
            lambda: stand.everything_done(message_ids), 30, "every idea stored and confirmed after the restart"
        )
        await fake.wait_until(lambda: fake.pending_updates == [], timeout=15)

    assert await stand.ideas() == Counter(idea_text(n) for n in range(IDEAS))
    assert sorted(await stand.claimed()) == sorted(str(u["update_id"]) for u in updates)
    assert set((await stand.claimed()).values()) == {1}
    answered = stand.answered_messages()
    assert set(answered) == set(message_ids)
    # A confirmation the dead worker had already handed to Telegram may go out again (README says so).
    assert sum(answered.values()) - IDEAS <= 1


async def _post_slowly(fake: FakeTelegramAPI, into: list[dict[str, Any]], stopped: asyncio.Event) -> None:
    """People post one after another, a few milliseconds apart, so the worker polls many times; the last
    third only once the worker was stopped, so that the stop always falls in the middle of the burst."""
    for n in range(IDEAS):
        if n == IDEAS - IDEAS // 3:
            await stopped.wait()
        user = USERS[n % len(USERS)]
        into.append(
            fake.push_message(
                GROUP_ID,
                user.id,
                f"/idea {idea_text(n)}",
                chat_type="supergroup",
                chat_title="아이디어방",
                first_name=user.first_name,
                username=user.username,
            )
        )
        await asyncio.sleep(0.03)


async def _true(value: bool) -> bool:
    return value


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
async def test_webhook_worker_stopped_mid_burst_stores_every_update_it_answered_200_once(
    stand: Stand, how: str
) -> None:
    stand.env = stand.env | {
        "TELEGRAM_WEBHOOK_URL": "https://idearoom.example.go.kr/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    async with asyncio.timeout(TEST_TIMEOUT):
        worker = await stand.start_worker()
        stream = GroupStream(GROUP_ID, "아이디어방", stand.fake.bot_user)
        updates = [stream.message(USERS[n % len(USERS)], f"/idea {idea_text(n)}") for n in range(IDEAS)]
        answered_200: list[int] = []

        async def post(update: dict[str, Any]) -> None:
            try:
                async with stand.http.post(
                    f"{worker.url}{WEBHOOK_PATH}",
                    json=update,
                    headers={SECRET_HEADER: SECRET},
                    timeout=aiohttp.ClientTimeout(total=20),
                ) as response:
                    if response.status == 200:
                        answered_200.append(update["update_id"])
            except (aiohttp.ClientError, TimeoutError):
                pass  # the worker died: Telegram will deliver it again

        # The last third arrives only after the stop, so that the stop always falls in the middle of the burst.
        held = IDEAS - IDEAS // 3
        posts = [asyncio.create_task(post(u)) for u in updates[:held]]
        await eventually(lambda: _true(len(answered_200) >= KILL_AFTER), 30, "the worker answers some updates")
        if how == "SIGKILL":
            worker.kill()
        else:
            worker.process.send_signal(signal.SIGTERM)
        posts += [asyncio.create_task(post(u)) for u in updates[held:]]
        await asyncio.gather(*posts)
        await asyncio.to_thread(worker.process.wait, 30)
        if how == "SIGTERM":
            assert worker.process.returncode == 0, worker.log_tail()
        claimed = await stand.claimed()
        assert all(claimed[str(u)] == 1 for u in answered_200), (answered_200, claimed)
        print(f"webhook: {len(answered_200)} of {IDEAS} updates answered 200 before {how}, all stored once")

        # Telegram delivers every update that was not answered 200 again, to the restarted worker.
        again = await stand.start_worker()
        webhook = Webhook(stand.http, SECRET)
        await asyncio.gather(*(webhook.deliver(u, [again]) for u in updates if u["update_id"] not in answered_200))
        message_ids = [u["message"]["message_id"] for u in updates]
        await eventually(
            lambda: stand.everything_done(message_ids), 30, "every idea stored and confirmed after the restart"
        )

    assert await stand.ideas() == Counter(idea_text(n) for n in range(IDEAS))
    assert sorted(await stand.claimed()) == sorted(str(u["update_id"]) for u in updates)
    assert set((await stand.claimed()).values()) == {1}
    answered = stand.answered_messages()
    assert set(answered) == set(message_ids)
    assert sum(answered.values()) - IDEAS <= 1
