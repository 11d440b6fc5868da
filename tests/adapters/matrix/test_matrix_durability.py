"""Exactly once on a real Synapse: a worker killed mid-burst loses and doubles nothing; a 429 is waited out."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from matrix_people import MatrixUser, text_of
from matrix_stand import make_stand
from synapse_server import Synapse

from adapters.matrix.adapter import MatrixAdapter
from bot.i18n import Translator
from bot.ports import SystemClock
from storage.tables import Idea, OutboxMessage
from tests.ops.worker_processes import (
    WorkerProcess,
    clean_environment,
    eventually,
)

ko = Translator("ko")
BURST = 30

# One Synapse per test process: these tests run together on one xdist worker.
pytestmark = pytest.mark.xdist_group("synapse")


def stored_ideas(database: Path) -> list[str]:
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        try:
            return [row[0] for row in connection.execute("SELECT text FROM idea")]
        except sqlite3.OperationalError:  # the worker has not made its tables yet
            return []


def stored_token(database: Path, user_id: str) -> str | None:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT position FROM platformcursor WHERE platform = 'matrix' AND account = ?", (user_id,)
        ).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
async def test_a_worker_stopped_in_the_middle_of_a_burst_loses_and_doubles_nothing(
    synapse: Synapse, names: dict[str, str], tmp_path: Path, how: str
) -> None:
    bot = synapse.register(names["bot"])
    synapse.set_ratelimit(bot.user_id, 0, 0)
    minji_account, junho_account = synapse.register(names["minji"]), synapse.register(names["junho"])
    minji = MatrixUser(synapse.url, minji_account.user_id, minji_account.access_token)
    junho = MatrixUser(synapse.url, junho_account.user_id, junho_account.access_token)
    database = tmp_path / "idearoom.db"
    env = clean_environment(
        {
            "IDEAROOM_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "MATRIX_HOMESERVER_URL": synapse.url,
            "MATRIX_USER_ID": bot.user_id,
            "MATRIX_PASSWORD": bot.password,  # logs in once; the kept token is reused after the restart
            "IDEAROOM_MATRIX_SYNC_TIMEOUT_SECONDS": "1",
            "IDEAROOM_MATRIX_ROOM_MAX_PER_SECOND": "20",
            # What the stopped worker had claimed is sent by the restarted one once this lease is over, not
            # after the 60 s default (a live worker renews its leases, so a short one takes nothing from it).
            "IDEAROOM_SEND_LEASE_SECONDS": "10",
        }
    )
    first = WorkerProcess.start("first", env, tmp_path)
    second = None
    try:
        # Before the bot came, the room already had a conversation: that history is never replayed.
        room = await minji.create_room("아이디어방", [junho.user_id])
        await junho.join(room)
        await minji.say(room, "/idea 봇이 오기 전에 올린 글입니다")
        await minji.invite(room, bot.user_id)
        bot_client = MatrixUser(synapse.url, bot.user_id, bot.access_token)
        await eventually(lambda: _joined(bot_client, room), 30, "the bot joins the room it was invited to")

        # A workshop burst from two people; the worker is stopped once some of it is handled.
        sent = 0

        async def burst() -> None:
            nonlocal sent
            for n in range(BURST):
                author = minji if n % 2 == 0 else junho
                await author.say(room, f"#아이디어 워크숍 아이디어 {n:02d}")
                sent += 1

        posting = asyncio.create_task(burst())
        await eventually(lambda: _at_least(database, 5), 30, "the first ideas of the burst are stored")
        if how == "SIGKILL":
            first.kill()
        else:
            first.terminate()  # a systemd restart: the sync loop ends within its bound, the token stays where it was
        await asyncio.to_thread(first.process.wait, 30)
        if how == "SIGTERM":
            assert first.process.returncode == 0, first.log_tail()
        at_kill = len(stored_ideas(database))
        await posting
        assert sent == BURST and at_kill < BURST, first.log_tail()

        # The restarted worker reads on from the stored sync token: the rest arrive, none twice.
        second = WorkerProcess.start("second", env, tmp_path)
        ideas = await eventually(
            lambda: _at_least(database, BURST), 60, "every idea of the burst is stored after the restart"
        )
        await asyncio.sleep(2)  # anything doubled would have arrived by now
        ideas = stored_ideas(database)
        counts = Counter(ideas)
        assert sorted(counts) == [f"워크숍 아이디어 {n:02d}" for n in range(BURST)], ideas
        assert set(counts.values()) == {1}, counts
        assert "봇이 오기 전에 올린 글입니다" not in " ".join(ideas)
        assert stored_token(database, bot.user_id)
        # MATRIX_PASSWORD logged in once: the restarted worker used the kept token, no second device.
        assert [d.get("display_name") for d in synapse.devices(bot.user_id)].count("idearoom") == 1
        log = (tmp_path / "second.log").read_text(errors="replace")
        assert "MATRIX_PASSWORD" not in log and "Traceback" not in log, second.log_tail()
        # The restarted worker confirms what it recorded, up to the last idea of the burst.
        # Every idea of the burst is confirmed; one the dead worker had handed to Synapse may come twice.
        # What the dead worker had claimed waits out its lease first.
        wanted = set(range(1, BURST + 1))
        confirmations = await eventually(
            lambda: _confirmations(minji, room, bot.user_id, wanted), 180, "every idea of the burst is confirmed"
        )
        assert set(confirmations) >= wanted and sum(confirmations[n] for n in wanted) - len(wanted) <= 1, confirmations
        await bot_client.close()
    finally:
        first.stop()
        if second is not None:
            second.stop()
        await minji.close()
        await junho.close()


async def _joined(client: MatrixUser, room: str) -> bool:
    return room in await client.joined_rooms()


async def _at_least(database: Path, count: int) -> list[str] | None:
    ideas = stored_ideas(database)
    return ideas if len(ideas) >= count else None


async def _all_sent(stand) -> bool:  # type: ignore[no-untyped-def]
    rows = await stand.rows(OutboxMessage)
    return bool(rows) and all(row.state == "sent" for row in rows)


async def _room_joined(stand, room: str) -> bool:  # type: ignore[no-untyped-def]
    return room in await stand.bot_joined()


async def _ideas_at_least(stand, count: int) -> list[str] | None:  # type: ignore[no-untyped-def]
    ideas = [idea.text for idea in await stand.rows(Idea)]
    return ideas if len(ideas) >= count else None


async def test_a_429_from_the_homeserver_is_waited_out_and_every_message_arrives(
    synapse: Synapse, names: dict[str, str], sqlite_url: str
) -> None:
    stand = make_stand(synapse, names)
    stand.clock = SystemClock()  # the wait the homeserver asks for passes in real time
    # This homeserver lets the bot send 1 event a second and no burst (so a 429 comes even on a slow
    # machine: a confirmation, its seeded 👍 and the next confirmation are sent back to back),
    # and the bot does not pace itself.
    synapse.set_ratelimit(stand.bot_id, 1, 1)
    await stand.start(sqlite_url, IDEAROOM_SEND_RATE_LIMITS="off")
    try:
        minji = stand["minji"]
        room = await minji.create_room("아이디어방", [stand.bot_id])
        await eventually(lambda: _room_joined(stand, room), 30, "the bot joins")
        for n in range(4):
            await minji.say(room, f"/idea 한도 시험 {n}")
        await minji.wait_for_message(room, stand.bot_id, lambda e: "#4번" in text_of(e), timeout=40)
        sender = stand.app.sender  # type: ignore[union-attr]
        assert sender.rate_limited_count >= 1
        # The wait was the homeserver's (retry_after_ms), and the message was sent after it, not given up.
        assert sender.failed_count == 0
        await eventually(lambda: _all_sent(stand), 20, "every outbox entry is recorded as sent")
        ideas = [text_of(e) for e in await minji.messages_from(room, stand.bot_id)]
        assert [n for n in range(1, 5) if any(f"#{n}번" in text for text in ideas)] == [1, 2, 3, 4]
    finally:
        await stand.stop()


async def test_a_long_absence_is_read_in_full_from_the_stored_token(
    synapse: Synapse, names: dict[str, str], sqlite_url: str
) -> None:
    """While the bot is stopped, more happens than one sync returns: the `limited` batch is backfilled."""
    stand = make_stand(synapse, names)
    await stand.start(sqlite_url)
    try:
        minji = stand["minji"]
        room = await minji.create_room("아이디어방", [stand.bot_id])
        await eventually(lambda: _room_joined(stand, room), 30, "the bot joins")
        await minji.say(room, "/idea 멈추기 전 아이디어")
        await minji.wait_for_text(room, stand.bot_id, "#1번")
        await stand.adapter.stop()  # type: ignore[union-attr]

        for n in range(12):
            await minji.say(room, f"#아이디어 멈춘 사이 아이디어 {n:02d}")
        adapter = MatrixAdapter(stand.app)  # type: ignore[arg-type]
        adapter.timeline_limit = 3  # one sync shows only the last 3 of the 12
        stand.adapter = adapter
        stand.app.add_gateway(adapter.gateway)  # type: ignore[union-attr]
        await adapter.start()
        ideas = await eventually(lambda: _ideas_at_least(stand, 13), 30, "all 12 ideas of the absence are stored")
        assert sorted(ideas) == ["멈추기 전 아이디어", *[f"멈춘 사이 아이디어 {n:02d}" for n in range(12)]]
    finally:
        await stand.stop()


async def _confirmations(client: MatrixUser, room: str, bot: str, wanted: set[int]) -> Counter[int] | None:
    """The idea numbers the bot's "registered" messages name, with how often; None until all of `wanted` are."""
    recorded = re.compile(re.escape(ko("idea.recorded", number=0).split("0")[0]) + r"(\d+)")  # "💡 아이디어 #12"
    found = (recorded.search(text_of(e)) for e in await client.messages_from(room, bot))
    numbers = Counter(int(match[1]) for match in found if match)
    return numbers if set(numbers) >= wanted else None
