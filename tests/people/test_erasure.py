"""Erasure: an erased person is gone from every table (name, accounts, texts) but every sum is unchanged."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, func, select

from bot.messages import Actor, IncomingMessage, Place
from bot.ports import DeliveryError
from storage.tables import (
    AuditEntry,
    Idea,
    IdeaComment,
    Identity,
    InboxEvent,
    InboxState,
    MessageLink,
    OutboxMessage,
    OutboxState,
    Person,
    PointEntry,
    PointTotal,
    Proposal,
    Room,
    Support,
)
from tests.harness import RecordingGateway, Story, link_accounts, test_settings


async def sums(story: Story) -> dict[str, object]:
    async with story.app.db.session() as session:
        ledger = (await session.exec(select(func.sum(PointEntry.points)))).one()
        totals = (
            await session.exec(
                select(PointTotal.period, func.sum(PointTotal.points))
                .group_by(PointTotal.period)
                .order_by(PointTotal.period)
            )
        ).all()
        supports = (await session.exec(select(Idea.id, Idea.support_count).order_by(Idea.id))).all()
        proposals = (await session.exec(select(Proposal.id, Proposal.state).order_by(Proposal.id))).all()
    return {
        "ledger": ledger,
        "totals": list(totals),
        "supports": list(supports),
        "proposals": list(proposals),
        "count": await story.count(Support),
    }


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
    assert minji == 13  # the demo office's 13th person: "#13" reads 십삼, so 으로 follows it
    assert toast == "🗑️ 개인정보를 삭제했습니다. 이제 탈퇴한 참여자 #13으로 표시됩니다."

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


class ThreePlatforms:
    """민지 on Slack (her directory account), Telegram and Matrix, each with a direct chat of its own."""

    DIRECT = {"slack": "D0MINJI77", "telegram": "918273645", "matrix": "!dmMinji:city.example"}
    ACCOUNT = {"slack": "U0MINJI77", "telegram": "918273645", "matrix": "@minji:city.example"}

    def __init__(self, story: Story) -> None:
        self.story = story
        self.gateways = {name: RecordingGateway(platform=name) for name in self.ACCOUNT}
        for gateway in self.gateways.values():
            story.app.add_gateway(gateway)

    async def say(self, platform: str, text: str, direct: bool = False, reply_to: str | None = None) -> list[str]:
        gateway = self.gateways[platform]
        before = len(gateway.sent)
        place = (
            Place(platform, self.DIRECT[platform], is_direct=True)
            if direct
            else Place(platform, "C-ideas", title="아이디어방")
        )
        actor = Actor(platform, self.ACCOUNT[platform], display_name="박민지", username="minji.park")
        await self.story.app.core.handle(
            IncomingMessage(uuid.uuid4().hex, actor, place, text, uuid.uuid4().hex, reply_to=reply_to)
        )
        await self.story.app.sender.drain()
        return [s.text for s in gateway.sent[before:]]

    async def link(self, platform: str) -> None:
        [answer] = await self.say("slack", "/link", direct=True)
        code = answer.split("계정 연결 코드: ", 1)[1].split()[0]
        await self.say(platform, "/link WRONGCODE", direct=True)  # a refused try, counted in the audit log
        assert "계정을 연결했습니다" in (await self.say(platform, f"/link {code}", direct=True))[0]


async def everything_stored(story: Story) -> str:
    """Every row of every table, as text."""
    dump = []
    async with story.app.db.session() as session:
        connection = await session.connection()
        for table in SQLModel.metadata.sorted_tables:
            dump += [f"{table.name}: {row!r}" for row in (await connection.execute(sa.select(table))).all()]
    return "\n".join(dump)


async def test_nothing_identifying_is_left_in_any_table_of_a_person_on_three_platforms(
    database_url: str, tmp_path: Path
) -> None:
    story = await Story.start(
        test_settings(database_url, IDEAROOM_ERASURE_IDEAS="remove", IDEAROOM_REPORT_DIR=str(tmp_path))
    )
    try:
        minji = await activity(story)
        await link_accounts(story.app, "slack", {"minji": ThreePlatforms.ACCOUNT["slack"]})
        office = ThreePlatforms(story)
        await office.say("slack", "/idea 주차장 빈자리를 전광판으로 안내")
        await office.link("telegram")
        await office.link("matrix")
        await office.say("telegram", "/idea 구내식당 잔반 줄이기 캠페인")
        await office.say("telegram", "/points", direct=True)
        await office.say("matrix", "/mydata", direct=True)
        [junhos] = await story.rows(Idea, Idea.id == 2)
        await office.say("matrix", f"/support {junhos.id}")
        # A reply to the bot's message of an idea in the Slack channel: her comment on it.
        shown, *_ = await story.rows(
            MessageLink, MessageLink.platform == "slack", MessageLink.ref_kind == "idea", MessageLink.ref_id == 3
        )
        await office.say("slack", "우리 과 대기 민원이 하루 80건입니다", reply_to=shown.message_id)
        assert await story.count(IdeaComment) == 1
        await story.say("sujin", "/points award minji 10 박민지 주무관 설문 정리")
        # Waiting to go out when she is erased: a message to her Slack DM (Slack is down for a moment).
        office.gateways["slack"].failures.append(DeliveryError("timeout"))
        await office.say("slack", "/points", direct=True)
        assert (
            await story.count(
                OutboxMessage, OutboxMessage.dest_id == "D0MINJI77", OutboxMessage.state == OutboxState.pending
            )
            == 1
        )
        # Slack requests a crash left in the inbox: hers, and someone else's (which stays).
        async with story.app.db.session() as session:
            hers = {
                "event": {
                    "user": "U0MINJI77",
                    "channel": "D0MINJI77",
                    "text": "대기표 문의",
                    "user_profile": {"real_name": "박민지"},
                }
            }
            others = {"event": {"user": "U0JUNHO11", "channel": "C-ideas", "text": "자전거"}}
            for delivery, payload in (("EvHERS", hers), ("EvOTHER", others)):
                session.add(
                    InboxEvent(
                        platform="slack",
                        delivery_id=delivery,
                        kind="event",
                        payload=payload,
                        state=InboxState.failed,
                        attempts=5,
                    )
                )
        [room] = await story.rows(Room, Room.external_id == "D0MINJI77")
        assert room.person_id == minji  # the DM channel is known to be hers
        before = await sums(story)
        traces = [
            "박민지",
            "minji",
            *ThreePlatforms.ACCOUNT.values(),
            *ThreePlatforms.DIRECT.values(),
            "민원실 대기표",
            "주차장 빈자리",
            "하루 80건",
            "대기표 문의",
        ]
        stored = (await everything_stored(story)).lower()
        assert [trace for trace in traces if trace.lower() not in stored] == []  # each is there before

        await story.say("sujin", "/erase @minji")
        await story.press("sujin", f"erase:{minji}")

        dump = (await everything_stored(story)).lower()
        left = [trace for trace in traces if trace.lower() in dump]
        assert left == [], [line for line in dump.splitlines() if any(t.lower() in line for t in left)]
        assert await sums(story) == before
        assert [row.delivery_id for row in await story.rows(InboxEvent)] == ["EvOTHER"]
        [room] = await story.rows(Room, Room.id == room.id)
        assert room.external_id == f"erased:{room.id}"
        # A later delivery try finds nothing to send her: the waiting message went with her data.
        await story.app.sender.drain()
        assert not [s for s in office.gateways["slack"].sent if s.destination.id == "D0MINJI77" and "포인트" in s.text]
    finally:
        await story.close()


def test_an_organizer_erases_a_person_from_the_command_line_after_confirming(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from idearoom.cli import main
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'office.db'}"

    async def prepare() -> int:
        story = await Story.start(test_settings(url))
        try:
            await link_accounts(story.app, "slack", {"minji": "U0MINJI77"})
            office = ThreePlatforms(story)
            await office.say("slack", "/idea 주차장 빈자리를 전광판으로 안내")
            await office.say("slack", "/points", direct=True)
            return (await story.rows(Person, Person.handle == "minji"))[0].id  # type: ignore[no-any-return]
        finally:
            await story.close()

    async def stored() -> tuple[str, str]:
        story = await Story.start(test_settings(url))
        try:
            return (await story.rows(Person, Person.id == minji))[0].name, (await everything_stored(story)).lower()
        finally:
            await story.close()

    upgrade(url)
    minji = asyncio.run(prepare())
    monkeypatch.setenv("IDEAROOM_DATABASE_URL", url)
    monkeypatch.setenv("IDEAROOM_DEMO_DATA", "false")
    assert main(["people", "erase", "slack:U0MINJI77"]) == 2  # not without --yes
    assert "for good" in capsys.readouterr().err
    assert asyncio.run(stored())[0] == "박민지"
    assert main(["people", "erase", "slack:U0MINJI77", "--yes"]) == 0
    assert f"is now 탈퇴한 참여자 #{minji}" in capsys.readouterr().out
    name, dump = asyncio.run(stored())
    assert name == f"탈퇴한 참여자 #{minji}"
    assert not [trace for trace in ("박민지", "u0minji77", "d0minji77") if trace in dump]
    assert main(["people", "erase", "nobody"]) == 2
