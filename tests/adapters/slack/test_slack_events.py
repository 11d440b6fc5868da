"""Slack's requests over HTTP: signatures, retries, commands, messages, buttons, reactions, App Home."""

from __future__ import annotations

import asyncio
import json
import time

from sqlmodel import select

from storage.tables import Idea, IdeaComment, Identity, InboxEvent, Person, PointEntry, ProcessedEvent, Support
from tests.adapters.slack.stand import ROOM, SlackStand, eventually
from tests.fakes.slack_api import (
    event_callback,
    message_changed_event,
    message_event,
    reaction_added_event,
    reaction_removed_event,
    signed_request_headers,
)
from tests.faults import fail_command


async def test_a_message_with_the_idea_tag_is_stored_and_answered_in_the_channel(slack: SlackStand) -> None:
    assert (
        await slack.event(
            message_event(ROOM, slack.user("minji"), "#아이디어 버스정류장에 온열의자", ts="1700000001.000100")
        )
        == 200
    )
    await slack.settle()
    async with slack.app.db.session() as session:
        idea = (await session.exec(select(Idea))).one()
        author = await session.get(Person, idea.author_id)
        identity = (
            await session.exec(select(Identity).where(Identity.person_id == author.id, Identity.platform == "slack"))
        ).one()
    assert idea.text == "버스정류장에 온열의자"
    assert author is not None and author.name == "박민지"  # her Slack id is in the directory
    assert identity.external_id == slack.user("minji")
    [reply] = slack.fake.posted_messages(ROOM)
    assert f"#{idea.id}번" in reply["text"]
    [actions] = [b for b in reply["blocks"] if b["type"] == "actions"]
    assert [e["value"] for e in actions["elements"]] == [f"support:{idea.id}"]


async def test_a_bad_signature_is_refused_and_nothing_is_stored(slack: SlackStand) -> None:
    body = json.dumps(event_callback(message_event(ROOM, slack.user("minji"), "#아이디어 위조")))
    headers = signed_request_headers("another-secret", body)
    status, _ = await slack.post_raw(body, headers)
    assert status == 401
    unsigned_status, _ = await slack.post_raw(body, {"Content-Type": "application/json"})
    assert unsigned_status == 401
    assert await slack.count(ProcessedEvent) == 0 and await slack.count(Idea) == 0


async def test_a_stale_timestamp_is_refused(slack: SlackStand) -> None:
    body = json.dumps(event_callback(message_event(ROOM, slack.user("minji"), "#아이디어 재전송 공격")))
    assert await slack.post(body, timestamp=time.time() - 10 * 60) == 401
    assert await slack.count(Idea) == 0


async def test_a_retried_event_is_handled_once(slack: SlackStand) -> None:
    event = message_event(ROOM, slack.user("junho"), "#아이디어 공원 그늘막", ts="1700000002.000100")
    assert await slack.event(event, event_id="EvSAME") == 200
    assert await slack.event(event, event_id="EvSAME", retry=1) == 200  # while the first waits in the inbox
    await slack.settle()
    assert await slack.event(event, event_id="EvSAME", retry=2) == 200  # after it was handled
    await slack.settle()
    assert await slack.count(Idea) == 1
    assert len(slack.fake.posted_messages(ROOM)) == 1
    assert await slack.count(InboxEvent) == 0


async def test_the_answer_comes_back_before_the_slow_work_finishes(slack: SlackStand) -> None:
    gate = asyncio.Event()
    handle = slack.app.core.handle

    async def slow_handle(event):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await handle(event)

    slack.app.core.handle = slow_handle  # type: ignore[method-assign]
    status = await slack.event(message_event(ROOM, slack.user("minji"), "#아이디어 느린 처리"))
    assert status == 200 and await slack.count(Idea) == 0  # acknowledged while the core still waits
    gate.set()
    await slack.settle()
    assert await slack.count(Idea) == 1


