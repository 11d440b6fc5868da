"""Inviting department heads through the core: the invitation, each answer, field visits and the refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.messages import Destination, Outgoing, SendResult
from bot.outbox.follow_ups import word
from bot.ports import DeliveryError, ManualClock
from bot.registry import registry
from storage.tables import AuditEntry, FieldVisit, Invitation, OutboxMessage, PendingInput, PointEntry, Reminder
from tests.core.march import BUS_STOPS, SEOUL, START
from tests.harness import Story, test_settings


@pytest.fixture
async def month(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Story]:
    """A room whose topic about bus stops was picked on 2 March 2026; dohyun has started the bot."""
    story = await Story.start(test_settings(sqlite_url), clock)
    await story.say("minji", BUS_STOPS)
    await story.say("sujin", "/topic pick")
    await story.dm("dohyun", "/start")
    yield story
    await story.close()


rows = Story.rows


count = Story.count


async def invitation(story: Story, number: int = 1) -> Invitation:
    [found] = await rows(story, Invitation, Invitation.id == number)
    return found


async def fire(story: Story, clock: ManualClock, dedupe_key: str) -> None:
    """Move the clock to a stored reminder's time and run its handler as the scheduler would."""
    [reminder] = await rows(story, Reminder, Reminder.dedupe_key == dedupe_key)
    clock.set(reminder.due_at)
    handler = registry.reminders[reminder.kind]
    await story.app.core.run_job(lambda ctx: handler(ctx, reminder))
    await story.app.sender.drain()


def sent_to(story: Story, person: str):  # type: ignore[no-untyped-def]
    return [s for s in story.gateway.sent if s.destination == Destination("test", "user", person)]


async def test_invite_alone_shows_the_suggestions_and_a_name_invites_the_head(month: Story) -> None:
    [suggestions] = await month.say_sent("sujin", "/invite")
    assert suggestions.text.splitlines()[1] == "1. 교통정책과 — 김도현 부서장님"
    assert suggestions.actions[0] == "invite:1:1"
    confirmation, _letter = await month.say("sujin", "/invite 교통")
    assert confirmation == "✉️ 교통정책과 김도현 부서장님께 초대장(#1)을 보냈습니다. 답변 기한은 2026. 3. 9.(월)입니다."
    [letter] = sent_to(month, "dohyun")[-1:]
    assert letter.text.startswith("✉️ 김도현 부서장님, 안녕하세요. 혁신담당관실 이수진입니다.")
    assert "'room'의 이번 달 토론주제 '버스정류장 신호등 안전'" in letter.text
    assert "주제 설명: 정류장 앞 횡단보도와 신호등이 부족해 위험합니다" in letter.text
    assert "2026. 3. 9.(월)까지 아래 버튼으로 답해 주세요. (초대 #1)" in letter.text
    assert letter.actions == ["inv:1:accept", "inv:1:decline", "inv:1:visit"]
    assert letter.message.payload["start_payload"] == "inv_1"
    fallback = letter.message.payload["on_failed"]
    assert fallback.to == Destination("test", "user", "sujin")
    assert "김도현 부서장님께 초대장을 직접 보내지 못했습니다" in word(
        fallback.wording, link="https://t.me/idearoom_bot?start=inv_1"
    )
    assert word(fallback.wording, link="https://t.me/idearoom_bot?start=inv_1").endswith(
        "아래 링크로 봇을 열어 답해 주세요: https://t.me/idearoom_bot?start=inv_1"
    )
    invited = await invitation(month)
    assert (invited.state, invited.department_id, invited.topic_id) == ("pending", 1, 1)
    assert invited.expires_at == datetime(2026, 3, 9, 23, 59, tzinfo=SEOUL)  # the end of the day the letter names
    due = {
        r.dedupe_key: (r.kind, r.due_at)
        for r in await rows(month, Reminder, Reminder.dedupe_key.startswith("invitation:"))
    }  # type: ignore[attr-defined]
    assert due == {
        "invitation:1:follow_up": ("invitation.follow_up", START + timedelta(days=3)),
        "invitation:1:expire": (
            "invitation.expire",
            datetime(2026, 3, 10, 0, 0, tzinfo=SEOUL),
        ),  # once that day has ended
    }
    [audit] = await rows(month, AuditEntry, AuditEntry.action == "invitation.sent")
    assert audit.subject_id == 1


