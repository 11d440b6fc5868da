"""One person on Slack and Telegram: /link codes, the merge of their ideas, supports and points, /unlink."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from bot.messages import Actor, IncomingMessage, Place
from bot.ports import ManualClock
from storage.tables import (
    AuditEntry,
    Idea,
    IdeaComment,
    Identity,
    MessageLink,
    Person,
    PointEntry,
    PointTotal,
    Room,
    Support,
    Topic,
    TopicSupport,
)
from tests.harness import RecordingGateway, Story, link_accounts, test_settings

SEOUL = ZoneInfo("Asia/Seoul")


class TwoPlatforms:
    """The same office on Slack and Telegram: people write in a channel or to the bot directly."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self.gateways = {name: RecordingGateway(platform=name) for name in ("slack", "telegram")}
        for gateway in self.gateways.values():
            story.app.add_gateway(gateway)

    async def say(
        self, platform: str, user: str, text: str, room: str = "C-ideas", reply_to: str | None = None
    ) -> list[str]:
        gateway = self.gateways[platform]
        before = len(gateway.sent)
        direct = room == "dm"
        place = Place(platform, f"D-{user}" if direct else room, title="" if direct else "아이디어방", is_direct=direct)
        event = IncomingMessage(
            uuid.uuid4().hex,
            Actor(platform, user, display_name=user, username=user),
            place,
            text,
            uuid.uuid4().hex,
            reply_to=reply_to,
        )
        await self.story.app.core.handle(event)
        await self.story.app.sender.drain()
        return [s.text for s in gateway.sent[before:]]

    async def dm(self, platform: str, user: str, text: str) -> list[str]:
        return await self.say(platform, user, text, room="dm")


@pytest.fixture
async def office(database_url: str) -> AsyncIterator[tuple[TwoPlatforms, ManualClock]]:
    clock = ManualClock(datetime(2026, 11, 16, 10, 0, tzinfo=SEOUL))
    story = await Story.start(test_settings(database_url), clock)
    await link_accounts(story.app, "slack", {"minji": "U-MINJI", "junho": "U-JUNHO"})
    yield TwoPlatforms(story), clock
    await story.close()


def code_in(answer: list[str]) -> str:
    line = next(text for text in answer if "계정 연결 코드" in text)
    return line.split("계정 연결 코드: ", 1)[1].split()[0]


async def minji(story: Story) -> Person:
    return (await story.rows(Person, Person.handle == "minji"))[0]


async def test_a_person_links_slack_and_telegram_and_sees_one_total(office) -> None:  # type: ignore[no-untyped-def]
    bot, clock = office
    story = bot.story
    # On Slack (her directory account) 민지 posts an idea; on Telegram (unknown to the directory) two more.
    await bot.say("slack", "U-MINJI", "/idea 민원실 대기표를 문자로 알려 주세요")
    await bot.say("telegram", "7001", "/idea 버스정류장에 온열의자를 설치해 주세요")
    await bot.say("telegram", "7001", "/idea 구내식당 잔반을 줄이는 방법")
    # Junho's idea was supported from both of her accounts before she linked them.
    await bot.say("slack", "U-JUNHO", "/idea 청사 자전거 보관소를 늘려 주세요")
    junhos = (await story.rows(Idea, Idea.text == "청사 자전거 보관소를 늘려 주세요"))[0]
    await bot.say("slack", "U-MINJI", f"/support {junhos.id}")
    await bot.say("telegram", "7001", f"/support {junhos.id}")
    assert (await story.rows(Idea, Idea.id == junhos.id))[0].support_count == 2

    answer = await bot.dm("slack", "U-MINJI", "/link")
    code = code_in(answer)
    assert "10분 안에" in answer[0]
    clock.advance(minutes=3)
    linked = await bot.dm("telegram", "7001", f"/link {code.lower()}")
    assert "계정을 연결했습니다" in linked[0] and "slack, telegram" in linked[0]

    person = await minji(story)
    accounts = await story.rows(Identity, Identity.person_id == person.id)
    assert {(a.platform, a.external_id) for a in accounts} >= {("slack", "U-MINJI"), ("telegram", "7001")}
    ideas = await story.rows(Idea, Idea.author_id == person.id)
    assert len(ideas) == 3
    # The support given from both accounts counts once, in the table and on the idea.
    assert await story.count(Support, Support.idea_id == junhos.id) == 1
    assert (await story.rows(Idea, Idea.id == junhos.id))[0].support_count == 1
    # One total, the same on both platforms: 3 ideas, a point each.
    slack_points = await bot.dm("slack", "U-MINJI", "/points")
    telegram_points = await bot.dm("telegram", "7001", "/points")
    assert slack_points == telegram_points
    assert "누적 3점(이번 달 3점)" in slack_points[0]
    totals = await story.rows(
        PointTotal, PointTotal.person_id == person.id, PointTotal.period == "all", order=PointTotal.person_id
    )
    assert totals[0].points == 3
    # The ledger only grew: the stranger's entries are still there, balanced by the merge's entries.
    stranger = (await story.rows(Person, Person.merged_into_id == person.id))[0]
    async with story.app.db.session() as session:
        left = (
            await session.exec(select(func.sum(PointEntry.points)).where(PointEntry.person_id == stranger.id))
        ).one()
        month = (
            await session.exec(
                select(PointTotal.points).where(PointTotal.person_id == person.id, PointTotal.period == "2026-11")
            )
        ).one()
    assert left == 0 and month == 3
    merges = await story.rows(AuditEntry, AuditEntry.action == "person.merged")
    assert [(m.subject_id, m.detail["merged"]) for m in merges] == [(person.id, stranger.id)]
    # A new idea from Telegram is hers.
    await bot.say("telegram", "7001", "/idea 회의실 예약을 메신저로")
    assert len(await story.rows(Idea, Idea.author_id == person.id)) == 4


