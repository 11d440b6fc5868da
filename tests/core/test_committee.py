"""The advisory committee: members, the quarterly agenda, votes, and the tally that revives proposals."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.tables import AuditEntry, CommitteeMeeting, CommitteeMember, CommitteeVote, Idea, Proposal
from tests.harness import Story
from tests.scheduler.clocked import ClockedStory

MEMBERS = ("jiwoo", "seoyeon", "junho")


@pytest.fixture
async def clocked(sqlite_url: str):  # type: ignore[no-untyped-def]
    c = await ClockedStory.start(sqlite_url)
    for person in ("sujin", "dohyun", *MEMBERS):
        await c.story.dm(person, "/help")  # each has an account the bot can message
    yield c
    await c.close()


async def maturing_proposal(story: Story, idea: str, title: str, reason: str) -> int:
    """An idea made into a proposal, submitted to 교통정책과 and rejected by its head."""
    await story.say("minji", f"/idea {idea}")
    async with story.app.db.session() as session:
        idea_row = (await session.exec(select(Idea).where(Idea.text == idea))).one()
    await story.say("junho", f"/support {idea_row.id}")
    await story.say("sujin", f"/proposal new {idea_row.id} {title}")
    async with story.app.db.session() as session:
        proposal = (await session.exec(select(Proposal).where(Proposal.title == title))).one()
    await story.say("sujin", f"/proposal submit {proposal.id} 교통정책과")
    await story.say("dohyun", f"/proposal reject {proposal.id} {reason}")
    return int(proposal.id)  # type: ignore[arg-type]


async def add_members(story: Story) -> None:
    for person in MEMBERS:
        assert (await story.say("sujin", f"/committee add @{person}"))[0].startswith("✅")


async def test_organizers_keep_the_members_and_everyone_sees_them(clocked: ClockedStory) -> None:
    story = clocked.story
    [refused] = await story.say("minji", "/committee add @jiwoo")
    assert "담당자만" in refused
    await add_members(story)
    assert any("자문단 위원으로 위촉" in text for text in story.to_person("jiwoo"))
    assert "이미 자문단 위원" in (await story.say("sujin", "/committee add 한지우"))[0]
    assert "찾을 수 없습니다" in (await story.say("sujin", "/committee add @nobody"))[0]
    assert "사용법" in (await story.say("sujin", "/committee add"))[0]
    [removed] = await story.say("sujin", "/committee remove @seoyeon")
    assert "정서연 주무관님을 자문단 위원에서 해촉" in removed
    assert "위원이 아닙니다" in (await story.say("sujin", "/committee remove @seoyeon"))[0]
    [listing] = await story.say("minji", "/committee")
    assert "위원 (2명)" in listing and "한지우" in listing and "최준호" in listing and "정서연" not in listing
    assert "다음 회의: 2026년 2분기 회의, 2026. 6. 15.(월) (안건 발송 2026. 6. 8.(월))" in listing
    async with story.app.db.session() as session:
        actions = (await session.exec(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        seoyeon = (await session.exec(select(CommitteeMember).where(CommitteeMember.active == False))).one()  # noqa: E712
    assert actions.count("committee.member_added") == 3 and "committee.member_removed" in actions
    assert "refused" in actions and seoyeon.active is False


async def test_a_quarter_agenda_votes_and_tally(clocked: ClockedStory) -> None:
    story = clocked.story
    await add_members(story)
    heated = await maturing_proposal(story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족")
    shade = await maturing_proposal(story, "횡단보도 그늘막 확대", "횡단보도 그늘막", "여름철 한정 사업")
    lights = await maturing_proposal(story, "공원 야간 조명 확대", "공원 야간 조명", "타 부서 소관")

    await clocked.move_to("2026-06-08T08:59")
    assert not any("회의 안건" in text for text in story.to_person("jiwoo"))
    await clocked.move_to("2026-06-08T09:00")
    agenda = [s for s in story.gateway.sent if s.destination.id == "jiwoo" and s.destination.kind == "user"][-4:]
    assert (
        "자문단 2026년 2분기 회의 안건" in agenda[0].text
        and "2026. 6. 15.(월)" in agenda[0].text
        and "3건" in agenda[0].text
    )
    assert "제안 #1 버스정류장 온열의자" in agenda[1].text and "불채택 사유: 예산 부족" in agenda[1].text
    assert "#1 버스정류장에 온열의자를 설치 (👍 1)" in agenda[1].text and "공감 합계 👍 1" in agenda[1].text
    async with story.app.db.session() as session:
        meeting = (await session.exec(select(CommitteeMeeting))).one()
    assert agenda[1].actions == [f"vote:{meeting.id}:{heated}:revive", f"vote:{meeting.id}:{heated}:keep"]
    assert any("안건(숙성 제안 3건)을 위원 3명께" in text for text in story.to_person("sujin"))

    vote = f"vote:{meeting.id}"
    assert "재상정" in (await story.press("jiwoo", f"{vote}:{heated}:revive", room="dm:jiwoo") or "")
    await story.press("seoyeon", f"{vote}:{heated}:revive", room="dm:seoyeon")
    await story.press("junho", f"{vote}:{heated}:keep", room="dm:junho")
    await story.press("jiwoo", f"{vote}:{shade}:revive", room="dm:jiwoo")
    await story.press("seoyeon", f"{vote}:{shade}:keep", room="dm:seoyeon")  # a tie keeps it maturing
    await story.press("junho", f"{vote}:{lights}:revive", room="dm:junho")
    assert "숙성 유지" in (await story.press("junho", f"{vote}:{lights}:keep", room="dm:junho") or "")  # changed
    assert await story.press("minji", f"{vote}:{heated}:revive", room="dm:minji") == "자문단 위원만 투표할 수 있습니다."
    assert await story.press("jiwoo", f"{vote}:999:revive", room="dm:jiwoo") == "이 버튼은 더 이상 쓸 수 없습니다."

    await clocked.move_to("2026-06-15T18:00")
    async with story.app.db.session() as session:
        states = {p.id: (p.state, p.revived_count) for p in (await session.exec(select(Proposal))).all()}
        votes = len((await session.exec(select(CommitteeVote))).all())
        meeting = (await session.exec(select(CommitteeMeeting))).one()
    assert states == {heated: ("submitted", 1), shade: ("maturing", 0), lights: ("maturing", 0)}
    assert votes == 6 and meeting.tallied_at is not None
    assert any(
        "제안 #1 '버스정류장 온열의자'의 재상정을 결정" in text and "재상정 2표, 유지 1표" in text
        for text in story.in_room("room")
    )
    [minutes] = [t for t in story.to_person("sujin") if "회의록" in t]
    assert "🔁 제안 #1 버스정류장 온열의자 — 재상정 결정" in minutes
    assert "🌱 제안 #2 횡단보도 그늘막 — 숙성 유지" in minutes  # a tie keeps it maturing
    # One vote of three members is no quorum: #3 is neither revived nor kept, it comes back.
    assert "⏸️ 제안 #3 공원 야간 조명 — 정족수 미달, 다음 회의에 다시 상정" in minutes
    assert any("회의록" in text for text in story.to_person("junho"))
    assert "이미 집계되어" in (await story.press("jiwoo", f"{vote}:{shade}:revive", room="dm:jiwoo") or "")
    keys = [r.dedupe_key for r in await clocked.reminders()]
    assert "committee:2026-Q3:agenda" in keys and "committee:2026-Q3:tally" in keys
    history = (await story.say("sujin", f"/proposal {heated}"))[0]
    assert "숙성 중 → 제출됨 (자문단 의결)" in history and "idearoom" not in history  # the bot never acts in a history


async def test_the_next_agenda_has_what_matured_since_the_last_one_and_what_lacked_a_quorum(
    clocked: ClockedStory,
) -> None:
    story = clocked.story
    await add_members(story)
    await maturing_proposal(story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족")
    await story.say("sujin", "/committee agenda", room="dm:sujin")
    assert "안건(숙성 제안 1건)을 위원 3명께" in story.in_room("dm:sujin")[-1]
    assert "담당자만" in (await story.say("minji", "/committee agenda"))[0]
    await clocked.move_to("2026-06-08T09:00")  # already sent by hand: not again
    assert sum("회의 안건" in text for text in story.to_person("jiwoo")) == 1
    await clocked.move_to("2026-06-15T18:00")
    later = await maturing_proposal(story, "공원 야간 조명 확대", "공원 야간 조명", "타 부서 소관")
    await clocked.move_to("2026-09-08T09:00")
    q3 = [s for s in story.gateway.sent if s.destination.id == "jiwoo" and "회의 안건" in s.text][-1]
    items = [s.text for s in story.gateway.sent if s.destination.id == "jiwoo"]
    after = items[items.index(q3.text) + 1 :]
    # Nobody voted on #1 in Q2 (no quorum), so it is back, with what matured since.
    assert "2026년 3분기" in q3.text and "2건" in q3.text
    assert [text.splitlines()[0] for text in after if text.startswith("📄")] == [
        "📄 제안 #1 버스정류장 온열의자",
        f"📄 제안 #{later} 공원 야간 조명",
    ]