async def test_the_invite_button_and_the_suggestion_number_invite_too(month: Story) -> None:
    assert await month.press("sujin", "invite:1:2") == "✉️ 도로과 이정훈 부서장님께 초대장을 보냈습니다."
    await month.say("sujin", "/invite 1")
    heads = [i.department_id for i in await rows(month, Invitation)]
    assert heads == [2, 1]


async def test_bad_invitations_get_a_clear_answer_and_store_nothing(month: Story) -> None:
    [ambiguous] = await month.say("sujin", "/invite 정책")
    assert "여러 곳입니다: 교통정책과, 환경정책과, 복지정책과" in ambiguous
    assert "'없는과' 부서를 찾을 수 없습니다" in (await month.say("sujin", "/invite 없는과"))[0]
    # Only 교통정책과 fits a bus-stop topic, so it is the only suggestion.
    assert "추천 목록에 9번이 없습니다 (1~1번)" in (await month.say("sujin", "/invite 9"))[0]
    await month.say("sujin", "/invite 교통정책과")
    [twice] = await month.say("sujin", "/invite @dohyun")
    assert twice == "김도현 부서장님은 이 주제에 이미 초대되어 있습니다 (상태: 답변 대기)."
    assert await count(month, Invitation) == 1
    await month.say("sujin", "/topic close")
    [no_topic] = await month.say("sujin", "/invite 도로과")
    assert no_topic.startswith("진행 중인 토론주제가 없어 초대할 수 없습니다")
    assert (
        await month.press("sujin", "invite:1:2") == "'버스정류장 신호등 안전' 토론은 이미 마감되어 초대할 수 없습니다."
    )
    assert await count(month, Invitation) == 1


async def test_only_organizers_invite_and_the_attempts_are_audited(month: Story) -> None:
    [refused] = await month.say("minji", "/invite 교통")
    assert refused == "이 명령어는 혁신담당관실 담당자만 쓸 수 있습니다."
    assert await month.press("minji", "invite:1:1") == refused
    assert await count(month, Invitation) == 0
    refusals = await rows(month, AuditEntry, AuditEntry.action == "refused")
    assert [r.detail["attempted"] for r in refusals] == ["invitation.send", "invitation.send"]


async def test_accepting_tells_the_room_and_the_organizer_and_brings_the_head_in(month: Story) -> None:
    month.gateway.invite_link = "https://t.me/+single-use"
    await month.say("sujin", "/invite 교통")
    toast = await month.press("dohyun", "inv:1:accept", room="dm:dohyun")
    assert toast == "감사합니다! 곧 토론방으로 모시겠습니다."
    invited = await invitation(month)
    assert invited.state == "accepted" and invited.answered_at == START
    assert (
        month.in_room()[-1]
        == "🎉 교통정책과 김도현 부서장님이 '버스정류장 신호등 안전' 토론에 함께하십니다. 환영합니다!"
    )
    assert (
        month.to_person("sujin")[-1]
        == "✅ 교통정책과 김도현 부서장님이 '버스정류장 신호등 안전' 토론 초대를 수락하셨습니다."
    )
    assert month.gateway.invites == [("dohyun", "room")]
    assert (
        month.to_person("dohyun")[-1]
        == "'room' 토론방 입장 링크입니다 (한 번만 쓸 수 있습니다): https://t.me/+single-use"
    )
    states = {r.dedupe_key: r.state for r in await rows(month, Reminder, Reminder.dedupe_key.startswith("invitation:"))}  # type: ignore[attr-defined]
    assert set(states.values()) == {"cancelled"}
    assert await count(month, AuditEntry, AuditEntry.action == "invitation.accepted") == 1
    [shown] = await month.say("minji", "/topic")
    assert "🤝 함께하는 부서장: 교통정책과 김도현 부서장님" in shown


