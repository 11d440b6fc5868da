"""Three real worker processes on one PostgreSQL database: duplicates spread over all of them and the
scheduler leader killed mid-stream, yet every idea, support, point and reminder happens exactly once."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from bot.jobs import RECURRING
from bot.points.periods import local_day
from bot.points.rules import load_rules
from bot.reminders import schedule
from storage.db import Database
from storage.tables import (
    Idea,
    Identity,
    Person,
    PointEntry,
    ProcessedEvent,
    RecurringReminder,
    Reminder,
    ReminderState,
    Room,
    Support,
)
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.harness import distinct_text
from tests.ops.telegram_updates import GroupStream, TelegramUser
from tests.ops.worker_processes import Webhook, WorkerProcess, clean_environment, eventually, run_command

# The workers' scheduler leadership and start-up are PostgreSQL advisory locks of the whole database:
# these tests share one xdist worker with the other tests that take them (`--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("advisory-locks")

TOKEN = "123456:multi-worker-test"
SECRET = "multi_worker_secret"
GROUP_ID = -1001234567
GROUP_TITLE = "아이디어방"
# Once a year, so the next occurrence a fired reminder stores never falls due during the test.
YEARLY = "0 9 1 1 *"
SEOUL = ZoneInfo("Asia/Seoul")  # the default IDEAROOM_TIMEZONE the workers run with
TEST_TIMEOUT = 150  # seconds; the whole test normally takes far less

USERS = [
    TelegramUser(7101, "하늘", "mw_haneul"),
    TelegramUser(7102, "가람", "mw_garam"),
    TelegramUser(7103, "누리", "mw_nuri"),
    TelegramUser(7104, "보람", "mw_boram"),
    TelegramUser(7105, "다솜", "mw_dasom"),
    TelegramUser(7106, "한결", "mw_hangyeol"),
]
# Ideas per user: the first posts more than the daily cap allows points for.
IDEAS_PER_USER = [7, 2, 2, 2, 2, 2]
LATE_IDEAS = [(1, "late-1"), (2, "late-2")]  # (user index, label), posted while the leader dies


def idea_text(user: int, label: Any) -> str:
    return f"mw-idea u{user}-{label} {distinct_text(user, label)}"


def reminder_text(label: str) -> str:
    return f"mw-reminder {label} 주간 회의 자료 제출"


async def seed_reminders(db: Database, room_id: int, person_id: int, due: dict[str, datetime]) -> None:
    """Reminders straight into the database: a custom reminder for the room per label, due when given."""
    now = datetime.now(UTC)
    async with db.session() as session:
        for label, due_at in due.items():
            # `anytime`: the workers run on the wall clock, which may be outside office hours.
            recurring = RecurringReminder(
                schedule=YEARLY,
                audience=f"room:{room_id}",
                text=reminder_text(label),
                room_id=room_id,
                created_by=person_id,
                created_at=now,
                anytime=True,
            )
            session.add(recurring)
            await session.flush()
            key = f"recurring:{recurring.id}:{due_at.isoformat()}"
            assert await schedule(
                session,
                kind=RECURRING,
                due_at=due_at,
                audience=recurring.audience,
                dedupe_key=key,
                payload={"recurring_id": recurring.id, "anytime": True},
                now=now,
            )
            await session.exec(sa.update(Reminder).where(Reminder.dedupe_key == key).values(recurring_id=recurring.id))  # type: ignore[call-overload]


async def seed_room_and_person(db: Database) -> tuple[int, int]:
    """The group's room (as the bot would store it) and the organizer who set the reminders."""
    async with db.session() as session:
        room = Room(platform="telegram", external_id=str(GROUP_ID), title=GROUP_TITLE)
        person = Person(name="알림 설정 담당자")
        session.add(room)
        session.add(person)
        await session.flush()
        assert room.id is not None and person.id is not None
        return room.id, person.id