async def test_slash_commands_reach_the_core_with_the_same_grammar(slack: SlackStand) -> None:
    assert await slack.command("minji", "/idea", "민원실에 보조배터리 대여기") == 200
    await slack.settle()
    assert await slack.command("junho", "/support", "#1") == 200
    await slack.settle()
    assert await slack.command("seoyeon", "/idearoom", "ideas") == 200  # the umbrella command
    await slack.settle()
    texts = slack.posted_texts()
    assert "#1번" in texts[0]
    assert texts[1] == "👍 #1번 아이디어에 공감했습니다 (공감 1)."
    assert "민원실에 보조배터리 대여기" in texts[2] and "👍 1" in texts[2]


async def test_a_slash_command_with_bad_input_gets_a_clear_answer(slack: SlackStand) -> None:
    await slack.command("junho", "/support", "열두")
    await slack.settle()
    assert slack.posted_texts() == ["'열두'는 번호가 아닙니다. 숫자로 적어 주세요(예: 12)."]
    assert await slack.count(Support) == 0


async def test_a_command_in_a_direct_conversation_is_answered_there(slack: SlackStand) -> None:
    await slack.command("minji", "/help", channel="DMINJI")
    await slack.settle()
    [answer] = slack.posted_texts("DMINJI")
    assert answer.startswith("📖")


async def test_a_button_press_supports_and_answers_only_the_presser(slack: SlackStand) -> None:
    await slack.command("minji", "/idea", "가로등을 LED로")
    await slack.settle()
    assert await slack.press("junho", "support:1") == 200
    await slack.settle()
    await eventually(lambda: slack.fake.ephemeral)
    [toast] = slack.fake.ephemeral
    assert toast["to_user"] == slack.user("junho") and toast["text"] == "👍 #1번 아이디어에 공감했습니다 (공감 1)."
    assert await slack.count(Support) == 1


async def test_a_thumbs_up_reaction_on_the_idea_counts_as_support(slack: SlackStand) -> None:
    await slack.command("minji", "/idea", "무인 민원발급기 확대")
    await slack.settle()
    [reply] = slack.fake.posted_messages(ROOM)
    await slack.event(reaction_added_event(slack.user("junho"), ROOM, reply["ts"], "+1::skin-tone-3"))
    await slack.event(reaction_added_event(slack.user("seoyeon"), ROOM, reply["ts"], "thumbsup"))
    await slack.event(reaction_added_event(slack.user("jiwoo"), ROOM, reply["ts"], "joy"))  # not a support
    await slack.settle()
    async with slack.app.db.session() as session:
        idea = (await session.exec(select(Idea))).one()
    assert idea.support_count == 2


async def test_a_thumbs_up_taken_off_withdraws_its_support_once_and_a_button_support_stays(slack: SlackStand) -> None:
    await slack.command("minji", "/idea", "청사 주차장에 전기차 충전기를 늘려 주세요")
    await slack.settle()
    [reply] = slack.fake.posted_messages(ROOM)
    await slack.event(reaction_added_event(slack.user("junho"), ROOM, reply["ts"], "+1::skin-tone-2"))
    await slack.press("seoyeon", "support:1", message_ts=reply["ts"])
    await slack.event(reaction_added_event(slack.user("seoyeon"), ROOM, reply["ts"]))
    await slack.settle()
    assert await slack.count(Support) == 2

    removed = reaction_removed_event(slack.user("junho"), ROOM, reply["ts"], "+1::skin-tone-2")
    assert await slack.event(removed, event_id="EvREMOVED") == 200
    assert await slack.event(removed, event_id="EvREMOVED", retry=1) == 200  # Slack's retry: handled once
    await slack.event(reaction_removed_event(slack.user("seoyeon"), ROOM, reply["ts"]))  # her support was the button's
    await slack.event(reaction_removed_event(slack.user("jiwoo"), ROOM, reply["ts"], "joy"))
    await slack.settle()
    async with slack.app.db.session() as session:
        idea = (await session.exec(select(Idea))).one()
        supporters = [s.person_id for s in (await session.exec(select(Support))).all()]
        seoyeon = (await session.exec(select(Identity).where(Identity.external_id == slack.user("seoyeon")))).one()
    assert idea.support_count == 1 and supporters == [seoyeon.person_id]
    assert slack.posted_texts() == [reply["text"]]  # the room heard nothing of it


