"""Tests for Korean department ranking."""

import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo_org import DEMO_DEPARTMENTS
from bot.ranking import DepartmentDoc, RankedDepartment, get_kiwi, rank_departments, tokenize

REPO_ROOT = Path(__file__).resolve().parents[2]

DEPARTMENTS = tuple(
    DepartmentDoc(id=index, name=dept.name, duties=dept.duties)
    for index, dept in enumerate(DEMO_DEPARTMENTS, start=1)
)


def top_name(query: str) -> str:
    ranked = rank_departments(query, DEPARTMENTS)
    assert ranked, f"no department matched {query!r}"
    return ranked[0].name


def test_demo_org_is_realistic() -> None:
    assert len(DEMO_DEPARTMENTS) == 10
    assert len({d.name for d in DEMO_DEPARTMENTS}) == 10
    assert len({d.head_handle for d in DEMO_DEPARTMENTS}) == 10
    assert all(d.head_handle.isascii() and d.head_handle.islower() for d in DEMO_DEPARTMENTS)


# (title, description, responsible department). Descriptions deliberately use generic
# words (개선, 운영, 지원, 안전, 시설...) that many departments share, so the right answer
# has to win on the specific terms, not by being the only match.
TOPICS = [
    (
        "시내버스 정류장과 신호등 개선 제안",
        "정류장에 신호등이 없어 건너기 위험합니다. 안전 시설을 확충하고 운영 방식을 개선해 주세요.",
        "교통정책과",
    ),
    (
        "미세먼지 심한 날 대기질 알림",
        "대기질 정보를 시민에게 실시간으로 알리는 서비스를 운영하고 관리 체계를 개선하면 좋겠습니다.",
        "환경정책과",
    ),
    (
        "공원 산책로 야간 조명 설치",
        "공원 산책로가 어두워 저녁에 걷기 불안합니다. 조명 시설을 설치하고 안전 관리를 강화해 주세요.",
        "공원녹지과",
    ),
    (
        "홀로 사는 어르신 돌봄 강화",
        "혼자 사시는 어르신을 위한 돌봄 서비스를 확대하고 지역 주민이 참여하는 지원 사업을 운영합시다.",
        "복지정책과",
    ),
    (
        "청년 창업 공간 마련",
        "청년 창업 지원 공간을 만들어 지역 일자리를 늘리고 사업 운영을 돕는 정책이 필요합니다.",
        "일자리경제과",
    ),
    (
        "겨울철 도로 제설 개선",
        "눈이 오면 도로가 미끄러워 사고가 납니다. 제설 작업을 빨리 하고 파손된 포장을 보수해 주세요.",
        "도로과",
    ),
    (
        "지역 축제와 거리 공연",
        "주말마다 지역 예술인의 공연을 열고 축제를 시민이 함께 기획하는 사업을 추진합시다.",
        "문화예술과",
    ),
    (
        "빈집 정비로 주차 공간 확보",
        "방치된 빈집을 정비하고 노후 건축물 안전 점검을 강화하면 좋겠습니다.",
        "건축과",
    ),
    (
        "공공 와이파이 확대와 AI 챗봇",
        "공공 와이파이를 늘리고 AI 챗봇으로 민원 안내 서비스를 운영하면 행정이 편리해집니다.",
        "정보화담당관",
    ),
    (
        "직원 아이디어 공모 활성화",
        "직원 제안 제도를 개선하고 우수 아이디어를 심사해 규제 개선 과제로 발굴합시다.",
        "혁신담당관",
    ),
]


@pytest.mark.parametrize(("title", "description", "expected"), TOPICS)
def test_topic_ranks_responsible_department_first(
    title: str, description: str, expected: str
) -> None:
    ranked = rank_departments(f"{title}\n{description}", DEPARTMENTS, limit=10)
    assert len(ranked) >= 2  # the winner beat real competition
    assert ranked[0].name == expected
    assert ranked[0].score > ranked[1].score


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("버스 정류장과 신호등 개선", "교통정책과"),
        ("미세먼지 대기질", "환경정책과"),
        ("공원 산책로", "공원녹지과"),
        ("어르신 돌봄", "복지정책과"),
    ],
)
def test_short_title_ranks_responsible_department_first(query: str, expected: str) -> None:
    assert top_name(query) == expected


def test_unrelated_query_returns_nothing() -> None:
    assert rank_departments("뷁뷁 asdf qwer", DEPARTMENTS) == []
    assert rank_departments("우주 탐사 로켓 발사", DEPARTMENTS) == []


