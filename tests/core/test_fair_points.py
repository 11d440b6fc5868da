"""Points nobody can farm: one payment per idea and stage, proposers by authorship, no negative balances."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.proposals.workflow import revive_proposal
from storage.tables import Person, PointEntry, PointTotal, Proposal
from tests.harness import Story, test_settings


@pytest.fixture
async def office(database_url: str) -> AsyncIterator[Story]:
    """The demo office on SQLite and on PostgreSQL."""
    story = await Story.start(test_settings(database_url))
    yield story
    await story.close()


async def paid(story: Story, handle: str, stage: str) -> list[int]:
    [person] = await story.rows(Person, Person.handle == handle)
    return [
        e.points for e in await story.rows(PointEntry, PointEntry.person_id == person.id, PointEntry.stage == stage)
    ]


async def balance(story: Story, handle: str) -> int:
    [person] = await story.rows(Person, Person.handle == handle)
    totals = await story.rows(
        PointTotal, PointTotal.person_id == person.id, PointTotal.period == "all", order=PointTotal.period
    )
    return totals[0].points if totals else 0


async def test_an_idea_bundled_into_two_proposals_pays_each_stage_once(office: Story) -> None:
    await office.say("minji", "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await office.say("junho", "/idea 버스정류장에 바람막이를 설치해 주세요")
    await office.say("sujin", "/proposal new 1 온열의자")
    await office.say("sujin", "/proposal new 1,2 온열의자와 바람막이")
    for number in (1, 2):
        await office.say("sujin", f"/proposal submit {number} 교통정책과")
        await office.say("dohyun", f"/proposal adopt {number}")
    # Minji's one idea earned each stage once, although it is in both proposals.
    assert await paid(office, "minji", "proposal_created") == [5]
    assert await paid(office, "minji", "proposal_submitted") == [5]
    assert await paid(office, "minji", "proposal_adopted") == [20]
    # Junho's idea is only in the second: it pays him there.
    assert await paid(office, "junho", "proposal_adopted") == [20]
    [minji] = await office.rows(Person, Person.handle == "minji")
    [junho] = await office.rows(Person, Person.handle == "junho")
    keys = [e.award_key for e in await office.rows(PointEntry, PointEntry.stage == "proposal_adopted")]
    assert keys == [f"proposal_adopted:idea:1:person:{minji.id}", f"proposal_adopted:idea:2:person:{junho.id}"]
    [shown] = await office.say("minji", "/points")
    assert "누적 31점" in shown  # 1 for the idea, 5 + 5 + 20 for its stages


async def test_adding_another_persons_idea_makes_its_author_the_co_proposer_not_the_adder(office: Story) -> None:
    await office.say("minji", "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await office.say("sujin", "/proposal new 1 버스정류장 온열의자 도입")
    await office.say("sujin", "/proposal submit 1 교통정책과")
    await office.say("dohyun", "/proposal reject 1 예산 부족")
    await office.say("junho", "/idea 온열의자에 태양광 패널을 달면 전기료가 들지 않습니다")
    await office.say("jiwoo", "/proposal addidea 1 2")  # jiwoo adds junho's idea
    [shown] = await office.say("seoyeon", "/proposal 1")
    assert "제안자: 박민지, 최준호" in shown and "이지우" not in shown
    assert any("제안 #1 '버스정류장 온열의자 도입'에 반영" in t for t in office.to_person("junho"))

    async def committee_revives(ctx):  # type: ignore[no-untyped-def]
        await revive_proposal(ctx, await ctx.session.get(Proposal, 1), by_committee=True, reason="자문단 의결")

    await office.app.core.run_job(committee_revives)
    assert await paid(office, "minji", "proposal_revived") == [10]
    assert await paid(office, "junho", "proposal_revived") == [10]
    assert await paid(office, "jiwoo", "proposal_revived") == []
    assert await balance(office, "jiwoo") == 0


async def test_a_deduction_never_takes_a_balance_below_zero(office: Story) -> None:
    await office.say("sujin", "/points award minji 30 워크숍 발표")
    [refused] = await office.say("sujin", "/points deduct minji 90 중복 제출")
    assert refused == (
        "박민지 주무관님의 누적 포인트는 30점이라 90점을 차감할 수 없습니다. "
        "포인트는 0점 아래로 내려가지 않으니 30점 이내로 차감해 주세요."
    )
    assert await paid(office, "minji", "manual") == [30]
    done, *_ = await office.say("sujin", "/points deduct minji 30 중복 제출")
    assert done == "✅ 박민지 주무관님의 포인트에서 30점을 차감했습니다(누적 0점)."
    assert "차감할 수 없습니다" in (await office.say("sujin", "/points deduct minji 1 재확인"))[0]
    assert await balance(office, "minji") == 0


async def test_a_setting_lets_an_office_allow_negative_balances(sqlite_url: str) -> None:
    story = await Story.start(test_settings(sqlite_url, IDEAROOM_POINTS_ALLOW_NEGATIVE="true"))
    try:
        done, *_ = await story.say("sujin", "/points deduct minji 90 중복 제출")
        assert done == "✅ 박민지 주무관님의 포인트에서 90점을 차감했습니다(누적 -90점)."
    finally:
        await story.close()


async def test_supports_from_accounts_outside_the_directory_do_not_reach_the_threshold(office: Story) -> None:
    await office.say("minji", "/idea 가로등 LED 교체")
    for outsider in ("guest1", "guest2", "guest3"):  # accounts nobody in the directory owns
        await office.say(outsider, "/support 1")
    await office.say("junho", "/support 1")
    await office.say("seoyeon", "/support 1")
    [idea_line] = [line for line in (await office.say("minji", "/ideas"))[0].splitlines() if "#1" in line]
    assert "👍 5" in idea_line  # they are shown as supports ...
    assert await paid(office, "minji", "idea_supported_threshold") == []  # ... but do not pay
    for person in ("jiwoo", "dohyun", "haeun"):
        await office.say(person, "/support 1")
    assert await paid(office, "minji", "idea_supported_threshold") == [3]  # the fifth directory person


async def test_a_setting_counts_outside_supports(sqlite_url: str) -> None:
    story = await Story.start(test_settings(sqlite_url, IDEAROOM_POINTS_COUNT_OUTSIDE_SUPPORTS="true"))
    try:
        await story.say("minji", "/idea 가로등 LED 교체")
        for outsider in ("guest1", "guest2", "guest3", "guest4", "guest5"):
            await story.say(outsider, "/support 1")
        assert await paid(story, "minji", "idea_supported_threshold") == [3]
    finally:
        await story.close()


async def test_undoing_an_adoption_after_a_deduction_takes_back_only_what_is_left(office: Story) -> None:
    await office.say("minji", "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await office.say("sujin", "/proposal new 1 버스정류장 온열의자 도입")
    await office.say("sujin", "/proposal submit 1 교통정책과")
    await office.say("dohyun", "/proposal adopt 1")
    assert await balance(office, "minji") == 31
    await office.say("sujin", "/points deduct minji 25 중복 수상 정정")
    await office.say("sujin", "/proposal undo 1")  # the adoption's 20 points, but only 6 are left
    assert await paid(office, "minji", "proposal_adopted") == [20, -6]
    assert await balance(office, "minji") == 0
