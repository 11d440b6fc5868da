"""Scale-out: ideas per second with 1, 2 and 3 worker processes on one PostgreSQL, next to bare asyncpg.

Each worker is its own process with the whole bot (core, outbox sender into a gateway that accepts
everything) on the same PostgreSQL schema; its ideas come from people of its own and go straight
to the core, CONCURRENCY at a time (as the inbox's consumers hand them over). A run ends when
every worker has handled its ideas and delivered every confirmation. The bare figure: the same
processes each writing one row per event in its own transaction with asyncpg, the database's own
ceiling for one commit per event on this machine.

Where it stops scaling and why: for each run the CPU the workers used (each process's own count),
the CPU of the PostgreSQL server's processes (all of its sessions, whoever else uses the server) and how busy the machine's CPUs were (/proc, sampled
through the run; the machine's share includes whatever else runs on the host). When the CPUs are
full, the events a second cannot pass the CPUs over the CPU time one event costs (workers and
PostgreSQL together): that ceiling is printed next to what was measured.

Run: `python -m bench.scaleout [--ideas 300] [--workers 1,2,3]`. Prints a table; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import wait_until_sent
from bench.growth import POSTGRES, NullGateway, drop_postgres_schema, postgres_schema_url

CONCURRENCY = 4
SAMPLE_SECONDS = 0.2
# A worker more that adds less than this to the events a second has stopped the scaling.
SCALING = 1.1
TICKS = os.sysconf("SC_CLK_TCK")


Span = tuple[float, float, float]  # wall-clock start and end, CPU seconds of the process between them


async def _bot_worker(url: str, worker: int, ideas: int, ready: Any) -> Span:
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
        started, cpu = time.time(), time.process_time()
        await asyncio.gather(*(consume() for _ in range(CONCURRENCY)))
        await wait_until_sent(app, 120, poll=0.05)
        return started, time.time(), time.process_time() - cpu
    finally:
        await app.close()


async def _bare_worker(url: str, worker: int, ideas: int, ready: Any) -> Span:
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
        started, cpu = time.time(), time.process_time()
        await asyncio.gather(*(consume() for _ in range(CONCURRENCY)))
        return started, time.time(), time.process_time() - cpu
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


@dataclass
class Sample:
    at: float
    busy: int  # the machine's busy CPU ticks since boot
    postgres: dict[int, int]  # ticks of each PostgreSQL process


def _sample() -> Sample:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(f) for f in fields]
    busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
    postgres: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        if name == "postgres":
            postgres[int(entry.name)] = int(rest[11]) + int(rest[12])  # utime + stime
    return Sample(time.time(), busy, postgres)


class Sampler:
    """The machine's and PostgreSQL's CPU ticks every SAMPLE_SECONDS, in a thread, while a run lasts."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append(_sample())
            if self._stop.wait(SAMPLE_SECONDS):
                self.samples.append(_sample())
                return

    def between(self, start: float, end: float) -> tuple[float, float]:
        """CPU seconds of the whole machine and of PostgreSQL's processes from `start` to `end`."""
        window = [s for s in self.samples if start - SAMPLE_SECONDS <= s.at <= end + SAMPLE_SECONDS]
        if len(window) < 2:
            return 0.0, 0.0
        first, last = window[0], window[-1]
        postgres = 0
        for pid in {pid for s in window for pid in s.postgres}:
            seen = max(s.postgres.get(pid, 0) for s in window)
            postgres += seen - first.postgres.get(pid, 0)
        return (last.busy - first.busy) / TICKS, postgres / TICKS


@dataclass
class Run:
    """One run of `workers` processes: events a second and where the CPU went."""

    workers: int
    rate: float
    seconds: float
    worker_cpu: float  # CPU seconds of the workers, summed
    postgres_cpu: float
    machine_cpu: float

    def per_event_ms(self, events: int) -> float:
        return 1000 * (self.worker_cpu + self.postgres_cpu) / events

    def ceiling(self, events: int, cpus: int) -> float:
        """Events a second the machine's CPUs would allow at this CPU cost per event."""
        cost = (self.worker_cpu + self.postgres_cpu) / events
        return cpus / cost if cost else float("inf")


