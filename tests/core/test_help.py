"""/help as each person needs it, and the answers to commands typed a little wrong."""

from __future__ import annotations

import re

from tests.harness import Story


async def test_staff_see_only_what_staff_can_do(story: Story) -> None:
    shown = (await story.say("minji", "/help"))[0]

    assert "/idea <내용>" in shown and "/순위 분기" in shown and "/주제 공감" in shown
    assert "★" not in shown  # no organizer line
    assert "/proposal adopt" not in shown and "/visit" not in shown  # the heads' review
    assert "/proposal revive" not in shown  # the committee's
    assert "/committee close" not in shown and "위원장" not in shown  # the chair's
    assert "/committee minutes" in shown
    assert "한글 명령어도 쓸 수 있습니다" in shown


async def test_a_head_sees_the_review_but_not_the_organizer_lines(story: Story) -> None:
    shown = (await story.say("dohyun", "/help"))[0]

    assert (
        "/proposal adopt <번호>(/제안 채택)" in shown
        and "/visit <초대번호>" in shown
        and "/visit held <방문번호>(/방문 진행)" in shown
    )
    assert shown.count("/proposal done") == 1
    assert "★" not in shown and "/주제 선정" not in shown


async def test_committee_members_see_revival_and_organizers_see_everything(story: Story) -> None:
    await story.say("sujin", "/committee add seoyeon")
    member = (await story.say("seoyeon", "/help"))[0]
    organizer = (await story.say("sujin", "/help"))[0]

    assert "/proposal revive <번호> [사유](/제안 재상정)" in member and "/proposal adopt" not in member
    for line in (
        "★ /topic pick [번호] [until YYYY-MM-DD](/주제 선정)",
        "/proposal adopt",
        "/proposal revive",
        "/visit <초대번호>",
    ):
        assert organizer.count(line) == 1
    assert "(★ 표시는 혁신담당관실 담당자 전용 명령어입니다)" in organizer


async def test_only_the_chair_sees_how_to_close_the_committee_vote(story: Story) -> None:
    for person in ("seoyeon", "jiwoo"):
        await story.say("sujin", f"/committee add {person}")
    await story.say("sujin", "/committee chair jiwoo")
    member = (await story.say("seoyeon", "/help"))[0]
    chair = (await story.say("jiwoo", "/help"))[0]
    organizer = (await story.say("sujin", "/help"))[0]

    assert "/committee close" not in member and "/committee minutes" in member
    assert chair.count("/committee close(/자문단 마감) — 자문단 투표 마감하고 회의록 보내기 (위원장)") == 1
    assert organizer.count("/committee close") == 1
    # The Korean words the line shows work: the chair is answered, a member is refused.
    assert (await story.say("jiwoo", "/자문단 마감"))[0].startswith("마감할 투표가 없습니다")
    assert (await story.say("seoyeon", "/자문단 종료"))[0] == "투표 마감은 자문단 위원장만 하실 수 있습니다."


async def test_the_korean_sub_commands_shown_in_help_work(story: Story) -> None:
    await story.say("minji", "/idea 정류장 온열의자")
    quarter = (await story.say("minji", "/순위 분기"))[0]
    picked = await story.say("sujin", "/주제 제안 버스정류장 개선")

    assert re.match(r"🏆 미소포인트 순위 — 이번 분기\(20\d\d년 [1-4]분기\)\n1위 박민지 — 1점", quarter)
    assert "'버스정류장 개선'을 등록했습니다" in picked[0]


async def test_an_unknown_command_suggests_the_closest_one_in_the_language_typed(story: Story) -> None:
    english = (await story.say("minji", "/ideaa 정류장"))[0]
    korean = (await story.say("minji", "/아이디여 정류장"))[0]
    nothing_close = (await story.say("minji", "/xyzzy"))[0]
    topic = (await story.say("minji", "/topik"))[0]
    report = (await story.say("minji", "/reportt 2026-03"))[0]

    assert english.startswith("'/ideaa'는 없는 명령어입니다. 혹시 /idea를 찾으셨나요?")
    assert topic.startswith("'/topik'은 없는 명령어입니다. 혹시 /topic을 찾으셨나요?")  # 토픽을, not "/topic를"
    assert report.startswith("'/reportt'는 없는 명령어입니다. 혹시 /report를 찾으셨나요?")  # 리포트를
    assert korean.startswith("'/아이디여'는 없는 명령어입니다. 혹시 /아이디어를 찾으셨나요?")
    assert nothing_close == "'/xyzzy'는 없는 명령어입니다. /help 로 쓸 수 있는 명령어를 확인해 주세요."


async def test_a_korean_alias_is_echoed_as_typed(story: Story) -> None:
    topic = (await story.say("minji", "/주제 추천 공원"))[0]
    proposal = (await story.say("minji", "/제안 보류 1"))[0]
    points = (await story.say("minji", "/포인트 환전"))[0]

    assert topic.startswith("'/주제 추천'은 없는 명령어입니다.")
    assert proposal.startswith("'/제안 보류'는 없는 명령어입니다.")
    assert points.startswith("'/포인트 환전'은 없는 명령어입니다.")


async def test_full_width_and_other_compatibility_forms_are_read_as_typed_plainly(story: Story) -> None:
    await story.say("minji", "/idea 정류장 온열의자")
    await story.say("minji", "/idea 버스 도착 알림")
    first = (await story.say("junho", "/support １"))[0]
    second = (await story.say("junho", "／support ２"))[0]

    assert first == "👍 #1번 아이디어에 공감했습니다 (공감 1)."
    assert second == "👍 #2번 아이디어에 공감했습니다 (공감 1)."


async def test_an_implementer_sees_how_to_report_the_work_done(story: Story) -> None:
    await story.say("minji", "/idea 정류장 온열의자")
    await story.say("sujin", "/proposal new 1 정류장 온열의자")
    await story.say("sujin", "/proposal submit 1 교통정책과")
    await story.say("dohyun", "/proposal adopt 1")
    before = (await story.say("seoyeon", "/help"))[0]
    await story.say("dohyun", "/proposal assign 1 seoyeon")
    after = (await story.say("seoyeon", "/help"))[0]

    assert "/proposal done" not in before
    assert "/proposal done <번호>(/제안 완료)" in after and "/proposal adopt" not in after


async def test_each_commands_korean_sub_commands_answer_as_the_english_ones(story: Story) -> None:
    await story.say("minji", "/idea 정류장 온열의자")
    pairs = [
        ("sujin", "/remind list", "/알림 목록"),
        ("sujin", "/committee list", "/자문단 목록"),
        ("minji", "/topic candidates", "/주제 후보"),
        ("minji", "/ideas search 온열의자", "/아이디어목록 검색 온열의자"),
        ("sujin", "/outbox retry 999", "/outbox 재시도 999"),
    ]
    for person, english, korean in pairs:
        assert await story.say(person, english) == await story.say(person, korean), korean
    unknown = (await story.say("sujin", "/자문단 아무거나"))[0]
    assert unknown == (await story.say("sujin", "/committee whatever"))[0] and "/committee" in unknown
