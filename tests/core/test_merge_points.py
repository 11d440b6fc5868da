"""Merging a duplicate pays the support bonus once: the merged-away idea's bonus is taken back, the target's earned."""

from __future__ import annotations

from sqlmodel import func, select

from storage.tables import Person, PointEntry
from tests.harness import Story

BONUS = "idea_supported_threshold"


async def minjis_bonus(story: Story) -> list[tuple[int, int | None, str]]:
    async with story.app.db.session() as session:
        minji = (await session.exec(select(Person.id).where(Person.handle == "minji"))).one()
        rows = await session.exec(
            select(PointEntry.points, PointEntry.ref_id, PointEntry.award_key)
            .where(PointEntry.person_id == minji, PointEntry.stage == BONUS)
            .order_by(PointEntry.id)  # type: ignore[arg-type]
        )
        return list(rows.all())


async def minjis_total(story: Story) -> int:
    async with story.app.db.session() as session:
        minji = (await session.exec(select(Person.id).where(Person.handle == "minji"))).one()
        return int((await session.exec(select(func.sum(PointEntry.points)).where(PointEntry.person_id == minji))).one())


async def support(story: Story, number: int, *people: str) -> None:
    for person in people:
        await story.say(person, f"/support {number}")


async def test_a_duplicates_bonus_is_taken_back_and_the_target_earns_its_own_once(story: Story) -> None:
    await story.say("minji", "/idea 지하철역에 공용 우산을 비치합시다")
    await story.say("minji", "/idea 비 오는 날 빌려 쓰는 우산함")
    await support(story, 1, "junho", "haeun")
    await support(story, 2, "junho", "seoyeon", "jiwoo", "sujin", "dohyun")  # #2 reaches 5: its bonus is paid
    assert await minjis_bonus(story) == [(3, 2, "idea_threshold:idea:2")]
    before = await story.rows(PointEntry)

    await story.say("sujin", "/idea merge 2 into 1")  # 4 supports move (junho's counts once): #1 has 6

    assert await minjis_bonus(story) == [
        (3, 2, "idea_threshold:idea:2"),
        (-3, 2, "undo:idea_threshold:idea:2"),
        (3, 1, "idea_threshold:idea:1"),
    ]
    # Append-only: every entry written before the merge is still there, unchanged.
    after = await story.rows(PointEntry)
    assert [(e.id, e.points, e.award_key) for e in after[: len(before)]] == [
        (e.id, e.points, e.award_key) for e in before
    ]
    [shown] = await story.dm("minji", "/points")
    assert "누적 5점" in shown  # two ideas posted and one bonus, not two
    # Merged ideas answer for the idea they joined: more supports pay nothing more.
    await support(story, 2, "yerin")
    await support(story, 1, "taeyang")
    assert len(await minjis_bonus(story)) == 3


async def test_when_both_had_the_bonus_only_one_is_left(story: Story) -> None:
    await story.say("minji", "/idea 지하철역에 공용 우산을 비치합시다")
    await story.say("minji", "/idea 비 오는 날 빌려 쓰는 우산함")
    await story.say("minji", "/idea 청사 자전거 보관소를 늘려 주세요")
    await story.say("minji", "/idea 자전거 주차 공간 확대")
    everyone = ("junho", "seoyeon", "jiwoo", "sujin", "dohyun")
    await support(story, 1, *everyone)
    await support(story, 2, *everyone)
    await support(story, 4, "junho", "seoyeon", "jiwoo", "sujin", "dohyun")
    await support(story, 3, "haeun")
    assert await minjis_total(story) == 4 + 3 * 3

    await story.say("sujin", "/idea merge 2 into 1")  # both had it: #2's goes, #1 keeps its own
    await story.say("sujin", "/idea merge 4 3")  # #3 gets 6 supports: it earns it as #4's is taken back
    assert await minjis_total(story) == 4 + 3 * 2
    assert sorted(key for _, _, key in await minjis_bonus(story)) == sorted(
        [
            "idea_threshold:idea:1",
            "idea_threshold:idea:2",
            "undo:idea_threshold:idea:2",
            "idea_threshold:idea:4",
            "undo:idea_threshold:idea:4",
            "idea_threshold:idea:3",
        ]
    )


async def test_a_duplicate_merged_into_an_idea_that_stays_under_the_threshold_keeps_no_bonus(story: Story) -> None:
    await story.say("junho", "/idea 지하철역에 공용 우산을 비치합시다")
    await story.say("minji", "/idea 비 오는 날 빌려 쓰는 우산함")
    await support(story, 2, "junho", "seoyeon", "jiwoo", "sujin", "dohyun")
    assert await minjis_total(story) == 1 + 3

    await story.say("sujin", "/idea merge 2 into 1")  # junho wrote #1: his support is dropped, 4 move
    assert await minjis_total(story) == 1
    assert [key for _, _, key in await minjis_bonus(story)] == ["idea_threshold:idea:2", "undo:idea_threshold:idea:2"]
    await story.say("sujin", "/idea merge 2 into 1")  # refused: merged already, nothing taken twice
    assert await minjis_total(story) == 1