async def reminders_by_label(db: Database, labels: list[str]) -> dict[str, Reminder]:
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Reminder, RecurringReminder)
                .join(RecurringReminder, RecurringReminder.id == Reminder.recurring_id)  # type: ignore[arg-type]
                .where(Reminder.kind == RECURRING, RecurringReminder.text.in_([reminder_text(x) for x in labels]))  # type: ignore[attr-defined]
            )
        ).all()
    by_text = {reminder_text(x): x for x in labels}
    found: dict[str, Reminder] = {}
    for reminder, recurring in rows:
        if reminder.state != ReminderState.pending:  # the fired one, not the next year's occurrence
            found[by_text[recurring.text]] = reminder
    return found


def sends_of(fake: FakeTelegramAPI, text: str) -> int:
    """Successful sendMessage calls whose text carries `text`."""
    return sum(1 for c in fake.calls_to("sendMessage") if c.status == 200 and text in str(c.params.get("text")))


async def deliver_all(
    webhook: Webhook, updates: list[dict[str, Any]], workers: list[WorkerProcess]
) -> list[asyncio.Task[Any]]:
    """Each update two or three times, each copy first offered to a different worker, all at once."""
    tasks = []
    for index, update in enumerate(updates):
        copies = 3 if index % 3 == 0 else 2
        for copy in range(copies):
            first = (index + copy) % len(workers)
            order = workers[first:] + workers[:first]
            tasks.append(asyncio.create_task(webhook.deliver(update, order)))
    return tasks


async def test_three_workers_share_the_work_and_survive_the_scheduler_leader_dying(
    postgres_url: str, tmp_path: Path
) -> None:
    workers: list[WorkerProcess] = []
    try:
        async with asyncio.timeout(TEST_TIMEOUT):
            await _run_scenario(postgres_url, tmp_path, workers)
    except BaseException:
        print("\n\n".join(worker.log_tail() for worker in workers))
        raise
    finally:
        for worker in workers:
            worker.stop()


