"""Ideas through the core: posting, listing, supporting, and the bad input around them."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from storage.tables import AuditEntry, Idea, Identity, MessageLink, Person, ProcessedEvent, Room, Support
from tests.faults import fail_command
from tests.harness import Story

count = Story.count


async def test_first_message_registers_the_room(story: Story) -> None:
    await story.say("minji", "/help", room="혁신방")
    async with story.app.db.session() as session:
        room = (await session.exec(select(Room).where(Room.external_id == "혁신방"))).one()
    assert room.platform == "test" and room.title == "혁신방" and not room.is_direct


async def test_idea_is_stored_and_answered_with_number_and_support_button(story: Story) -> None:
    sent = await story.say_sent("minji", "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    assert len(sent) == 1
    async with story.app.db.session() as session:
        idea = (await session.exec(select(Idea))).one()
        author = await session.get(Person, idea.author_id)
    assert idea.text == "버스정류장에 온열의자를 설치하면 좋겠습니다"
    assert author is not None and author.name == "박민지"  # the demo person with handle minji
    assert f"#{idea.id}번" in sent[0].text
    assert sent[0].actions == [f"support:{idea.id}"]


async def test_hash_tag_messages_are_captured_as_ideas(story: Story) -> None:
    await story.say("minji", "#아이디어 공원에 그늘막을 늘려 주세요")
    await story.say("junho", "#idea: more shade in parks")
    await story.say("junho", "#아이디어들 이건 태그가 아닙니다")
    async with story.app.db.session() as session:
        texts = [i.text for i in (await session.exec(select(Idea).order_by(Idea.id))).all()]
    assert texts == ["공원에 그늘막을 늘려 주세요", "more shade in parks"]


async def test_ideas_are_listed_most_supported_first(story: Story) -> None:
    await story.say("minji", "/idea 첫 번째 아이디어")
    await story.say("junho", "/idea 두 번째 아이디어")
    await story.say("seoyeon", "/idea 세 번째 아이디어")
    await story.say("minji", "/support 3")
    await story.say("junho", "/support 3")
    await story.say("minji", "/support 2")
    [listing] = await story.say("jiwoo", "/ideas")
    lines = listing.splitlines()
    assert "총 3건" in lines[0]
    assert lines[1].startswith("1. #3 세 번째 아이디어") and lines[1].endswith("👍 2")
    assert lines[2].startswith("2. #2 두 번째 아이디어") and lines[2].endswith("👍 1")
    assert lines[3].startswith("3. #1 첫 번째 아이디어") and lines[3].endswith("👍 0")


async def test_support_once_per_person_and_never_your_own(story: Story) -> None:
    await story.say("minji", "/idea 가로등을 LED로")
    assert await story.say("junho", "/support 1") == ["👍 #1번 아이디어에 공감했습니다 (공감 1)."]
    assert await story.say("junho", "/support #1") == ["이미 #1번 아이디어에 공감하셨습니다."]
    [own] = await story.say("minji", "/support 1")
    assert "본인이 올린 아이디어" in own
    assert await story.press("seoyeon", "support:1") == "👍 #1번 아이디어에 공감했습니다 (공감 2)."
    assert await story.press("seoyeon", "support:1") == "이미 #1번 아이디어에 공감하셨습니다."
    assert await count(story, Support) == 2
    async with story.app.db.session() as session:
        assert (await session.get(Idea, 1)).support_count == 2  # type: ignore[union-attr]


async def test_thumbs_up_on_the_idea_message_supports_it(story: Story) -> None:
    [reply] = await story.say_sent("minji", "/idea 민원실에 보조배터리 대여기")
    await story.react("junho", reply.message_id)  # on the bot's confirmation
    await story.react("seoyeon", "u1")  # on minji's own message
    await story.react("minji", "u1")  # her own idea: not counted
    await story.react("jiwoo", reply.message_id, emoji="😂")  # not a support
    async with story.app.db.session() as session:
        assert (await session.get(Idea, 1)).support_count == 2  # type: ignore[union-attr]
        assert (await session.exec(select(func.count()).select_from(MessageLink))).one() == 2


async def test_a_thumbs_up_on_your_own_idea_is_answered_once_in_your_direct_chat(story: Story) -> None:
    [reply] = await story.say_sent("minji", "/idea 민원실에 보조배터리 대여기")
    await story.react("minji", "u1")
    await story.react("minji", reply.message_id)
    await story.react("junho", reply.message_id)
    await story.react("junho", "u1")  # already supported: nobody is told

    assert story.to_person("minji") == [
        "👍 #1번은 직접 올리신 아이디어라 공감으로 세지 않았습니다. 다른 분들의 공감을 기다려 주세요."
    ]
    assert story.to_person("junho") == []
    assert story.in_room()[1:] == []  # the room hears nothing after the idea's confirmation
    async with story.app.db.session() as session:
        assert (await session.get(Idea, 1)).support_count == 1  # type: ignore[union-attr]


async def test_a_second_delivery_of_the_same_event_changes_nothing(story: Story) -> None:
    first = await story.say("minji", "/idea 중복 전달 시험", event_id="evt-1")
    again = await story.say("minji", "/idea 중복 전달 시험", event_id="evt-1")
    assert len(first) == 1 and again == []
    await story.say("junho", "/support 1", event_id="evt-2")
    await story.say("junho", "/support 1", event_id="evt-2")
    assert await count(story, Idea) == 1
    assert await count(story, Support) == 1
    assert await count(story, ProcessedEvent) == 2


async def test_bad_input_gets_a_clear_answer_and_stores_nothing(story: Story) -> None:
    assert "아이디어 내용을 적어 주세요" in (await story.say("minji", "/idea"))[0]
    assert "아이디어 내용을 적어 주세요" in (await story.say("minji", "/idea \u200b\u202e \x00\x07"))[0]
    [too_long] = await story.say("minji", "/idea " + "가" * 2001)
    assert "2001자" in too_long and "2000자 이내" in too_long
    assert "없는 명령어" in (await story.say("minji", "/frobnicate"))[0]
    assert "번호를 적어 주세요" in (await story.say("minji", "/support"))[0]
    assert "번호가 아닙니다" in (await story.say("minji", "/support abc"))[0]
    assert "아이디어가 없습니다" in (await story.say("minji", "/support 99"))[0]
    assert "토론방에서만" in (await story.dm("minji", "/idea 개인 대화에서는 안 됩니다"))[0]
    assert await count(story, Idea) == 0
    assert await count(story, Support) == 0
    assert await count(story, AuditEntry) == 0


async def test_control_characters_are_removed_and_markup_is_kept_as_text(story: Story) -> None:
    await story.say("minji", "/idea <b>굵게</b> @everyone \x1b[31m빨강\x1b[0m\u202e 뒤집기 *별*")
    async with story.app.db.session() as session:
        idea = (await session.exec(select(Idea))).one()
    assert idea.text == "<b>굵게</b> @everyone [31m빨강[0m 뒤집기 *별*"


async def test_exactly_2000_characters_is_accepted(story: Story) -> None:
    await story.say("minji", "/idea " + "나" * 2000)
    assert await count(story, Idea) == 1


async def test_help_shows_organizer_commands_only_to_organizers(story: Story) -> None:
    [staff_help] = await story.say("minji", "/help")
    [organizer_help] = await story.say("sujin", "/help")
    assert "/idea" in staff_help and "/support" in staff_help
    assert "담당자 전용" not in staff_help
    assert "담당자 전용" in organizer_help


async def test_posting_is_audited_with_the_author(story: Story) -> None:
    await story.say("minji", "/idea 감사 기록")
    async with story.app.db.session() as session:
        entry = (await session.exec(select(AuditEntry))).one()
        minji = (await session.exec(select(Person).where(Person.handle == "minji"))).one()
    assert (entry.action, entry.subject_kind, entry.subject_id, entry.actor_id) == ("idea.posted", "idea", 1, minji.id)


async def test_english_locale(sqlite_url: str) -> None:
    from tests.harness import test_settings

    story = await Story.start(test_settings(sqlite_url, IDEAROOM_LOCALE="en"))
    try:
        [recorded] = await story.say("minji", "/idea Heated benches")
        assert recorded == "💡 Idea #1 recorded. Press 👍 to support it."
        [own] = await story.say("minji", "/support 1")
        assert own.startswith("You cannot support your own idea")
        assert (await story.say("minji", "/nope"))[0] == "'/nope' is not a command. Type /help for the commands."
    finally:
        await story.close()


async def test_a_failing_handler_gets_an_apology_and_the_bot_keeps_running(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_command(monkeypatch, story.app.core, "ideas", RuntimeError("a bug"))
    assert await story.say("minji", "/ideas") == ["죄송합니다. 처리 중 문제가 생겼습니다. 잠시 후 다시 시도해 주세요."]
    assert story.app.core.failed_count == 1
    assert len(await story.say("minji", "/idea 그래도 계속 됩니다")) == 1


async def test_a_deadlock_victim_is_run_again(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import DBAPIError

    class DeadlockDetected(Exception):
        sqlstate = "40P01"

    idea = fail_command(monkeypatch, story.app.core, "idea", DBAPIError("INSERT ...", {}, DeadlockDetected()))
    assert len(await story.say("minji", "/idea 교착 상태 뒤에도 저장됩니다")) == 1
    assert idea.calls == 2 and await count(story, Idea) == 1
    assert story.app.core.failed_count == 0


async def test_a_platform_username_equal_to_a_handle_does_not_take_over_that_person(story: Story) -> None:
    from bot.messages import Actor, IncomingMessage, Place

    impostor = Actor("telegram", "999", "아무개", username="sujin")  # the organizer's handle
    await story.app.core.handle(IncomingMessage("tg-1", impostor, Place("telegram", "-100", "방"), "/help"))
    async with story.app.db.session() as session:
        identity = (await session.exec(select(Identity).where(Identity.platform == "telegram"))).one()
        person = await session.get(Person, identity.person_id)
    assert person is not None and person.handle is None and person.name == "아무개" and not person.is_organizer
