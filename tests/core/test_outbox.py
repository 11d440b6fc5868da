"""The outbox: nothing lost in a crash, each entry sent once, bursts paced and merged, failures shown."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.messages import Destination, FollowUp, IncomingMessage, MessagePayload, Outgoing, SendResult, Wording
from bot.outbox import enqueue
from bot.outbox.sender import Sender
from bot.ports import DeliveryError, ManualClock, PlatformLimits, Window
from storage.db import Database
from storage.tables import AuditEntry, Idea, OutboxMessage, OutboxState, Person
from tests.harness import RecordingGateway, Story, test_settings
from tests.templates import prepared_app

T0 = datetime(2026, 8, 20, 1, 0, tzinfo=UTC)  # 10:00 in Seoul, during the innovation workshop
# What a Telegram group allows: one message a second, twenty a minute.
GROUP_LIMITS = PlatformLimits(per_chat=Window(1, 1.0), per_group=Window(20, 60.0))


class Crash(BaseException):
    """The process dies: not an error the sender could catch and record."""


class CrashingGateway(RecordingGateway):
    """Dies in the middle of its first send, before the platform got anything."""

    crashed: bool = False

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        if not self.crashed:
            self.crashed = True
            raise Crash()
        return await super().send(destination, message)


class RateLimitedGateway(RecordingGateway):
    """Answers 429 once for the destinations in `limited`, with their retry_after."""

    def __init__(self, limited: dict[str, float]) -> None:
        super().__init__()
        self.limited = dict(limited)

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        if destination.id in self.limited:
            raise DeliveryError("429 Too Many Requests", retry_after=self.limited.pop(destination.id))
        return await super().send(destination, message)


class SlowGateway(RecordingGateway):
    """Yields to the event loop inside every send, so two senders really interleave."""

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        await asyncio.sleep(0)
        return await super().send(destination, message)


async def start_story(url: str, gateway: RecordingGateway | None = None, clock: ManualClock | None = None) -> Story:
    settings = test_settings(url)
    app = await prepared_app(settings, clock or ManualClock(T0))
    app.sender.settings = settings
    gateway = gateway or RecordingGateway()
    app.add_gateway(gateway)
    return Story(app, gateway)


async def post_without_sending(
    story: Story, person: str, text: str, room: str = "room", message_id: str | None = None
) -> None:
    """A message reaches the core; the sender has not run yet."""
    event = IncomingMessage(
        uuid.uuid4().hex, story.actor(person), story.place(room), text, message_id or uuid.uuid4().hex[:8]
    )
    await story.app.core.handle(event)


async def entries(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def put(
    db: Database,
    dest_id: str,
    text: str,
    *,
    priority: int = 5,
    kind: str = "room",
    payload: MessagePayload | None = None,
) -> int:
    async with db.session() as session:
        entry = enqueue(
            session,
            Destination("test", kind, dest_id),
            Outgoing(text, payload=payload or MessagePayload()),
            priority=priority,
            now=T0,
        )
        await session.flush()
        return entry.id  # type: ignore[return-value]


# --- crash safety -----------------------------------------------------------------------------------


async def test_a_sender_killed_mid_send_leaves_the_message_for_the_restart_which_sends_it_once(sqlite_url: str) -> None:
    clock = ManualClock(T0)
    story = await start_story(sqlite_url, CrashingGateway(), clock)
    try:
        with pytest.raises(Crash):
            await story.say("minji", "/idea 워크숍 중에 죽는 서버")
        [entry] = await entries(story.app.db)
        assert entry.state == OutboxState.sending and story.gateway.sent == []

        after_restart = RecordingGateway()
        restarted = Sender(story.app.db, {"test": after_restart}, clock, "restarted", story.app.settings)
        assert await restarted.drain() == 0  # the dead worker's lease still holds: it might be mid-send
        clock.advance(seconds=61)
        assert await restarted.drain() == 1
        assert await restarted.drain() == 0
        assert [s.text for s in after_restart.sent] == [
            "💡 아이디어 #1번을 등록했습니다. 공감하시면 👍 버튼을 눌러 주세요."
        ]
        [entry] = await entries(story.app.db)
        assert entry.state == OutboxState.sent and entry.platform_message_id == "m1" and entry.claimed_by == "restarted"
    finally:
        await story.close()


async def test_an_idle_restarted_sender_looks_again_when_the_dead_workers_lease_runs_out(sqlite_url: str) -> None:
    clock = ManualClock(T0)
    story = await start_story(sqlite_url, CrashingGateway(), clock)
    try:
        with pytest.raises(Crash):
            await story.say("minji", "/idea 워크숍 중에 죽는 서버")
        [entry] = await entries(story.app.db)
        clock.advance(seconds=10)
        restarted = Sender(story.app.db, {"test": RecordingGateway()}, clock, "restarted", story.app.settings)
        # Nothing else is due: without the lease, the restarted sender would sleep until its idle poll.
        round_ = await restarted.claims.claim(500)
        assert round_.claimed == []
        assert entry.claimed_at is not None
        assert round_.next_due == entry.claimed_at + timedelta(seconds=story.app.settings.send_lease_seconds)
    finally:
        await story.close()


class StalledGateway(RecordingGateway):
    """The platform takes its time answering: each send waits until `answer` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = asyncio.Event()
        self.started = asyncio.Event()

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        self.started.set()
        await self.answer.wait()
        return await super().send(destination, message)