async def _run_scenario(postgres_url: str, tmp_path: Path, workers: list[WorkerProcess]) -> None:
    fake = FakeTelegramAPI(token=TOKEN)
    await fake.start()
    db = Database(postgres_url)
    http = aiohttp.ClientSession()
    try:
        env = clean_environment(
            {
                "IDEAROOM_DATABASE_URL": postgres_url,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_WEBHOOK_URL": "https://idearoom.example.go.kr/telegram/webhook",
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_API_BASE_URL": fake.url,
                "IDEAROOM_DEMO_DATA": "true",
                "IDEAROOM_SEND_RATE_LIMITS": "off",
                "IDEAROOM_LOG_LEVEL": "INFO",
                # These Telegram users are outside the directory; their supports must still pay
                # here, where the threshold award under concurrent workers is what is tested.
                "IDEAROOM_POINTS_COUNT_OUTSIDE_SUPPORTS": "true",
            }
        )
        # As the README says: migrations once, before the workers start.
        await run_command(["db", "upgrade"], env, tmp_path, timeout=60)
        room_id, organizer_id = await seed_room_and_person(db)
        start = datetime.now(UTC)
        early = {f"early-{n}": start + timedelta(seconds=n) for n in range(1, 4)}
        await seed_reminders(db, room_id, organizer_id, early)

        workers.extend(WorkerProcess.start(f"worker{n}", env, tmp_path) for n in (1, 2, 3))

        async def all_healthy() -> list[dict[str, Any]] | None:
            for worker in workers:
                assert worker.alive, f"{worker.name} exited with {worker.process.poll()}"
            states = [await worker.health(http) for worker in workers]
            return states if all(states) else None

        async def one_leader(among: list[WorkerProcess]) -> WorkerProcess | None:
            states = [await worker.health(http) for worker in among]
            if not all(states):
                return None
            leaders = [w for w, s in zip(among, states) if s and s["scheduler"] == "leader"]
            followers = [w for w, s in zip(among, states) if s and s["scheduler"] == "follower"]
            assert len(leaders) <= 1, f"two leaders: {[w.name for w in leaders]}"
            return leaders[0] if leaders and len(followers) == len(among) - 1 else None

        states = await eventually(all_healthy, 60, "all three workers answer /healthz")
        assert all(s["database"] == "ok" and s["adapters"] == {"telegram": "connected"} for s in states), states
        leader = await eventually(lambda: one_leader(workers), 20, "one worker leads the scheduler")
        assert fake.webhook is not None and fake.webhook["secret_token"] == SECRET

        # The early reminders fall due while the first leader runs the scheduler.
        async def early_sent() -> bool:
            found = await reminders_by_label(db, list(early))
            return len(found) == len(early) and all(sends_of(fake, reminder_text(x)) for x in early)

        await eventually(early_sent, 20, "the early reminders are sent by the first leader")

        stream = GroupStream(GROUP_ID, GROUP_TITLE, fake.bot_user)
        webhook = Webhook(http, SECRET)

        # 1. Ideas from everyone, each update delivered two or three times over all workers at once.
        idea_updates = [
            stream.message(USERS[u], f"/idea {idea_text(u, n)}")
            for u, count in enumerate(IDEAS_PER_USER)
            for n in range(count)
        ]
        await asyncio.gather(*await deliver_all(webhook, idea_updates, workers))
        ids = await idea_ids(db)
        expected_texts = [idea_text(u, n) for u, count in enumerate(IDEAS_PER_USER) for n in range(count)]
        assert sorted(ids) == sorted(expected_texts), "an idea is missing or stored twice"

        # 2. Supports: /support and button presses, repeats by the same person, one on an own idea.
        first_of = [ids[idea_text(u, 0)] for u in range(len(USERS))]
        wanted: dict[int, set[int]] = defaultdict(set)  # idea id -> indexes of the users who support it
        support_updates = []
        ways = itertools.cycle(["command", "button"])
        for idea_owner, supporters in ((0, [1, 2, 3, 4, 5]), (1, [0, 2, 3, 4, 5]), (2, [0, 1])):
            idea_id = first_of[idea_owner]
            for supporter in supporters:
                wanted[idea_id].add(supporter)
                if next(ways) == "command":
                    support_updates.append(stream.message(USERS[supporter], f"/support {idea_id}"))
                else:
                    support_updates.append(stream.press(USERS[supporter], f"support:{idea_id}", 900 + idea_id))
        support_updates.append(stream.press(USERS[3], f"support:{first_of[0]}", 900 + first_of[0]))  # again
        support_updates.append(stream.message(USERS[0], f"/support {first_of[0]}"))  # own idea: refused
        late_updates = [stream.message(USERS[u], f"/idea {idea_text(u, label)}") for u, label in LATE_IDEAS]
        before_kill, after_kill = support_updates[:6], support_updates[6:] + late_updates
        await asyncio.gather(*await deliver_all(webhook, before_kill, workers))

        # 3. Reminders that fall due only after the leader is gone; then the leader dies mid-stream.
        later = datetime.now(UTC)
        late = {f"late-{n}": later + timedelta(seconds=n) for n in (1, 2, 3)}
        await seed_reminders(db, room_id, organizer_id, late)
        pending = await deliver_all(webhook, after_kill, workers)
        completed = 0
        for delivery in asyncio.as_completed(pending):
            await delivery
            completed += 1
            if completed == len(pending) // 3:
                leader.kill()
        leader.process.wait(10)
        survivors = [w for w in workers if w is not leader]
        new_leader = await eventually(lambda: one_leader(survivors), 20, "a surviving worker takes over the scheduler")
        assert new_leader is not leader

        async def late_sent() -> bool:
            found = await reminders_by_label(db, list(late))
            sent = all(r.state == ReminderState.sent for r in found.values())
            return len(found) == len(late) and sent and all(sends_of(fake, reminder_text(x)) for x in late)

        await eventually(late_sent, 20, "the reminders due after the kill are sent by the new leader")

        # Every worker but the killed one is still up.
        assert all(w.alive for w in survivors)
        await _check_everything_once(
            db,
            fake,
            stream_updates=idea_updates + support_updates + late_updates,
            wanted=wanted,
            reminder_labels=[*early, *late],
        )
        async with http.get(f"{new_leader.url}/metrics") as response:
            assert "idearoom_scheduler_leader 1.0" in await response.text()
    finally:
        await http.close()
        await db.dispose()
        await fake.stop()