async def test_declining_tells_the_room_and_the_organizer(month: Story) -> None:
    await month.say("sujin", "/invite 교통")
    assert (
        await month.press("dohyun", "inv:1:decline", room="dm:dohyun")
        == "답변 감사합니다. 담당자에게 전해 드리겠습니다."
    )
    assert (await invitation(month)).state == "declined"
    assert (
        month.in_room()[-1]
        == "교통정책과 김도현 부서장님은 이번 '버스정류장 신호등 안전' 토론에는 함께하기 어렵다고 답하셨습니다."
    )
    assert (
        month.to_person("sujin")[-1]
        == "🙏 교통정책과 김도현 부서장님이 '버스정류장 신호등 안전' 토론 초대를 사양하셨습니다."
    )
    assert month.gateway.invites == []
    assert await count(month, AuditEntry, AuditEntry.action == "invitation.declined") == 1


async def test_a_field_visit_is_asked_for_in_the_direct_chat_and_a_bad_date_is_asked_again(month: Story) -> None:
    await month.say("sujin", "/invite 교통")
    assert (
        await month.press("dohyun", "inv:1:visit", room="dm:dohyun")
        == "봇과의 1:1 대화에 현장 방문 일정을 적어 주세요."
    )
    question = month.to_person("dohyun")[-1]
    assert question.startswith("📍 현장 방문 일정을 알려 주세요 (초대 #1).") and "2026-03-09 14:00" in question
    [unreadable] = await month.dm("dohyun", "다음 주 화요일 오후")
    assert unreadable.startswith(
        "일정을 알아보지 못했습니다. 'YYYY-MM-DD HH:MM 장소 (메모)' 형식으로 다시 적어 주세요."
    )
    [impossible] = await month.dm("dohyun", "2026-02-30 14:00 시청역")
    assert impossible.startswith("'2026-02-30 14:00'은 없는 날짜나 시각입니다.")
    [past] = await month.dm("dohyun", "2026-03-01 14:00 시청역")
    assert past == "2026-03-01 14:00은 이미 지난 시각입니다. 앞으로의 일정을 다시 적어 주세요."
    [first_day] = await month.dm("dohyun", "0001-01-01 00:00 시청역")  # before the first instant UTC can name
    assert first_day == "0001-01-01 00:00은 이미 지난 시각입니다. 앞으로의 일정을 다시 적어 주세요."
    [no_place] = await month.dm("dohyun", "2026-03-20 14:00")
    assert no_place.startswith("방문 장소를 함께 적어 주세요.")
    assert await count(month, FieldVisit) == 0 and (await invitation(month)).state == "pending"
    answer = await month.dm("dohyun", "2026-03-20 14:00 시청역 버스정류장 (신호등 함께 점검)")
    assert (
        answer[0]
        == "📍 현장 방문 일정을 등록했습니다: 2026. 3. 20.(금) 14:00 시청역 버스정류장. 토론방과 담당자에게 알렸습니다. 감사합니다!"
    )
    assert month.in_room()[-1].splitlines() == [
        "📍 현장 방문 안내: 교통정책과 김도현 부서장님이 '버스정류장 신호등 안전' 토론에 함께하시며 현장 방문을 제안하셨습니다.",
        "일시: 2026. 3. 20.(금) 14:00",
        "장소: 시청역 버스정류장",
        "메모: 신호등 함께 점검",
    ]
    assert month.to_person("sujin")[-1].startswith(
        "✅ 교통정책과 김도현 부서장님이 초대를 수락하고 현장 방문을 제안하셨습니다: 2026. 3. 20.(금) 14:00 시청역 버스정류장"
    )
    [visit] = await rows(month, FieldVisit)
    assert (visit.place, visit.note, visit.state, visit.topic_id) == (
        "시청역 버스정류장",
        "신호등 함께 점검",
        "planned",
        1,
    )
    assert visit.visit_at == datetime(2026, 3, 20, 5, 0, tzinfo=UTC)
    assert (await invitation(month)).state == "accepted"
    assert month.gateway.invites == [("dohyun", "room")]
    assert await count(month, PendingInput) == 0
    due = {r.dedupe_key: r.due_at for r in await rows(month, Reminder, Reminder.dedupe_key.startswith("field_visit:"))}  # type: ignore[attr-defined]
    assert due == {
        "field_visit:1:tomorrow": datetime(2026, 3, 19, 9, 0, tzinfo=SEOUL),
        "field_visit:1:held": visit.visit_at,
    }
    [shown] = await month.say("minji", "/topic")
    assert "· 2026. 3. 20.(금) 14:00 시청역 버스정류장 (교통정책과 김도현 부서장님, 예정)" in shown
    # A plain message now is ordinary chat again.
    assert "/help" in (await month.dm("dohyun", "2026-03-21 10:00 다른 곳"))[0]


