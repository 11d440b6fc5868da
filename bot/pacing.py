"""Per-destination send budgets: the platforms' rate limits as sliding windows of recent sends."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import Settings

# Added to every window: a send is timed when it is claimed, and reaches the platform a few
# milliseconds later, so two sends one window apart must not arrive closer than that.
SAFETY_MARGIN_SECONDS = 0.1
# Kinds of outbox entry that post a message into a chat (invites and reactions do not).
CHAT_KINDS = frozenset({"message", "photo"})


@dataclass(frozen=True)
class Window:
    """At most `count` sends in any `seconds` long stretch of time."""

    count: int
    seconds: float


def _is_group_room(dest_kind: str, dest_id: str) -> bool:
    return dest_kind == "room"


def _is_telegram_group(dest_kind: str, dest_id: str) -> bool:
    # Telegram group and supergroup chat ids are negative; a person's chat id is positive.
    return dest_kind == "room" and dest_id.startswith("-")


@dataclass(frozen=True)
class PlatformLimits:
    """What a platform allows a bot to send; None means no limit of that kind."""

    overall: Window | None = None  # every call the bot makes on the platform
    per_chat: Window | None = None  # messages into one chat, a room or a person's direct chat
    per_group: Window | None = None  # messages into one group room, on top of per_chat
    reactions: Window | None = None  # reactions, across the platform
    is_group: Callable[[str, str], bool] = _is_group_room

    @property
    def longest(self) -> float:
        windows = [w for w in (self.overall, self.per_chat, self.per_group, self.reactions) if w]
        return max((w.seconds for w in windows), default=0.0)

    def scopes(self, platform: str, dest_kind: str, dest_id: str, kind: str) -> list[tuple[tuple[str, ...], Window]]:
        """The windows one send of `kind` to this destination counts against, with their keys."""
        scopes: list[tuple[tuple[str, ...], Window]] = []
        if self.overall:
            scopes.append(((platform, "overall"), self.overall))
        if kind == "reaction" and self.reactions:
            scopes.append(((platform, "reactions"), self.reactions))
        if kind in CHAT_KINDS:
            if self.per_chat:
                scopes.append(((platform, "chat", dest_kind, dest_id), self.per_chat))
            if self.per_group and self.is_group(dest_kind, dest_id):
                scopes.append(((platform, "group", dest_id), self.per_group))
        return scopes


NO_LIMITS = PlatformLimits()


def _window(count: int, seconds: float) -> Window | None:
    return Window(count, seconds) if count > 0 else None


def limits_for(platform: str, settings: Settings, declared: Any = None) -> PlatformLimits:
    """The limits the sender keeps to on `platform`: the settings for Telegram and Slack,
    else what the gateway declares (a PlatformLimits or a dict of the Telegram-style keys)."""
    if not settings.rate_limits_enabled:
        return NO_LIMITS
    if platform == "telegram":
        return PlatformLimits(
            overall=_window(settings.telegram_max_per_second, 1.0),
            per_chat=_window(settings.telegram_chat_max_per_second, 1.0),
            per_group=_window(settings.telegram_group_max_per_minute, 60.0),
            is_group=_is_telegram_group,
        )
    if platform == "slack":
        return PlatformLimits(
            per_chat=_window(settings.slack_channel_max_per_second, 1.0),
            reactions=_window(settings.slack_reactions_max_per_minute, 60.0),
        )
    if isinstance(declared, PlatformLimits):
        return declared
    if isinstance(declared, Mapping):
        return PlatformLimits(
            overall=_window(int(declared.get("global_per_second", 0)), 1.0),
            per_chat=_window(int(declared.get("per_chat_per_second", declared.get("per_channel_per_second", 0))), 1.0),
            per_group=_window(int(declared.get("per_group_per_minute", 0)), 60.0),
        )
    return NO_LIMITS


class Budget:
    """Recent sends per window and what still fits, for one claiming round of the sender.

    It is rebuilt from the outbox table (the claimed_at of recent entries) every round, so
    several workers draining one database share one budget; their claiming rounds are
    serialized (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite).
    """

    def __init__(self, limits: Mapping[str, PlatformLimits], margin: float = SAFETY_MARGIN_SECONDS) -> None:
        self.limits = limits
        self.margin = margin
        self._sends: dict[tuple[str, ...], list[float]] = {}

    def _scopes(self, platform: str, dest_kind: str, dest_id: str, kind: str) -> list[tuple[tuple[str, ...], Window]]:
        return self.limits.get(platform, NO_LIMITS).scopes(platform, dest_kind, dest_id, kind)

    def record(self, platform: str, dest_kind: str, dest_id: str, kind: str, at: datetime) -> None:
        """Count one send made (or about to be made) at `at`; calls must come in time order."""
        for key, _ in self._scopes(platform, dest_kind, dest_id, kind):
            self._sends.setdefault(key, []).append(at.timestamp())

    def wait(self, platform: str, dest_kind: str, dest_id: str, kind: str, now: datetime) -> float:
        """Seconds until one more send fits every window (0 when it fits now)."""
        return self._wait(self._scopes(platform, dest_kind, dest_id, kind), now.timestamp(), self._sends)

    def _wait(self, scopes: list[tuple[tuple[str, ...], Window]], now: float, sends: dict[tuple[str, ...], list[float]]) -> float:
        longest = 0.0
        for key, window in scopes:
            period = window.seconds + self.margin
            recent = [t for t in sends.get(key, ()) if t > now - period]
            if len(recent) >= window.count:
                longest = max(longest, recent[len(recent) - window.count] + period - now)
        return longest

    def capacity(self, platform: str, dest_kind: str, dest_id: str, kind: str, now: datetime, horizon: float, most: int) -> int:
        """How many sends (up to `most`) fit between now and `horizon` seconds from now."""
        scopes = self._scopes(platform, dest_kind, dest_id, kind)
        if not scopes:
            return most
        sends = {key: list(self._sends.get(key, ())) for key, _ in scopes}
        start = t = now.timestamp()
        fitted = 0
        while fitted < most:
            t += self._wait(scopes, t, sends)
            if t > start + horizon:
                break
            for key, _ in scopes:
                sends[key].append(t)
            fitted += 1
        return fitted

    def steady_interval(self, platform: str, dest_kind: str, dest_id: str, kind: str) -> float:
        """Seconds between sends that this destination can keep up indefinitely."""
        scopes = self._scopes(platform, dest_kind, dest_id, kind)
        return max(((w.seconds + self.margin) / w.count for _, w in scopes), default=0.0)

    def since_last(self, platform: str, dest_kind: str, dest_id: str, kind: str, now: datetime) -> float:
        """Seconds since the last send into this chat (infinite when there was none)."""
        times = [t for key, _ in self._scopes(platform, dest_kind, dest_id, kind) for t in self._sends.get(key, ()) if key[1] in ("chat", "group")]
        return now.timestamp() - max(times) if times else float("inf")
