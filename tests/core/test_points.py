"""Smile points through the core: rules, limits, /points, /leaderboard and manual entries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from bot.messages import IncomingMessage
from bot.points.rules import RulesError, load_rules
from bot.ports import ManualClock
from storage.tables import AuditEntry, Idea, PointEntry
from tests.harness import Story, test_settings

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
async def clocked(sqlite_url: str) -> AsyncIterator[tuple[Story, ManualClock]]:
    clock = ManualClock(datetime(2026, 11, 30, 23, 0, tzinfo=SEOUL))
    s = await Story.start(test_settings(sqlite_url), clock)
    yield s, clock
    await s.close()


async def entries(story: Story, *where) -> list[PointEntry]:  # type: ignore[no-untyped-def]
    async with story.app.db.session() as session:
        return list((await session.exec(select(PointEntry).where(*where).order_by(PointEntry.id))).all())


def test_the_shipped_rules_and_an_override_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = load_rules()
    assert (rules.idea_posted, rules.idea_posted_daily_cap, rules.proposal_adopted) == (1, 5, 20)
    assert (rules.idea_supported_threshold.points, rules.idea_supported_threshold.supports) == (3, 5)
    override = tmp_path / "rules.toml"
    override.write_text("proposal_adopted = 50\nidea_supported_threshold = { points = 4, supports = 2 }\n")
    changed = load_rules(str(override))
    assert (changed.proposal_adopted, changed.idea_supported_threshold.supports, changed.idea_posted) == (50, 2, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("proposal_adopted = -3", "'proposal_adopted' must be a whole number"),
        ("proposal_adoptd = 3", "unknown rule(s) proposal_adoptd"),
        ("idea_supported_threshold = 3", "must look like { points = 3, supports = 5 }"),
        ("idea_posted = ", "is not valid TOML"),
    ],
)
def test_a_bad_rules_file_is_a_clear_error(tmp_path, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(
        RulesError, match=message.replace("(", r"\(").replace(")", r"\)").replace("{", r"\{").replace("}", r"\}")
    ):
        load_rules(str(bad))
    with pytest.raises(RulesError, match="not found"):
        load_rules(str(tmp_path / "missing.toml"))


def test_the_cli_refuses_to_start_with_a_bad_rules_file(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from idearoom.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text("proposal_adopted = 'many'")
    monkeypatch.setenv("IDEAROOM_POINTS_RULES", str(bad))
    monkeypatch.setenv("IDEAROOM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert main(["points", "export", "--period", "2026"]) == 2
    assert "configuration error" in capsys.readouterr().err


async def test_idea_points_stop_at_the_daily_cap_and_resume_the_next_seoul_day(clocked) -> None:  # type: ignore[no-untyped-def]
    story, clock = clocked
    for n in range(6):
        await story.say("minji", f"/idea 아이디어 {n}")
    assert [e.points for e in await entries(story)] == [1, 1, 1, 1, 1]
    [shown] = await story.say("minji", "/points")
    assert "누적 5점" in shown and "아이디어 등록 포인트 한도(5건)에 도달" in shown
    clock.advance(hours=1)  # midnight in Seoul: a new day
    await story.say("minji", "/idea 다음 날 아이디어")
    assert len(await entries(story)) == 6
    [shown] = await story.say("minji", "/points")
    assert "한도" not in shown and "누적 6점(이번 달 1점)" in shown


async def test_an_idea_reaching_the_support_threshold_pays_its_author_once(story: Story) -> None:
    await story.say("minji", "/idea 가로등 LED 교체")
    for person in ("junho", "seoyeon", "jiwoo", "sujin"):
        await story.say(person, "/support 1")
    assert [e.stage for e in await entries(story)] == ["idea_posted"]
    await story.say("dohyun", "/support 1")  # the fifth support
    await story.say("haeun", "/support 1")
    await story.say("minji", "/support 1")  # her own: refused, pays nothing
    threshold = await entries(story, PointEntry.stage == "idea_supported_threshold")
    assert [(e.points, e.award_key) for e in threshold] == [(3, "idea_threshold:idea:1")]


async def test_points_shows_balance_and_recent_entries(story: Story) -> None:
    [empty] = await story.say("jiwoo", "/points")
    assert "누적 0점" in empty and "아직 포인트 내역이 없습니다" in empty
    await story.say("minji", "/idea 첫 아이디어")
    [shown] = await story.dm("minji", "/points")
    lines = shown.splitlines()
    assert lines[0] == "😊 박민지 주무관님의 미소포인트: 누적 1점(이번 달 1점)"
    assert lines[2].endswith("+1점 아이디어 등록 #1")


async def test_organizers_award_and_deduct_with_a_reason(story: Story) -> None:
    await story.say("minji", "/help")
    assert "담당자만" in (await story.say("junho", "/points award minji 10 잘했어요"))[0]
    assert "사용법: /points award" in (await story.say("sujin", "/points award minji"))[0]
    assert "1부터 1000까지" in (await story.say("sujin", "/points award minji 0 사유"))[0]
    assert "1부터 1000까지" in (await story.say("sujin", "/points award minji 1001 사유"))[0]
    assert "1부터 1000까지" in (await story.say("sujin", "/points deduct minji -5 사유"))[0]
    assert "사유를 적어 주세요" in (await story.say("sujin", "/points award minji 10"))[0]
    assert "찾을 수 없습니다" in (await story.say("sujin", "/points award nobody 10 사유"))[0]
    assert await entries(story) == []
    [done, *_] = await story.say("sujin", "/points award @minji 10 혁신 워크숍 발표")
    assert done == "✅ 박민지 주무관님께 10점을 지급했습니다(누적 10점)."
    assert story.to_person("minji")[-1] == "😊 미소포인트 10점이 지급되었습니다. 사유: 혁신 워크숍 발표 (누적 10점)"
    await story.say("sujin", "/points deduct minji 3 중복 제출")
    manual = await entries(story)
    assert [(e.points, e.reason, e.stage) for e in manual] == [
        (10, "혁신 워크숍 발표", "manual"),
        (-3, "중복 제출", "manual"),
    ]
    assert [e.award_key for e in manual] == [f"manual:person:{manual[0].person_id}:{n}" for n in (1, 2)]
    async with story.app.db.session() as session:
        actions = [a.action for a in (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()]
    assert actions == ["refused", "points.awarded", "points.deducted"]
    assert "담당자 조정 — 중복 제출" in (await story.say("minji", "/points"))[0]


async def test_leaderboard_for_people_and_departments(story: Story) -> None:
    await story.say("minji", "/idea 하나")
    await story.say("minji", "/idea 둘")
    await story.say("junho", "/idea 셋")
    await story.say("sujin", "/points award seoyeon 5 발표")
    [board] = await story.say("junho", "/leaderboard")
    lines = board.splitlines()
    assert lines[0].startswith("🏆 미소포인트 순위 — 이번 달(")
    assert lines[1:] == ["1위 정서연 — 5점", "2위 박민지 — 2점", "3위 최준호 — 1점", "내 순위: 3명 중 3위 (1점)"]
    [quarter] = await story.say("jiwoo", "/leaderboard quarter")
    assert "이번 분기" in quarter and quarter.splitlines()[-1] == "이 기간에는 아직 내 포인트가 없습니다."
    [departments] = await story.say("minji", "/leaderboard departments")
    assert departments.splitlines()[1:] == [
        "1위 환경정책과 — 5점",
        "2위 교통정책과 — 2점",
        "3위 도로과 — 1점",
        "우리 부서: 3개 부서 중 2위 (2점)",
    ]
    assert "사용법: /leaderboard" in (await story.say("minji", "/leaderboard weekly"))[0]
    # Asked in Korean, answered with the Korean words that work (not "/leaderboard [month|quarter|year]").
    assert (await story.say("minji", "/순위 주간"))[
        0
    ] == "사용법: /순위 [이번달|분기|올해] 또는 /순위 부서 [이번달|분기|올해]"


async def test_invitation_accepted_and_field_visit_held_pay_the_head(story: Story) -> None:
    from bot.points.listeners import on_field_visit_held, on_invitation_accepted
    from storage.tables import FieldVisit, Invitation, Person, Room

    async with story.app.db.session() as session:
        head = (await session.exec(select(Person).where(Person.handle == "haeun"))).one()
        room = Room(platform="test", external_id="room")
        session.add(room)
        await session.flush()
        invitation = Invitation(
            room_id=room.id, department_id=head.department_id, head_person_id=head.id, invited_by=head.id
        )  # type: ignore[arg-type]
        session.add(invitation)
        await session.flush()
        visit = FieldVisit(invitation_id=invitation.id, room_id=room.id, visit_at=story.app.clock.now())  # type: ignore[arg-type]
        session.add(visit)
        await session.flush()

    async def happen(ctx):  # type: ignore[no-untyped-def]
        await on_invitation_accepted(ctx, invitation=invitation)
        await on_field_visit_held(ctx, visit=visit)

    await story.app.core.run_job(happen)
    await story.app.core.run_job(happen)  # delivered twice
    assert [(e.stage, e.points) for e in await entries(story)] == [("invitation_accepted", 5), ("field_visit_held", 10)]


async def test_ideas_posted_at_once_by_one_person_earn_no_more_than_the_daily_cap(database_url: str) -> None:
    """The cap is counted by the award's own insert; workers posting one person's ideas at once
    still take turns on the author, so none counts below the cap while another's point is unseen."""
    clock = ManualClock(datetime(2026, 11, 30, 10, 0, tzinfo=SEOUL))
    story = await Story.start(test_settings(database_url), clock)
    try:
        await story.say("minji", "/idea 첫 아이디어")  # the person and room exist before the burst
        ideas = [
            IncomingMessage(
                f"burst{n}", story.actor("minji"), story.place("room"), f"/idea plan{n}q{n * 7}", f"burst-message{n}"
            )
            for n in range(8)
        ]
        await asyncio.gather(*(story.app.core.handle(idea) for idea in ideas))
        await story.app.sender.drain()
        async with story.app.db.session() as session:
            stored = (await session.exec(select(func.count()).select_from(Idea))).one()
        posted = await entries(story, PointEntry.stage == "idea_posted")
        assert stored == 9 and len(posted) == 5 and {e.points for e in posted} == {1}
        [shown] = await story.say("minji", "/points")
        assert "누적 5점" in shown and "한도(5건)에 도달" in shown
    finally:
        await story.close()
