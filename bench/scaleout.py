"""Scale-out: ideas per second with 1, 2 and 3 worker processes on one PostgreSQL, next to bare asyncpg.

Each worker is its own process with the whole bot (core, outbox sender into a gateway that accepts
everything) on the same PostgreSQL schema; its ideas come from people of its own and go straight
to the core, CONCURRENCY at a time (as the inbox's consumers hand them over). A run ends when
every worker has handled its ideas and delivered every confirmation. The bare figure: the same
processes each writing one row per event in its own transaction with asyncpg, the database's own
ceiling for one commit per event on this machine.

Run: `python -m bench.scaleout [--ideas 300] [--workers 1,2,3]`. Prints a table; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
import uuid
from typing import Any

from bench.common import wait_until_sent
from bench.growth import POSTGRES, NullGateway, drop_postgres_schema, postgres_schema_url

CONCURRENCY = 4


async def _bot_worker(url: str, worker: int, ideas: int, ready: Any) -> tuple[float, float]:
    from bot.messages import Actor, IncomingMessage, Place
    from idearoom.wiring import build_app
    from tests.harness import distinct_text, test_settings

    app = build_app(test_settings(url, IDEAROOM_DEMO_DATA="false", IDEAROOM_SEND_RATE_LIMITS="off"))
    app.add_gateway(NullGateway())
    app.start_sender()
    place = Place("bench", "room1", "방1")
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(ideas):
        queue.put_nowait(n)

    async def consume() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            person = f"w{worker}p{n % 50}"
            event = IncomingMessage(
                uuid.uuid4().hex,
                Actor("bench", person, person, person),
                place,
                f"/idea {distinct_text(worker, n)}",
                None,
            )
            await app.core.handle(event)

    try:
        await asyncio.to_thread(ready.wait)  # every worker imported and connected: start together
        started = time.time()
        await asyncio.gather(*(consume() for _ in range(CONCURRENCY)))
        await wait_until_sent(app, 120, poll=0.05)
        return started, time.time()
    finally:
        await app.close()


async def _bare_worker(url: str, worker: int, ideas: int, ready: Any) -> tuple[float, float]:
    import asyncpg

    schema = url.split("search_path=")[1]
    pool = await asyncpg.create_pool(
        POSTGRES.replace("+asyncpg", ""),
        min_size=CONCURRENCY,
        max_size=CONCURRENCY,
        server_settings={"search_path": schema},
    )
    assert pool is not None
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(ideas):
        queue.put_nowait(n)

    async def consume() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute(
                    "INSERT INTO bare_event (worker, n, text) VALUES ($1, $2, $3)", worker, n, f"아이디어 {n}"
                )

    try:
        await asyncio.to_thread(ready.wait)
        started = time.time()
        await asyncio.gather(*(consume() for _ in range(CONCURRENCY)))
        return started, time.time()
    finally:
        await pool.close()


def _run_worker(kind: str, url: str, worker: int, ideas: int, ready: Any, results: Any) -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)
    function = _bot_worker if kind == "bot" else _bare_worker
    results.put(asyncio.run(function(url, worker, ideas, ready)))


async def _prepare(url: str) -> None:
    import asyncpg

    from idearoom.wiring import build_app
    from tests.harness import test_settings

    app = build_app(test_settings(url, IDEAROOM_DEMO_DATA="false"))
    await app.prepare(migrate=False)
    await app.close()
    schema = url.split("search_path=")[1]
    connection = await asyncpg.connect(POSTGRES.replace("+asyncpg", ""), server_settings={"search_path": schema})
    await connection.execute("CREATE TABLE bare_event (id serial PRIMARY KEY, worker int, n int, text text)")
    await connection.close()


def measure(kind: str, workers: int, ideas: int) -> float:
    """Events per second of `workers` processes with `ideas` each, on a fresh schema."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(postgres_schema_url(schema))
    try:
        asyncio.run(_prepare(url))
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        ready = context.Barrier(workers)
        processes = [
            context.Process(target=_run_worker, args=(kind, url, w, ideas, ready, results)) for w in range(workers)
        ]
        for process in processes:
            process.start()
        spans = [results.get(timeout=600) for _ in processes]
        for process in processes:
            process.join()
        return workers * ideas / (max(end for _, end in spans) - min(start for start, _ in spans))
    finally:
        asyncio.run(drop_postgres_schema(schema))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ideas", type=int, default=300, help="ideas per worker")
    parser.add_argument("--workers", default="1,2,3")
    arguments = parser.parse_args()
    counts = [int(w) for w in arguments.workers.split(",")]
    print(
        f"{arguments.ideas} ideas per worker, {CONCURRENCY} at a time in each; PostgreSQL on 127.0.0.1; {multiprocessing.cpu_count()} CPUs"
    )
    print()
    print(f"{'workers':>7} {'bare asyncpg /s':>16} {'idearoom /s':>12} {'ratio':>6} {'idearoom vs 1 worker':>21}")
    first = None
    for workers in counts:
        bare = measure("bare", workers, arguments.ideas)
        ours = measure("bot", workers, arguments.ideas)
        first = first or ours
        print(f"{workers:>7} {bare:>16.1f} {ours:>12.1f} {ours / bare:>6.0%} {ours / first:>20.2f}x", flush=True)


if __name__ == "__main__":
    main()