async def idea_ids(db: Database) -> dict[str, int]:
    """Idea text -> id, failing if a text is stored twice."""
    async with db.session() as session:
        rows = (await session.exec(select(Idea.text, Idea.id))).all()
    counts = Counter(text for text, _ in rows)
    assert all(n == 1 for n in counts.values()), f"ideas stored twice: {[t for t, n in counts.items() if n > 1]}"
    return {text: int(i) for text, i in rows}  # type: ignore[arg-type]


async def _check_everything_once(
    db: Database,
    fake: FakeTelegramAPI,
    *,
    stream_updates: list[dict[str, Any]],
    wanted: dict[int, set[int]],
    reminder_labels: list[str],
) -> None:
    rules = load_rules("")
    async with db.session() as session:
        # No update lost: every distinct update id was claimed, once.
        claimed = (
            await session.exec(select(ProcessedEvent.event_id).where(ProcessedEvent.platform == "telegram"))
        ).all()
        assert sorted(claimed) == sorted(str(u["update_id"]) for u in stream_updates)

        person_of = {
            int(external_id): person_id
            for external_id, person_id in (
                await session.exec(
                    select(Identity.external_id, Identity.person_id).where(Identity.platform == "telegram")
                )
            ).all()
        }
        assert set(person_of) == {u.id for u in USERS}, "each Telegram user is one person"
        user_of = {person_of[u.id]: index for index, u in enumerate(USERS)}

        ideas = (await session.exec(select(Idea))).all()
        expected_ideas = sum(IDEAS_PER_USER) + len(LATE_IDEAS)
        assert len(ideas) == expected_ideas

        # Every support once: the rows, and the counter kept on the idea.
        supports = (await session.exec(select(Support.idea_id, Support.person_id))).all()
        assert Counter(supports) == Counter(
            (idea_id, person_of[USERS[u].id]) for idea_id, us in wanted.items() for u in us
        )
        for idea in ideas:
            assert idea.support_count == len(wanted.get(idea.id, set())), f"idea {idea.id} support count"  # type: ignore[arg-type]

        # Every due reminder sent exactly once.
        reminders = await reminders_by_label(db, reminder_labels)
        assert {label: r.state for label, r in reminders.items()} == {
            label: ReminderState.sent for label in reminder_labels
        }
        pending_count = (
            await session.exec(
                select(func.count()).select_from(Reminder).where(Reminder.state == ReminderState.claimed)
            )
        ).one()
        assert pending_count == 0, "a reminder was left claimed"
        sends = {label: sends_of(fake, reminder_text(label)) for label in reminder_labels}
        assert sends == dict.fromkeys(reminder_labels, 1), "one message per reminder at Telegram"

        # Every point awarded once, and balances as the rules say.
        entries = (await session.exec(select(PointEntry))).all()
        assert len({e.award_key for e in entries}) == len(entries)
        expected_balance: Counter[int] = Counter()
        per_day: Counter[tuple[int, Any]] = Counter()
        for idea in sorted(ideas, key=lambda i: i.id):  # type: ignore[arg-type, return-value]
            day = local_day(idea.created_at, SEOUL).start
            per_day[(idea.author_id, day)] += 1
            if per_day[(idea.author_id, day)] <= rules.idea_posted_daily_cap:
                expected_balance[idea.author_id] += rules.idea_posted
            if idea.support_count >= rules.idea_supported_threshold.supports:
                expected_balance[idea.author_id] += rules.idea_supported_threshold.points
        stages = Counter(e.stage for e in entries)
        # The first user's seven ideas arrive at three workers at once; only five may earn points.
        posted = Counter(
            (e.person_id, local_day(e.created_at, SEOUL).start) for e in entries if e.stage == "idea_posted"
        )
        assert max(posted.values()) <= rules.idea_posted_daily_cap, f"daily cap exceeded: {posted}"
        assert stages["idea_supported_threshold"] == 2
        balances: Counter[int] = Counter()
        for entry in entries:
            balances[entry.person_id] += entry.points
        assert dict(balances) == dict(expected_balance), {user_of.get(p, p): b for p, b in balances.items()}
