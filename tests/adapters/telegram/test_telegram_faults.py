"""Telegram's faults through the real adapter and sender: 429 waits, 5xx retries, 403 falls back."""

from __future__ import annotations

from datetime import timedelta

from telegram_stand import DOHYUN, GROUP, JUNHO, MINJI, SEOYEON, START, SUJIN, Bot, ko, start_bot

from bot.messages import Destination, FollowUp, Outgoing, Wording
from bot.outbox import enqueue
from bot.ports import ManualClock
from storage.tables import OutboxMessage
from tests.fakes.telegram_api import FakeTelegramAPI


async def sender_outcome(bot: Bot, attribute: str, value: int) -> None:
    """Wait until the background sender has recorded a send's outcome (re-checked on every fake call)."""
    await bot.tg.wait_until(lambda: getattr(bot.app.sender, attribute) >= value)


async def test_a_429_waits_the_time_telegram_asks_and_then_delivers_once(bot: Bot) -> None:
    bot.tg.fail_next("sendMessage", status=429, retry_after=1)
    bot.say(MINJI, "/idea 야간 민원 무인 발급기")
    await sender_outcome(bot, "rate_limited_count", 1)

    [entry] = await bot.rows(OutboxMessage, OutboxMessage.dest_id == str(GROUP))
    assert (entry.state, entry.next_attempt_at) == ("pending", START + timedelta(seconds=1))
    await bot.app.sender.drain()
    assert len(bot.tg.calls_to("sendMessage")) == 1  # nothing is sent before the second is over

    bot.clock.advance(seconds=1)
    bot.app.sender.notify()
    delivered = await bot.reply_to(GROUP)
    assert delivered.params["text"] == ko("idea.recorded", number=1)
    assert [c.status for c in bot.tg.calls_to("sendMessage")] == [429, 200]
    assert [d.chat_id for d in bot.tg.delivered] == [GROUP]


async def test_a_500_is_retried_with_backoff_and_delivered_once(bot: Bot) -> None:
    bot.tg.fail_next("sendMessage", status=500)
    bot.say(MINJI, "/idea 민원실 대기번호 문자 알림")
    await sender_outcome(bot, "retried_count", 1)

    [entry] = await bot.rows(OutboxMessage, OutboxMessage.dest_id == str(GROUP))
    assert entry.state == "pending" and entry.next_attempt_at > START and "Internal Server Error" in entry.error
    bot.clock.set(entry.next_attempt_at)
    bot.app.sender.notify()
    await bot.reply_to(GROUP)
    assert [c.status for c in bot.tg.calls_to("sendMessage")] == [500, 200]
    assert len(bot.tg.delivered) == 1


async def test_a_direct_message_to_someone_who_never_started_the_bot_fails_and_goes_to_the_organizer(bot: Bot) -> None:
    bot.tg.block_private_chat(DOHYUN)
    fallback = FollowUp(
        Destination("telegram", "user", str(SUJIN)), Wording("invitation.forward", "ko", {"text": "초대장입니다"})
    )
    async with bot.app.db.session() as session:
        enqueue(
            session,
            Destination("telegram", "user", str(DOHYUN)),
            Outgoing("초대장입니다", payload={"on_failed": fallback, "start_payload": "inv_5"}),
            priority=5,
            now=bot.clock.now(),
        )
    bot.app.sender.notify()

    forwarded = await bot.reply_to(SUJIN)
    assert (
        forwarded.params["text"]
        == "초대장입니다\n\n아래 링크로 봇을 열어 답해 주세요: https://t.me/idearoom_bot?start=inv_5"
    )
    [refused] = bot.tg.calls_to("sendMessage")[:1]
    assert (refused.params["chat_id"], refused.status) == (DOHYUN, 403)
    [entry] = await bot.rows(OutboxMessage, OutboxMessage.dest_id == str(DOHYUN))
    assert entry.state == "failed" and "initiate conversation" in entry.error
    assert len([c for c in bot.tg.calls_to("sendMessage") if c.params["chat_id"] == DOHYUN]) == 1  # not retried


async def test_an_invite_gives_a_personal_single_use_link_valid_for_a_week(bot: Bot) -> None:
    follow_up = FollowUp(
        Destination("telegram", "user", str(DOHYUN)), Wording("invitation.join_link", "ko", {"room": "아이디어방"})
    )
    async with bot.app.db.session() as session:
        enqueue(
            session,
            Destination("telegram", "user", str(DOHYUN)),
            Outgoing("", kind="invite", payload={"room_id": str(GROUP), "on_sent": follow_up}),
            priority=5,
            now=bot.clock.now(),
        )
    bot.app.sender.notify()

    told = await bot.reply_to(DOHYUN)
    [created] = bot.tg.calls_to("createChatInviteLink")
    assert created.params == {
        "chat_id": GROUP,
        "member_limit": 1,
        "expire_date": int((START + timedelta(days=7)).timestamp()),
        "name": f"idearoom {DOHYUN}",
    }
    link = created.response["result"]["invite_link"]
    assert told.params["text"] == f"'아이디어방' 토론방 입장 링크입니다 (한 번만 쓸 수 있습니다): {link}"


async def test_the_sender_keeps_to_telegrams_pace_so_the_api_never_says_too_many(sqlite_url: str) -> None:
    clock = ManualClock(START)
    async with FakeTelegramAPI(long_poll_cap=0.5, enforce_limits=True, clock=lambda: clock.now().timestamp()) as tg:
        bot = await start_bot(tg, sqlite_url, clock=clock, IDEAROOM_SEND_RATE_LIMITS="on")
        try:
            for person in (MINJI, JUNHO, SEOYEON):
                bot.say(person, "/ideas")
            await bot.reply_to(GROUP, 1)
            for sent in (2, 3):
                assert len(bot.sends(GROUP)) == sent - 1  # one message a second into a chat
                clock.advance(seconds=1.2)
                bot.app.sender.notify()
                await bot.reply_to(GROUP, sent)
        finally:
            await bot.adapter.stop()
            await bot.app.close()
    assert tg.rejections == 0 and len(tg.delivered) == 3
