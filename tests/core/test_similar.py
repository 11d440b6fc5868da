"""Similar ideas: a new idea names the close earlier ones, of every room and state, by what their words mean; a recent copy is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from bot.features import ideas as idea_feature
from bot.ports import ManualClock
from bot.similar import similar_ideas
from storage.db import Database
from storage.migrate import upgrade
from storage.tables import AuditEntry, Idea, PointEntry, Support
from tests.core.march import START
from tests.harness import Story, test_settings


@pytest.fixture
async def office(database_url: str) -> AsyncIterator[tuple[Story, ManualClock]]:
    # The analyser's process, as the bot starts it; built once per test process.
    await idea_feature.ranker.wait_ready()
    clock = ManualClock(START)
    story = await Story.start(test_settings(database_url), clock)
    yield story, clock
    await story.close()


async def test_an_idea_like_a_maturing_proposal_of_another_room_says_so_with_a_button_to_support_it(
    office: tuple[Story, ManualClock],
) -> None:
    story, clock = office
    await story.say("dohyun", "/help")  # the head has an account the bot can message
    await story.say("minji", "/idea 겨울철 버스정류장에 온열의자를 설치하면 좋겠습니다", room="교통방")
    await story.say("junho", "/idea 공원 화장실에 비상벨을 달아 주세요", room="교통방")
    await story.say("sujin", "/proposal new 1 버스정류장 온열의자", room="교통방")
    await story.say("sujin", "/proposal submit 1 교통정책과", room="교통방")
    await story.say("dohyun", "/proposal reject 1 올해 예산이 이미 편성되었습니다", room="교통방")
    clock.advance(days=40)

    [answer] = await story.say_sent("seoyeon", "/idea 버스 정류장에 따뜻한 온열 의자를 놓아 주세요", room="복지방")

    assert "아이디어 #3번을 등록했습니다" in answer.text
    assert "비슷한 아이디어가 있습니다: #1 (제안 #1, 숙성 중)" in answer.text
    assert "#2" not in answer.text  # the unrelated idea is not named
    assert answer.actions == ["support:3", "support:1"]
    assert await story.press("seoyeon", "support:1", room="복지방") == "👍 #1번 아이디어에 공감했습니다 (공감 1)."
    assert [s.idea_id for s in await story.rows(Support)] == [1]


async def test_an_idea_unlike_any_other_is_answered_as_before(office: tuple[Story, ManualClock]) -> None:
    story, _ = office
    await story.say("minji", "/idea 민원실 대기번호를 문자로 알려 주면 좋겠습니다")
    [answer] = await story.say_sent("junho", "/idea 청사 옥상에 태양광 패널을 설치합시다")
    assert "비슷한" not in answer.text and answer.actions == ["support:2"]


async def test_the_same_idea_twice_from_one_person_is_refused_kindly_and_stored_once(
    office: tuple[Story, ManualClock],
) -> None:
    story, clock = office
    await story.say("minji", "/idea 하나")
    [refused] = await story.say("minji", "/idea 하나")
    assert refused == (
        "최근에 올리신 #1번 아이디어와 같은 내용이라 다시 등록하지 않았습니다. 덧붙이실 내용이 있으면 새로 적어 주세요."
    )
    [near_copy] = await story.say("minji", "/idea 민원실 대기번호를 문자로 알려 주세요")
    assert "#2번을 등록했습니다" in near_copy
    [refused] = await story.say("minji", "/idea 민원실 대기번호를 문자로 알려 주면 좋겠습니다.")
    assert "최근에 올리신 #2번 아이디어와 같은 내용" in refused
    [other_number] = await story.say(
        "minji", "/idea 민원실 대기번호를 문자로 알려 주세요 2"
    )  # another number: another idea
    assert "#3번을 등록했습니다" in other_number
    assert [i.text for i in await story.rows(Idea, order=Idea.id)] == [
        "하나",
        "민원실 대기번호를 문자로 알려 주세요",
        "민원실 대기번호를 문자로 알려 주세요 2",
    ]

    [other_person] = await story.say("junho", "/idea 하나")  # someone else's: recorded, with a pointer
    assert "#4번을 등록했습니다" in other_person and "비슷한 아이디어가 있습니다: #1" in other_person
    clock.advance(hours=25)
    [later] = await story.say("minji", "/idea 하나")  # a day on, it is a new post
    assert "#5번을 등록했습니다" in later


async def test_the_same_idea_in_other_words_is_named_휴대폰_or_스마트폰(office: tuple[Story, ManualClock]) -> None:
    story, _ = office
    await story.say("minji", "/idea 보건소 앞에 휴대폰 충전소를 설치해 주세요", room="복지방")
    await story.say("junho", "/idea 공원 화장실에 비상벨을 달아 주세요", room="복지방")

    # They share hardly a syllable pair (보건소, 충전): the words' meaning says they are one idea.
    [answer] = await story.say_sent(
        "seoyeon", "/idea 보건소에서 스마트폰 충전을 할 수 있으면 좋겠습니다", room="교통방"
    )

    assert "비슷한 아이디어가 있습니다: #1." in answer.text
    assert answer.actions == ["support:3", "support:1"]


async def test_a_rewording_sharing_one_word_is_found_by_the_meaning_of_the_others(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "/idea 도서관 열람실 좌석 예약을 온라인으로 받아 주세요", room="복지방")
    # Other requests for the reading room share more of the new idea's syllables than the earlier
    # one does, so the syllables alone would not even compare it.
    for n, other in enumerate(
        [
            "열람실 냉방을 세게 틀어 주세요",
            "열람실 조명을 밝게 해 주세요",
            "열람실 책상을 넓은 것으로 바꿔 주세요",
            "열람실에 정수기를 놓아 주세요",
            "열람실 소음을 줄이게 안내문을 붙여 주세요",
            "열람실 운영 시간을 밤까지 늘려 주세요",
            "열람실 의자를 푹신한 것으로 바꿔 주세요",
            "열람실 창문에 블라인드를 달아 주세요",
            "열람실 바닥을 조용한 재질로 바꿔 주세요",
            "열람실 콘센트를 늘려 주세요",
        ]
    ):
        await story.say(f"staff{n}", f"/idea {other}", room="복지방")

    # Only 열람실 is shared; 자리 ~ 좌석 and 인터넷 ~ 온라인 are found by what they mean.
    [answer] = await story.say_sent("seoyeon", "/idea 열람실 자리를 인터넷으로 미리 잡게 해 주세요", room="교통방")

    assert "아이디어 #12번을 등록했습니다" in answer.text
    assert "비슷한 아이디어가 있습니다: #1." in answer.text
    assert answer.actions == ["support:12", "support:1"]


async def test_a_near_miss_on_the_same_subject_asking_for_something_else_is_not_named(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "/idea 도서관 열람실 좌석 예약을 온라인으로 받아 주세요")

    # The same library reading room, another request: not the same idea.
    [answer] = await story.say_sent("junho", "/idea 도서관 열람실 냉방을 세게 틀어 주세요")

    assert "아이디어 #2번을 등록했습니다" in answer.text
    assert "비슷한" not in answer.text and answer.actions == ["support:2"]


async def test_ideas_sharing_only_a_place_and_generic_words_are_not_named(office: tuple[Story, ManualClock]) -> None:
    story, _ = office
    await story.say("minji", "/idea 청사 민원 안내 서비스를 늘려 주세요")
    await story.say("junho", "/idea 어르신 안부 확인 서비스를 도입합시다")

    # 청사 … 서비스를 늘려 주세요 and 어르신 … 서비스를 도입합시다 are most of the syllables, none of the idea.
    [parcels] = await story.say_sent("seoyeon", "/idea 청사 택배 보관 서비스를 늘려 주세요")
    [meals] = await story.say_sent("jiwoo", "/idea 어르신 무료 급식 서비스를 도입합시다")

    assert "비슷한" not in parcels.text and parcels.actions == ["support:3"]
    assert "비슷한" not in meals.text and meals.actions == ["support:4"]


async def test_while_the_analyser_cannot_answer_ideas_are_recorded_and_compared_by_their_syllables(
    office: tuple[Story, ManualClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    story, _ = office

    async def no_answer(query: str, texts: list[str], weight: dict[str, float]) -> None:
        return None  # what Ranker.meaning says before the analyser is built or after its process died

    async def no_words(query: str) -> None:
        return None  # what Ranker.neighbours says then

    monkeypatch.setattr(idea_feature.ranker, "meaning", no_answer)
    monkeypatch.setattr(idea_feature.ranker, "neighbours", no_words)
    await story.say("minji", "/idea 공원 화장실에 비상벨을 설치해 주세요")
    [answer] = await story.say_sent("junho", "/idea 공원 화장실마다 비상벨을 달아 주세요")

    assert "아이디어 #2번을 등록했습니다" in answer.text and "비슷한 아이디어가 있습니다: #1." in answer.text
    assert [i.text for i in await story.rows(Idea, order=Idea.id)] == [
        "공원 화장실에 비상벨을 설치해 주세요",
        "공원 화장실마다 비상벨을 달아 주세요",
    ]


async def test_ideas_stored_before_the_index_existed_are_found(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, "0005_slack")
    db = Database(database_url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO room (id, platform, external_id, title, is_direct, created_at)"
                    " VALUES (1, 'test', 'room', '', false, CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO person (id, name, is_organizer, created_at) VALUES (1, '박민지', false, CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO idea (id, room_id, author_id, text, support_count, created_at)"
                    " VALUES (1, 1, 1, '지하철역에 공용 우산을 비치합시다', 0, CURRENT_TIMESTAMP)"
                )
            )
        await asyncio.to_thread(upgrade, database_url)
        async with db.session() as session:
            [match] = await similar_ideas(session, "공용 우산 대여함을 지하철역에 두면 좋겠습니다")
        assert match.idea.id == 1
    finally:
        await db.dispose()


async def test_search_finds_ideas_and_proposals_of_every_room_and_month_best_first(
    office: tuple[Story, ManualClock],
) -> None:
    story, clock = office
    await story.say("minji", "/idea 전통시장 주차장 무료 시간을 늘려 주세요", room="경제방")
    await story.say("junho", "/idea 공원 화장실에 비상벨을 달아 주세요", room="경제방")
    await story.say("sujin", "/proposal new 1 전통시장 주차 지원", room="경제방")
    clock.advance(days=45)
    await story.say("seoyeon", "/idea 청사 주차장에 전기차 충전기를 늘려 주세요", room="총무방")
    await story.say("jiwoo", "/idea 주차장 빈자리를 앱으로 알려 주고 전통시장 방문객에게 할인해 주세요", room="총무방")

    [found] = await story.say("jiwoo", "/ideas search 전통시장 주차", room="복지방")

    lines = found.splitlines()
    assert lines[0] == "🔎 '전통시장 주차' 검색 결과 (모든 방·기간, 관련도순)"
    numbers = [line.split()[0] for line in lines[1:]]
    assert numbers[:2] == ["#1", "#4"]  # both words: as written together first, then apart
    assert numbers[2:] == ["#3", "제안"]  # one word only; then the proposal
    assert lines[1].startswith("#1 전통시장 주차장 무료 시간을 늘려 주세요 — 박민지 · 👍 0 · 2026. 3. 2.(월)")
    assert lines[-1] == "제안 #1 전통시장 주차 지원 (초안)"
    assert "비상벨" not in found


async def test_search_without_words_or_without_results_says_so(office: tuple[Story, ManualClock]) -> None:
    story, _ = office
    await story.say("minji", "/idea 공원 화장실에 비상벨을 달아 주세요")
    assert await story.say("junho", "/ideas 검색") == ["찾을 낱말을 적어 주세요. 예: /ideas search 주차"]
    assert await story.say("junho", "/ideas search 주차") == ["'주차'에 맞는 아이디어나 제안을 찾지 못했습니다."]


async def test_the_author_edits_an_idea_until_it_is_in_a_proposal_and_the_new_text_is_what_is_found(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "/idea 버스정류장에 온열의자")
    await story.say("junho", "/support 1")
    assert await story.say("junho", "/idea edit 1 정류장 바람막이") == ["#1번 아이디어는 올리신 분만 고칠 수 있습니다."]
    assert await story.say("minji", "/idea 수정 1") == [
        "고칠 내용을 적어 주세요. 예: /idea edit 12 버스정류장에 온열의자와 바람막이를 설치하면 좋겠습니다"
    ]
    [edited] = await story.say("minji", "/idea edit 1 지하철역에 공용 우산을 비치합시다")
    assert edited == "✏️ #1번 아이디어를 고쳤습니다: 지하철역에 공용 우산을 비치합시다"
    [idea] = await story.rows(Idea)
    assert (idea.text, idea.support_count) == ("지하철역에 공용 우산을 비치합시다", 1)
    assert "#1" in (await story.say("jiwoo", "/ideas search 우산"))[0]
    assert "찾지 못했습니다" in (await story.say("jiwoo", "/ideas search 온열의자"))[0]

    await story.say("sujin", "/proposal new 1 공용 우산")
    assert await story.say("minji", "/idea edit 1 다른 내용") == [
        "#1번 아이디어는 제안 #1에 반영되어 고칠 수 없습니다. 덧붙이실 내용은 새 아이디어로 올려 주세요."
    ]
    [idea] = await story.rows(Idea)
    assert idea.text == "지하철역에 공용 우산을 비치합시다"


async def test_an_idea_starting_with_the_word_edit_is_still_an_idea(office: tuple[Story, ManualClock]) -> None:
    story, _ = office
    [answer] = await story.say("minji", "/idea 수정 테이프를 민원실에 비치해 주세요")
    assert "#1번을 등록했습니다" in answer


async def test_a_withdrawn_idea_keeps_its_number_leaves_the_listings_and_its_points_go_once(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "/idea 청사 옥상에 태양광 패널을 설치합시다")
    await story.say("minji", "/idea 민원실 대기번호를 문자로 알려 주세요")
    posted = sum(e.points for e in await story.rows(PointEntry, PointEntry.ref_kind == "idea", PointEntry.ref_id == 1))
    assert posted > 0
    assert await story.say("junho", "/idea withdraw 1") == ["#1번 아이디어는 올리신 분만 철회할 수 있습니다."]

    [done] = await story.say("minji", "/idea 철회 1")
    assert done.startswith("#1번 아이디어를 철회했습니다. 번호는 그대로 남고")
    assert await story.say("minji", "/idea withdraw 1") == ["#1번 아이디어는 철회되었습니다."]
    assert await story.say("junho", "/support 1") == ["#1번 아이디어는 철회되었습니다."]
    [listing] = await story.say("junho", "/ideas")
    assert "총 1건" in listing and "태양광" not in listing
    assert "찾지 못했습니다" in (await story.say("junho", "/ideas search 태양광"))[0]
    [again] = await story.say("junho", "/idea 청사 옥상에 태양광 패널을 설치합시다")
    assert "#3번을 등록했습니다" in again and "비슷한" not in again

    entries = await story.rows(PointEntry, PointEntry.ref_kind == "idea", PointEntry.ref_id == 1)
    assert sum(e.points for e in entries) == 0 and len(entries) == 2  # the award and its one reversal
    [audit] = await story.rows(AuditEntry, AuditEntry.action == "idea.withdrawn")
    assert audit.subject_id == 1


async def test_replies_to_the_idea_message_become_its_comments_shown_with_supports_and_where_it_went(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    [answer] = await story.say_sent("minji", "/idea 지하철역에 공용 우산을 비치합시다")
    await story.say("junho", "/support 1")
    assert await story.say_sent("junho", "반납을 안 하면 어떻게 하나요?", reply_to=answer.message_id) == []
    await story.say("seoyeon", "역무실과 협의하면 됩니다", reply_to="u1")  # a reply to minji's own message
    await story.say("jiwoo", "그냥 하는 말입니다")  # not a reply: not a comment
    await story.say("sujin", "/proposal new 1 공용 우산 대여")

    [shown] = await story.say("jiwoo", "/idea 1")

    assert shown.splitlines() == [
        "💡 아이디어 #1",
        "지하철역에 공용 우산을 비치합시다",
        "박민지 주무관님 · 2026. 3. 2.(월) · 👍 1",
        "공감: 최준호",
        "진행: 제안 #1 '공용 우산 대여' (초안)",
        "💬 의견 2건",
        "· 최준호 (3. 2.(월)): 반납을 안 하면 어떻게 하나요?",
        "· 정서연 (3. 2.(월)): 역무실과 협의하면 됩니다",
    ]
    assert await story.say("jiwoo", "/idea #9") == ["#9번 아이디어가 없습니다."]

    # Bundled, the discussion goes with the idea: on the proposal's page and to the reviewing head.
    [proposal] = await story.say("jiwoo", "/proposal 1")
    assert "   💬 최준호: 반납을 안 하면 어떻게 하나요?\n   💬 정서연: 역무실과 협의하면 됩니다" in proposal
    await story.say("dohyun", "/help")
    await story.say("sujin", "/proposal submit 1 교통정책과")
    assert any("   💬 정서연: 역무실과 협의하면 됩니다" in text for text in story.to_person("dohyun"))


async def test_an_organizer_merges_a_duplicate_supports_move_once_authors_become_co_authors_and_both_numbers_answer(
    office: tuple[Story, ManualClock],
) -> None:
    story, _ = office
    await story.say("minji", "/idea 지하철역에 공용 우산을 비치합시다")
    await story.say("junho", "/idea 공용 우산 대여함을 지하철역에 두면 좋겠습니다")
    for person, number in (("seoyeon", 1), ("seoyeon", 2), ("jiwoo", 2), ("minji", 2)):
        await story.say(person, f"/support {number}")
    points_before = sorted((e.person_id, e.points, e.award_key) for e in await story.rows(PointEntry))

    assert "담당자만" in (await story.say("junho", "/idea merge 2 into 1"))[0]
    assert await story.say("sujin", "/idea merge 2 2") == [
        "#2번을 자기 자신과 합칠 수는 없습니다. 서로 다른 두 번호를 적어 주세요."
    ]
    [merged] = await story.say("sujin", "/idea merge 2 into 1")

    assert merged.splitlines() == [
        "🔗 #2번 아이디어를 #1번에 합쳤습니다. 공감 1건을 옮겨 #1번의 공감은 2건입니다. #2번으로도 계속 찾아보실 수 있습니다.",
        "#1번 공동 제안자: 최준호",
    ]
    # seoyeon supported both: counted once; minji, now the author of #1, cannot support her own idea.
    assert sorted(s.person_id for s in await story.rows(Support)) == sorted(
        s.person_id for s in await story.rows(Support, Support.idea_id == 1)
    )
    ideas = await story.rows(Idea, order=Idea.id)
    assert [(i.support_count, i.merged_into_id) for i in ideas] == [(2, None), (0, 1)]
    assert sorted((e.person_id, e.points, e.award_key) for e in await story.rows(PointEntry)) == points_before

    [shown] = await story.say("jiwoo", "/idea 2")
    assert shown.splitlines()[:3] == [
        "↪ #2번 아이디어는 #1번에 합쳐졌습니다.",
        "💡 아이디어 #1",
        "지하철역에 공용 우산을 비치합시다",
    ]
    assert "공동 제안자: 최준호" in shown
    assert await story.say("jiwoo", "/support 2") == ["이미 #1번 아이디어에 공감하셨습니다."]
    assert (await story.say("junho", "/support 1"))[0].startswith("본인이 올린 아이디어(#1)")
    assert await story.say("sujin", "/idea merge 2 into 1") == ["#2번 아이디어는 이미 #1번에 합쳐졌습니다."]
    [listing] = await story.say("jiwoo", "/ideas")
    assert "총 1건" in listing

    await story.say("sujin", "/proposal new 1 공용 우산 대여")
    [proposal] = await story.say("jiwoo", "/proposal 1")
    assert "제안자: 박민지, 최준호" in proposal


async def test_a_comparison_the_analyser_fails_on_is_no_answer_and_the_analyser_stays() -> None:
    ranker = idea_feature.ranker
    await ranker.wait_ready()
    # A weight that is no number makes the child's comparison raise, as a text it chokes on would.
    assert await ranker.meaning("보건소 휴대폰 충전", ["보건소 스마트폰 충전"], {"보건": "x"}) is None  # type: ignore[dict-item]
    assert ranker.ready
    [close] = await ranker.meaning("보건소 휴대폰 충전", ["보건소 스마트폰 충전"], {"보건": 3.0}) or [None]
    assert close is not None and close > 0.5


async def test_a_comparison_slower_than_its_limit_is_no_answer_and_the_next_one_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot import ranker as ranker_module

    ranker = idea_feature.ranker
    await ranker.wait_ready()
    monkeypatch.setattr(ranker_module, "MEANING_SECONDS", 0.0)  # no comparison is that fast
    assert await ranker.meaning("보건소 휴대폰 충전", ["보건소 스마트폰 충전"], {"보건": 3.0}) is None
    monkeypatch.setattr(ranker_module, "MEANING_SECONDS", 30.0)
    [close] = await ranker.meaning("보건소 휴대폰 충전", ["보건소 스마트폰 충전"], {"보건": 3.0}) or [None]
    assert close is not None and close > 0.5