async def test_the_visit_question_can_be_cancelled(month: Story) -> None:
    await month.say("sujin", "/invite 교통")
    await month.press("dohyun", "inv:1:visit", room="dm:dohyun")
    [cancelled] = await month.dm("dohyun", "취소")
    assert cancelled.startswith("현장 방문 제안을 그만두었습니다.")
    assert await count(month, PendingInput) == 0 and (await invitation(month)).state == "pending"


async def test_the_visit_command_is_the_same_answer(month: Story) -> None:
    await month.say("sujin", "/invite 교통")
    assert "사용법: /visit" in (await month.dm("dohyun", "/visit 1"))[0]
    assert "이미 지난 시각" in (await month.dm("dohyun", "/visit 1 2026-03-01 10:00 시청"))[0]
    assert "다른 분은 답하실 수 없습니다" in (await month.dm("minji", "/visit 1 2026-03-20 14:00 시청"))[0]
    await month.dm("dohyun", "/visit 1 2026-03-20 14:00 시청역 버스정류장")
    [visit] = await rows(month, FieldVisit)
    assert visit.place == "시청역 버스정류장" and (await invitation(month)).state == "accepted"
    assert "현장 방문 안내" in month.in_room()[-1]


async def test_only_the_invited_head_answers_and_only_once(month: Story) -> None:
    await month.say("sujin", "/invite 교통")
    not_yours = "죄송합니다. 이 초대장은 김도현 부서장님께 드린 것이라 다른 분은 답하실 수 없습니다."
    assert await month.press("minji", "inv:1:accept") == not_yours
    assert await month.press("sujin", "inv:1:decline") == not_yours  # organizers too
    assert (await invitation(month)).state == "pending"
    refusals = await rows(month, AuditEntry, AuditEntry.action == "refused")
    assert [r.detail["attempted"] for r in refusals] == ["invitation.answer", "invitation.answer"]
    await month.press("dohyun", "inv:1:accept", room="dm:dohyun")
    assert await month.press("dohyun", "inv:1:decline", room="dm:dohyun") == "이미 답하신 초대장입니다 (상태: 수락)."
    assert (await invitation(month)).state == "accepted"
    assert await count(month, PendingInput) == 0
    assert await month.press("dohyun", "inv:99:accept", room="dm:dohyun") == "#99번 초대장을 찾을 수 없습니다."


async def test_a_head_without_an_account_gets_the_invitation_through_the_organizer(month: Story) -> None:
    [told] = await month.say("sujin", "/invite 환경정책과")
    assert told.startswith("⚠️ 윤하은 부서장님은 아직 봇에 연결된 계정이 없어 초대장을 직접 보낼 수 없습니다.")
    assert "✉️ 윤하은 부서장님, 안녕하세요." in told and "/start inv_1" in told
    assert (await invitation(month)).state == "pending"
    # Later she opens the bot with the forwarded command and sees the invitation with its buttons.
    [again] = await month.say_sent("haeun", "/start inv_1", room="dm:haeun")
    assert again.text.startswith("✉️ 윤하은 부서장님, 안녕하세요.")
    assert again.actions == ["inv:1:accept", "inv:1:decline", "inv:1:visit"]
    [other] = await month.say("minji", "/start inv_1", room="dm:minji")
    assert "윤하은 부서장님께 드린 것이라" in other
    await month.press("haeun", "inv:1:accept", room="dm:haeun")
    assert (await invitation(month)).state == "accepted"