async def test_an_edited_idea_message_updates_the_idea_and_the_latest_edit_wins(slack: SlackStand) -> None:
    posted = message_event(
        ROOM, slack.user("minji"), "#아이디어 도서관 운영시간을 밤 10시까지 늘려 주세요", ts="1700000010.000100"
    )
    await slack.event(posted)
    await slack.settle()
    later = message_changed_event(
        ROOM, posted, "#아이디어 도서관 운영시간을 밤 11시까지 늘려 주세요", edited_ts="1700000030.000000"
    )
    earlier = message_changed_event(ROOM, posted, "#아이디어 도서관을 주말에도 엽시다", edited_ts="1700000020.000000")
    preview = message_changed_event(ROOM, posted, "#아이디어 도서관 운영시간을 밤 10시까지 늘려 주세요", stamped=False)
    by_admin = message_changed_event(ROOM, posted, "#아이디어 관리자가 고친 글", editor=slack.user("sujin"))
    for event in (later, earlier, preview, by_admin):  # the earlier edit arrives after the later one
        assert await slack.event(event) == 200
        await slack.settle()
    async with slack.app.db.session() as session:
        idea = (await session.exec(select(Idea))).one()
    assert idea.text == "도서관 운영시간을 밤 11시까지 늘려 주세요"
    texts = slack.posted_texts()
    assert len(texts) == 2 and texts[1] == "✏️ #1번 아이디어를 고쳤습니다: 도서관 운영시간을 밤 11시까지 늘려 주세요"


async def test_a_reply_in_the_idea_messages_thread_becomes_its_comment(slack: SlackStand) -> None:
    await slack.command("minji", "/idea", "무인 민원발급기 확대")
    await slack.settle()
    [reply] = slack.fake.posted_messages(ROOM)
    await slack.event(message_event(ROOM, slack.user("junho"), "역마다 한 대씩이면 좋겠습니다", thread_ts=reply["ts"]))
    await slack.event(message_event(ROOM, slack.user("jiwoo"), "스레드 밖의 말"))
    await slack.settle(2)
    async with slack.app.db.session() as session:
        comments = (await session.exec(select(IdeaComment))).all()
    assert [(c.idea_id, c.text) for c in comments] == [(1, "역마다 한 대씩이면 좋겠습니다")]


async def test_a_thumbs_up_on_your_own_idea_is_answered_once_in_your_direct_chat(slack: SlackStand) -> None:
    await slack.command("minji", "/idea", "무인 민원발급기 확대")
    await slack.settle()
    [reply] = slack.fake.posted_messages(ROOM)
    await slack.event(reaction_added_event(slack.user("minji"), ROOM, reply["ts"], "+1"))
    await slack.event(reaction_added_event(slack.user("minji"), ROOM, reply["ts"], "thumbsup"))
    await slack.settle(2)

    [told] = slack.posted_texts(f"D{slack.user('minji')}")
    assert "직접 올리신 아이디어라 공감으로 세지 않았습니다" in told
    assert len(slack.fake.posted_messages(ROOM)) == 1  # the channel hears nothing


