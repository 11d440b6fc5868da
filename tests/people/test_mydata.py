"""/mydata: everything the bot keeps about a person, as a file sent to their direct chat only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.ports import DeliveryError, ManualClock
from storage.tables import CommitteeMeeting, Idea, OutboxMessage, OutboxState
from tests.core.test_committee import add_members, maturing_proposal
from tests.harness import Story, test_settings
from tests.scheduler.clocked import ClockedStory


async def test_mydata_holds_everything_about_a_person_with_activity_everywhere(sqlite_url: str, tmp_path: Path) -> None:
    clocked = await ClockedStory.start(sqlite_url, IDEAROOM_REPORT_DIR=str(tmp_path))
    story = clocked.story
    try:
        for person in ("sujin", "dohyun", "jiwoo", "seoyeon", "junho"):
            await story.dm(person, "/help")
        await add_members(story)  # 준호 sits on the committee
        proposal = await maturing_proposal(
            story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족"
        )  # he supports it
        await story.say("junho", "/idea 청사 자전거 보관소를 늘려 주세요")
        async with story.app.db.session() as session:
            his_idea = (await session.exec(select(Idea).where(Idea.text == "청사 자전거 보관소를 늘려 주세요"))).one()
        await story.say("sujin", f"/proposal new {his_idea.id} 자전거 보관소 확충")
        await clocked.move_to("2026-06-08T09:00")  # the agenda goes out
        async with story.app.db.session() as session:
            meeting = (await session.exec(select(CommitteeMeeting))).one()
        await story.press("junho", f"vote:{meeting.id}:{proposal}:keep", room="dm:junho")

        assert "1:1 대화에서" in (await story.say("junho", "/mydata"))[0]  # never in a group chat
        before = len(story.gateway.sent)
        await story.dm("junho", "/내정보")
        [sent] = story.gateway.sent[before:]
        assert sent.destination.id == "dm:junho" and sent.message.kind == "document"
        assert "최준호 주무관님에 관해 봇이 보관하는 정보" in sent.text
        assert sent.file is not None
        data = json.loads(sent.file.decode("utf-8"))
        assert not Path(sent.message.payload["path"]).exists()  # sent, so removed from the data dir
        assert not list(tmp_path.rglob("mydata-*"))
    finally:
        await clocked.close()

    assert data["person"]["name"] == "최준호" and data["person"]["handle"] == "junho"
    assert {a["external_id"] for a in data["identity"]} == {"junho"}
    assert {i["text"] for i in data["idea"]} == {"청사 자전거 보관소를 늘려 주세요"}
    assert len(data["support"]) == 1  # the 온열의자 idea
    assert [p["title"] for p in data["proposals_as_proposer"]] == ["자전거 보관소 확충"]
    assert {e["stage"] for e in data["pointentry"]} >= {"idea_posted"}
    assert [m["active"] for m in data["committeemember"]] == [True]
    assert [(v["proposal_id"], v["choice"]) for v in data["committeevote"]] == [(proposal, "keep")]
    assert data["auditentry"] and all("code_hash" not in str(row) for row in data["auditentry"])
    assert any("회의 안건" in m["text"] for m in data["messages_to_them"])
    assert any(
        m["dest_id"] == "dm:junho" and "/idea" in m["text"] for m in data["messages_to_them"]
    )  # the /help he asked for
    assert [(r["external_id"], r["is_direct"]) for r in data["room"]] == [("dm:junho", True)]
    assert "linkcode" not in data


async def test_the_file_stays_for_a_retry_and_goes_once_sent_or_given_up(sqlite_url: str, tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 11, 16, 10, 0, tzinfo=UTC))
    story = await Story.start(test_settings(sqlite_url, IDEAROOM_REPORT_DIR=str(tmp_path)), clock)
    try:
        await files_are_removed(story, clock, tmp_path)
    finally:
        await story.close()


async def files_are_removed(story: Story, clock: ManualClock, reports: Path) -> None:
    story.gateway.failures.append(DeliveryError("timeout"))  # a passing outage: tried again later
    await story.dm("junho", "/mydata")
    [waiting] = list(reports.rglob("mydata-*.json"))
    clock.advance(minutes=5)
    await story.app.sender.drain()
    assert story.gateway.sent[-1].message.kind == "document" and not waiting.exists()

    story.gateway.failures.append(DeliveryError("chat not found", permanent=True))
    await story.dm("junho", "/mydata")
    assert not list(reports.rglob("mydata-*.json"))  # given up: nothing is left behind
    [failed] = await story.rows(OutboxMessage, OutboxMessage.state == OutboxState.failed)
    assert failed.kind == "document"