def measure(kind: str, workers: int, ideas: int) -> Run:
    """Events per second of `workers` processes with `ideas` each, on a fresh schema, and their CPU."""
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
        with Sampler() as sampler:
            for process in processes:
                process.start()
            spans = [results.get(timeout=600) for _ in processes]
            for process in processes:
                process.join()
        start, end = min(s[0] for s in spans), max(s[1] for s in spans)
        machine, postgres = sampler.between(start, end)
        seconds = end - start
        return Run(workers, workers * ideas / seconds, seconds, sum(s[2] for s in spans), postgres, machine)
    finally:
        asyncio.run(drop_postgres_schema(schema))


def verdict(runs: list[Run], ideas: int, cpus: int) -> str:
    """Where the events a second stop growing with the workers, and what held them."""
    stop = next((b for a, b in zip(runs, runs[1:], strict=False) if b.rate < SCALING * a.rate), None)
    if stop is None:
        return f"idearoom still scales at {runs[-1].workers} workers (each added one gave ≥ {SCALING - 1:.0%} more)"
    events = stop.workers * ideas
    busy = stop.machine_cpu / stop.seconds
    where = f"idearoom stops scaling at {stop.workers} workers ({stop.rate:.1f}/s, {stop.rate / runs[0].rate:.2f}x one worker)"
    if busy >= 0.85 * cpus:
        others = max(0.0, stop.machine_cpu - stop.worker_cpu - stop.postgres_cpu) / stop.seconds
        return (
            f"{where}: the {cpus} CPUs were full ({busy:.1f} busy; {others:.1f} of them by other work on the host), "
            f"and one event costs {stop.per_event_ms(events):.1f} ms of CPU in the workers and PostgreSQL together, "
            f"which allows at most {stop.ceiling(events, cpus):.0f}/s on {cpus} CPUs"
        )
    return (
        f"{where}: the CPUs were not full ({busy:.1f} of {cpus} busy), so the workers wait on one another "
        "in the database (row locks, the claim lock, commits)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ideas", type=int, default=300, help="ideas per worker")
    parser.add_argument("--workers", default="1,2,3")
    arguments = parser.parse_args()
    counts = [int(w) for w in arguments.workers.split(",")]
    cpus = multiprocessing.cpu_count()
    print(f"{arguments.ideas} ideas per worker, {CONCURRENCY} at a time in each; PostgreSQL on 127.0.0.1; {cpus} CPUs")
    print("CPU: busy CPUs of the machine over the run; ms of CPU per event in the workers and in PostgreSQL")
    print()
    print(
        f"{'workers':>7} {'bare asyncpg /s':>16} {'idearoom /s':>12} {'ratio':>6} {'vs 1 worker':>12}"
        f" {'busy CPUs':>9} {'worker ms':>9} {'pg ms':>6} {'CPU allows /s':>13}"
    )
    runs: list[Run] = []
    for workers in counts:
        bare = measure("bare", workers, arguments.ideas)
        ours = measure("bot", workers, arguments.ideas)
        runs.append(ours)
        events = workers * arguments.ideas
        print(
            f"{workers:>7} {bare.rate:>16.1f} {ours.rate:>12.1f} {ours.rate / bare.rate:>6.0%}"
            f" {ours.rate / runs[0].rate:>11.2f}x {ours.machine_cpu / ours.seconds:>9.2f}"
            f" {1000 * ours.worker_cpu / events:>9.1f} {1000 * ours.postgres_cpu / events:>6.1f}"
            f" {ours.ceiling(events, cpus):>13.0f}",
            flush=True,
        )
    if len(runs) > 1:
        print()
        print(verdict(runs, arguments.ideas, cpus))


if __name__ == "__main__":
    main()