async def test_a_send_that_outlasts_the_lease_is_not_taken_back_by_its_own_sender(sqlite_url: str) -> None:
    clock = ManualClock(T0)
    gateway = StalledGateway()
    story = await start_story(sqlite_url, gateway, clock)
    try:
        await post_without_sending(story, "minji", "/idea 느린 플랫폼")
        sending = asyncio.create_task(story.app.sender.drain())
        await asyncio.wait_for(gateway.started.wait(), 10)
        clock.advance(seconds=story.app.settings.send_lease_seconds + 10)
        # The next round of the same sender, while the first send is still waiting for its answer.
        again = await story.app.sender.claims.claim(500)
        assert again.claimed == []
        gateway.answer.set()
        assert await asyncio.wait_for(sending, 10) == 1
        assert await story.app.sender.drain() == 0
        assert [s.text for s in gateway.sent] == ["💡 아이디어 #1번을 등록했습니다. 공감하시면 👍 버튼을 눌러 주세요."]
        [entry] = await entries(story.app.db)
        assert entry.state == OutboxState.sent
    finally:
        gateway.answer.set()
        await story.close()


async def test_a_cancelled_sender_task_loses_nothing(sqlite_url: str) -> None:
    clock = ManualClock(T0)
    entered = asyncio.Event()

    class HangingGateway(RecordingGateway):
        async def send(self, destination: Destination, message: Outgoing) -> SendResult:
            entered.set()
            await asyncio.Event().wait()  # never answers
            raise AssertionError("unreachable")

    story = await start_story(sqlite_url, HangingGateway(), clock)
    try:
        await post_without_sending(story, "junho", "/idea 취소되는 발송")
        task = asyncio.create_task(story.app.sender.drain())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        clock.advance(seconds=61)
        gateway = RecordingGateway()
        assert await Sender(story.app.db, {"test": gateway}, clock, "restarted", story.app.settings).drain() == 1
        assert len(gateway.sent) == 1 and "#1번" in gateway.sent[0].text
    finally:
        await story.close()