async def test_when_the_direct_message_fails_the_organizer_gets_what_to_forward(month: Story) -> None:
    record = month.gateway.send

    async def refuse_dohyun(destination: Destination, message: Outgoing) -> SendResult:
        if destination == Destination("test", "user", "dohyun"):
            raise DeliveryError("Forbidden: bot can't initiate conversation with a user", permanent=True)
        return await record(destination, message)

    month.gateway.send = refuse_dohyun  # type: ignore[method-assign]
    await month.say("sujin", "/invite 교통")
    await month.app.sender.drain()
    [fallback] = [text for text in month.to_person("sujin") if "초대장을 직접 보내지 못했습니다" in text]
    assert fallback.startswith("⚠️ 김도현 부서장님께 초대장을 직접 보내지 못했습니다")
    assert "✉️ 김도현 부서장님, 안녕하세요." in fallback and "아래 링크로 봇을 열어 답해 주세요:" in fallback
    failed = await rows(month, OutboxMessage, OutboxMessage.state == "failed")
    assert [f.dest_id for f in failed] == ["dohyun"]


async def test_no_answer_in_three_days_reminds_the_head_and_in_seven_the_invitation_expires(
    month: Story, clock: ManualClock
) -> None:
    await month.say("sujin", "/invite 교통")
    await fire(month, clock, "invitation:1:follow_up")
    [reminder] = sent_to(month, "dohyun")[-1:]
    assert reminder.text.startswith("🔔 아직 답변을 받지 못해 다시 안내드립니다.\n✉️ 김도현 부서장님")
    assert reminder.actions == ["inv:1:accept", "inv:1:decline", "inv:1:visit"]
    assert month.to_person("sujin")[-1] == (
        "🔔 교통정책과 김도현 부서장님이 사흘째 초대에 답하지 않으셔서 다시 안내드렸습니다. 답변 기한은 2026. 3. 9.(월)입니다."
    )
    assert (await invitation(month)).followed_up_at == START + timedelta(days=3)
    await fire(month, clock, "invitation:1:expire")
    assert (await invitation(month)).state == "expired"
    assert month.to_person("sujin")[-1].startswith(
        "⌛ 교통정책과 김도현 부서장님 초대가 기한 안에 답이 없어 만료되었습니다."
    )
    # He never answered: he is told the deadline passed, not that he "already answered".
    too_late = (
        "답변 기한(2026. 3. 9.(월))이 지나 이 초대장에는 더 이상 답하실 수 없습니다. 담당자에게 다시 요청해 주세요."
    )
    assert await month.press("dohyun", "inv:1:accept", room="dm:dohyun") == too_late
    assert await month.press("dohyun", "inv:1:visit", room="dm:dohyun") == too_late
    assert (await month.dm("dohyun", "/visit 1 2026-03-20 14:00 시청역"))[0] == too_late
    # Once expired, the head can be invited again.
    await month.say("sujin", "/invite 교통")
    assert (await invitation(month, 2)).state == "pending"


async def test_reminders_of_an_answered_invitation_do_nothing(month: Story, clock: ManualClock) -> None:
    await month.say("sujin", "/invite 교통")
    await month.press("dohyun", "inv:1:decline", room="dm:dohyun")
    sent = len(month.gateway.sent)
    await fire(month, clock, "invitation:1:follow_up")
    await fire(month, clock, "invitation:1:expire")
    assert len(month.gateway.sent) == sent and (await invitation(month)).state == "declined"


async def test_answering_after_the_deadline_is_refused_even_before_the_expiry_runs(
    month: Story, clock: ManualClock
) -> None:
    await month.say("sujin", "/invite 교통")
    clock.advance(days=8)
    toast = await month.press("dohyun", "inv:1:accept", room="dm:dohyun")
    assert (
        toast
        == "답변 기한(2026. 3. 9.(월))이 지나 이 초대장에는 더 이상 답하실 수 없습니다. 담당자에게 다시 요청해 주세요."
    )
    assert (await invitation(month)).state == "pending"


