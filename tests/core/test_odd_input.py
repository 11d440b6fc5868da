"""Odd requests answered as ordinary mistakes on SQLite and PostgreSQL: huge numbers, NUL, escape codes, /start."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.messages import Actor, IncomingMessage, Place
from bot.ports import ManualClock
from storage.tables import Identity, Person, ProposalTransition, Room
from tests.harness import Story, test_settings

HUGE = "2147483648"  # one more than PostgreSQL's INTEGER holds
APOLOGY = "죄송합니다"


@pytest.fixture
async def office(database_url: str, clock: ManualClock) -> AsyncIterator[Story]:
    story = await Story.start(test_settings(database_url), clock)
    yield story
    await story.close()


async def test_numbers_no_id_can_have_are_no_such_thing(office: Story) -> None:
    await office.say("minji", "/idea 정류장에 온열의자")

    assert await office.say("junho", f"/support {HUGE}") == [f"#{HUGE}번 아이디어가 없습니다."]
    assert (await office.press("junho", f"support:{HUGE}")) == f"#{HUGE}번 아이디어가 없습니다."
    shown = (await office.say("junho", f"/proposal {HUGE}"))[0]
    candidate = (await office.say("junho", f"/topic support {HUGE}"))[0]
    retried = (await office.say("sujin", f"/outbox retry {HUGE}"))[0]
    revived = (await office.say("sujin", f"/proposal revive {HUGE}"))[0]
    bundled = (await office.say("sujin", f"/proposal new 1,{HUGE} 온열의자"))[0]

    assert shown == revived == f"#{HUGE}번 제안이 없습니다. /proposals 로 목록을 확인해 주세요."
    assert candidate == f"이 방에는 #{HUGE}번 토론주제 후보가 없습니다. /topic candidates 로 확인해 주세요."
    assert retried == f"#{HUGE}번 메시지가 발송 대기열에 없습니다."
    assert bundled == f"없는 아이디어 번호가 있습니다: #{HUGE}. /ideas 로 번호를 확인해 주세요."
    for answer in (shown, candidate, retried, revived, bundled):
        assert APOLOGY not in answer


async def test_a_nul_byte_is_an_ordinary_wrong_month(office: Story) -> None:
    answer = (await office.say("minji", "/report \x00"))[0]
    idea = (await office.say("minji", "/idea 민원실\x00 대기표"))[0]

    assert APOLOGY not in answer and APOLOGY not in idea
    assert answer.startswith("📊 2026년 3월 아이디어방 실적")  # the NUL is dropped: /report alone
    assert "#1번을 등록했습니다" in idea


async def test_withdraw_and_revive_reasons_lose_their_control_characters(office: Story) -> None:
    await office.say("minji", "/idea 정류장 온열의자")
    await office.say("minji", "/idea 정류장 바람막이")
    await office.say("sujin", "/proposal new 1 온열의자")
    await office.say("sujin", "/proposal new 2 바람막이")
    await office.say("sujin", "/proposal withdraw 1 예산\u202e 부족\x1b[31m\x07")
    await office.say("sujin", "/proposal submit 2 교통정책과")
    await office.say("dohyun", "/proposal reject 2 올해 예산이 없습니다")
    await office.say("sujin", "/proposal revive 2 시민\u202e 수요\x1b 확인\x07")

    reasons = [t.reason for t in await office.rows(ProposalTransition, order=ProposalTransition.id)]
    assert "예산 부족[31m" in reasons and "시민 수요 확인" in reasons
    assert not any(ch in "".join(reasons) for ch in "\u202e\x1b\x07")


async def test_start_with_anything_but_an_invitation_link_is_welcomed(office: Story) -> None:
    assert await office.dm("minji", "/start hello") == [
        "안녕하세요, 박민지 주무관님! 혁신 아이디어방 봇입니다. 쓸 수 있는 명령어는 /help 로 확인해 주세요."
    ]
    assert (await office.dm("junho", "/start"))[0].startswith("안녕하세요, 최준호 주무관님!")


async def test_names_and_room_titles_a_platform_passes_on_are_cleaned_like_ideas(office: Story) -> None:
    """A display name, username or room title with a NUL, an RTL override or an escape code (Matrix and
    Telegram let people choose them): the idea is stored and the name shown without them."""
    odd = [
        (
            Actor("test", "u-nul", display_name="김\x00철수", username="kim\x00"),
            Place("test", "r-nul", title="아이디어\x00방"),
        ),
        (
            Actor("test", "u-rtl", display_name="\u202e악당\x1b[31m\x07", username="evil\u202e"),
            Place("test", "r-rtl", title="\u202e방\x1b\n공지"),
        ),
    ]
    answers = []
    for n, (actor, place) in enumerate(odd):
        await office.app.core.handle(
            IncomingMessage(f"odd-{n}", actor, place, f"/idea 이름이 이상한 사람의 아이디어 {n}", f"m{n}")
        )
        before = len(office.gateway.sent)
        await office.app.sender.drain()
        answers += [s.text for s in office.gateway.sent[before:]]

    assert not any(APOLOGY in a for a in answers), answers
    assert sum("등록했습니다" in a for a in answers) == 2, answers
    names = {p.name for p in await office.rows(Person)}
    assert {"김철수", "악당[31m"} <= names
    usernames = {i.username for i in await office.rows(Identity, Identity.platform == "test")}
    assert {"kim", "evil"} <= usernames
    titles = {r.title for r in await office.rows(Room)}
    assert {"아이디어방", "방 공지"} <= titles
    stored = "".join(names) + "".join(str(u) for u in usernames) + "".join(str(t) for t in titles)
    assert not any(ch in stored for ch in "\x00\u202e\x1b\x07\n")
