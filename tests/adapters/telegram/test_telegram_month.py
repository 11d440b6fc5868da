"""A month in a Telegram idea room, through the real adapter and the fake Bot API, from topic to points."""

from __future__ import annotations

from sqlmodel import select
from telegram_stand import DOHYUN, GROUP, JIWOO, JUNHO, MINJI, OTHER_GROUP, SEOYEON, SUJIN, Bot, plain

from storage.tables import Idea, Invitation, Person, PointEntry, Proposal, Topic


async def test_a_month_from_topic_to_points(bot: Bot) -> None:
    # The head of 교통정책과 opened the bot once, so it may write to him.
    await bot.say_and_wait(DOHYUN, "/start", chat=DOHYUN)

    # Week 1: staff suggest topics and support them with the candidate buttons.
    await bot.say_and_wait(MINJI, "/topic suggest 버스정류장 환경 개선 | 겨울철 한파와 미세먼지에 대비한 정류장")
    await bot.say_and_wait(JUNHO, "/topic suggest 민원 서류 디지털화 | 종이 없는 민원실")
    await bot.say_and_wait(SEOYEON, "/topic candidates")
    for supporter in (SEOYEON, JIWOO, SUJIN):
        assert "#1" in await bot.press(supporter, GROUP, "topic:1")
    assert "#2" in await bot.press(MINJI, GROUP, "topic:2")

    # The organizer picks the most supported candidate; the bot suggests whom to invite.
    bot.clock.advance(days=3)
    before = len(bot.sends(GROUP))
    bot.say(SUJIN, "/topic pick")
    await bot.reply_to(GROUP, before + 2, timeout=30)  # the first ranking loads the Korean analyser
    announcement, suggestions = bot.sends(GROUP)[before:]
    assert "버스정류장 환경 개선" in plain(announcement) and "교통정책과 — 김도현" in plain(suggestions)

    # She invites the head of 교통정책과; he accepts in his direct chat and gets a personal link.
    assert "김도현" in await bot.press(SUJIN, GROUP, "invite:", "교통정책과")
    invitation = await bot.reply_to(DOHYUN, 2)
    assert "버스정류장 환경 개선" in plain(invitation)
    assert await bot.press(DOHYUN, DOHYUN, "inv:1:accept")
    link_message = await bot.reply_to(DOHYUN, 3)
    [created] = bot.tg.calls_to("createChatInviteLink")
    assert created.params["chat_id"] == GROUP and created.params["member_limit"] == 1
    assert created.response["result"]["invite_link"] in plain(link_message)
    assert any("김도현 부서장님이" in plain(c) for c in bot.sends(GROUP))
    assert any("수락" in plain(c) for c in bot.sends(SUJIN))

    # Weeks 2-3: ideas arrive; people support them with the button, a 👍 reaction and a command.
    bot.clock.advance(days=4)
    posted = bot.say(MINJI, "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await bot.reply_to(GROUP, len(bot.sends(GROUP)) + 1)
    await bot.say_and_wait(JUNHO, "#아이디어 정류장 미세먼지 알림판")
    assert "1" in await bot.press(SEOYEON, GROUP, "support:1")
    bot.tg.push_reaction(GROUP, JIWOO, posted["message"]["message_id"], "👍")
    await bot.say_and_wait(DOHYUN, "/support 1")
    listing = await bot.say_and_wait(SUJIN, "/ideas")
    assert "#1 버스정류장에 온열의자를 설치하면 좋겠습니다 — 박민지 · 👍 3" in plain(listing)

    # Week 4: the organizer turns the idea into a proposal and submits it; the head adopts it.
    bot.clock.advance(days=7)
    created = await bot.say_and_wait(SUJIN, "/proposal new 1 버스정류장 온열의자 설치")
    assert "제안 #1" in plain(created)
    suggested = await bot.say_and_wait(SUJIN, "/proposal submit 1")
    assert "교통정책과" in plain(suggested)  # the suggestion: nothing is submitted until she confirms
    assert "교통정책과" in await bot.press(SUJIN, GROUP, "route:1:")
    review_request = await bot.reply_to(DOHYUN, 4)
    assert "버스정류장 온열의자 설치" in plain(review_request)
    assert "채택" in await bot.press(DOHYUN, DOHYUN, "prop:1:adopt")

    # Smile points followed every stage the proposer's idea reached; she checks them in her chat.
    bot.clock.advance(days=1)
    # Her chat also gets the proposal's news (created, submitted, adopted): wait for the /points answer itself.
    bot.say(MINJI, "/points", chat=MINJI)
    points = await bot.tg.wait_for(
        lambda c: c.method == "sendMessage" and c.params["chat_id"] == MINJI and "미소포인트" in c.params["text"]
    )
    minji = await person(bot, "minji")
    ledger = await bot.rows(PointEntry, PointEntry.person_id == minji.id)
    total = sum(entry.points for entry in ledger)
    assert len(ledger) >= 2 and total > 0 and f"{total}점" in plain(points)
    board = await bot.say_and_wait(JUNHO, "/leaderboard")
    assert f"박민지 — {total}점" in plain(board)

    # What is stored matches what people saw.
    [topic] = await bot.rows(Topic, Topic.title == "버스정류장 환경 개선")
    [accepted] = await bot.rows(Invitation)
    [proposal] = await bot.rows(Proposal)
    [first, second] = sorted(await bot.rows(Idea), key=lambda i: i.id)
    assert (topic.state, accepted.state, proposal.state) == ("active", "accepted", "adopted")
    assert (first.topic_id, first.support_count, second.support_count) == (topic.id, 3, 0)
    assert bot.tg.rejections == 0 and all(c.status == 200 for c in bot.tg.calls if c.method != "getUpdates")


async def person(bot: Bot, handle: str) -> Person:
    async with bot.app.db.session() as session:
        return (await session.exec(select(Person).where(Person.handle == handle))).one()


async def test_a_head_who_never_started_the_bot_gets_the_invitation_through_the_organizers_deep_link(bot: Bot) -> None:
    await bot.say_and_wait(DOHYUN, "/ideas", chat=OTHER_GROUP)  # he is known to the bot, but never pressed Start
    bot.tg.block_private_chat(DOHYUN)
    await bot.say_and_wait(MINJI, "/topic suggest 버스정류장 환경 개선 | 겨울철 정류장")
    before = len(bot.sends(GROUP))
    bot.say(SUJIN, "/topic pick 1")
    await bot.reply_to(GROUP, before + 2, timeout=30)

    await bot.say_and_wait(SUJIN, "/invite 교통정책과")
    forward = await bot.reply_to(SUJIN)
    assert "https://t.me/idearoom_bot?start=inv_1" in plain(forward) and "김도현" in plain(forward)
    refused = [c for c in bot.tg.calls_to("sendMessage") if c.params["chat_id"] == DOHYUN]
    assert [c.status for c in refused] == [403]

    # He opens the forwarded link: Telegram sends "/start inv_1" from his direct chat.
    bot.tg.unblock_private_chat(DOHYUN)
    invitation = await bot.say_and_wait(DOHYUN, "/start inv_1", chat=DOHYUN)
    assert "버스정류장 환경 개선" in plain(invitation)
    assert await bot.press(DOHYUN, DOHYUN, "inv:1:accept")
    link = await bot.reply_to(DOHYUN, 2)
    assert bot.tg.calls_to("createChatInviteLink")[0].response["result"]["invite_link"] in plain(link)
    [accepted] = await bot.rows(Invitation)
    assert accepted.state == "accepted"
