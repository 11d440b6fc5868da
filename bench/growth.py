"""Growth with data: command times at full size (10,000 people, 200,000 ideas, 1,000,000 ledger
entries) next to a hundredth of it, on SQLite and PostgreSQL.

Run: `python -m bench.growth [--backends sqlite,postgresql] [--repeat 15] [--scale 1.0]`. Prints a table;
never asserts. Target (issue 18): each command under 20 ms at full size and under 1.5x its small-size time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlmodel import func, select

from bench.data import FULL, default_now, generate
from bot.messages import Actor, Destination, IncomingMessage, Outgoing, Place, SendResult
from bot.points.periods import parse_period
from bot.ports import DEFAULT_ACK_REACTION, NO_LIMITS, ManualClock
from bot.reports import month_report
from idearoom.settings import AppSettings as Settings
from idearoom.wiring import App, build_app
from storage.db import Database
from storage.tables import Idea

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
COMMANDS = (
    "/idea",
    "/support",
    "/points",
    "/leaderboard month",
    "/leaderboard year",
    "/leaderboard departments",
    "/ideas",
    "/report 2026-10",
)
FIGURES_ONLY = "  report figures only"  # the report's queries without drawing its chart
ROWS = (*COMMANDS, FIGURES_ONLY)


class NullGateway:
    """Accepts every send without doing anything; the benchmark measures the command, not delivery."""

    platform = "bench"
    limits = NO_LIMITS
    ack_reaction = DEFAULT_ACK_REACTION

    def start_link(self, payload: str) -> str | None:
        return None

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        return SendResult(message_id="0")

    async def invite(self, user_id: str, room_id: str) -> SendResult:
        return SendResult()

    async def react(self, room_id: str, message_id: str, emoji: str) -> SendResult:
        return SendResult()


async def postgres_schema_url(schema: str) -> str:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES.replace("+asyncpg", ""))
    await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    await connection.close()
    return f"{POSTGRES}?search_path={schema}"


async def drop_postgres_schema(schema: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES.replace("+asyncpg", ""))
    await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    await connection.close()


async def time_commands(url: str, repeat: int, report_dir: str) -> dict[str, float]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        IDEAROOM_DATABASE_URL=url,
        IDEAROOM_DEMO_DATA="false",
        IDEAROOM_REPORT_DIR=report_dir,
        TELEGRAM_BOT_TOKEN="",
        SLACK_BOT_TOKEN="",
    )
    app = build_app(settings, ManualClock(default_now()))
    app.add_gateway(NullGateway())
    actor, place = Actor("bench", "p2", "p2", "p2"), Place("bench", "room1", "방1")
    supporter = Actor("bench", "p3", "p3", "p3")
    results: dict[str, float] = {}
    try:
        async with app.db.session() as session:
            first_new_idea = int((await session.exec(select(func.max(Idea.id)))).one() or 0) + 1
        for command in COMMANDS:
            samples = []
            for n in range(repeat + 2):
                # Each /idea is a new idea by someone under the daily points cap, so its point is
                # awarded (the ledger's key probe); each /support a first support of one of them.
                author = Actor("bench", f"p{10 + n}", f"p{10 + n}", f"p{10 + n}")
                text, who = {
                    "/idea": (f"/idea 벤치 아이디어 {n}", author),
                    "/support": (f"/support {first_new_idea + n}", supporter),
                }.get(command, (command, actor))
                event = IncomingMessage(uuid.uuid4().hex, who, place, text, None)
                start = time.perf_counter()
                await app.core.handle(event)
                samples.append((time.perf_counter() - start) * 1000)
            results[command] = statistics.median(samples[2:])  # the first two warm caches up
        results[FIGURES_ONLY] = await time_report_figures(app, repeat)
    finally:
        await app.close()
    return results


async def time_report_figures(app: App, repeat: int) -> float:
    period = parse_period("2026-10", app.settings.tz)
    samples = []
    for _ in range(repeat + 2):
        start = time.perf_counter()
        async with app.db.session() as session:
            await month_report(session, period)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples[2:])


async def measure(backend: str, factor: float, repeat: int) -> tuple[dict[str, int], dict[str, float]]:
    size = FULL.scaled(factor)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        url = (
            f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            if backend == "sqlite"
            else await postgres_schema_url(schema)
        )
        try:
            db = Database(url)
            counts = await generate(db, size, now=default_now())
            await db.dispose()
            return counts, await time_commands(url, repeat, folder)
        finally:
            if backend == "postgresql":
                await drop_postgres_schema(schema)


async def main(backends: list[str], repeat: int, scale: float = 1.0) -> None:
    print(f"{'backend':<11} {'command':<24} {'small (1/100) ms':>17} {'full ms':>9} {'ratio':>6}  target")
    for backend in backends:
        _, small = await measure(backend, scale / 100, repeat)
        counts, full = await measure(backend, scale, repeat)
        for command in ROWS:
            ratio = full[command] / small[command] if small[command] else float("inf")
            ok = full[command] < 20 and ratio < 1.5
            print(
                f"{backend:<11} {command:<24} {small[command]:>17.1f} {full[command]:>9.1f} {ratio:>6.2f}  "
                f"{'met' if ok else 'MISSED'}"
            )
    print(
        f"{'full size' if scale == 1.0 else f'scale {scale}'}: {counts['people']:,} people, {counts['ideas']:,} ideas, {counts['ledger']:,} ledger entries"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="the size measured as a share of the full size (1/100 of it is the small one)",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.backends.split(","), arguments.repeat, arguments.scale))
