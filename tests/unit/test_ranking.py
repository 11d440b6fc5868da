"""Which departments the bot names for a topic, on the 64-department directory of a metropolitan city."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo_org import DEMO_DEPARTMENTS
from bot.ranking import (
    DepartmentDoc,
    PastChoice,
    RankedDepartment,
    get_kiwi,
    rank_departments,
    tokenize,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DIRECTORY = REPO_ROOT / "bench" / "ranking_data" / "metro_city.csv"


def metro_city(*, organizers_office: bool = True) -> list[DepartmentDoc]:
    rows = list(csv.DictReader(DIRECTORY.open(encoding="utf-8")))
    organizers = {r["department"] for r in rows if r["role"] == "organizer"} if organizers_office else set()
    duties = {r["department"]: r["duties"] for r in rows if r["duties"]}
    return [DepartmentDoc(i, name, text, name in organizers) for i, (name, text) in enumerate(duties.items(), 1)]


CITY = metro_city()
ID = {d.name: d.id for d in CITY}


def shown(topic: str, **options: object) -> list[str]:
    """The departments the bot shows for a topic, best first."""
    return [r.name for r in rank_departments(topic, CITY, **options)]  # type: ignore[arg-type]


# --- homonyms -----------------------------------------------------------------------------


def test_waiting_at_the_service_desk_is_not_air_quality() -> None:
    # 대기 is waiting here, air in 대기오염: the waiting room's department is named, not the air's.
    assert shown("민원실 대기시간 줄이기") == ["민원봉사과"]
    assert shown("민원실 대기시간 줄이기", limit=3)[0] != "대기보전과"


@pytest.mark.parametrize(
    "topic, department",
    [
        ("민원 대기시간 단축", "민원봉사과"),
        ("민원실 번호표 대기 개선", "민원봉사과"),
        ("택시 대기 시간 줄이기", "택시화물과"),
    ],
)
def test_waiting_is_not_air_however_the_topic_puts_it(topic: str, department: str) -> None:
    assert shown(topic)[0] == department and "대기보전과" not in shown(topic)


def test_air_quality_still_goes_to_the_air_department() -> None:
    assert shown("미세먼지로 대기질이 나빠지는 날") == ["대기보전과"]
    assert shown("대기오염 줄이기")[0] == "대기보전과"
    assert shown("공장 굴뚝 배출가스로 대기 오염")[0] == "대기보전과"


# --- the organizers' own office -----------------------------------------------------------


def test_improvement_ideas_are_not_the_innovation_offices_business() -> None:
    canteen = "구내식당 메뉴 개선 아이디어 직원 구내식당의 메뉴가 단조롭고 점심시간 혼잡이 심하다는 의견이 많아 운영 개선 아이디어를 모읍니다."
    assert shown(canteen) == ["총무과"]
    climate = "탄소중립 시민 실천 아이디어 가정과 학교에서 온실가스를 줄이는 시민 실천 캠페인을 새롭게 기획하고 참여를 늘릴 혁신적인 아이디어를 논의합니다."
    assert shown(climate)[0] == "기후에너지과"
    assert "혁신담당관" not in shown(climate)


def test_the_innovation_office_is_named_when_its_duties_fit() -> None:
    assert (
        shown("채택 제안, 실행까지 챙기기 채택된 제안이 실제 업무에 반영되지 않고 사장되는 경우가 많습니다.")[0]
        == "혁신담당관"
    )


def test_a_close_call_goes_to_the_other_department_not_the_organizers_office() -> None:
    budget = "주민참여예산 참여 늘리기 주민참여예산 제안이 해마다 줄고 있습니다. 시민이 더 쉽게 사업을 제안하고 투표하는 방식을 논의합니다."
    assert shown(budget)[0] == "시민소통담당관"
    # Were 혁신담당관 not the organizers' office, its many 제안 would win.
    assert [r.name for r in rank_departments(budget, metro_city(organizers_office=False))][0] == "혁신담당관"


# --- no filler departments ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "department"),
    [
        ("전세사기 피해자 지원", "주택정책과"),
        (
            "노후 경유차 조기폐차 지원 배출가스 5등급 노후 경유차의 조기폐차 보조금 신청이 몰리고 있습니다.",
            "대기보전과",
        ),
        (
            "외국인 투자기업 유치 전략 바이오·첨단 제조 분야 해외 기업의 투자를 끌어오기 위한 인센티브를 논의합니다.",
            "산업진흥과",
        ),
    ],
)
def test_a_topic_one_department_fits_names_only_that_one(topic: str, department: str) -> None:
    assert shown(topic) == [department]


def test_a_topic_two_departments_share_names_both() -> None:
    youth = "청년 마음건강 지원 취업 준비와 고립감으로 우울을 호소하는 청년이 늘고 있습니다. 청년 상담 지원과 정신건강 서비스 연계를 논의합니다."
    assert set(shown(youth)) == {"청년정책과", "건강증진과"}


# --- related words and title-only topics --------------------------------------------------


@pytest.mark.parametrize(
    ("title", "department"),
    [
        ("일회용 컵 줄이기", "자원순환과"),  # 1회용품 in the duties
        ("청사 주차난", "회계과"),  # 청사 부설주차장, not the public car parks of 주차정책과
        ("내년도 국비 확보 전략", "예산담당관"),  # 국비 ~ 국고보조사업, 정부 예산
        ("봄철 산불 예방", "녹지정책과"),
        ("아파트 층간소음 갈등", "주택정책과"),
        ("고액 체납자 징수", "세정담당관"),
    ],
)
def test_a_title_alone_finds_the_department(title: str, department: str) -> None:
    assert shown(title)[0] == department


def test_words_the_duties_do_not_use_reach_related_ones() -> None:
    # 출산장려 is not in any duties; 인구정책과 speaks of 저출생, 출생 and 임신.
    birth = "출산장려 정책 새로 짜기 아이를 낳는 가정이 줄어드는 문제를 두고 출산 축하금과 다둥이 가정 혜택을 다시 설계해 봅니다."
    assert shown(birth)[0] == "인구정책과"
    ferry = "섬 주민 뱃삯 부담 섬에 사는 주민들이 육지를 오갈 때 배 요금 부담이 큽니다."
    assert shown(ferry)[0] == "해양정책과"  # 섬 주민, 여객선 운임


def test_nonsense_finds_nobody() -> None:
    assert shown("뷁뷁 asdf qwer") == []
    assert shown("우주 탐사 로켓 발사") == []
    assert shown("") == [] and shown("   ") == []
    assert rank_departments("버스 정류장", []) == []


# --- the vocabulary bridge (bot/ranking_terms.toml) ----------------------------------------


def test_a_childs_night_illness_reaches_the_night_clinics() -> None:
    # 보건정책과 runs 야간·휴일 소아 진료; no duties say 아이 or 한밤중.
    assert shown("한밤중 아이가 아플 때")[0] == "보건정책과"


def test_a_kick_scooter_is_a_personal_mobility_device() -> None:
    # 교통정책과 says 개인형 이동장치(PM); nobody says that on the street.
    assert shown("방치된 전동킥보드")[0] == "교통정책과"


def test_stray_cats_go_to_the_animal_protection_centre() -> None:
    # 농축산과 runs the 동물보호센터 and 반려동물 matters; no duties say 고양이.
    assert shown("길고양이 급식소와 중성화") == ["농축산과"]


def test_a_flu_shot_goes_to_infectious_disease_control() -> None:
    # 감염병관리과 says 예방접종; no duties say 독감 or 백신.
    assert shown("독감 백신 맞기 쉽게") == ["감염병관리과"]


def test_the_bridge_matches_words_not_the_start_of_longer_ones() -> None:
    # 아이 of 아이디어 is no child: the bridge matches words, not the start of longer ones.
    assert "아동청소년과" not in shown("직원 제안 아이디어 참여 높이기")


# --- organizers' corrections --------------------------------------------------------------


def test_an_organizers_earlier_choice_raises_that_department_for_similar_topics() -> None:
    # 교통정책과's duties cover PM 주차구역; this office has 주차정책과 take the 킥보드 parking topics.
    assert shown("전동킥보드 주차 문제")[0] == "교통정책과"
    corrected = [PastChoice("방치된 전동킥보드 주차 문제", ID["주차정책과"])]
    assert shown("전동킥보드 주차 문제", past=corrected)[0] == "주차정책과"
    # An unrelated earlier choice changes nothing.
    assert shown("봄철 산불 예방", past=corrected) == shown("봄철 산불 예방")


# --- the mechanics ------------------------------------------------------------------------


DEMO = tuple(DepartmentDoc(i, d.name, d.duties) for i, d in enumerate(DEMO_DEPARTMENTS, start=1))


def test_limit_and_cutoff_bound_what_is_shown() -> None:
    query = "안전 점검과 시설 관리 지원"
    everything = rank_departments(query, DEMO, limit=10, cutoff=0)
    assert len(everything) > 3
    assert [r.score for r in everything] == sorted((r.score for r in everything), reverse=True)
    assert len(rank_departments(query, DEMO, limit=1, cutoff=0)) == 1
    assert rank_departments(query, DEMO, limit=0) == []
    cut = rank_departments(query, DEMO, limit=10)
    assert cut == [r for r in everything if r.score >= 0.6 * everything[0].score]


def test_results_carry_ids_and_ties_are_broken_by_name() -> None:
    departments = [
        DepartmentDoc(1, "B", "정류장 관리"),
        DepartmentDoc(2, "C", "정류장 관리"),
        DepartmentDoc(3, "A", "정류장 관리"),
    ]
    ranked = rank_departments("정류장", departments)
    assert [(r.id, r.name) for r in ranked] == [(3, "A"), (1, "B"), (2, "C")]
    assert all(isinstance(r, RankedDepartment) for r in ranked) and len({r.score for r in ranked}) == 1


def test_compounds_match_their_parts_both_ways() -> None:
    departments = [DepartmentDoc(1, "교통과", "버스정류장 관리"), DepartmentDoc(2, "환경과", "하천 수질 관리")]
    assert [r.id for r in rank_departments("정류장", departments)] == [1]
    assert [
        r.id for r in rank_departments("버스정류장", [DepartmentDoc(1, "교통과", "버스 정류장 관리"), departments[1]])
    ] == [1]


def test_tokenize_keeps_content_morphemes_and_meaningful_parts() -> None:
    assert {"교통", "안전"} <= set(tokenize("교통안전"))
    assert tokenize("버스정류장") == ["버스", "정류장"]
    assert tokenize("민원실") == ["민원실", "민원"]  # 민원실 is about 민원
    assert tokenize("일자리") == ["일자리"]  # 일자리 is not about 일자 (a date)
    assert "심하/V" in tokenize("미세먼지가 심해요")
    assert tokenize("개선 아이디어를 논의합니다") == []  # how topics are phrased, not what they are about


def test_kiwi_is_cached() -> None:
    assert get_kiwi() is get_kiwi()


def test_import_does_not_load_kiwi() -> None:
    code = "import sys, bot.ranking as r, bot.ranker; assert r._kiwi is None and 'kiwipiepy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
