"""The core's own cost per idea, load-independent: statements, transactions, thread round trips.

`/idea` messages from 50 people into one room, handled by the real core (the event claim, the
person and room, the idea with its link, terms, audit entry, point and outbox entry), then the
outbox drained by the real sender into a recording gateway. Counted apart: the core's
transactions, and the sender's. Also the milliseconds per idea of each (load-dependent).

Run: `python -m bench.core [--ideas 300] [--profile]`. Prints a table; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import tempfile
import time
import uuid
from pathlib import Path

from bench.counts import counting
from bot.messages import Actor, IncomingMessage, Place
from tests.harness import PLATFORM, Story, distinct_text, test_settings

PEOPLE = 50
WARMUP = 20


def idea(n: int, tag: str) -> IncomingMessage:
    person = f"staff{n % PEOPLE}"
    return IncomingMessage(
        uuid.uuid4().hex,
        Actor(PLATFORM, person, display_name=person, username=person),
        Place(PLATFORM, "room", title="아이디어방"),
        f"/idea {distinct_text(tag, n)}",
        f"m{tag}{n}",
    )


async def run(ideas: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'core.db'}"
        story = await Story.start(test_settings(url, IDEAROOM_SEND_RATE_LIMITS="off"))
        try:
            for n in range(WARMUP):
                await story.app.core.handle(idea(n, "warmup"))
            await story.app.sender.drain()
            events = [idea(n, "bench") for n in range(ideas)]
            profiler = cProfile.Profile() if profile else None
            with counting(story.app.db.engine) as core_counts:
                start, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                for event in events:
                    await story.app.core.handle(event)
                core_seconds, core_cpu = time.perf_counter() - start, time.process_time() - cpu
            with counting(story.app.db.engine) as sender_counts:
                start, cpu = time.perf_counter(), time.process_time()
                await story.app.sender.drain()
                sender_seconds, sender_cpu = time.perf_counter() - start, time.process_time() - cpu
                if profiler:
                    profiler.disable()
            sent = len(story.gateway.sent)
        finally:
            await story.close()
    print(f"{ideas} ideas from {PEOPLE} people, SQLite, one at a time; load average {os.getloadavg()[0]:.1f}")
    print(
        f"  core:   {core_counts.per(ideas)}; {core_seconds / ideas * 1000:.2f} ms per idea, {core_cpu / ideas * 1000:.2f} ms of CPU"
    )
    print(
        f"  sender: {sender_counts.per(ideas)}; {sender_seconds / ideas * 1000:.2f} ms per idea, {sender_cpu / ideas * 1000:.2f} ms of CPU ({sent} sent in all)"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(
            os.environ.get("BENCH_PROFILE_FILTER", ""), 45
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ideas", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the core and the sender")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.ideas, arguments.profile))


if __name__ == "__main__":
    main()
