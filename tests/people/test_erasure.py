"""Erasure: an erased person is gone from every table (name, accounts, texts) but every sum is unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from storage.tables import (
    AuditEntry,
    Idea,
    Identity,
    OutboxMessage,
    Person,
    PointEntry,
    PointTotal,
    Proposal,
    Support,
)
from tests.harness import Story, test_settings


async def sums(story: Story) -> dict[str, object]:
    async with story.app.db.session() as session:
        ledger = (await session.exec(select(func.sum(PointEntry.points)))).one()
        totals = (await session.exec(select(PointTotal.period, func.sum(PointTotal.points)).group_by(PointTotal.period).order_by(PointTotal.period))).all()
        supports = (await session.exec(select(Idea.id, Idea.support_count).order_by(Idea.id))).all()
        proposals = (await session.exec(select(Proposal.id, Proposal.state).order_by(Proposal.id))).all()
    return {"ledger": ledger, "totals": list(totals), "supports": list(supports), "proposals": list(proposals), "count": await story.count(Support)}


async def activity(story: Story) -> int:
    await story.say("minji", "/idea 민원실 대기표를 문자로 알려 주세요 (박민지 010-1234-5678)")
    await story.say("junho", "/idea 청사 자전거 보관소")
    await story.say("minji", "/support 2")
    await story.say("junho", "/support 1")
    await story.dm("minji", "/points")
    await story.say("sujin", "/proposal new 1 대기표 문자 안내")
    async with story.app.db.session() as session:
        return (await session.exec(select(Person.id).where(Person.handle == "minji"))).one()  # type: ignore[return-value]


def everything(rows: list[object]) -> str:
    return "\n".join(repr(row) for row in rows)


@pytest.fixture
async def removing(database_url: str) -> AsyncIterator[Story]:
    story = await Story.start(test_settings(database_url, IDEAROOM_ERASURE_IDEAS="remove"))
    yield story
    await story.close()


async def test_an_erased_person_is_gone_from_every_table_but_the_sums_are_unchanged(removing: Story) -> None:
    story = removing
    minji = await activity(story)
    before = await sums(story)
    assert "담당자만" in (await story.say("junho", "/erase @minji"))[0]  # organizers only
    [confirm] = await story.say_sent("sujin", "/erase @minji")
    assert "되돌릴 수 없습니다" in confirm.text and confirm.actions == [f"erase:{minji}"]
    assert (await story.rows(Person, Person.id == minji))[0].name == "박민지"  # nothing happens before the press
    toast = await story.press("sujin", f"erase:{minji}")
    assert toast == f"🗑️ 개인정보를 삭제했습니다. 이제 탈퇴한 참여자 #{minji}로 표시됩니다."

    person = (await story.rows(Person, Person.id == minji))[0]
    assert (person.name, person.handle, person.rank) == (f"탈퇴한 참여자 #{minji}", None, None)
    assert await story.count(Identity, Identity.person_id == minji) == 0
    # Nowhere in the database: not her name, her handle, her account id or the text she alone wrote.
    async with story.app.db.session() as session:
        dump = ""
        from sqlmodel import SQLModel

        for table in SQLModel.metadata.sorted_tables:
            connection = await session.connection()
            dump += everything(list((await connection.execute(sa.select(table))).all()))
    for trace in ("박민지", "minji", "010-1234-5678", "민원실 대기표"):
        assert trace not in dump, trace
    assert (await story.rows(Idea, Idea.id == 1))[0].text == "(삭제된 내용)"
    assert await sums(story) == before
    [erased] = await story.rows(AuditEntry, AuditEntry.action == "person.erased")
    assert erased.subject_id == minji
    assert "탈퇴한 참여자" in (await story.say("junho", "/ideas"))[0]


async def test_by_default_the_ideas_stay_anonymised(story: Story) -> None:
    minji = await activity(story)
    before = await sums(story)
    await story.say("sujin", "/erase @minji")
    await story.press("sujin", f"erase:{minji}")
    assert (await story.rows(Idea, Idea.id == 1))[0].text.startswith("민원실 대기표를 문자로")
    assert (await story.rows(Idea, Idea.id == 1))[0].author_id == minji
    assert await sums(story) == before
    assert await story.count(OutboxMessage, OutboxMessage.dest_id.contains("minji")) == 0  # type: ignore[attr-defined]