async def test_a_code_replayed_expired_or_guessed_is_refused_and_attempts_are_counted(office) -> None:  # type: ignore[no-untyped-def]
    bot, clock = office
    story = bot.story
    code = code_in(await bot.dm("slack", "U-MINJI", "/link"))
    clock.advance(minutes=11)
    assert "유효 시간이 지난" in (await bot.dm("telegram", "7001", f"/link {code}"))[0]
    assert (
        await story.count(Identity, Identity.external_id == "7001", Identity.person_id == (await minji(story)).id) == 0
    )

    fresh = code_in(await bot.dm("slack", "U-MINJI", "/link"))
    assert (
        "계정을 연결했습니다" in (await bot.dm("telegram", "7001", f"/link {fresh[:4]} {fresh[4:]}"))[0]
    )  # typed as read
    # Replayed from another Telegram account: refused, nothing taken over.
    assert "이미 사용된" in (await bot.dm("telegram", "6666", f"/link {fresh}"))[0]
    assert (
        await story.count(Identity, Identity.person_id == (await minji(story)).id, Identity.platform == "telegram") == 1
    )

    # Guessing: each wrong code is counted; after five, even a right one is refused for an hour.
    for guess in ("AAAAAAAA", "BBBBBBBB", "CCCCCCCC", "DDDDDDDD"):
        assert "맞지 않는" in (await bot.dm("telegram", "6666", f"/link {guess}"))[0]
    junho_code = code_in(await bot.dm("slack", "U-JUNHO", "/link"))
    assert "잠시 연결할 수 없습니다" in (await bot.dm("telegram", "6666", f"/link {junho_code}"))[0]
    guesser = (await story.rows(Identity, Identity.external_id == "6666"))[0].person_id
    assert await story.count(AuditEntry, AuditEntry.actor_id == guesser, AuditEntry.action == "link.refused") == 5
    assert await story.count(Identity, Identity.external_id == "6666", Identity.person_id == guesser) == 1
    clock.advance(hours=1, minutes=1)
    junho_code = code_in(await bot.dm("slack", "U-JUNHO", "/link"))
    assert "계정을 연결했습니다" in (await bot.dm("telegram", "6666", f"/link {junho_code}"))[0]


async def test_a_code_never_takes_over_a_directory_person_with_an_account_there(office) -> None:  # type: ignore[no-untyped-def]
    bot, _ = office
    story = bot.story
    await link_accounts(story.app, "telegram", {"minji": "7001"})
    # A stranger on Slack asks for a code and sends it from 민지's Telegram: she already has Slack.
    code = code_in(await bot.dm("slack", "U-STRANGER", "/link"))
    assert "같은 메신저의 계정이 이미 등록되어" in (await bot.dm("telegram", "7001", f"/link {code}"))[0]
    person = await minji(story)
    assert {
        a.external_id for a in await story.rows(Identity, Identity.person_id == person.id, Identity.platform == "slack")
    } == {"U-MINJI"}
    # Two directory people are never joined either.
    code = code_in(await bot.dm("slack", "U-JUNHO", "/link"))
    assert "직원 명부의 서로 다른 사람" in (await bot.dm("telegram", "7001", f"/link {code}"))[0]
    # And a code is not shown in a group chat.
    assert "1:1 대화에서만" in (await bot.say("slack", "U-MINJI", "/link"))[0]


async def test_unlink_gives_the_account_back_its_own_person(office) -> None:  # type: ignore[no-untyped-def]
    bot, _ = office
    story = bot.story
    code = code_in(await bot.dm("slack", "U-MINJI", "/link"))
    await bot.dm("telegram", "7001", f"/link {code}")
    answer = await bot.dm("telegram", "7001", "/unlink")
    assert "연결을 해제했습니다" in answer[0]
    identity = (await story.rows(Identity, Identity.external_id == "7001"))[0]
    assert identity.person_id != (await minji(story)).id
    # Its direct chat went with it: erasing 민지 now would not touch this account's chat.
    [telegram_dm] = await story.rows(Room, Room.platform == "telegram", Room.is_direct == True)  # noqa: E712
    assert telegram_dm.person_id == identity.person_id
    assert "해제할 것이 없습니다" in (await bot.dm("telegram", "7001", "/unlink"))[0]