async def test_two_senders_on_one_database_send_each_entry_once(database_url: str) -> None:
    clock = ManualClock(T0)
    settings = test_settings(database_url)
    app = await prepared_app(settings, clock)
    other_db = Database(database_url)  # a second process has its own connections
    try:
        ids = [await put(app.db, f"room-{n % 7}", f"공지 {n}") for n in range(60)]
        first, second = SlowGateway(), SlowGateway()
        senders = [
            Sender(app.db, {"test": first}, clock, "worker-1", settings),
            Sender(other_db, {"test": second}, clock, "worker-2", settings),
        ]
        await asyncio.gather(*(sender.drain(limit=4) for sender in senders))
        texts = [s.text for s in first.sent + second.sent]
        assert sorted(texts) == sorted(f"공지 {n}" for n in range(60))
        assert first.sent and second.sent  # both really worked
        rows = await entries(app.db)
        assert [r.id for r in rows] == ids and {r.state for r in rows} == {OutboxState.sent}
    finally:
        await other_db.dispose()
        await app.close()


# --- pacing -----------------------------------------------------------------------------------------


async def test_a_429_holds_back_only_that_destination(sqlite_url: str) -> None:
    clock = ManualClock(T0)
    gateway = RateLimitedGateway({"busy-room": 30})
    story = await start_story(sqlite_url, gateway, clock)
    try:
        await put(story.app.db, "busy-room", "첫 번째")
        await put(story.app.db, "busy-room", "두 번째")
        await put(story.app.db, "quiet-room", "다른 방")
        await put(story.app.db, "minji", "개인 메시지", kind="user")
        await story.app.sender.drain()
        assert [(s.destination.id, s.text) for s in gateway.sent] == [
            ("quiet-room", "다른 방"),
            ("minji", "개인 메시지"),
        ]
        waiting = [e for e in await entries(story.app.db) if e.dest_id == "busy-room"]
        assert {e.state for e in waiting} == {OutboxState.pending}
        assert {e.next_attempt_at for e in waiting} == {T0 + timedelta(seconds=30)}

        await put(story.app.db, "quiet-room", "그 사이 새 메시지")
        await story.app.sender.drain()
        assert gateway.sent[-1].text == "그 사이 새 메시지" and len(gateway.sent) == 3

        clock.advance(seconds=30)
        await story.app.sender.drain()
        assert [s.text for s in gateway.sent[3:]] == ["첫 번째", "두 번째"]
    finally:
        await story.close()


async def test_answers_go_before_notices_and_notices_before_announcements(sqlite_url: str) -> None:
    clock = ManualClock(T0)
    story = await start_story(sqlite_url, clock=clock)
    story.gateway.limits = GROUP_LIMITS
    try:
        await put(story.app.db, "room", "📢 전체 공지", priority=9)
        await put(story.app.db, "room", "🔔 알림", priority=5)
        await put(story.app.db, "room", "명령에 대한 답", priority=0)
        for _ in range(3):
            await story.app.sender.drain()
            clock.advance(seconds=1.2)
        assert story.in_room() == ["명령에 대한 답", "🔔 알림", "📢 전체 공지"]
    finally:
        await story.close()


async def test_a_room_never_gets_more_than_its_budget(sqlite_url: str) -> None:
    clock = ManualClock(T0)
    story = await start_story(sqlite_url, clock=clock)
    story.gateway.limits = GROUP_LIMITS
    try:
        for n in range(25):
            await put(story.app.db, "room", f"공지 {n}")
        sent_at: list[datetime] = []
        for _ in range(90):
            before = len(story.gateway.sent)
            await story.app.sender.drain()
            sent_at += [clock.now()] * (len(story.gateway.sent) - before)
            clock.advance(seconds=1)
        assert len(sent_at) == 25
        assert all(b - a >= timedelta(seconds=1) for a, b in zip(sent_at, sent_at[1:]))
        assert all(sent_at[i + 20] - sent_at[i] >= timedelta(seconds=60) for i in range(len(sent_at) - 20))
    finally:
        await story.close()


# --- bursts -----------------------------------------------------------------------------------------


