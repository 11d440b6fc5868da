"""Korean particles chosen from the last sound of what is inserted, never hedged."""

from __future__ import annotations

import re

import pytest

from bot.i18n import Translator, load_messages, placeholders, render
from bot.i18n.particles import particle


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("버스정류장 폭염 대책", "버스정류장 폭염 대책을"),  # final ㄱ
        ("교통정책과", "교통정책과를"),  # no final consonant
        ("minji", "minji를"),  # 민지
        ("sujin", "sujin을"),  # 수진
        ("Slack", "Slack을"),  # 슬랙
        ("PDF", "PDF를"),  # 피디에프: an acronym is spelled
        ("1", "1을"),  # 일
        ("2", "2를"),  # 이
        ("3", "3을"),  # 삼
        ("10", "10을"),  # 십
        ("2147483648", "2147483648을"),  # 팔
        ("제안 #4", "제안 #4를"),  # 사
        ("'주제'", "'주제'를"),  # quotes are looked through
        ("/topic", "/topic을"),  # 토픽: what the closest-command answer names
        ("/web", "/web을"),  # 웹
        ("/help", "/help를"),  # 헬프
        ("/link", "/link를"),  # 링크
        ("/report", "/report를"),  # 리포트
        ("/support", "/support를"),  # 서포트
        ("/idea", "/idea를"),  # 아이디어
        ("/invite", "/invite를"),  # 인바이트
        ("/proposal", "/proposal을"),  # 프로포절
        ("chat", "chat을"),  # 챗
    ],
)
def test_object_particle(word: str, expected: str) -> None:
    assert render("{w:을}", w=word) == expected


@pytest.mark.parametrize(
    ("word", "topic", "subject", "direction", "copula", "with_"),
    [
        ("서울", "은", "이", "로", "이라", "과"),  # ㄹ takes 로
        ("1", "은", "이", "로", "이라", "과"),  # 일: ㄹ
        ("3", "은", "이", "으로", "이라", "과"),  # 삼
        ("2", "는", "가", "로", "라", "와"),  # 이
        ("minji", "는", "가", "로", "라", "와"),
        ("idearoom", "은", "이", "으로", "이라", "과"),  # 룸
        ("email", "은", "이", "로", "이라", "과"),  # 메일: ㄹ
        ("1000", "은", "이", "으로", "이라", "과"),  # 천
        ("10000", "은", "이", "으로", "이라", "과"),  # 만
        ("0", "은", "이", "으로", "이라", "과"),  # 영
    ],
)
def test_every_pair_follows_the_sound(
    word: str, topic: str, subject: str, direction: str, copula: str, with_: str
) -> None:
    assert [particle(word, p) for p in ("는", "가", "로", "라", "와")] == [topic, subject, direction, copula, with_]
    assert [particle(word, p) for p in ("은", "이", "으로", "이라", "과")] == [topic, subject, direction, copula, with_]


def test_a_catalog_writes_the_particle_once_on_the_placeholder() -> None:
    assert render("{title!q:을} 등록했습니다", title="버스정류장 폭염 대책") == "'버스정류장 폭염 대책'을 등록했습니다"
    assert render("제안 #{number:은}", number=1) == "제안 #1은"
    assert render("제안 #{number:은}", number=2) == "제안 #2는"
    assert render("{person!q:으로} 말합니다", person="minji") == "'minji'로 말합니다"
    assert render("{count:,}건", count=12000) == "12,000건"  # other format specs work as before


def test_english_counts_name_their_noun_in_the_right_number() -> None:
    assert (
        render("{ideas:idea|ideas} · {people:participant|participants}", ideas=1, people=3) == "1 idea · 3 participants"
    )
    assert render("closes in {days:day|days}", days=1) == "closes in 1 day"
    english = Translator("en")
    assert english("topic.closed_counts", ideas=1, people=1) == "1 idea · 1 participant"
    assert "(s)" not in "".join(load_messages("en").values())
    assert english("points.deduct_below_zero", name="최준호", balance=1, points=3).startswith(
        "최준호 has 1 point in total"
    )
    assert english("proposal.show_under_review", department="교통정책과", due="2026-04-01 (Wed)", days=1).endswith(
        "(1 day left)"
    )


def test_no_english_message_puts_a_bare_count_before_a_plural_noun() -> None:
    """'1 points', '1 days left', '1 items': a count before its noun always goes through {n:one|many}."""
    nouns = "ideas|points|members|items|minutes|days|people|characters|departments|supports|proposals|votes|hours"
    bare = re.compile(r"(?<!/)\{[a-z_]+\} (?:" + nouns + r")\b")  # not "/{command} departments"
    assert {key: text for key, text in load_messages("en").items() if bare.search(text)} == {}


def test_no_korean_message_hedges_a_particle_and_every_one_renders() -> None:
    hedges = ("을(를)", "를(을)", "이(가)", "가(이)", "은(는)", "는(은)", "(으)로", "와(과)", "과(와)", "(이)라")
    korean = load_messages("ko")
    assert [key for key, text in korean.items() if any(h in text for h in hedges)] == []
    translate = Translator("ko")
    for key, template in korean.items():  # an unknown particle spec would raise here
        assert translate(key, **{name: "값" for name in placeholders(template)}), key
