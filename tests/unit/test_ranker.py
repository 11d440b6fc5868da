"""The ranker's child process: it holds the analyser, a child that dies is replaced, and it dies with the bot."""

import os
import signal
import subprocess
import sys
import textwrap

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


def test_the_ranking_process_ends_when_the_bot_process_is_killed() -> None:
    """A SIGKILLed bot (no shutdown runs) must not leave its analyser process behind."""
    bot = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""
            import asyncio, time
            from bot.ranker import Ranker
            ranker = Ranker()
            asyncio.run(ranker.wait_ready())
            print(ranker.process_ids[0], flush=True)
            time.sleep(600)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert bot.stdout is not None
        child = psutil.Process(int(bot.stdout.readline()))
        assert child.is_running()
        bot.kill()
        bot.wait(10)
        child.wait(timeout=30)  # raises psutil.TimeoutExpired if the orphan lingers
        assert not child.is_running()
    finally:
        bot.kill()