async def test_the_day_before_the_visit_the_room_and_the_head_are_reminded_and_then_it_is_held(
    month: Story, clock: ManualClock
) -> None:
    await month.say("sujin", "/invite 교통")
    await month.dm("dohyun", "/visit 1 2026-03-20 14:00 시청역 버스정류장")
    await fire(month, clock, "field_visit:1:tomorrow")
    assert (
        month.in_room()[-1]
        == "📍 내일 현장 방문이 있습니다: 2026. 3. 20.(금) 14:00 시청역 버스정류장 (김도현 부서장님과 함께)"
    )
    assert (
        month.to_person("dohyun")[-1]
        == "📍 내일 'room' 토론방 현장 방문 일정이 있습니다: 2026. 3. 20.(금) 14:00 시청역 버스정류장"
    )
    await fire(month, clock, "field_visit:1:held")
    # The scheduled time alone proves nothing: the head and the organizer are asked, nothing is paid yet.
    [visit] = await rows(month, FieldVisit)
    assert visit.state == "planned"
    assert await count(month, PointEntry, PointEntry.stage == "field_visit_held") == 0
    [question] = sent_to(month, "dohyun")[-1:]
    assert question.text.startswith(
        "📍 현장 방문 #1이 예정대로 진행되었는지 알려 주시기 바랍니다 (2026. 3. 20.(금) 14:00 시청역 버스정류장)."
    )
    assert question.actions == ["visit:1:held", "visit:1:cancel"]
    assert sent_to(month, "sujin")[-1].actions == ["visit:1:held", "visit:1:cancel"]
    assert "해당 부서장님 또는" in await month.press("minji", "visit:1:held")  # type: ignore[operator]
    toast = await month.press("dohyun", "visit:1:held", room="dm:dohyun")
    assert toast == "✅ 현장 방문 #1의 진행을 확인했습니다 (2026. 3. 20.(금) 14:00 시청역 버스정류장). 감사합니다."
    [visit] = await rows(month, FieldVisit)
    assert (visit.state, visit.confirmed_at) == ("held", clock.now())
    assert (
        month.in_room()[-1]
        == "📍 2026. 3. 20.(금) 14:00 시청역 버스정류장 현장 방문이 진행되었습니다. 함께해 주신 모든 분께 감사드립니다."
    )
    assert await count(month, AuditEntry, AuditEntry.action == "field_visit.held") == 1
    [paid] = await rows(month, PointEntry, PointEntry.stage == "field_visit_held")
    assert paid.points == 10
    # The organizer's button, pressed too, pays nothing more.
    assert "이미 '진행 완료'로 처리되었습니다" in await month.press("sujin", "visit:1:held", room="dm:sujin")  # type: ignore[operator]
    assert await count(month, PointEntry, PointEntry.stage == "field_visit_held") == 1
    [shown] = await month.say("minji", "/topic")
    assert "· 2026. 3. 20.(금) 14:00 시청역 버스정류장 (교통정책과 김도현 부서장님, 완료)" in shown


async def test_a_visit_is_confirmed_by_command_only_after_it_and_one_that_did_not_happen_pays_nothing(
    month: Story, clock: ManualClock
) -> None:
    await month.say("sujin", "/invite 교통")
    await month.dm("dohyun", "/visit 1 2026-03-20 14:00 시청역 버스정류장")
    [early] = await month.dm("dohyun", "/visit held 1")
    assert (
        early
        == "현장 방문 #1은 2026. 3. 20.(금) 14:00에 예정되어 있습니다. 방문이 끝난 뒤에 진행 여부를 확인해 주시기 바랍니다."
    )
    assert "사용법: /visit held" in (await month.dm("dohyun", "/visit held"))[0]
    assert "#7번 현장 방문이 없습니다" in (await month.dm("dohyun", "/visit held 7"))[0]
    clock.set(datetime(2026, 3, 20, 16, 0, tzinfo=SEOUL))
    [done, *_] = await month.dm("sujin", "/visit cancel 1")
    assert done == "현장 방문 #1은 진행되지 않은 것으로 기록했습니다 (2026. 3. 20.(금) 14:00 시청역 버스정류장)."
    assert month.in_room()[-1] == "📍 2026. 3. 20.(금) 14:00 시청역 버스정류장 현장 방문은 진행되지 않았습니다."
    assert "이미 '진행되지 않음'으로 처리되었습니다" in (await month.dm("dohyun", "/visit held 1"))[0]
    assert await count(month, PointEntry, PointEntry.stage == "field_visit_held") == 0
    assert {r.state for r in await rows(month, Reminder, Reminder.dedupe_key.startswith("field_visit:"))} == {
        "cancelled"
    }  # type: ignore[attr-defined]


