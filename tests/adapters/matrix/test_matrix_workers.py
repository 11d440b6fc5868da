"""Two workers on PostgreSQL against a real Synapse: one syncs at a time, and when it is killed mid-burst
another takes over from the stored sync token; every idea is stored once, none lost."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path

import pytest
from matrix_people import MatrixUser, text_of
from sqlmodel import select
from synapse_server import Synapse

from bot.i18n import Translator
from storage.db import Database
from storage.tables import Idea
from tests.ops.worker_processes import WorkerProcess, clean_environment, eventually

ko = Translator("ko")
BURST = 20
WORKERS = 2  # three would only add start-up time: one syncs, and one standby is enough to take over

# One Synapse per test process: these tests run together on one xdist worker. The workers run
# `--role web`, so they never take the scheduler's advisory lock that other tests' workers take.
pytestmark = pytest.mark.xdist_group("synapse")


def syncing(workers: list[WorkerProcess], bot: str) -> list[WorkerProcess]:
    """The workers whose log says they took the Matrix sync lease of `bot`."""
    line = f"this worker now runs the Matrix sync of {bot}"
    return [w for w in workers if w.log_path.exists() and line in w.log_path.read_text(errors="replace")]


async def stored_ideas(db: Database) -> list[str]:
    async with db.session() as session:
        return [str(text) for text in (await session.exec(select(Idea.text))).all()]


async def test_workers_sync_one_at_a_time_and_a_killed_syncer_loses_and_doubles_nothing(
    synapse: Synapse, names: dict[str, str], postgres_url: str, tmp_path: Path
) -> None:
    bot = synapse.register(names["bot"])
    synapse.set_ratelimit(bot.user_id, 0, 0)
    minji_account, junho_account = synapse.register(names["minji"]), synapse.register(names["junho"])
    minji = MatrixUser(synapse.url, minji_account.user_id, minji_account.access_token)
    junho = MatrixUser(synapse.url, junho_account.user_id, junho_account.access_token)
    bot_client = MatrixUser(synapse.url, bot.user_id, bot.access_token)
    env = clean_environment(
        {
            "IDEAROOM_DATABASE_URL": postgres_url,
            "IDEAROOM_LOG_LEVEL": "INFO",
            "MATRIX_HOMESERVER_URL": synapse.url,
            "MATRIX_USER_ID": bot.user_id,
            "MATRIX_ACCESS_TOKEN": bot.access_token,
            "IDEAROOM_MATRIX_SYNC_TIMEOUT_SECONDS": "1",
            "IDEAROOM_MATRIX_ROOM_MAX_PER_SECOND": "20",
            # Live workers renew their leases: a short one only makes the dead worker's claims come back sooner.
            "IDEAROOM_SEND_LEASE_SECONDS": "5",
        }
    )
    workers = [WorkerProcess.start(f"w{n}", env, tmp_path, role="web") for n in range(WORKERS)]
    db = Database(postgres_url)
    try:
        [first] = await eventually(lambda: _one_syncing(workers, bot.user_id), 90, "one worker takes the sync lease")
        room = await minji.create_room("아이디어방", [junho.user_id, bot.user_id])
        await junho.join(room)
        await eventually(lambda: _joined(bot_client, room), 30, "the bot joins the room it was invited to")
        # The others stand by: a while later still only the first one syncs.
        await minji.say(room, "/idea 워크숍 전에 올린 아이디어")
        await minji.wait_for_text(room, bot.user_id, "#1번", timeout=30)
        assert syncing(workers, bot.user_id) == [first], [w.log_tail() for w in workers]

        sent = 0

        async def burst() -> None:
            nonlocal sent
            for n in range(BURST):
                await (minji if n % 2 == 0 else junho).say(room, f"#아이디어 워크숍 아이디어 {n:02d}")
                sent += 1

        posting = asyncio.create_task(burst())
        await eventually(lambda: _at_least(db, 5), 30, "the first ideas of the burst are stored")
        first.kill()  # SIGKILL in the middle of the burst: no shutdown code runs
        first.process.wait(10)
        at_kill = len(await stored_ideas(db))
        await posting
        assert sent == BURST and at_kill < BURST + 1, first.log_tail()

        # Another worker takes the lease and reads on from the stored token: the rest arrive, none twice.
        survivors = [w for w in workers if w is not first]
        [second] = await eventually(lambda: _one_syncing(survivors, bot.user_id), 30, "a standby worker takes over")
        await eventually(lambda: _at_least(db, BURST + 1), 60, "every idea of the burst is stored after the takeover")
        await asyncio.sleep(2)  # anything doubled would have arrived by now
        ideas = await stored_ideas(db)
        counts = Counter(ideas)
        assert sorted(counts) == sorted(
            ["워크숍 전에 올린 아이디어", *[f"워크숍 아이디어 {n:02d}" for n in range(BURST)]]
        )
        assert set(counts.values()) == {1}, counts
        assert syncing(survivors, bot.user_id) == [second]
        # The worker that took over confirms what it recorded (its sender, or the standby's, sends it).
        # Every idea of the burst is confirmed; one the dead worker had handed to Synapse may come twice.
        # What the dead worker had claimed waits out its lease (5 s) first.
        wanted = set(range(2, BURST + 1 + 1))
        confirmations = await eventually(
            lambda: _confirmations(minji, room, bot.user_id, wanted), 180, "every idea of the burst is confirmed"
        )
        assert set(confirmations) >= wanted and sum(confirmations[n] for n in wanted) - len(wanted) <= 1, confirmations
        for worker in survivors:
            assert "Traceback" not in worker.log_path.read_text(errors="replace"), worker.log_tail()
    finally:
        for worker in workers:
            worker.stop()
        await db.dispose()
        for client in (minji, junho, bot_client):
            await client.close()


async def _one_syncing(workers: list[WorkerProcess], bot: str) -> list[WorkerProcess] | None:
    found = syncing(workers, bot)
    assert len(found) <= 1, [w.log_tail() for w in found]
    return found or None


async def _joined(client: MatrixUser, room: str) -> bool:
    return room in await client.joined_rooms()


async def _at_least(db: Database, count: int) -> list[str] | None:
    ideas = await stored_ideas(db)
    return ideas if len(ideas) >= count else None


async def _confirmations(client: MatrixUser, room: str, bot: str, wanted: set[int]) -> Counter[int] | None:
    """The idea numbers the bot's "registered" messages name, with how often; None until all of `wanted` are."""
    recorded = re.compile(re.escape(ko("idea.recorded", number=0).split("0")[0]) + r"(\d+)")  # "💡 아이디어 #12"
    found = (recorded.search(text_of(e)) for e in await client.messages_from(room, bot))
    numbers = Counter(int(match[1]) for match in found if match)
    return numbers if set(numbers) >= wanted else None
