"""Only one worker runs the scheduler; when it goes, another takes over."""

from __future__ import annotations

import asyncio

import pytest

from scheduler.leader import Leadership, asyncpg_dsn

# PostgreSQL advisory locks belong to the whole database, not a test's schema: these tests run
# on one xdist worker (`--dist loadgroup`), never beside another test that takes the same locks.
pytestmark = pytest.mark.xdist_group("advisory-locks")


class Worker:
    def __init__(self, url: str, name: str, log: list[str]) -> None:
        self.elected = asyncio.Event()
        self.name = name

        async def lead() -> None:
            log.append(f"{name} leads")
            self.elected.set()

        async def step_down() -> None:
            log.append(f"{name} steps down")

        self.leadership = Leadership(url, lead, step_down, retry_seconds=0.1)
        self.task = asyncio.create_task(self.leadership.run())


async def test_one_leader_at_a_time_and_a_takeover_when_it_dies(postgres_url: str) -> None:
    log: list[str] = []
    first = Worker(postgres_url, "first", log)
    await asyncio.wait_for(first.elected.wait(), 10)
    second = Worker(postgres_url, "second", log)
    third = Worker(postgres_url, "third", log)
    # Followers retry every 0.1 s; give them many chances to (wrongly) take the lock.
    for _ in range(10):
        await asyncio.sleep(0.1)
        assert not second.leadership.is_leader and not third.leadership.is_leader
    first.task.cancel()
    await asyncio.gather(first.task, return_exceptions=True)
    done, _ = await asyncio.wait(
        [asyncio.create_task(second.elected.wait()), asyncio.create_task(third.elected.wait())],
        timeout=10,
        return_when=asyncio.FIRST_COMPLETED,
    )
    assert done, "nobody took over"
    await asyncio.sleep(0.3)
    assert [second.leadership.is_leader, third.leadership.is_leader].count(True) == 1
    for worker in (second, third):
        worker.task.cancel()
    await asyncio.gather(second.task, third.task, return_exceptions=True)
    assert log[:2] == ["first leads", "first steps down"]
    assert sum(entry.endswith("leads") for entry in log) == 2


async def test_sqlite_simply_leads(sqlite_url: str) -> None:
    log: list[str] = []
    worker = Worker(sqlite_url, "only", log)
    await asyncio.wait_for(worker.elected.wait(), 5)
    assert worker.leadership.is_leader and not worker.leadership.uses_lock
    worker.task.cancel()
    await asyncio.gather(worker.task, return_exceptions=True)


def test_dsn_drops_the_driver_and_the_search_path() -> None:
    dsn = asyncpg_dsn("postgresql+asyncpg://u:p%40ss@db:5432/idearoom?search_path=t1")
    assert dsn == "postgresql://u:p%40ss@db:5432/idearoom"
