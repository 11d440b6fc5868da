"""Demo organisation of a Korean metropolitan city government, for demos and tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoDepartment:
    name: str
    duties: str
    head_name: str
    head_handle: str


DEMO_DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment(
        "교통정책과",
        "시내버스 노선 조정과 버스정류장 설치·관리를 담당합니다. "
        "신호등, 횡단보도 등 교통안전시설을 확충하고 어린이 보호구역을 지정합니다. "
        "공영주차장 확충과 불법 주정차 단속 계획을 수립합니다.",
        "김도현",
        "dohyun",
    ),
    DemoDepartment(
        "도로과",
        "도로 신설·확장과 포장 보수 공사를 시행합니다. "
        "보도블록 정비와 도로 굴착 허가, 지하차도와 교량의 안전점검을 담당합니다. "
        "겨울철 제설 작업과 도로 파손 신고 처리를 맡습니다.",
        "이정훈",
        "jeonghoon",
    ),
    DemoDepartment(
        "환경정책과",
        "미세먼지 저감 대책과 대기질 측정망 운영을 담당합니다. "
        "온실가스 감축 등 탄소중립 정책과 기후변화 대응 계획을 수립합니다. "
        "사업장 대기오염물질 배출 관리와 소음·악취 민원을 처리합니다.",
        "윤하은",
        "haeun",
    ),
    DemoDepartment(
        "복지정책과",
        "어르신 돌봄 서비스와 노인복지관, 경로당 운영을 지원합니다. "
        "기초생활보장 수급자 관리와 복지 사각지대 발굴을 담당합니다. "
        "장애인 복지시설 지원과 긴급 복지 지원을 시행합니다.",
        "강민서",
        "minseo",
    ),
    DemoDepartment(
        "일자리경제과",
        "청년 일자리 창출과 창업 지원 사업을 추진합니다. "
        "소상공인 경영 안정 자금과 전통시장 활성화를 지원합니다. "
        "기업 유치와 지역 상권 살리기 정책을 담당합니다.",
        "조성민",
        "seongmin",
    ),
    DemoDepartment(
        "문화예술과",
        "지역 축제와 공연·전시 등 문화행사를 기획합니다. "
        "문화예술회관 등 공공 문화시설 운영과 지역 예술인 창작 활동을 지원합니다. "
        "시민 생활문화 동아리와 문화유산 보존 사업을 담당합니다.",
        "장예린",
        "yerin",
    ),
    DemoDepartment(
        "공원녹지과",
        "도시공원 조성과 공원 시설 유지관리를 담당합니다. "
        "산책로와 둘레길 정비, 가로수 식재와 도시숲 조성 사업을 추진합니다. "
        "어린이 놀이터 안전관리와 녹지 공간 확충을 맡습니다.",
        "임태양",
        "taeyang",
    ),
    DemoDepartment(
        "건축과",
        "건축 허가와 신고, 사용승인 업무를 처리합니다. "
        "공동주택 관리 지원과 노후 건축물 안전점검을 시행합니다. "
        "빈집 정비와 불법 건축물 단속을 담당합니다.",
        "오승우",
        "seungwoo",
    ),
    DemoDepartment(
        "정보화담당관",
        "시 행정 정보시스템과 홈페이지 운영을 담당합니다. "
        "공공 와이파이 구축과 개인정보 보호, 정보보안 관리를 맡습니다. "
        "공공데이터 개방과 AI 기반 스마트시티 서비스를 추진합니다.",
        "서지훈",
        "jihoon",
    ),
    DemoDepartment(
        "혁신담당관",
        "조직 혁신과 적극행정 문화 확산을 추진합니다. "
        "시민 제안과 직원 아이디어 공모를 운영하고 우수 제안을 심사합니다. "
        "불합리한 규제 개선과 협업 과제 발굴을 담당합니다.",
        "배은영",
        "eunyoung",
    ),
    DemoDepartment(
        "민원여권과",
        "민원실 운영과 민원 접수·처리, 민원 안내 서비스를 담당합니다. "
        "여권 발급과 무인민원발급기 설치·관리를 맡습니다. "
        "민원 처리 기간 관리와 민원 서비스 만족도 조사를 시행합니다.",
        "노수빈",
        "subin",
    ),
)

DEMO_ORGANIZER: tuple[str, str] = ("이수진", "sujin")

DEMO_STAFF: tuple[tuple[str, str], ...] = (
    ("박민지", "minji"),
    ("최준호", "junho"),
    ("정서연", "seoyeon"),
    ("한지우", "jiwoo"),
)
