"""Rank departments and compare ideas' meanings in a child process that holds the Korean analyser, so the event loop never waits for it."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TypeVar

from bot.ranking import (
    DepartmentDoc,
    PastChoice,
    RankedDepartment,
    get_kiwi,
    rank_departments,
)
from bot.similar_meaning import meaning_similarity, neighbours

# An idea's transaction waits for the meaning of its words; past this it is compared by syllables instead.
MEANING_SECONDS = 5.0

log = logging.getLogger(__name__)
T = TypeVar("T")


def _end_with_the_parent(parent_pid: int) -> None:
    """In the child: exit as soon as the bot process is gone (SIGKILL, OOM kill) instead of lingering.

    A killed parent never shuts the pool down, and the orphan would keep its ~600 MB analyser forever.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _warm_up() -> None:
    # Building Kiwi and its first analysis take seconds and hold the GIL the whole time
    # (measured: a thread froze the event loop for as long), hence a process of its own.
    get_kiwi().tokenize("준비")


class Ranker:
    """One child process per bot process; started at start-up, restarted if it dies."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[None] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the child and build the analyser there, in the background; returns at once."""
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the parent has threads and an event loop a fork would copy.
                self._pool = ProcessPoolExecutor(
                    1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_end_with_the_parent,
                    initargs=(os.getpid(),),
                )
                self._ready = self._pool.submit(_warm_up)

    @property
    def process_ids(self) -> list[int]:
        """The child's process id (none before it starts), for measurements."""
        pool = self._pool
        return [p.pid for p in getattr(pool, "_processes", {}).values() if p.pid] if pool else []

    @property
    def ready(self) -> bool:
        return self._ready is not None and self._ready.done()

    async def wait_ready(self) -> None:
        """Until the analyser is built (the child is started if it was not)."""
        self.start()
        assert self._ready is not None
        try:
            await asyncio.wrap_future(self._ready)
        except BrokenProcessPool:
            self._reset()
            raise

    async def rank(
        self,
        query: str,
        departments: Sequence[DepartmentDoc],
        limit: int = 3,
        past: Sequence[PastChoice] = (),
    ) -> list[RankedDepartment]:
        """`rank_departments` in the child; a child that died (killed for memory) is replaced once."""
        job = partial(rank_departments, query, list(departments), limit, past=list(past))
        for attempt in (1, 2):
            self.start()
            assert self._pool is not None
            try:
                return await asyncio.wrap_future(self._pool.submit(job))
            except BrokenProcessPool:
                log.warning("the ranking process died; starting another")
                self._reset()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def meaning(self, query: str, texts: list[str], weight: Mapping[str, float]) -> list[float | None] | None:
        """`meaning_similarity` in the child; None (compare by syllables) while the analyser is not
        built yet (the first seconds after start-up) or when the child died, so no idea waits for it."""
        return await self._ask(partial(meaning_similarity, query, texts, dict(weight)))

    async def neighbours(self, query: str) -> list[tuple[str, float]] | None:
        """`neighbours` in the child (words close in meaning to the query's); None as for `meaning`."""
        return await self._ask(partial(neighbours, query))

    async def _ask(self, job: Callable[[], T]) -> T | None:
        pool = self._pool
        if pool is None or not self.ready:
            return None
        try:
            async with asyncio.timeout(MEANING_SECONDS):
                return await asyncio.wrap_future(pool.submit(job))
        except TimeoutError:
            log.warning("comparing meanings took over %.0f s; this idea is compared by its syllables", MEANING_SECONDS)
            return None
        except BrokenProcessPool:
            log.warning("the ranking process died; similar ideas are compared by their syllables until it is back")
            self._reset()
            return None
        except Exception:  # a text the analyser fails on must not lose the idea
            log.exception("comparing meanings failed; this idea is compared by its syllables")
            return None

    def _reset(self) -> None:
        with self._lock:
            pool, self._pool, self._ready = self._pool, None, None
        if pool is not None:
            # A child still building the analyser would hold up the exit for seconds.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        """End the child (at shutdown)."""
        self._reset()


ranker = Ranker()
