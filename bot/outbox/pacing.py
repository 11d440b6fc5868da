"""Per-destination send budgets: the limits each gateway declares, as windows of recent sends."""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Mapping
from datetime import datetime

from bot.config import Settings
from bot.outbox.payloads import CHAT_KINDS
from bot.ports import NO_LIMITS, ChatGateway, PlatformLimits, Window

# This worker times each of its sends by when the platform's answer came back, which is after the
# platform counted it: a send one window after that can never arrive early, so only the clocks'
# granularity needs a margin.
SAFETY_MARGIN_SECONDS = 0.01
# Another worker's send in flight is known only by its claim: it may reach the platform a little later.
IN_FLIGHT_MARGIN_SECONDS = 0.1


def scopes(
    limits: PlatformLimits, platform: str, dest_kind: str, dest_id: str, kind: str
) -> list[tuple[tuple[str, ...], Window]]:
    """The windows one send of `kind` to this destination counts against, with their keys."""
    found: list[tuple[tuple[str, ...], Window]] = []
    if limits.overall:
        found.append(((platform, "overall"), limits.overall))
    if kind == "reaction" and limits.reactions:
        found.append(((platform, "reactions"), limits.reactions))
    if kind in CHAT_KINDS:
        if limits.per_chat:
            found.append(((platform, "chat", dest_kind, dest_id), limits.per_chat))
        if limits.per_group and limits.is_group(dest_kind, dest_id):
            found.append(((platform, "group", dest_id), limits.per_group))
    return found


def limits_for(gateway: ChatGateway, settings: Settings) -> PlatformLimits:
    """The limits the sender keeps to on the gateway's platform: what the gateway declares,
    or none at all when IDEAROOM_SEND_RATE_LIMITS is off."""
    return gateway.limits if settings.rate_limits_enabled else NO_LIMITS


class Budget:
    """Recent sends per window and what still fits, for one claiming round of the sender.

    It is rebuilt every round from the outbox table (when recent entries were sent or claimed), so
    several workers draining one database share one budget; their claiming rounds are
    serialized (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite).

    Each send is known by when it counted at the platform at the latest (its answer's return) and
    by when it was planned to leave. A strict window is kept by the first. A window that admits
    sends `early` is kept by both: the planned moments keep to the window, and each send leaves
    at most `early` seconds before the window after the latest moment its predecessors counted.
    Against a token bucket of that burst, a send that left late never lets the next one arrive too
    soon, and neither does the round trip: the cadence stays the window's, at any load.
    """

    def __init__(self, limits: Mapping[str, PlatformLimits], margin: float = SAFETY_MARGIN_SECONDS) -> None:
        self.limits = limits
        self.margin = margin
        self._sends: dict[tuple[str, ...], list[float]] = {}
        self._planned: dict[tuple[str, ...], list[float]] = {}

    def _scopes(self, platform: str, dest_kind: str, dest_id: str, kind: str) -> list[tuple[tuple[str, ...], Window]]:
        return scopes(self.limits.get(platform, NO_LIMITS), platform, dest_kind, dest_id, kind)

    def record(
        self, platform: str, dest_kind: str, dest_id: str, kind: str, at: datetime, planned: datetime | None = None
    ) -> None:
        """Count one send made (or planned) that counted at the platform by `at`, planned to leave
        at `planned` (`at` unless told)."""
        left = (planned or at).timestamp()
        for key, _ in self._scopes(platform, dest_kind, dest_id, kind):
            insort(self._sends.setdefault(key, []), at.timestamp())
            insort(self._planned.setdefault(key, []), left)

    def wait(self, platform: str, dest_kind: str, dest_id: str, kind: str, now: datetime) -> float:
        """Seconds until one more send fits every window (0 when it fits now)."""
        return self._wait(self._scopes(platform, dest_kind, dest_id, kind), now.timestamp(), self._sends, self._planned)

    def _wait(
        self,
        scopes: list[tuple[tuple[str, ...], Window]],
        now: float,
        sends: dict[tuple[str, ...], list[float]],
        planned: dict[tuple[str, ...], list[float]],
    ) -> float:
        longest = 0.0
        for key, window in scopes:
            period = window.seconds + self.margin
            longest = max(longest, _free_in(sends.get(key, ()), window.count, period - window.early, now))
            if window.early:
                longest = max(longest, _free_in(planned.get(key, ()), window.count, period, now))
        return longest

    def capacity(
        self, platform: str, dest_kind: str, dest_id: str, kind: str, now: datetime, horizon: float, most: int
    ) -> int:
        """How many sends (up to `most`) fit between now and `horizon` seconds from now."""
        scopes = self._scopes(platform, dest_kind, dest_id, kind)
        if not scopes:
            return most
        sends = {key: list(self._sends.get(key, ())) for key, _ in scopes}
        planned = {key: list(self._planned.get(key, ())) for key, _ in scopes}
        start = t = now.timestamp()
        fitted = 0
        while fitted < most:
            t += self._wait(scopes, t, sends, planned)
            if t > start + horizon:
                break
            for key, _ in scopes:
                insort(sends[key], t)
                insort(planned[key], t)
            fitted += 1
        return fitted

    def steady_interval(self, platform: str, dest_kind: str, dest_id: str, kind: str) -> float:
        """Seconds between sends that this destination can keep up indefinitely."""
        scopes = self._scopes(platform, dest_kind, dest_id, kind)
        return max(((w.seconds + self.margin) / w.count for _, w in scopes), default=0.0)

    def since_last(self, platform: str, dest_kind: str, dest_id: str, kind: str, now: datetime) -> float:
        """Seconds since the last send into this chat (infinite when there was none)."""
        times = [
            t
            for key, _ in self._scopes(platform, dest_kind, dest_id, kind)
            for t in self._sends.get(key, ())
            if key[1] in ("chat", "group")
        ]
        return now.timestamp() - max(times) if times else float("inf")


def _free_in(times: Iterable[float], count: int, period: float, now: float) -> float:
    """Seconds until fewer than `count` of `times` lie within `period` before a send (0: now)."""
    recent = [t for t in times if t > now - period]
    return recent[len(recent) - count] + period - now if len(recent) >= count else 0.0
