"""Long polling: Telegram forgets an update only once the bot has stored it, and a stop drops nothing."""

from __future__ import annotations

import asyncio

import pytest
from telegram_stand import GROUP, JUNHO, MINJI, Bot, ko, plain, start_bot

from bot.messages import Outcome
from storage.tables import Idea
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.faults import fail_command


class Gate:
    """Holds the core's handling of every event until opened, to look at Telegram in between."""

    def __init__(self, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = asyncio.Event()
        self.open = asyncio.Event()
        real = bot.app.core.handle

        async def held(event) -> Outcome:  # type: ignore[no-untyped-def]
            self.entered.set()
            await self.open.wait()
            return await real(event)

        real_many = bot.app.core.handle_many

        async def held_many(events) -> list[Outcome]:  # type: ignore[no-untyped-def]
            self.entered.set()
            await self.open.wait()
            return await real_many(events)

        monkeypatch.setattr(bot.app.core, "handle", held)
        monkeypatch.setattr(bot.app.core, "handle_many", held_many)  # a batch of updates, handled together

    async def wait_entered(self) -> None:
        await asyncio.wait_for(self.entered.wait(), 5)


def confirmed_past(bot: Bot, update_id: int):  # type: ignore[no-untyped-def]
    return lambda c: c.method == "getUpdates" and (c.params.get("offset") or 0) > update_id


async def test_an_idea_is_confirmed_to_telegram_only_after_it_is_stored(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(bot, monkeypatch)
    said = bot.say(MINJI, "/idea 저장된 뒤에야 확인되는 아이디어")
    await gate.wait_entered()

    # While the idea is being handled, the bot does not ask Telegram for more, which would confirm it.
    with pytest.raises(TimeoutError):
        await bot.tg.wait_for(confirmed_past(bot, said["update_id"]), timeout=0.6)
    assert [u["update_id"] for u in bot.tg.pending_updates] == [said["update_id"]]
    assert await bot.count(Idea) == 0

    gate.open.set()
    answer = await bot.reply_to(GROUP)
    assert plain(answer) == ko("idea.recorded", number=1)
    await bot.tg.wait_for(confirmed_past(bot, said["update_id"]))
    assert bot.tg.confirmed == [said["update_id"]] and bot.tg.pending_updates == []
    assert [i.text for i in await bot.rows(Idea)] == ["저장된 뒤에야 확인되는 아이디어"]


async def test_a_stop_finishes_the_ideas_in_hand_and_confirms_them(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = Gate(bot, monkeypatch)
    first = bot.say(MINJI, "/idea 종료 중에도 끝내는 첫째 아이디어")
    second = bot.say(JUNHO, "/idea 종료 중에도 끝내는 둘째 아이디어")
    await gate.wait_entered()

    stopping = asyncio.create_task(bot.adapter.stop())  # what the runtime does on SIGTERM
    await asyncio.sleep(0.2)
    assert not stopping.done()  # it waits for the ideas in hand
    late = bot.say(JUNHO, "/idea 종료가 시작된 뒤에 온 아이디어")
    gate.open.set()
    await asyncio.wait_for(stopping, 5)

    assert sorted(i.text for i in await bot.rows(Idea)) == [
        "종료 중에도 끝내는 둘째 아이디어",
        "종료 중에도 끝내는 첫째 아이디어",
    ]
    last_poll = bot.tg.calls_to("getUpdates")[-1]
    assert last_poll.params["offset"] == second["update_id"] + 1 and last_poll.params["timeout"] == 0
    assert bot.tg.confirmed == [first["update_id"], second["update_id"]]
    assert [u["update_id"] for u in bot.tg.pending_updates] == [late["update_id"]]  # Telegram keeps it


async def test_a_stop_that_cannot_wait_leaves_the_idea_with_telegram_and_the_next_start_stores_it(
    tg: FakeTelegramAPI, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await start_bot(tg, sqlite_url)
    try:
        Gate(bot, monkeypatch)  # never opened: the database hangs
        assert bot.adapter.poller is not None
        bot.adapter.poller.drain_seconds = 0.3
        said = bot.say(MINJI, "/idea 멈춘 사이에도 남는 아이디어")
        await bot.tg.wait_for(lambda c: c.method == "getUpdates" and c.response.get("result"))
        await asyncio.wait_for(bot.adapter.stop(), 2)  # bounded, however long the database hangs
    finally:
        await bot.app.close()
    assert [u["update_id"] for u in tg.pending_updates] == [said["update_id"]]
    assert tg.confirmed == []

    monkeypatch.undo()
    again = await start_bot(tg, sqlite_url)
    try:
        answer = await again.reply_to(GROUP)
        assert plain(answer) == ko("idea.recorded", number=1)
        assert [i.text for i in await again.rows(Idea)] == ["멈춘 사이에도 남는 아이디어"]
        await again.tg.wait_until(lambda: tg.confirmed == [said["update_id"]])
    finally:
        await again.adapter.stop()
        await again.app.close()


async def test_polling_waits_as_long_as_telegram_asks_after_a_429(bot: Bot) -> None:
    await bot.tg.wait_for("getUpdates")
    bot.tg.fail_next("getUpdates", status=429, retry_after=1)
    refused = await bot.tg.wait_for(lambda c: c.method == "getUpdates" and c.status == 429)
    bot.say(MINJI, "/idea 잠시 기다렸다가 받는 아이디어")
    await bot.reply_to(GROUP)

    polls = bot.tg.calls_to("getUpdates")
    after = polls[polls.index(refused) + 1]
    assert after.at - refused.at >= 0.95
    assert [i.text for i in await bot.rows(Idea)] == ["잠시 기다렸다가 받는 아이디어"]


async def test_polling_rides_out_a_conflict_and_network_errors(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.telegram.polling.CONFLICT_PAUSE", 0.1)
    await bot.tg.wait_for("getUpdates")
    bot.tg.fail_next("getUpdates", status=409, description="Conflict: terminated by other getUpdates request")
    bot.tg.fail_next("getUpdates", status=502, times=2)
    await bot.tg.wait_for(lambda c: c.method == "getUpdates" and c.status == 502, count=2)
    said = await bot.say_and_wait(MINJI, "/idea 오류가 지나간 뒤의 아이디어")

    assert plain(said) == ko("idea.recorded", number=1)
    statuses = [c.status for c in bot.tg.calls_to("getUpdates")]
    assert statuses[statuses.index(409) : statuses.index(409) + 4] == [409, 502, 502, 200]


async def test_an_idea_that_met_a_database_outage_is_not_confirmed_until_it_is_stored(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.core.RECONNECT_PAUSES", (0.01,))
    monkeypatch.setattr("adapters.telegram.polling.FIRST_BACKOFF", 0.05)
    refused = ConnectionRefusedError("connection refused")
    fail_command(monkeypatch, bot.app.core, "idea", refused, refused, refused)  # longer than the core's own retries
    said = bot.say(MINJI, "/idea 장애가 지나간 뒤 저장되는 아이디어")
    await bot.reply_to(GROUP, 2)

    assert [plain(c) for c in bot.sends(GROUP)] == [ko("error.internal"), ko("idea.recorded", number=1)]
    assert [i.text for i in await bot.rows(Idea)] == ["장애가 지나간 뒤 저장되는 아이디어"]
    await bot.tg.wait_until(lambda: bot.tg.confirmed == [said["update_id"]])


async def test_an_update_the_library_cannot_read_is_skipped_and_the_ideas_around_it_are_stored(bot: Bot) -> None:
    before = bot.say(MINJI, "/idea 읽을 수 없는 업데이트 앞의 아이디어")
    unreadable = bot.tg.push_raw({"callback_query": {"id": "77", "data": "support:1"}})  # no sender, no chat_instance
    after = bot.say(JUNHO, "/idea 읽을 수 없는 업데이트 뒤의 아이디어")
    await bot.reply_to(GROUP, 2)

    assert sorted(i.text for i in await bot.rows(Idea)) == [
        "읽을 수 없는 업데이트 뒤의 아이디어",
        "읽을 수 없는 업데이트 앞의 아이디어",
    ]
    await bot.tg.wait_until(
        lambda: bot.tg.confirmed == [before["update_id"], unreadable["update_id"], after["update_id"]]
    )
    assert bot.adapter.poller is not None and bot.adapter.poller.running
