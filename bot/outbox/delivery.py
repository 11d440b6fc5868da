"""Delivery: each claimed entry handed to its platform's gateway, by its kind; destinations in parallel, each in order."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot import files
from bot.messages import PhotoPayload, SendResult
from bot.outbox.entries import destination_of, entry_id, key_of, to_outgoing
from bot.outbox.payloads import INVITE, PHOTO, REACTION
from bot.outbox.worker import Worker
from bot.ports import DeliveryError
from storage.tables import OutboxMessage

log = logging.getLogger(__name__)

CONCURRENT_DESTINATIONS = 16


async def dispatch(worker: Worker, entry: OutboxMessage) -> SendResult:
    """One entry through its gateway: an invite, a reaction, or a post (a photo drawn first if queued as figures)."""
    gateway = worker.gateways[entry.platform]
    if entry.kind == "invite":
        invite = INVITE.validate_python(entry.payload)
        return await gateway.invite(entry.dest_id, invite["room_id"])
    if entry.kind == "reaction":
        reaction = REACTION.validate_python(entry.payload)
        return await gateway.react(entry.dest_id, reaction["message_id"], reaction["emoji"])
    message = to_outgoing(entry)
    redrawn = entry.kind == "photo" and "render" in entry.payload
    if entry.kind == "photo":
        message = replace(message, payload=await drawn(worker, PHOTO.validate_python(entry.payload)))
    path = message.payload.get("path")
    try:
        result = await gateway.send(destination_of(entry), message)
    except BaseException:
        if redrawn:  # a chart is drawn again for the next try; a written file is kept for it
            files.remove(path, worker.settings.report_dir)
        raise
    if not result.file_kept:  # sent: the chart or /mydata file has done its work
        files.remove(path, worker.settings.report_dir)
    return result


async def drawn(worker: Worker, photo: PhotoPayload) -> PhotoPayload:
    """A photo queued as figures, drawn now off the event loop by the drawing the app was given."""
    figures = photo.pop("render", None)
    if figures is not None:
        if worker.draw is None:
            raise DeliveryError("this worker was given nothing to draw photos with", permanent=True)
        photo["path"] = str(await asyncio.to_thread(worker.draw, figures, worker.settings.report_dir))
    return photo


# What became of one send: the platform's answer, or why it was not delivered.
Outcome = SendResult | DeliveryError


async def deliver(worker: Worker, entry: OutboxMessage) -> Outcome:
    """Send one entry; an adapter bug fails the entry, never the outbox. Notes when the answer came back."""
    try:
        return await dispatch(worker, entry)
    except DeliveryError as error:
        return error
    except Exception as error:
        log.exception("unexpected error sending outbox entry %s", entry.id)
        return DeliveryError(repr(error))
    finally:
        worker.finished[entry_id(entry)] = worker.clock.now()
        worker.landed([entry])


async def deliver_batch(
    worker: Worker,
    batch: list[OutboxMessage],
    planned: dict[int, datetime],
    record: Callable[[OutboxMessage, Outcome], Awaitable[None]],
    release: Callable[[list[OutboxMessage], Any], Awaitable[None]],
) -> int:
    """Destinations in parallel, each in order, none before its planned moment; reactions need no
    order and each go on their own. Each outcome is handed to `record`, and a destination's next
    entry waits until the outcome of the one before is written: a crash then repeats at most one
    send per destination. Returns how many were delivered."""
    by_destination: dict[tuple[Any, ...], list[OutboxMessage]] = defaultdict(list)
    for entry in batch:
        by_destination[("reaction", entry.id) if entry.kind == "reaction" else key_of(entry)].append(entry)
    gate = asyncio.Semaphore(CONCURRENT_DESTINATIONS)

    async def deliver_in_order(entries: list[OutboxMessage]) -> int:
        delivered = 0
        async with gate:
            for index, entry in enumerate(entries):
                at = planned.get(entry_id(entry))
                if at is not None:
                    await asyncio.sleep(max(0.0, (at - worker.clock.now()).total_seconds()))
                held = worker.held(key_of(entry), worker.clock.now())
                if held is not None:
                    await release(entries[index:], held)
                    break
                outcome = await deliver(worker, entry)
                written = record(entry, outcome)
                delivered += isinstance(outcome, SendResult)
                if index + 1 < len(entries):
                    await written
        return delivered

    counts = await asyncio.gather(*(deliver_in_order(entries) for entries in by_destination.values()))
    return sum(counts)