async def test_bot_messages_edits_and_joins_are_ignored(slack: SlackStand) -> None:
    bot_message = {**message_event(ROOM, "UBOT", "#아이디어 봇의 글"), "bot_id": "BBOT"}
    edited = {**message_event(ROOM, slack.user("minji"), "#아이디어 수정"), "subtype": "message_changed"}
    joined = {**message_event(ROOM, slack.user("minji"), "님이 채널에 참여했습니다"), "subtype": "channel_join"}
    for event in (bot_message, edited, joined):
        assert await slack.event(event) == 200
    await slack.event(message_event(ROOM, slack.user("minji"), "#아이디어 진짜 아이디어"))
    await slack.settle()
    async with slack.app.db.session() as session:
        assert [i.text for i in (await session.exec(select(Idea))).all()] == ["진짜 아이디어"]


async def test_mentions_and_broadcasts_in_user_text_arrive_escaped(slack: SlackStand) -> None:
    await slack.command("minji", "/idea", "&lt;!channel&gt; 모두 보세요 &lt;@U999&gt; & <!here>")
    await slack.settle()
    async with slack.app.db.session() as session:
        idea = (await session.exec(select(Idea))).one()
    assert idea.text == "<!channel> 모두 보세요 <@U999> & <!here>"  # stored as typed
    await slack.command("junho", "/ideas")
    await slack.settle()
    listing = slack.fake.posted_messages(ROOM)[-1]
    assert "&lt;!channel&gt;" in listing["text"] and "&lt;!here&gt;" in listing["text"]
    assert "<!channel>" not in listing["text"] and "<@U999>" not in listing["text"]
    assert "&amp;" in listing["text"]
    assert all("link_names" not in call.params for call in slack.fake.calls_to("chat.postMessage"))


async def test_app_home_shows_points_topics_and_what_waits(slack: SlackStand) -> None:
    await slack.command("minji", "/idea", "점심시간 민원 창구 운영")
    await slack.settle()
    await slack.event({"type": "app_home_opened", "user": slack.user("minji"), "channel": "DMINJI", "tab": "home"})
    await slack.fake.wait_for("views.publish")
    view = slack.fake.views[slack.user("minji")]
    texts = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home"
    async with slack.app.db.session() as session:
        minji = (await session.exec(select(Person).where(Person.handle == "minji"))).one()
        points = sum((await session.exec(select(PointEntry.points).where(PointEntry.person_id == minji.id))).all())
    assert "박민지 주무관님의 아이디어방" in texts and f"미소포인트: *{points}점*" in texts
    assert "지금 답변을 기다리는 일은 없습니다." in texts


async def test_app_home_welcomes_someone_the_bot_does_not_know(slack: SlackStand) -> None:
    slack.fake.add_user("UNEW", name="newcomer", real_name="신입")
    await slack.event({"type": "app_home_opened", "user": "UNEW", "channel": "DNEW", "tab": "home"})
    await slack.fake.wait_for("views.publish")
    assert "아직 아이디어방 활동 기록이 없습니다" in json.dumps(slack.fake.views["UNEW"], ensure_ascii=False)
    assert await slack.count(Person, Person.name == "신입") == 0  # opening the tab stores nothing


async def test_an_event_the_core_could_not_handle_is_tried_again_after_the_ack(slack: SlackStand, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import bot.inbox

    monkeypatch.setattr(bot.inbox, "RETRY_DELAYS", (0.05, 0.05))
    monkeypatch.setattr(bot.inbox, "SCAN_SECONDS", 0.05)
    idea = fail_command(monkeypatch, slack.app.core, "idea", ConnectionError("database went away"))
    event = message_event(ROOM, slack.user("seoyeon"), "#아이디어 장애 뒤에도 남는 아이디어", ts="1700000009.000100")
    assert await slack.event(event, event_id="EvOUTAGE") == 200  # acknowledged at once, as Slack requires
    await eventually(lambda: slack.count(Idea))
    async with slack.app.db.session() as session:
        assert [i.text for i in (await session.exec(select(Idea))).all()] == ["장애 뒤에도 남는 아이디어"]
    assert idea.calls == 2
    assert await slack.count(ProcessedEvent, ProcessedEvent.event_id == "EvOUTAGE") == 1
