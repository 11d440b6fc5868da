"""The Telegram adapter end to end: real python-telegram-bot, over HTTP, against the fake Bot API."""

from __future__ import annotations

import html
from dataclasses import replace

from telegram_stand import DOHYUN, GROUP, JIWOO, JUNHO, MINJI, SEOYEON, SUJIN, Bot, ko, plain

from bot.messages import Button, Destination, Outgoing
from storage.tables import Idea, Identity, MessageLink, ProcessedEvent, Room, Support


async def test_start_sets_the_command_menus_and_polls_for_every_update_kind(bot: Bot) -> None:
    menus = {
        call.params.get("language_code"): call.params["commands"]
        for call in bot.tg.calls_to("setMyCommands")
        if (call.params.get("scope") or {}).get("type", "default") == "default"  # organizers' chats have their own
    }
    assert set(menus) == {None, "ko", "en"}
    korean = {c["command"]: c["description"] for c in menus["ko"]}
    english = {c["command"]: c["description"] for c in menus["en"]}
    assert korean["idea"] == "아이디어 올리기 (#아이디어 로 시작하는 글도 됩니다)"
    assert english["idea"] == "post an idea (a message starting with #idea works too)"
    assert korean["help"] == "명령어 안내" and english["support"] == "support an idea"
    assert menus[None] == menus["ko"]  # the office's language is the default
    assert "start" not in korean
    assert [c["command"] for c in menus["ko"]][:3] == ["idea", "ideas", "support"]  # /help order

    poll = await bot.tg.wait_for("getUpdates")
    assert {"message", "callback_query", "message_reaction"} <= set(poll.params["allowed_updates"])
    assert bot.app.core.bot_usernames["telegram"] == "idearoom_bot"


