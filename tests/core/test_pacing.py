"""Send budgets: sliding windows per platform, chat and group, and the limits taken from settings."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pytest import approx

from adapters.slack.settings import SlackSettings
from adapters.telegram.settings import TelegramSettings
from bot.outbox.pacing import Budget, limits_for
from bot.ports import NO_LIMITS, PlatformLimits, Window
from tests.fakes.slack_api import TokenBucket
from tests.harness import RecordingGateway, test_settings

T0 = datetime(2026, 8, 20, 1, 0, tzinfo=UTC)
TELEGRAM_GROUP = ("telegram", "room", "-100200")


def telegram_budget(margin: float = 0.0) -> Budget:
    return Budget(
        {"telegram": TelegramSettings.of(test_settings("sqlite+aiosqlite://")).telegram_limits}, margin=margin
    )


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_one_message_a_second_per_chat() -> None:
    budget = telegram_budget()
    assert budget.wait(*TELEGRAM_GROUP, "message", at(0)) == 0
    budget.record(*TELEGRAM_GROUP, "message", at(0))
    assert budget.wait(*TELEGRAM_GROUP, "message", at(0.4)) == approx(0.6)
    assert budget.wait(*TELEGRAM_GROUP, "message", at(1.0)) == 0
    # another chat is not held back by this one
    assert budget.wait("telegram", "user", "42", "message", at(0.4)) == 0


def test_twenty_a_minute_in_a_telegram_group_but_not_in_a_direct_chat() -> None:
    budget = telegram_budget()
    for second in range(20):
        budget.record(*TELEGRAM_GROUP, "message", at(second * 2))
        budget.record("telegram", "user", "42", "message", at(second * 2))
    assert budget.wait(*TELEGRAM_GROUP, "message", at(40)) == approx(20)  # the first send leaves the window at 60 s
    assert budget.wait("telegram", "user", "42", "message", at(40)) == 0


def test_thirty_a_second_overall_counts_reactions_too() -> None:
    budget = telegram_budget()
    for n in range(30):
        budget.record("telegram", "room", f"-{n}", "reaction" if n % 2 else "message", at(0))
    assert budget.wait("telegram", "room", "-999", "message", at(0.5)) == approx(0.5)
    assert budget.wait("telegram", "room", "-999", "reaction", at(1.0)) == 0


def test_capacity_counts_what_fits_within_the_horizon() -> None:
    budget = telegram_budget(margin=0.1)
    assert budget.capacity(*TELEGRAM_GROUP, "message", at(0), horizon=5, most=50) == 5  # 0, 1.1, 2.2, 3.3, 4.4
    assert budget.capacity(*TELEGRAM_GROUP, "message", at(0), horizon=5, most=3) == 3
    for n in range(20):
        budget.record(*TELEGRAM_GROUP, "message", at(n * 1.1))
    assert budget.capacity(*TELEGRAM_GROUP, "message", at(23), horizon=5, most=50) == 0


def test_steady_interval_is_the_slowest_window() -> None:
    budget = telegram_budget(margin=0.0)
    assert budget.steady_interval(*TELEGRAM_GROUP, "message") == approx(3.0)  # 20 a minute
    assert budget.steady_interval("telegram", "user", "42", "message") == 1.0


def test_each_platform_takes_its_limits_from_its_own_settings() -> None:
    settings = test_settings("sqlite+aiosqlite://", IDEAROOM_TELEGRAM_GROUP_MAX_PER_MINUTE=10)
    telegram = TelegramSettings.of(settings).telegram_limits
    assert telegram.per_group == Window(10, 60.0) and telegram.per_chat == Window(1, 1.0)
    assert telegram.is_group("room", "-100") and not telegram.is_group("room", "12345")
    slack = SlackSettings.of(settings).slack_limits
    assert slack.per_chat == Window(1, 1.0, early=0.5) and slack.per_group is None
    assert slack.overall == Window(600, 60.0)


def test_the_sender_keeps_to_what_the_gateway_declares_unless_limits_are_off() -> None:
    custom = PlatformLimits(per_chat=Window(2, 1.0))
    dooray = RecordingGateway(platform="dooray", limits=custom)
    assert limits_for(dooray, test_settings("sqlite+aiosqlite://")) is custom
    off = test_settings("sqlite+aiosqlite://", IDEAROOM_SEND_RATE_LIMITS="off")
    assert limits_for(dooray, off) is NO_LIMITS
    assert Budget({"telegram": NO_LIMITS}).capacity(*TELEGRAM_GROUP, "message", at(0), 5, 300) == 300


SLACK_CHANNEL = ("slack", "room", "C1")


def slack_budget() -> Budget:
    return Budget({"slack": SlackSettings.of(test_settings("sqlite+aiosqlite://")).slack_limits}, margin=0.0)


def test_a_strict_window_counts_a_send_from_its_answer() -> None:
    budget = telegram_budget()
    budget.record(*TELEGRAM_GROUP, "message", at(0.3), planned=at(0))
    assert budget.wait(*TELEGRAM_GROUP, "message", at(0.5)) == approx(0.8)  # 1 s after the answer


def test_a_window_that_takes_short_bursts_keeps_the_planned_cadence_whatever_the_round_trip() -> None:
    budget = slack_budget()
    budget.record(*SLACK_CHANNEL, "message", at(0.3), planned=at(0))  # answered 0.3 s after it left
    assert budget.wait(*SLACK_CHANNEL, "message", at(0.5)) == approx(0.5)  # one second after it was planned
    late = slack_budget()
    late.record(*SLACK_CHANNEL, "message", at(0.8), planned=at(0))  # a slow answer: half a second early at most
    assert late.wait(*SLACK_CHANNEL, "message", at(0.8)) == approx(0.5)


def run_channel(budget: Budget, bucket: TokenBucket, sends: int, seed: int, slowest: float) -> tuple[int, float]:
    """One channel's sends, each planned when the previous answer is back and leaving late by up to
    `slowest` (on its way, and again the answer); returns how many the bucket refused and the
    mean seconds between arrivals."""
    chance = random.Random(seed)
    now, refused, arrivals = 0.0, 0, []
    for _ in range(sends):
        planned = now + budget.wait(*SLACK_CHANNEL, "message", at(now))
        left = planned + chance.uniform(0, slowest)  # the loop was busy
        arrived = left + chance.uniform(0, slowest)
        if bucket.wait_time(arrived) > 0:
            refused += 1
        else:
            bucket.add(arrived)
            arrivals.append(arrived)
        now = arrived + chance.uniform(0, slowest)  # the answer is back
        budget.record(*SLACK_CHANNEL, "message", at(now), planned=at(planned))
    return refused, (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1)


def test_paced_against_slacks_bucket_no_send_is_refused_at_any_delay_and_the_cadence_holds() -> None:
    # The least Slack could take that the sender counts on: a send half a second early, no more.
    for seed in range(20):
        refused, interval = run_channel(slack_budget(), TokenBucket(1.0, 1.5), 60, seed, slowest=0.15)
        assert refused == 0 and interval < 1.01
        refused, interval = run_channel(slack_budget(), TokenBucket(1.0, 1.5), 60, seed, slowest=0.6)
        assert refused == 0 and 1.0 < interval < 1.9  # slower when the answers are, never refused


def test_without_the_burst_a_cadence_by_the_plan_would_be_refused() -> None:
    refusals = sum(run_channel(slack_budget(), TokenBucket(1.0, 1), 60, seed, slowest=0.15)[0] for seed in range(5))
    assert refusals > 0  # which is why a strict window is kept by the answers instead
