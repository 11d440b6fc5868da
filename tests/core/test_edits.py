"""Edited idea messages update their idea; a 👍 taken back withdraws the support it gave, points and all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.messages import Actor, ButtonPress, Place, ReactionAdded, ReactionRemoved
from bot.ports import ManualClock
from storage.tables import AuditEntry, Idea, PointEntry, Support
from tests.core.march import START
from tests.harness import PLATFORM, Story, test_settings


@pytest.fixture
async def office(database_url: str) -> AsyncIterator[tuple[Story, ManualClock]]:
    clock = ManualClock(START)
    story = await Story.start(test_settings(database_url), clock)
    yield story, clock
    await story.close()


async def idea_text(story: Story, number: int = 1) -> str:
    [idea] = await story.rows(Idea, Idea.id == number)
    return idea.text


async def test_the_author_edits_the_idea_message_and_the_idea_follows(office: tuple[Story, ManualClock]) -> None:
    story, _ = office
    await story.say("minji", "#아이디어 버스정류장에 온열의자를 설치해 주세요", message_id="p1")
    await story.say("junho", "/support 1")

    answer = await story.edit("minji", "p1", "#아이디어 지하철역에 공용 우산을 비치합시다")
    assert answer == ["✏️ #1번 아이디어를 고쳤습니다: 지하철역에 공용 우산을 비치합시다"]
    [idea] = await story.rows(Idea)
    assert (idea.text, idea.support_count) == ("지하철역에 공용 우산을 비치합시다", 1)
    assert "#1" in (await story.say("jiwoo", "/ideas search 우산"))[0]
    assert "찾지 못했습니다" in (await story.say("jiwoo", "/ideas search 온열의자"))[0]
    [audit] = await story.rows(AuditEntry, AuditEntry.action == "idea.edited")
    assert audit.subject_id == 1 and audit.detail == {
        "before": "버스정류장에 온열의자를 설치해 주세요",
        "via": "message",
    }

    # The tag taken out, the message is still the idea; turned into another command, it no longer is.
    await story.edit("minji", "p1", "지하철역에 공용 우산과 우산 비닐을 비치합시다")
    assert await idea_text(story) == "지하철역에 공용 우산과 우산 비닐을 비치합시다"
    assert await story.edit("minji", "p1", "/support 2") == []
    assert await idea_text(story) == "지하철역에 공용 우산과 우산 비닐을 비치합시다"


async def test_edits_by_someone_else_or_of_other_messages_are_ignored_quietly(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "#아이디어 공원에 그늘막을 늘려 주세요", message_id="p1")
    await story.say("minji", "점심 뭐 먹죠?", message_id="p2")

    assert await story.edit("junho", "p1", "#아이디어 공원 그늘막 대신 나무를 심읍시다") == []
    assert await story.edit("minji", "p2", "#아이디어 구내식당 메뉴를 미리 알려 주세요") == []
    assert await story.edit("minji", "p404", "#아이디어 없는 메시지") == []
    assert [i.text for i in await story.rows(Idea)] == ["공원에 그늘막을 늘려 주세요"]
    assert await story.count(AuditEntry, AuditEntry.action == "idea.edited") == 0


async def test_of_two_edits_the_latest_wins_even_when_they_arrive_out_of_order(
    office: tuple[Story, ManualClock],
) -> None:
    story, clock = office
    await story.say("minji", "#아이디어 민원실 대기번호를 문자로 알려 주세요", message_id="p1")
    first, second = clock.now() + timedelta(minutes=1), clock.now() + timedelta(minutes=2)

    await story.edit(
        "minji", "p1", "#아이디어 민원실 대기번호를 카카오톡으로 알려 주세요", edited_at=first, event_id="e1"
    )
    await story.edit(
        "minji", "p1", "#아이디어 민원실 대기 순번을 앱 알림으로 알려 주세요", edited_at=second, event_id="e2"
    )
    assert await idea_text(story) == "민원실 대기 순번을 앱 알림으로 알려 주세요"

    # The first edit delivered again (a platform's retry), and a third, older edit arriving late: neither wins.
    assert (
        await story.edit(
            "minji", "p1", "#아이디어 민원실 대기번호를 카카오톡으로 알려 주세요", edited_at=first, event_id="e1"
        )
        == []
    )
    late = clock.now() + timedelta(seconds=90)
    assert await story.edit("minji", "p1", "#아이디어 민원실 대기표를 없앱시다", edited_at=late, event_id="e3") == []
    assert await idea_text(story) == "민원실 대기 순번을 앱 알림으로 알려 주세요"
    assert await story.count(AuditEntry, AuditEntry.action == "idea.edited") == 2


async def test_an_edit_of_an_idea_already_in_a_proposal_is_answered_and_not_applied(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "#아이디어 청사 옥상에 태양광 패널을 설치합시다", message_id="p1")
    await story.say("sujin", "/proposal new 1 청사 태양광")

    answer = await story.edit("minji", "p1", "#아이디어 청사 옥상에 옥상 정원을 만듭시다")
    assert answer == [
        "메시지를 고치셨지만 #1번 아이디어는 이미 제안 #1에 반영되어 처음 내용 그대로 둡니다. 덧붙이실 내용은 새 아이디어로 올려 주세요."
    ]
    assert await idea_text(story) == "청사 옥상에 태양광 패널을 설치합시다"


async def test_an_edit_of_a_withdrawn_idea_is_answered_and_not_applied(office: tuple[Story, ManualClock]) -> None:
    story, _ = office
    await story.say("minji", "#아이디어 도서관 운영시간을 밤 10시까지 늘려 주세요", message_id="p1")
    await story.say("minji", "/idea withdraw 1")
    assert await story.edit("minji", "p1", "#아이디어 도서관 운영시간을 밤 11시까지 늘려 주세요") == [
        "#1번 아이디어는 철회되었습니다."
    ]
    assert await idea_text(story) == "도서관 운영시간을 밤 10시까지 늘려 주세요"


async def test_an_edit_into_a_copy_of_the_authors_other_idea_is_refused_and_others_similar_ones_are_named(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "/idea 공원 화장실에 비상벨을 달아 주세요")
    await story.say("junho", "/idea 겨울철 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await story.say("minji", "#아이디어 구내식당 잔반을 줄입시다", message_id="p3")

    [refused] = await story.edit("minji", "p3", "#아이디어 공원 화장실에 비상벨을 꼭 달아 주세요")
    assert refused.startswith("고치신 내용이 최근에 올리신 #1번 아이디어와 같아 #3번은 고치지 않았습니다.")
    assert await idea_text(story, 3) == "구내식당 잔반을 줄입시다"

    [edited] = await story.edit("minji", "p3", "#아이디어 버스 정류장에 따뜻한 온열 의자를 놓아 주세요")
    assert edited.startswith("✏️ #3번 아이디어를 고쳤습니다") and "비슷한 아이디어가 있습니다: #2" in edited
    assert await idea_text(story, 3) == "버스 정류장에 따뜻한 온열 의자를 놓아 주세요"


async def test_taking_back_a_thumbs_up_withdraws_the_support_it_gave_and_giving_it_again_counts_once(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "#아이디어 가로등을 LED로 바꿉시다", message_id="p1")
    await story.react("junho", "p1")
    assert [s.person_id for s in await story.rows(Support)] and (await story.rows(Idea))[0].support_count == 1

    await story.unreact("junho", "p1")
    assert await story.count(Support) == 0 and (await story.rows(Idea))[0].support_count == 0
    [audit] = await story.rows(AuditEntry, AuditEntry.action == "idea.support_withdrawn")
    assert audit.subject_id == 1
    await story.unreact("junho", "p1")  # taken back twice: nothing more to withdraw
    assert (await story.rows(Idea))[0].support_count == 0

    await story.react("junho", "p1")
    await story.react("junho", "p1")  # a second 👍 of the same person is no second support
    assert await story.count(Support) == 1 and (await story.rows(Idea))[0].support_count == 1
    assert story.in_room() == [story.in_room()[0]]  # the room was told about the idea only


async def test_a_support_given_by_command_or_button_stays_when_a_thumbs_up_is_taken_back(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "#아이디어 공공자전거 대여소를 늘려 주세요", message_id="p1")
    await story.say("junho", "/support 1")
    await story.react("junho", "p1")  # already supported: the 👍 adds nothing
    await story.unreact("junho", "p1")
    await story.press("seoyeon", "support:1")
    await story.unreact("seoyeon", "p1")
    await story.unreact("seoyeon", "p1", emoji="❤")
    assert sorted(s.person_id for s in await story.rows(Support)) and (await story.rows(Idea))[0].support_count == 2


async def test_the_support_bonus_is_reversed_once_when_a_withdrawal_drops_below_the_threshold_and_earned_once_again(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "#아이디어 청사 계단에 칼로리 표시를 붙입시다", message_id="p1")
    for person in ("junho", "seoyeon", "jiwoo", "sujin"):
        await story.say(person, "/support 1")
    await story.react("dohyun", "p1")  # the fifth support, by 👍

    def threshold(entries: list[PointEntry]) -> list[int]:
        return [e.points for e in entries]

    bonus = PointEntry.stage == "idea_supported_threshold"
    assert threshold(await story.rows(PointEntry, bonus)) == [3]
    await story.unreact("dohyun", "p1")
    await story.unreact("dohyun", "p1")
    assert threshold(await story.rows(PointEntry, bonus)) == [3, -3]
    await story.react("dohyun", "p1")
    entries = await story.rows(PointEntry, bonus)
    assert threshold(entries) == [3, -3, 3] and len({e.award_key for e in entries}) == 3
    [minji_total] = [sum(e.points for e in await story.rows(PointEntry, PointEntry.person_id == entries[0].person_id))]
    assert minji_total == 1 + 3  # the idea's point and one support bonus


async def test_a_reaction_named_by_its_own_id_is_withdrawn_by_that_id_whoever_removes_it(
    office: tuple[Story, ManualClock],
) -> None:
    """Matrix names a removal (a redaction) by the reaction's id, and a moderator may redact it too."""
    story, _ = office
    await story.say("minji", "#아이디어 폐의약품 수거함을 약국마다 둡시다", message_id="$idea")
    room = story.place("room")
    junho, seoyeon, moderator = (Actor(PLATFORM, who, who, who) for who in ("junho", "seoyeon", "sujin"))
    await story.app.core.handle(ReactionAdded("$r1", junho, room, "👍", "$idea", reaction_id="$r1"))
    await story.app.core.handle(ButtonPress("$r2", seoyeon, room, "support:1", "$bot", reaction_id="$r2"))
    assert (await story.rows(Idea))[0].support_count == 2

    await story.app.core.handle(ReactionRemoved("$x1", moderator, room, reaction_id="$r1"))
    await story.app.core.handle(ReactionRemoved("$x2", seoyeon, room, reaction_id="$r2"))
    await story.app.core.handle(ReactionRemoved("$x3", seoyeon, Place(PLATFORM, "elsewhere"), reaction_id="$r9"))
    assert await story.count(Support) == 0 and (await story.rows(Idea))[0].support_count == 0
