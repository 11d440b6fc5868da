"""The committee works like a committee: recusal, a quorum, a chair who closes the vote, reminders
to members who have not voted, minutes in the room and as a file, and no agenda sent to nobody."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.dashboard.queries import proposal_detail
from storage.tables import CommitteeMeeting, CommitteeOutcome, CommitteeVote, Proposal
from tests.core.test_committee import maturing_proposal
from tests.harness import Story
from tests.scheduler.clocked import ClockedStory

PEOPLE = ("sujin", "dohyun", "minji", "jiwoo", "seoyeon", "junho", "jeonghoon")


async def started(url: str, **settings: object) -> ClockedStory:
    c = await ClockedStory.start(url, **settings)
    for person in PEOPLE:
        await c.story.dm(person, "/help")  # each has an account the bot can message
    return c


@pytest.fixture
async def clocked(database_url: str):  # type: ignore[no-untyped-def]
    c = await started(database_url)
    yield c
    await c.close()


async def members(story: Story, *people: str) -> None:
    for person in people:
        assert (await story.say("sujin", f"/committee add @{person}"))[0].startswith("✅")


async def meeting(story: Story) -> CommitteeMeeting:
    [row] = await story.rows(CommitteeMeeting)
    return row


def agenda_items(story: Story, person: str) -> list:  # type: ignore[type-arg]
    return [
        s
        for s in story.gateway.sent
        if s.destination.kind == "user" and s.destination.id == person and "불채택 사유" in s.text
    ]


async def test_proposers_and_the_deciding_head_do_not_vote_on_it(clocked: ClockedStory) -> None:
    story = clocked.story
    # 박민지 proposed it and 김도현 rejected it; both sit on the committee.
    await members(story, "minji", "dohyun", "jiwoo", "seoyeon")
    heated = await maturing_proposal(story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족")
    await clocked.move_to("2026-06-08T09:00")

    [for_minji] = agenda_items(story, "minji")
    assert "회피 위원: 박민지(제안자), 김도현(불채택 결정)" in for_minji.text
    assert "위원님은 이 제안의 제안자이시므로 이 안건에는 투표하지 않으십니다." in for_minji.text
    assert for_minji.actions == []
    [for_jiwoo] = agenda_items(story, "jiwoo")
    assert "회피 위원: 박민지(제안자), 김도현(불채택 결정)" in for_jiwoo.text and len(for_jiwoo.actions) == 2

    async with story.app.db.session() as session:  # what waits for each of them (Slack's Home tab)
        from bot.features.home import home_summary
        from storage.tables import Person

        waiting = {
            handle: [w.kind for w in (await home_summary(session, person)).waiting]
            for handle in ("minji", "jiwoo")
            if (person := (await session.exec(select(Person).where(Person.handle == handle))).one())
        }
    assert waiting == {"minji": [], "jiwoo": ["vote"]}

    vote = f"vote:{(await meeting(story)).id}:{heated}"
    assert await story.press("minji", f"{vote}:revive", room="dm:minji") == (
        f"위원님이 제안자로 참여하신 제안 #{heated}에는 투표하실 수 없습니다 (이해충돌 회피)."
    )
    assert await story.press("dohyun", f"{vote}:keep", room="dm:dohyun") == (
        f"위원님이 불채택을 결정하신 제안 #{heated}에는 투표하실 수 없습니다 (이해충돌 회피)."
    )
    assert await story.count(CommitteeVote) == 0
    # Nor may the head bring it back alone with /proposal revive.
    [refused] = await story.say("dohyun", f"/proposal revive {heated}")
    assert refused.startswith(f"제안 #{heated}의 불채택을 결정하셨으므로 직접 재상정하실 수 없습니다.")

    # The two who may vote are the whole electorate: both revive, a quorum of two of two.
    await story.press("jiwoo", f"{vote}:revive", room="dm:jiwoo")
    await story.press("seoyeon", f"{vote}:revive", room="dm:seoyeon")
    await clocked.move_to("2026-06-15T18:00")
    [outcome] = await story.rows(CommitteeOutcome)
    assert (outcome.outcome, outcome.eligible, outcome.quorum, outcome.revive) == ("revived", 2, 2, 2)
    [minutes] = [t for t in story.in_room("room") if t.startswith("📝") and "회의록" in t]
    assert "재상정 2표 · 유지 0표 · 투표 2/2명(정족수 2명 충족)" in minutes
    assert "투표한 위원: 한지우, 정서연" in minutes and "회피: 박민지(제안자), 김도현(불채택 결정)" in minutes


async def test_two_of_four_members_is_no_quorum(clocked: ClockedStory) -> None:
    story = clocked.story
    await members(story, "jiwoo", "seoyeon", "junho", "jeonghoon")
    heated = await maturing_proposal(story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족")
    await clocked.move_to("2026-06-08T09:00")
    [header] = [t for t in story.to_person("jiwoo") if "회의 안건" in t]
    assert "의결정족수: 안건마다 투표할 수 있는 위원의 과반이 투표해야 결정됩니다 (위원 4명)." in header
    vote = f"vote:{(await meeting(story)).id}:{heated}"
    await story.press("jiwoo", f"{vote}:revive", room="dm:jiwoo")
    await story.press("seoyeon", f"{vote}:revive", room="dm:seoyeon")
    await clocked.move_to("2026-06-15T18:00")

    [proposal] = await story.rows(Proposal)
    assert (proposal.state, proposal.revived_count) == ("maturing", 0)  # not revived by two of four
    [outcome] = await story.rows(CommitteeOutcome)
    assert (outcome.outcome, outcome.quorum_met, outcome.quorum) == ("no_quorum", False, 3)
    [minutes] = [t for t in story.in_room("room") if t.startswith("📝") and "회의록" in t]
    assert "⏸️ 제안 #1 버스정류장 온열의자 — 정족수 미달, 다음 회의에 다시 상정" in minutes
    assert "투표 2/4명(정족수 3명 미달)" in minutes
    assert "투표 마감: 2026. 6. 15.(월) 18:00, 회의일 종료로 자동 마감" in minutes
    assert not any("재심사를 결정" in t for t in story.in_room("room"))


async def test_the_quorum_is_a_setting(sqlite_url: str) -> None:
    clocked = await started(sqlite_url, IDEAROOM_COMMITTEE_QUORUM="2")
    try:
        story = clocked.story
        await members(story, "jiwoo", "seoyeon", "junho", "jeonghoon")
        heated = await maturing_proposal(story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족")
        await clocked.move_to("2026-06-08T09:00")
        assert any("의결정족수: 안건마다 2명 이상이 투표해야 결정됩니다." in t for t in story.to_person("jiwoo"))
        vote = f"vote:{(await meeting(story)).id}:{heated}"
        await story.press("jiwoo", f"{vote}:revive", room="dm:jiwoo")
        await story.press("seoyeon", f"{vote}:revive", room="dm:seoyeon")
        await clocked.move_to("2026-06-15T18:00")
        [proposal] = await story.rows(Proposal)
        assert (proposal.state, proposal.revived_count) == ("submitted", 1)
    finally:
        await clocked.close()


async def test_the_chair_closes_the_vote_and_the_minutes_go_to_the_room(clocked: ClockedStory) -> None:
    story = clocked.story
    await members(story, "jiwoo", "seoyeon", "junho")
    heated = await maturing_proposal(story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족")
    shade = await maturing_proposal(story, "횡단보도 그늘막 확대", "횡단보도 그늘막", "여름철 한정 사업")

    assert "담당자만" in (await story.say("minji", "/committee chair @jiwoo"))[0]
    assert (
        "자문단 위원이 아니어서 위원장으로 지정할 수 없습니다"
        in (await story.say("sujin", "/committee chair @minji"))[0]
    )
    assert "아직 위원장이 없습니다" in (await story.say("sujin", "/committee close"))[0]
    assert (await story.say("sujin", "/committee chair @jiwoo"))[
        0
    ] == "✅ 한지우 주무관님을 자문단 위원장으로 지정했습니다."
    assert any("/committee close" in t for t in story.to_person("jiwoo"))
    assert (
        "2. 한지우 (위원장)" not in (listing := (await story.say("minji", "/committee"))[0])
        and "한지우 (위원장)" in listing
    )
    assert "마감할 투표가 없습니다" in (await story.dm("jiwoo", "/committee close"))[0]

    await clocked.move_to("2026-06-08T09:00")
    vote = f"vote:{(await meeting(story)).id}"
    for person, choice in (("jiwoo", "revive"), ("seoyeon", "revive"), ("junho", "keep")):
        await story.press(person, f"{vote}:{heated}:{choice}", room=f"dm:{person}")
    await story.press("junho", f"{vote}:{shade}:keep", room="dm:junho")
    await story.press("seoyeon", f"{vote}:{shade}:keep", room="dm:seoyeon")

    await clocked.move_to("2026-06-15T11:00")  # meeting day
    assert (await story.dm("seoyeon", "/committee close"))[0] == "투표 마감은 자문단 위원장만 하실 수 있습니다."
    closed, *_ = await story.dm("jiwoo", "/committee close")
    assert closed.startswith("🔨 2026년 2분기 자문단 투표를 마감했습니다(안건 2건).")
    [minutes] = [t for t in story.in_room("room") if t.startswith("📝") and "회의록" in t]
    assert minutes.splitlines()[:2] == [
        "📝 2026년 2분기 시민행복 제안 디자인 자문단 회의록(안건 2건)",
        "투표 마감: 2026. 6. 15.(월) 11:00, 위원장 한지우님",
    ]
    assert "🔁 제안 #1 버스정류장 온열의자 — 재상정 결정(담당 부서에 다시 제출)" in minutes
    assert "재상정 2표 · 유지 1표 · 투표 3/3명(정족수 2명 충족)" in minutes
    assert "투표한 위원: 한지우, 정서연, 최준호" in minutes
    assert "🌱 제안 #2 횡단보도 그늘막 — 숙성 유지" in minutes and "재상정 0표 · 유지 2표 · 투표 2/3명" in minutes
    assert any(t.startswith("📝") for t in story.to_person("sujin")) and any(
        t.startswith("📝") for t in story.to_person("junho")
    )
    assert "이미 집계되어" in (await story.press("junho", f"{vote}:{shade}:revive", room="dm:junho") or "")
    # The committee decided, not its chair: the history says so as when the clock closes the vote.
    history = (await story.say("sujin", f"/proposal {heated}"))[0]
    assert "숙성 중 → 제출됨 (자문단 의결) — 2026년 2분기 자문단 재상정 결정" in history and "(한지우)" not in history
    async with story.app.db.session() as session:  # the dashboard's timeline of the proposal says the same
        detail = await proposal_detail(session, heated, clocked.clock.now())
    assert detail is not None and [(s.actor, s.by) for s in detail.timeline][-1] == ("", "proposal.actor_committee")
    sent = len(story.gateway.sent)
    await clocked.move_to("2026-06-15T18:00")  # the automatic close finds the vote closed
    assert not any(s.text.startswith("📝") for s in story.gateway.sent[sent:])
    assert (await meeting(story)).closed_by is not None
    [again] = await story.say("minji", "/committee minutes 2026-Q2")
    assert again == minutes
    assert "회의록을 찾을 수 없습니다" in (await story.say("minji", "/committee minutes 2025-Q1"))[0]


async def test_members_who_have_not_voted_are_reminded_the_business_day_before(clocked: ClockedStory) -> None:
    story = clocked.story
    await members(story, "minji", "jiwoo", "seoyeon")
    heated = await maturing_proposal(story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족")
    await clocked.move_to("2026-06-08T09:00")
    await story.press("jiwoo", f"vote:{(await meeting(story)).id}:{heated}:revive", room="dm:jiwoo")

    await clocked.move_to("2026-06-12T08:59")
    assert not any(t.startswith("🗳️") for t in story.to_person("seoyeon"))
    await clocked.move_to("2026-06-12T09:00")  # Friday, the business day before Monday's meeting
    [nudge] = [s for s in story.gateway.sent if s.destination.id == "seoyeon" and s.text.startswith("🗳️")]
    assert nudge.text.splitlines() == [
        "🗳️ 2026. 6. 15.(월) 2026년 2분기 자문단 회의 전에 아직 투표하지 않으신 안건이 1건 있습니다. 아래 버튼으로 투표해 주세요.",
        "  · 제안 #1 버스정류장 온열의자",
    ]
    assert nudge.actions == [
        f"vote:{(await meeting(story)).id}:{heated}:revive",
        f"vote:{(await meeting(story)).id}:{heated}:keep",
    ]
    assert not any(t.startswith("🗳️") for t in story.to_person("jiwoo"))  # she voted
    assert not any(t.startswith("🗳️") for t in story.to_person("minji"))  # she proposed it: recused


async def test_an_agenda_with_no_members_or_no_proposals_tells_the_organizer(clocked: ClockedStory) -> None:
    story = clocked.story
    [no_members] = await story.say("sujin", "/committee agenda")
    assert no_members.startswith("⚠️ 2026년 2분기 자문단 위원이 아직 없어 안건을 보내지 않았습니다.")
    await members(story, "jiwoo", "seoyeon")
    [nothing] = await story.say("sujin", "/committee agenda")
    assert nothing == "ℹ️ 2026년 2분기 자문단 회의에 올릴 숙성 제안이 없어 안건을 보내지 않았습니다."
    await clocked.move_to("2026-06-08T09:00")
    assert "ℹ️ 2026년 2분기 자문단 회의에 올릴 숙성 제안이 없어 안건을 보내지 않았습니다." in story.to_person("sujin")
    assert not any("회의 안건" in t for t in story.to_person("jiwoo"))
    assert not any("보냈습니다" in t and "안건" in t for t in story.to_person("sujin"))
    assert (await meeting(story)).agenda_sent_at is None


def test_the_minutes_export_as_csv_and_xlsx_from_the_command_line(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.ports import ManualClock
    from idearoom.cli import main
    from tests.harness import test_settings
    from tests.scheduler.clocked import seoul
    from tests.templates import prepared_app

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("IDEAROOM_DATABASE_URL", url)
    monkeypatch.setenv("IDEAROOM_LOCALE", "ko")

    async def quarter() -> None:
        app = await prepared_app(test_settings(url), ManualClock(seoul("2026-03-31T08:00")), migrate=True)
        await app.close()
        clocked = await started(url)
        try:
            story = clocked.story
            await members(story, "minji", "jiwoo", "seoyeon", "junho")
            heated = await maturing_proposal(story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족")
            await clocked.move_to("2026-06-08T09:00")
            vote = f"vote:{(await meeting(story)).id}:{heated}"
            for person in ("jiwoo", "seoyeon"):
                await story.press(person, f"{vote}:revive", room=f"dm:{person}")
            await story.press("junho", f"{vote}:keep", room="dm:junho")
            await clocked.move_to("2026-06-15T18:00")
        finally:
            await clocked.close()

    asyncio.run(quarter())
    assert main(["committee", "minutes", "--quarter", "2026-Q2", "--output", str(tmp_path / "m.csv")]) == 0
    raw = (tmp_path / "m.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == [
        "분기",
        "제안 번호",
        "제목",
        "결과",
        "재상정",
        "유지",
        "투표 가능 위원",
        "정족수",
        "정족수 충족",
        "투표한 위원",
        "회피 위원",
    ]
    assert rows[1] == [
        "2026-Q2",
        "1",
        "버스정류장 온열의자",
        "재상정 결정",
        "2",
        "1",
        "3",
        "2",
        "예",
        "한지우, 정서연, 최준호",
        "박민지(제안자)",
    ]
    out = tmp_path / "m.xlsx"
    assert main(["committee", "minutes", "--quarter", "2026-q2", "--format", "xlsx", "--output", str(out)]) == 0
    sheet = load_workbook(out)["2026-Q2"]
    assert [c.value for c in sheet[2]][:5] == ["2026-Q2", 1, "버스정류장 온열의자", "재상정 결정", 2]
    assert main(["committee", "minutes", "--quarter", "2026-Q3"]) == 2
    assert "no minutes for 2026-Q3" in capsys.readouterr().err