async def test_a_burst_of_ideas_gets_reactions_at_once_and_one_merged_confirmation(sqlite_url: str) -> None:
    clock = ManualClock(T0)
    story = await start_story(sqlite_url, clock=clock)
    story.gateway.limits = GROUP_LIMITS
    people = ["minji", "junho", "seoyeon", "jiwoo", "dohyun", "haeun", "minseo", "yerin"]
    try:
        for n, person in enumerate(people, start=1):
            await post_without_sending(story, person, f"/idea 워크숍 아이디어 {n}", message_id=f"u{n}")
        await story.app.sender.drain()

        async with story.app.db.session() as session:
            assert len((await session.exec(select(Idea))).all()) == 8  # every idea stored at once
        assert story.in_room() == [
            "💡 아이디어 #1, #2, #3, #4, #5, #6, #7, #8번을 등록했습니다. 공감은 /support <번호> 로 해 주세요."
        ]
        assert sorted(story.gateway.reactions) == sorted(("room", f"u{n}", "👀") for n in range(1, 9))
        merged_id = story.gateway.sent[0].message_id
        acks = [e for e in await entries(story.app.db) if e.coalesce_key == "idea-ack"]
        assert [(e.state, e.platform_message_id) for e in acks] == [(OutboxState.sent, merged_id)] * 8

        # One more idea right after: the room just had its message, so it waits its turn...
        await post_without_sending(story, "eunyoung", "/idea 하나 더", message_id="u9")
        assert await story.app.sender.drain() == 0
        clock.advance(seconds=1.2)
        await story.app.sender.drain()
        # ...and, alone, it is confirmed on its own, with its support button.
        assert story.gateway.sent[-1].text.startswith("💡 아이디어 #9번을 등록했습니다")
        assert story.gateway.sent[-1].actions == ["support:9"]
    finally:
        await story.close()


async def test_with_budget_to_spare_each_idea_gets_its_own_confirmation(sqlite_url: str) -> None:
    story = await start_story(sqlite_url)
    story.gateway.limits = GROUP_LIMITS
    try:
        await post_without_sending(story, "minji", "/idea 첫째")
        await post_without_sending(story, "junho", "/idea 둘째")
        await story.app.sender.drain()
        story.app.clock.advance(seconds=1.2)  # type: ignore[attr-defined]
        await story.app.sender.drain()
        [first, second] = story.in_room()
        assert first.startswith("💡 아이디어 #1번을 등록했습니다") and second.startswith(
            "💡 아이디어 #2번을 등록했습니다"
        )
        assert story.gateway.reactions == []
    finally:
        await story.close()


# --- failures ---------------------------------------------------------------------------------------


async def test_a_final_failure_is_logged_and_told_to_the_organizers(
    story: Story, caplog: pytest.LogCaptureFixture
) -> None:
    story.app.sender.settings = story.app.settings
    await story.say("sujin", "/help", room="dm:sujin")  # the organizer can be reached directly
    story.gateway.failures = [DeliveryError("Forbidden: bot was kicked from the group chat", permanent=True)]
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        delivered = await story.say("minji", "/idea 강퇴된 방의 아이디어")
    assert any("failed" in r.message and "kicked" in r.message for r in caplog.records)
    [notice] = story.to_person("sujin")
    assert delivered == [notice]  # the idea's confirmation never arrived, the notice did
    assert notice.startswith("⚠️ 메시지 #") and "room (test)" in notice and "kicked" in notice
    assert "/outbox retry" in notice


async def test_no_notice_about_a_message_to_an_organizer(story: Story) -> None:
    story.app.sender.settings = story.app.settings
    await story.say("sujin", "/help", room="dm:sujin")
    async with story.app.db.session() as session:
        sujin = (await session.exec(select(Person).where(Person.handle == "sujin"))).one()
    story.gateway.failures = [DeliveryError("Forbidden: bot was blocked by the user", permanent=True)]
    await story.app.core.run_job(lambda ctx: ctx.tell(sujin, "검토 요청"))
    await story.app.sender.drain()
    states = [(e.dest_id, e.state) for e in await entries(story.app.db)]
    assert states[-1] == ("sujin", OutboxState.failed)
    assert story.to_person("sujin") == []


