"""The month the topic and invitation tests play in: 2 March 2026 in Seoul, a bus-stop topic."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
# Monday 2 March 2026, 09:00 in Seoul.
START = datetime(2026, 3, 2, 9, 0, tzinfo=SEOUL)
BUS_STOPS = "/topic suggest 버스정류장 신호등 안전 | 정류장 앞 횡단보도와 신호등이 부족해 위험합니다"