async def test_an_idea_in_the_group_is_stored_and_answered_in_html_with_a_support_button(bot: Bot) -> None:
    said = bot.say(MINJI, "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    answer = await bot.reply_to(GROUP)

    assert answer.params == {
        "chat_id": GROUP,
        "text": html.escape(ko("idea.recorded", number=1), quote=False),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_parameters": {"message_id": said["message"]["message_id"], "allow_sending_without_reply": True},
        "reply_markup": {"inline_keyboard": [[{"text": "👍 공감", "callback_data": "support:1"}]]},
    }
    [idea] = await bot.rows(Idea)
    assert idea.text == "버스정류장에 온열의자를 설치하면 좋겠습니다"
    [identity] = await bot.rows(Identity, Identity.external_id == str(MINJI))
    assert identity.platform == "telegram" and identity.username == "minji"
    assert identity.person_id == idea.author_id


async def test_commands_work_with_and_without_the_bot_name_but_not_for_another_bot(bot: Bot) -> None:
    await bot.say_and_wait(MINJI, "/idea@idearoom_bot 점심시간 민원 창구 교대 운영")
    bot.say(JUNHO, "/idea@some_other_bot 이건 다른 봇에게")
    await bot.say_and_wait(JUNHO, "#아이디어 공공자전거 정류장 확대")
    await bot.settle()

    assert sorted(i.text for i in await bot.rows(Idea)) == ["공공자전거 정류장 확대", "점심시간 민원 창구 교대 운영"]
    assert len(bot.sends(GROUP)) == 2


async def test_button_presses_from_several_people_are_answered_with_a_toast(bot: Bot) -> None:
    answer = await bot.say_and_wait(MINJI, "/idea 청사 주차장 공유")
    bot_message = answer.response["result"]["message_id"]

    bot.tg.push_callback(GROUP, JUNHO, "support:1", bot_message)
    junho = await bot.tg.wait_for("answerCallbackQuery")
    bot.tg.push_callback(GROUP, SEOYEON, "support:1", bot_message)
    seoyeon = await bot.tg.wait_for("answerCallbackQuery", count=2)
    bot.tg.push_callback(GROUP, MINJI, "support:1", bot_message)
    own = await bot.tg.wait_for("answerCallbackQuery", count=3)
    bot.tg.push_callback(GROUP, JUNHO, "support:1", bot_message)
    again = await bot.tg.wait_for("answerCallbackQuery", count=4)
    bot.tg.push_callback(GROUP, JIWOO, "no-such-button:1", bot_message)
    unknown = await bot.tg.wait_for("answerCallbackQuery", count=5)

    assert junho.params["text"] == ko("support.done", number=1, supports=1)
    assert seoyeon.params["text"] == ko("support.done", number=1, supports=2)
    assert own.params["text"] == ko("support.own_idea", number=1)
    assert again.params["text"] == ko("support.already", number=1)
    assert unknown.params["text"] == ko("error.unknown_button")
    assert [c.params["callback_query_id"] for c in bot.tg.calls_to("answerCallbackQuery")] == ["1", "2", "3", "4", "5"]
    [idea] = await bot.rows(Idea)
    assert idea.support_count == 2
    assert len(bot.sends(GROUP)) == 1  # toasts, not group messages


async def test_a_thumbs_up_reaction_on_the_idea_or_the_bot_answer_counts_as_support(bot: Bot) -> None:
    said = bot.say(MINJI, "/idea 회의 자료 종이 없이 태블릿으로")
    answer = await bot.reply_to(GROUP)
    person_message = said["message"]["message_id"]
    bot_message = answer.response["result"]["message_id"]

    bot.tg.push_reaction(GROUP, JUNHO, person_message, "👍")
    bot.tg.push_reaction(GROUP, SEOYEON, bot_message, "👍")
    bot.tg.push_reaction(GROUP, JIWOO, bot_message, "🔥")  # not a support
    await bot.settle()

    [idea] = await bot.rows(Idea)
    assert idea.support_count == 2
    assert len(await bot.rows(MessageLink, MessageLink.message_id == str(bot_message))) == 1


async def test_a_thumbs_up_taken_back_withdraws_its_support_and_a_support_by_button_stays(bot: Bot) -> None:
    said = bot.say(MINJI, "/idea 민원실 대기번호를 문자로 알려 주세요")
    await bot.reply_to(GROUP)
    person_message = said["message"]["message_id"]
    bot.tg.push_reaction(GROUP, JUNHO, person_message, "👍")
    await bot.settle()
    await bot.press(SEOYEON, GROUP, "support:")
    bot.tg.push_reaction(GROUP, SEOYEON, person_message, "👍")  # she supported by button already
    await bot.settle()
    assert [s.person_id for s in await bot.rows(Support)] and (await bot.rows(Idea))[0].support_count == 2

    bot.tg.push_reaction(GROUP, JUNHO, person_message, "🔥", old_emoji="👍")  # 👍 swapped for 🔥
    bot.tg.push_reaction(GROUP, SEOYEON, person_message, None, old_emoji="👍")
    await bot.settle()
    [idea] = await bot.rows(Idea)
    assert idea.support_count == 1
    [left] = await bot.rows(Support)
    [seoyeon] = await bot.rows(Identity, Identity.external_id == str(SEOYEON))
    assert left.person_id == seoyeon.person_id and left.reaction is None

    bot.tg.push_reaction(GROUP, JUNHO, person_message, "👍", old_emoji="🔥")  # given again
    await bot.settle()
    assert (await bot.rows(Idea))[0].support_count == 2
    assert len(bot.sends(GROUP)) == 1  # the room heard only the idea's answer


async def test_an_edited_idea_message_updates_the_idea_and_the_author_is_told(bot: Bot) -> None:
    said = bot.say(MINJI, "#아이디어 공원에 그늘막을 늘려 주세요")
    await bot.reply_to(GROUP)
    original = said["message"]
    bot.tg.push_raw(
        {
            "edited_message": {
                **original,
                "from": {**original["from"]},
                "text": "#아이디어 공원과 놀이터에 그늘막을 늘려 주세요",
                "edit_date": original["date"] + 60,
            }
        }
    )
    answer = await bot.reply_to(GROUP, count=2)
    assert plain(answer) == "✏️ #1번 아이디어를 고쳤습니다: 공원과 놀이터에 그늘막을 늘려 주세요"
    assert answer.params["reply_parameters"]["message_id"] == original["message_id"]  # under the edited message
    [idea] = await bot.rows(Idea)
    assert idea.text == "공원과 놀이터에 그늘막을 늘려 주세요"

    # Someone else's message edited, and Junho's edit of a message that posted no idea: nothing changes.
    chat = bot.say(JUNHO, "오늘 회의는 3시입니다")
    bot.tg.push_raw(
        {
            "edited_message": {
                **chat["message"],
                "text": "#아이디어 회의는 4시로",
                "edit_date": chat["message"]["date"] + 5,
            }
        }
    )
    await bot.settle()
    assert [i.text for i in await bot.rows(Idea)] == ["공원과 놀이터에 그늘막을 늘려 주세요"]
    assert len(bot.sends(GROUP)) == 2


async def test_the_same_update_delivered_twice_is_handled_once(bot: Bot) -> None:
    update = bot.say(MINJI, "/idea 민원서류 온라인 발급 안내")
    bot.tg.push_raw(update)
    await bot.settle()

    assert await bot.count(Idea) == 1
    assert len(bot.sends(GROUP)) == 1
    assert await bot.count(ProcessedEvent, ProcessedEvent.event_id == str(update["update_id"])) == 1
    assert bot.app.core.duplicate_count == 1


async def test_user_text_cannot_break_the_markup_or_mention_everyone(bot: Bot) -> None:
    idea = "<b>굵게</b> & <a href='https://evil.example'>링크</a> @everyone"
    await bot.say_and_wait(MINJI, f"/idea {idea}")
    listing = await bot.say_and_wait(JUNHO, "/ideas")

    text = listing.params["text"]
    assert "&lt;b&gt;굵게&lt;/b&gt; &amp; &lt;a href='https://evil.example'&gt;링크&lt;/a&gt;" in text
    assert "<b>" not in text and "<a " not in text
    assert listing.params["parse_mode"] == "HTML" and listing.params["link_preview_options"] == {"is_disabled": True}
    assert idea[:60] in plain(listing)
    [stored] = await bot.rows(Idea)
    assert stored.text == idea


async def test_start_in_a_direct_chat_makes_the_person_reachable_and_passes_the_deep_link(
    bot: Bot, monkeypatch
) -> None:
    payloads: list[str] = []

    async def remember(ctx, payload: str, answered: list[str]) -> None:  # type: ignore[no-untyped-def]
        payloads.append(payload)
        answered.append("test")
        ctx.reply(f"payload {payload}")

    monkeypatch.setitem(bot.app.core.registry.listeners, "start.payload", [remember])
    welcome = await bot.say_and_wait(DOHYUN, "/start", chat=DOHYUN)
    assert plain(welcome) == ko("help.welcome", name="김도현 과장님")  # the directory's person, found by username
    assert welcome.params["chat_id"] == DOHYUN
    [identity] = await bot.rows(Identity, Identity.external_id == str(DOHYUN))
    assert identity.can_message

    await bot.say_and_wait(DOHYUN, "/start inv_5", chat=DOHYUN)
    assert payloads == ["inv_5"]


async def test_edits_of_messages_that_posted_no_idea_service_and_bot_messages_are_ignored(bot: Bot) -> None:
    bot.tg.push_raw({"edited_message": {**bot.say(MINJI, "/ideas")["message"], "text": "/idea 수정본", "edit_date": 1}})
    bot.tg.push_raw(
        {
            "message": {
                "message_id": 99,
                "date": 1,
                "chat": {"id": GROUP, "type": "supergroup", "title": "아이디어방"},
                "from": {"id": JUNHO, "is_bot": False, "first_name": "준호"},
                "new_chat_members": [{"id": JIWOO, "is_bot": False, "first_name": "지우"}],
            }
        }
    )
    bot.tg.push_raw(
        {
            "message": {
                "message_id": 100,
                "date": 1,
                "chat": {"id": GROUP, "type": "supergroup", "title": "아이디어방"},
                "from": {"id": 777, "is_bot": True, "first_name": "Other bot"},
                "text": "/idea 봇이 올린 글",
            }
        }
    )
    await bot.settle()
    assert await bot.count(Idea) == 0
    assert len(bot.sends(GROUP)) == 1  # only the answer to /ideas


async def test_a_failing_handler_is_apologized_for_and_does_not_stop_the_adapter(bot: Bot, monkeypatch) -> None:
    registry = bot.app.core.registry

    async def broken(ctx, *args):  # type: ignore[no-untyped-def]
        raise RuntimeError("database on fire")

    monkeypatch.setitem(registry.commands, "ideas", replace(registry.commands["ideas"], handler=broken))
    monkeypatch.setitem(registry.buttons, "broken", broken)
    apology = await bot.say_and_wait(MINJI, "/ideas")
    assert plain(apology) == ko("error.internal")
    bot.tg.push_callback(GROUP, JUNHO, "broken:1", 1)
    answered = await bot.tg.wait_for("answerCallbackQuery")
    assert answered.params["text"] == ko("error.internal")

    await bot.say_and_wait(MINJI, "/idea 정상 아이디어")
    assert [i.text for i in await bot.rows(Idea)] == ["정상 아이디어"]


async def test_long_texts_are_split_and_the_buttons_go_under_the_last_part(bot: Bot) -> None:
    text = "\n".join(f"{n}. " + "아이디어 & 설명 " * 30 for n in range(40))
    buttons = [[Button("보기", "page:2")]]
    result = await bot.adapter.gateway.send(Destination("telegram", "room", str(GROUP)), Outgoing(text, buttons))

    parts = bot.sends(GROUP)
    sizes = [len(p.params["text"].encode("utf-16-le")) // 2 for p in parts]
    assert len(parts) == 5 and all(3600 < size <= 4096 for size in sizes[:-1])  # cut at line ends, near the limit
    assert "\n".join(plain(p) for p in parts) == text
    assert [("reply_markup" in p.params) for p in parts] == [False, False, False, False, True]
    assert result.message_id == str(parts[0].response["result"]["message_id"])


async def test_a_photo_is_uploaded_with_its_escaped_caption(bot: Bot, tmp_path) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG chart")
    message = Outgoing("3월 현황 <요약>", kind="photo", payload={"path": str(chart)})
    await bot.adapter.gateway.send(Destination("telegram", "room", str(GROUP)), message)

    [call] = bot.sends(GROUP, "sendPhoto")
    assert call.params["photo"].data == b"\x89PNG chart"
    assert call.params["caption"] == "3월 현황 &lt;요약&gt;" and call.params["parse_mode"] == "HTML"


async def test_the_bot_reacts_with_an_emoji_telegram_allows(bot: Bot) -> None:
    await bot.adapter.gateway.react(str(GROUP), "7", "✍️")
    await bot.adapter.gateway.react(str(GROUP), "8", "✅")
    calls = bot.tg.calls_to("setMessageReaction")
    assert [(c.params["message_id"], c.params["reaction"]) for c in calls] == [
        (7, [{"type": "emoji", "emoji": "✍"}]),
        (8, [{"type": "emoji", "emoji": "👌"}]),
    ]


async def test_start_link_opens_the_bot_with_a_payload(bot: Bot) -> None:
    assert bot.adapter.gateway.start_link("inv_5") == "https://t.me/idearoom_bot?start=inv_5"


async def test_a_group_upgraded_to_a_supergroup_keeps_its_ideas(bot: Bot) -> None:
    await bot.say_and_wait(MINJI, "/idea 슈퍼그룹이 되어도 남는 아이디어")
    supergroup = -1005555555555
    bot.tg.push_message(GROUP, SUJIN, "", migrate_to_chat_id=supergroup)  # Telegram's service message
    await bot.settle()
    listing = await bot.say_and_wait(JUNHO, "/ideas", chat=supergroup)
    assert "#1 슈퍼그룹이 되어도 남는 아이디어" in plain(listing)
    [room] = await bot.rows(Room, Room.platform == "telegram", Room.external_id == str(supergroup))
    assert await bot.count(Room, Room.external_id == str(GROUP)) == 0 and room.title


async def test_a_thumbs_up_on_your_own_idea_is_answered_once_in_your_direct_chat(bot: Bot) -> None:
    said = bot.say(MINJI, "/idea 민원실 대기 순번을 문자로")
    await bot.reply_to(GROUP)
    group_messages = len(bot.sends(GROUP))

    bot.tg.push_reaction(GROUP, MINJI, said["message"]["message_id"], "👍")
    bot.tg.push_reaction(GROUP, MINJI, said["message"]["message_id"], "👍")
    await bot.settle()

    [told] = bot.sends(MINJI)
    assert "직접 올리신 아이디어라 공감으로 세지 않았습니다" in plain(told)
    assert len(bot.sends(GROUP)) == group_messages  # the room hears nothing
    [idea] = await bot.rows(Idea)
    assert idea.support_count == 0