async def test_a_head_who_accepted_can_still_propose_a_field_visit(month: Story) -> None:
    await month.say("sujin", "/invite 교통")
    await month.press("dohyun", "inv:1:accept", room="dm:dohyun")
    assert (
        await month.press("dohyun", "inv:1:visit", room="dm:dohyun")
        == "봇과의 1:1 대화에 현장 방문 일정을 적어 주세요."
    )
    answer, *_ = await month.dm("dohyun", "2026-03-20 14:00 시청역 버스정류장")
    assert answer.startswith("📍 현장 방문 일정을 등록했습니다: 2026. 3. 20.(금) 14:00 시청역 버스정류장.")
    assert month.in_room()[-1].startswith("📍 현장 방문 안내: 교통정책과 김도현 부서장님이")
    [visit] = await rows(month, FieldVisit)
    assert (visit.invitation_id, visit.state) == (1, "planned")
    # Accepted once: the acceptance is neither repeated nor paid twice.
    assert await count(month, AuditEntry, AuditEntry.action == "invitation.accepted") == 1
    assert await count(month, PointEntry, PointEntry.stage == "invitation_accepted") == 1
    await month.dm("dohyun", "/visit 1 2026-03-27 10:00 구월동 정류장")
    assert await count(month, FieldVisit) == 2


async def test_the_whole_flow_on_sqlite_and_postgresql(database_url: str, clock: ManualClock) -> None:
    story = await Story.start(test_settings(database_url), clock)
    try:
        await story.say("minji", BUS_STOPS)
        await story.say("junho", "/topic support 1")
        await story.say("sujin", "/topic pick")
        await story.dm("dohyun", "/start")
        await story.say("sujin", "/invite 교통")
        await story.press("dohyun", "inv:1:visit", room="dm:dohyun")
        await story.dm("dohyun", "2026-03-20 14:00 시청역 버스정류장")
        await story.say("junho", "/idea 정류장에 온열의자")
        [summary] = await story.say("sujin", "/topic close")
        assert "아이디어 1건 · 참여 1명" in summary and "🤝 함께한 부서장: 교통정책과 김도현 부서장님" in summary
        assert "· 2026. 3. 20.(금) 14:00 시청역 버스정류장 (교통정책과 김도현 부서장님, 예정)" in summary
        assert (await invitation(story)).state == "accepted"
    finally:
        await story.close()


async def test_the_head_reads_the_invitation_in_english(sqlite_url: str, clock: ManualClock) -> None:
    story = await Story.start(test_settings(sqlite_url, IDEAROOM_LOCALE="en"), clock)
    try:
        await story.say("minji", BUS_STOPS)
        await story.say("sujin", "/topic pick")
        await story.dm("dohyun", "/start")
        confirmation, letter = await story.say("sujin", "/invite 교통")
        assert confirmation == "✉️ Invitation #1 sent to 김도현, head of 교통정책과. Answer due by 2026-03-09 (Mon)."
        assert letter.startswith("✉️ Dear 김도현, this is 이수진 from the Innovation Office.")
        assert (
            await story.press("minji", "inv:1:accept")
            == "Sorry, this invitation was sent to 김도현; only they can answer it."
        )
    finally:
        await story.close()