async def test_a_fallback_gets_the_start_link_of_the_platform(story: Story) -> None:
    story.app.sender.settings = story.app.settings
    fallback = FollowUp(Destination("test", "room", "room"), Wording("invitation.forward", "ko", {"text": "초대장"}))
    await put(story.app.db, "dohyun", "초대", kind="user", payload={"start_payload": "inv-7", "on_failed": fallback})
    story.gateway.failures = [DeliveryError("Forbidden: bot can't initiate conversation", permanent=True)]
    await story.app.sender.drain()
    assert story.in_room() == ["초대장\n\n아래 링크로 봇을 열어 답해 주세요: /start inv-7"]

    story.gateway.start_link = lambda payload: f"https://t.me/idearoom_bot?start={payload}"  # type: ignore[attr-defined]
    await put(story.app.db, "dohyun", "초대", kind="user", payload={"start_payload": "inv-8", "on_failed": fallback})
    story.gateway.failures = [DeliveryError("Forbidden: bot can't initiate conversation", permanent=True)]
    await story.app.sender.drain()
    assert story.in_room()[-1] == "초대장\n\n아래 링크로 봇을 열어 답해 주세요: https://t.me/idearoom_bot?start=inv-8"


# --- /outbox ----------------------------------------------------------------------------------------


async def test_outbox_is_for_organizers_only(story: Story) -> None:
    [refused] = await story.say("minji", "/outbox")
    assert "담당자만" in refused
    async with story.app.db.session() as session:
        entry = (await session.exec(select(AuditEntry))).one()
    assert entry.action == "refused" and entry.detail == {"attempted": "outbox"}
    assert "담당자만" in (await story.say("minji", "/outbox retry 1"))[0]


async def test_outbox_shows_failures_and_retries_one(story: Story) -> None:
    story.app.sender.settings = story.app.settings
    [clean] = await story.say("sujin", "/outbox")
    assert "대기 0건" in clean and "실패 0건" in clean and "실패한 메시지가 없습니다" in clean

    story.gateway.failures = [DeliveryError("Bad Request: chat not found", permanent=True)]
    await story.say("minji", "/idea 사라질 뻔한 답", room="혁신방")
    [failed] = [e for e in await entries(story.app.db) if e.state == OutboxState.failed]

    [overview] = await story.say("sujin", "/outbox")
    assert "실패 1건" in overview
    assert f"#{failed.id} " in overview and "혁신방 (test): Bad Request: chat not found" in overview

    assert await story.say("sujin", "/outbox retry") == ["다시 보낼 메시지 번호를 적어 주세요. 예: /outbox retry 12"]
    assert "번호가 아닙니다" in (await story.say("sujin", "/outbox retry abc"))[0]
    assert await story.say("sujin", "/outbox retry 999") == ["#999번 메시지가 발송 대기열에 없습니다."]
    assert (
        "실패한 메시지가 아닙니다 (상태: 발송 완료)" in (await story.say("sujin", f"/outbox retry {failed.id - 1}"))[0]
    )
    assert "사용법" in (await story.say("sujin", "/outbox frobnicate"))[0]

    answer = await story.say("sujin", f"/outbox retry {failed.id}", room="혁신방")
    assert f"🔁 #{failed.id}번 메시지를 다시 보냅니다 (혁신방 (test))." in answer
    assert any(text.startswith("💡 아이디어 #1번을 등록했습니다") for text in answer)
    async with story.app.db.session() as session:
        again = await session.get(OutboxMessage, failed.id)
        audit = (await session.exec(select(AuditEntry).where(AuditEntry.action == "outbox.retried"))).one()
    assert again is not None and again.state == OutboxState.sent and again.error == ""
    assert audit.subject_id == failed.id and audit.detail == {"error": "Bad Request: chat not found"}
