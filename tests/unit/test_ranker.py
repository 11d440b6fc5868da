"""The ranker's child process: it holds the analyser, and a child that dies is replaced."""

import os
import signal

import psutil

from bot.ranker import Ranker
from bot.ranking import DepartmentDoc

DEPARTMENTS = [
    DepartmentDoc(1, "교통정책과", "시내버스 노선 조정과 버스정류장 설치·관리를 담당합니다."),
    DepartmentDoc(2, "환경정책과", "미세먼지 저감 대책과 대기질 측정망 운영을 담당합니다."),
]


async def test_a_ranking_process_killed_for_memory_is_replaced_and_the_ranking_answers() -> None:
    ranker = Ranker()
    try:
        assert [r.name for r in await ranker.rank("버스정류장 온열의자", DEPARTMENTS)] == ["교통정책과"]
        assert ranker.ready
        [pid] = ranker.process_ids
        child = psutil.Process(pid)
        os.kill(child.pid, signal.SIGKILL)  # what the kernel's OOM killer does
        child.wait(timeout=10)
        assert [r.name for r in await ranker.rank("미세먼지 알림", DEPARTMENTS)] == ["환경정책과"]
        assert ranker.process_ids and ranker.process_ids != [pid]
    finally:
        ranker.stop()