def test_empty_inputs_return_nothing() -> None:
    assert rank_departments("", DEPARTMENTS) == []
    assert rank_departments("   ", DEPARTMENTS) == []
    assert rank_departments("버스 정류장", []) == []


def test_only_departments_sharing_a_term_are_returned() -> None:
    ranked = rank_departments("축제", DEPARTMENTS, limit=10)
    assert [r.name for r in ranked] == ["문화예술과"]


def test_limit_is_respected() -> None:
    query = "안전 점검과 시설 관리 지원"
    assert len(rank_departments(query, DEPARTMENTS, limit=10)) > 3
    assert len(rank_departments(query, DEPARTMENTS)) == 3
    assert len(rank_departments(query, DEPARTMENTS, limit=1)) == 1
    assert rank_departments(query, DEPARTMENTS, limit=0) == []


def test_results_are_sorted_and_carry_ids() -> None:
    ranked = rank_departments("안전 점검과 시설 관리 지원", DEPARTMENTS, limit=10)
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(score > 0 for score in scores)
    by_id = {d.id: d.name for d in DEPARTMENTS}
    assert all(isinstance(r, RankedDepartment) and by_id[r.id] == r.name for r in ranked)


def test_more_matching_terms_score_higher() -> None:
    ranked = rank_departments("버스 정류장 신호등 어르신", DEPARTMENTS, limit=10)
    assert [r.name for r in ranked] == ["교통정책과", "복지정책과"]
    assert ranked[0].score > ranked[1].score


def test_score_ignores_query_terms_the_department_lacks() -> None:
    # BM25+ rewards only matched terms: adding 버스 must not change 문화예술과's score.
    alone = rank_departments("축제", DEPARTMENTS)
    mixed = {r.name: r.score for r in rank_departments("축제 버스", DEPARTMENTS, limit=10)}
    assert mixed["문화예술과"] == pytest.approx(alone[0].score)


def test_department_name_is_part_of_document() -> None:
    departments = [
        DepartmentDoc(1, "관광과", "외국인 방문객 안내를 맡습니다."),
        DepartmentDoc(2, "체육과", "생활 체육 시설을 운영합니다."),
    ]
    assert [r.id for r in rank_departments("관광 활성화", departments)] == [1]


def test_ties_are_broken_by_name() -> None:
    departments = [
        DepartmentDoc(1, "B", "정류장 관리"),
        DepartmentDoc(2, "C", "정류장 관리"),
        DepartmentDoc(3, "A", "정류장 관리"),
    ]
    ranked = rank_departments("정류장", departments)
    assert [r.name for r in ranked] == ["A", "B", "C"]
    assert len({r.score for r in ranked}) == 1


def test_query_part_matches_compound_noun_in_duties() -> None:
    departments = [
        DepartmentDoc(1, "교통과", "버스정류장 관리"),
        DepartmentDoc(2, "환경과", "하천 수질 관리"),
    ]
    assert [r.id for r in rank_departments("정류장", departments)] == [1]
    assert [r.id for r in rank_departments("버스", departments)] == [1]


def test_compound_query_matches_separate_words_in_duties() -> None:
    departments = [
        DepartmentDoc(1, "교통과", "버스 정류장 관리"),
        DepartmentDoc(2, "환경과", "하천 수질 관리"),
    ]
    assert [r.id for r in rank_departments("버스정류장", departments)] == [1]


def test_tokenize_splits_compounds_kiwi_keeps_whole() -> None:
    tokens = tokenize("교통안전")
    assert {"교통", "안전"} <= set(tokens)
    assert tokenize("버스정류장") == ["버스", "정류장"]
    # 어린|이집 is not two nouns, so the word stays whole.
    assert tokenize("어린이집") == ["어린이집"]


def test_tokenize_keeps_content_morphemes_only() -> None:
    tokens = tokenize("AI 기반 스마트시티를 만들었다")
    assert tokens == ["ai", "기반", "스마트", "시티", "만들/V"]


def test_tokenize_marks_predicate_stems() -> None:
    assert "심하/V" in tokenize("미세먼지가 심해요")
    assert "아름답/V" in tokenize("아름다운 공원")


def test_kiwi_is_cached() -> None:
    assert get_kiwi() is get_kiwi()


def test_import_does_not_load_kiwi() -> None:
    code = (
        "import sys, bot.ranking as r; "
        "assert r._kiwi is None and 'kiwipiepy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
