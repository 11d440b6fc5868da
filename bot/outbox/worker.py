"""What the parts of one sender share: who it is, what it reaches, which destinations wait, what it counted."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bot.config import Settings
from bot.outbox.entries import DestKey
from bot.ports import ChatGateway, Clock
from storage.db import Database
from storage.tables import OutboxMessage, OutboxState


class Draw(Protocol):
    """Draws a photo queued as figures into a PNG in `directory`; returns its path (the /report chart)."""

    def __call__(self, figures: dict[str, Any], directory: str | Path) -> Path: ...


@dataclass
class Counts:
    """What this worker did since it started, for the logs and the tests."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    merged: int = 0


@dataclass
class Worker:
    """One sender's state; several workers may drain one database."""

    db: Database
    gateways: dict[str, ChatGateway]
    clock: Clock
    settings: Settings
    worker_id: str
    draw: Draw | None = None
    # A 429 for one destination holds back only that destination, until this time.
    held_until: dict[DestKey, datetime] = field(default_factory=dict)
    # When the platform's answer to each recent send of this worker came back: the platform
    # counted the send before that, so the pacing times this worker's sends by it.
    finished: dict[int, datetime] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    # Entries this worker claimed and has not heard back about yet, by destination: a later round
    # leaves their destination alone (its order) and counts them as sent as late as can be.
    in_flight: dict[int, tuple[DestKey, datetime]] = field(default_factory=dict)
    # Set while nothing is in flight: the lease renewal stops then.
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def held(self, key: DestKey, now: datetime) -> datetime | None:
        """Until when the destination asked to wait, if it still does."""
        until = self.held_until.get(key)
        return until if until is not None and until > now else None

    def lease(self, entry: OutboxMessage, now: datetime) -> None:
        """Claim an entry for this worker; another takes it back once the lease runs out unrenewed (`leases`)."""
        entry.state = OutboxState.sending
        entry.claimed_by = self.worker_id
        entry.claimed_at = now

    def under_way(self, entries: list[OutboxMessage], now: datetime) -> None:
        """These claimed (and flushed) entries are being sent by this worker."""
        for entry in entries:
            if entry.id is not None:
                self.in_flight[entry.id] = ((entry.platform, entry.dest_kind, entry.dest_id), now)
        if self.in_flight:
            self.idle.clear()

    def landed(self, entries: list[OutboxMessage]) -> None:
        """These entries are no longer under way (sent, failed or given back)."""
        for entry in entries:
            if entry.id is not None:
                self.in_flight.pop(entry.id, None)
        if not self.in_flight:
            self.idle.set()

    def busy_destinations(self) -> set[DestKey]:
        """Destinations with an entry of this worker under way (each leaves `in_flight` when it lands)."""
        return {key for key, _ in self.in_flight.values()}