def test_an_organizer_links_and_unlinks_accounts_from_the_command_line(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from idearoom.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path / 'office.db'}"

    async def prepare() -> None:
        story = await Story.start(test_settings(url))
        await link_accounts(story.app, "slack", {"minji": "U-MINJI"})
        bot = TwoPlatforms(story)
        await bot.say("telegram", "7001", "/idea 버스정류장에 온열의자를 설치해 주세요")
        await story.close()

    async def accounts_of(handle: str) -> set[str]:
        story = await Story.start(test_settings(url))
        person = (await story.rows(Person, Person.handle == handle))[0]
        found = {f"{i.platform}:{i.external_id}" for i in await story.rows(Identity, Identity.person_id == person.id)}
        ideas = await story.count(Idea, Idea.author_id == person.id)
        await story.close()
        return found | {f"ideas:{ideas}"}

    from storage.migrate import upgrade

    upgrade(url)  # as `idearoom db upgrade` does
    asyncio.run(prepare())
    monkeypatch.setenv("IDEAROOM_DATABASE_URL", url)
    monkeypatch.setenv("IDEAROOM_DEMO_DATA", "false")
    assert main(["people", "link", "minji", "telegram:7001"]) == 0
    assert "telegram:7001 now belongs to" in capsys.readouterr().out
    assert {"telegram:7001", "ideas:1"} <= asyncio.run(accounts_of("minji"))
    # The directory stays authoritative: 준호 cannot be given 민지's Telegram account on top of his own.
    assert main(["people", "link", "junho", "telegram:7002"]) == 0
    assert main(["people", "link", "junho", "telegram:7001"]) == 2
    assert "two different people in the staff directory" in capsys.readouterr().err
    assert main(["people", "unlink", "telegram:7001"]) == 0
    assert asyncio.run(accounts_of("minji")) == {"slack:U-MINJI", "ideas:1"}
    assert main(["people", "unlink", "slack:U-MINJI"]) == 2
    assert "not linked to any other" in capsys.readouterr().err
    assert main(["people", "unlink", "telegram:9999"]) == 2


@pytest.fixture
async def staff_only(sqlite_url: str) -> AsyncIterator[TwoPlatforms]:
    story = await Story.start(test_settings(sqlite_url, IDEAROOM_STRANGERS="staff"))
    await link_accounts(story.app, "slack", {"minji": "U-MINJI"})
    yield TwoPlatforms(story)
    await story.close()


async def test_with_strangers_set_to_staff_only_the_directory_posts_supports_and_earns(staff_only) -> None:  # type: ignore[no-untyped-def]
    bot = staff_only
    story = bot.story
    refused = await bot.say("telegram", "7001", "/idea 외부인의 아이디어")
    assert "직원 명부에 등록된 분만" in refused[0]
    assert await story.count(Idea) == 0
    await bot.say("slack", "U-MINJI", "/idea 민원실 대기표를 문자로 알려 주세요")
    idea = (await story.rows(Idea))[0]
    assert "직원 명부에 등록된 분만" in (await bot.say("telegram", "7001", f"/support {idea.id}"))[0]
    assert await story.count(Support) == 0
    stranger = (await story.rows(Identity, Identity.external_id == "7001"))[0].person_id
    assert await story.count(PointEntry, PointEntry.person_id == stranger) == 0
    # Nor comment on an idea (a reply to its message), suggest a topic or support one.
    shown, *_ = await story.rows(
        MessageLink, MessageLink.platform == "slack", MessageLink.ref_kind == "idea", MessageLink.ref_id == idea.id
    )
    assert (
        "직원 명부에 등록된 분만"
        in (await bot.say("slack", "U-STRANGER", "저도 찬성합니다", reply_to=shown.message_id))[0]
    )
    assert "직원 명부에 등록된 분만" in (await bot.say("telegram", "7001", "/topic suggest 외부인의 주제 | 설명"))[0]
    await bot.say("slack", "U-MINJI", "/topic suggest 청사 주차 | 주차 공간")
    [topic] = await story.rows(Topic)
    assert "직원 명부에 등록된 분만" in (await bot.say("slack", "U-STRANGER", f"/topic support {topic.id}"))[0]
    assert (await story.count(IdeaComment), await story.count(TopicSupport)) == (0, 0)
    # Once the stranger's Telegram account is linked to 민지, it is hers and may post.
    code = code_in(await bot.dm("slack", "U-MINJI", "/link"))
    await bot.dm("telegram", "7001", f"/link {code}")
    assert "등록했습니다" in (await bot.say("telegram", "7001", "/idea 버스정류장 온열의자"))[0]
    assert await story.count(Idea, Idea.author_id == (await minji(story)).id) == 2


async def test_by_default_strangers_post_as_before(office) -> None:  # type: ignore[no-untyped-def]
    bot, _ = office
    assert "등록했습니다" in (await bot.say("telegram", "7001", "/idea 외부인의 아이디어"))[0]
    assert bot.story.app.settings.strangers == "allow"
