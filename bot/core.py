"""The core: takes a neutral event, handles it once in one transaction, and queues the answers."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.context import Context
from bot.errors import NotAllowed, UserError
from bot.i18n import Translator
from bot.messages import (
    Actor,
    ButtonPress,
    Destination,
    Incoming,
    IncomingMessage,
    MessageEdited,
    Outcome,
    Outgoing,
    Place,
    ReactionAdded,
    ReactionRemoved,
    RoomMoved,
)
from bot.outbox import enqueue
from bot.parsing import closest_command, parse
from bot.people import resolve_actor, system_person
from bot.ports import Clock
from bot.registry import Registry
from bot.text import clean_name, strip_control_characters
from storage.db import Database, insert_ignoring_conflict
from storage.faults import is_connection_fault, is_transient
from storage.tables import Identity, OutboxMessage, OutboxState, PendingInput, Person, ProcessedEvent, Room

log = logging.getLogger(__name__)

SYSTEM = "system"
T = TypeVar("T")

SUPPORT_EMOJI = {"👍", "+1", "thumbsup", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿"}


ATTEMPTS = 3  # a lost race or a deadlock: run again at once, this often in all
# A dropped database connection: run again on a fresh one after these pauses (seconds, each
# stretched at random by up to half, so events that broke together do not retry in step).
# About 8-12 s in all: long enough to ride out a PostgreSQL restart or a failover.
RECONNECT_PAUSES = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
# Events that queued while a transaction ran share the next one, this many at most: more would
# hold SQLite's one writer (and the sender's next claim) longer than a group saves.
GROUP_AT_MOST = 16


# Built once: building a statement costs more CPU than SQLite takes to run it.
_ROOM = select(Room).where(Room.platform == sa.bindparam("platform"), Room.external_id == sa.bindparam("external_id"))


@dataclass
class _Answer:
    toast: str | None = None


def reaction_key(event: Incoming) -> str | None:
    """The name a supporting reaction is stored under, the same when it is added and taken back."""
    reaction_id = getattr(event, "reaction_id", None)
    if isinstance(event, ButtonPress) and reaction_id is None:
        return None
    if isinstance(event, (ReactionAdded, ReactionRemoved)) and reaction_id is None:
        if event.emoji and event.emoji not in SUPPORT_EMOJI or event.message_id is None:
            return None
        reaction_id = event.message_id
    if reaction_id is None:
        return None
    return f"{event.place.platform}:{event.place.chat_id}:{reaction_id}"[:250]


class Core:
    """Handles every event the same way, whatever platform it came from."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        registry: Registry,
        on_outbox: Callable[[], None] = lambda: None,
        bot_usernames: dict[str, str] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.registry = registry
        self.on_outbox = on_outbox
        self.bot_usernames = bot_usernames or {}
        self.handled_count = 0
        # Platforms whose user ids are directory handles (see _person); the wiring fills it in.
        self.handle_platforms: set[str] = set()
        self.duplicate_count = 0
        self.failed_count = 0
        self._waiting: list[tuple[Incoming, asyncio.Future[Outcome]]] = []
        self._grouper: asyncio.Task[None] | None = None

    async def handle(self, event: Incoming) -> Outcome:
        """Handle an event exactly once; a redelivered event changes nothing.

        Events that arrive while a transaction of the core runs wait for it, then share the next
        one (a group commit); each is still answered only after the commit that stored it.
        """
        await self._before(event)
        return (await self._queue([event]))[0]

    async def handle_many(self, events: list[Incoming]) -> list[Outcome]:
        """Handle events in order, as many as can share one transaction (a batch a platform sent at once)."""
        for event in events:
            await self._before(event)
        return await self._queue(events)

    async def _queue(self, events: list[Incoming]) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in events]
        self._waiting.extend(zip(events, futures))
        if self._grouper is None or self._grouper.done():
            self._grouper = asyncio.create_task(self._run_groups(), name="core-groups")
        # Shielded: a caller that stops waiting does not cancel the others' transaction.
        return [await asyncio.shield(future) for future in futures]

    async def _run_groups(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:GROUP_AT_MOST], self._waiting[GROUP_AT_MOST:]
            try:
                outcomes = await self._handle_group([event for event, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch + self._waiting:
                    future.cancel()
                raise
            except Exception as error:  # a bug in the grouping itself: each caller hears of it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), outcome in zip(batch, outcomes):
                if not future.done():
                    future.set_result(outcome)

    async def _handle_group(self, events: list[Incoming]) -> list[Outcome]:
        """One transaction, a savepoint per event; an event that fails in it is handled on its own after."""
        outcomes: list[Outcome | None] = [None] * len(events)
        if len(events) > 1:
            try:
                async with self.db.session() as session:
                    for index, event in enumerate(events):
                        outcomes[index] = await self._handle_in_savepoint(session, event)
            except Exception as error:
                # Nothing of the group was committed: every event goes on its own, with its retries.
                if is_connection_fault(error):
                    log.warning("%d events: database connection lost (%s); one by one", len(events), error)
                else:
                    log.info("a group of %d events failed (%s); handling them one by one", len(events), error)
                outcomes = [None] * len(events)
        grouped = sum(1 for outcome in outcomes if outcome is not None)
        if grouped:
            for event, outcome in zip(events, outcomes):
                if outcome is not None:
                    self._count(event, outcome)
            if any(not outcome.duplicate for outcome in outcomes if outcome is not None):
                self.on_outbox()
        done: list[Outcome] = []
        for event, outcome in zip(events, outcomes):
            if outcome is None:
                outcome = await self._handle_alone(event)
                self._count(event, outcome)
                if not outcome.duplicate:
                    self.on_outbox()
            done.append(outcome)
        return done

    async def _handle_in_savepoint(self, session: AsyncSession, event: Incoming) -> Outcome | None:
        """The event in its own savepoint of the group's transaction; None when it must be handled alone."""
        try:
            try:
                async with session.begin_nested():
                    return await self._run(session, event)
            except UserError as error:
                async with session.begin_nested():
                    return await self._refuse(session, event, error)
        except DBAPIError as error:
            if is_connection_fault(error):
                raise  # the transaction is gone: the whole group goes one by one
            # A lost race (a person or room two workers created at once) or a deadlock: rolled
            # back to the savepoint; on its own the event is retried, as any event is.
            return None
        except Exception:
            return None  # a bug: on its own, the event is logged and apologized for

    async def _handle_alone(self, event: Incoming) -> Outcome:
        outcome = Outcome()
        races, reconnects = 0, 0
        while True:
            try:
                outcome = await self._handle_once(event)
                break
            except Exception as error:
                if is_connection_fault(error) and reconnects < len(RECONNECT_PAUSES):
                    # The claim is in the same transaction, so a run whose commit did reach the
                    # database before the connection broke finds its claim and does nothing.
                    log.warning("event %s: database connection lost (%s); trying again", event.event_id, error)
                    await asyncio.sleep(RECONNECT_PAUSES[reconnects] * random.uniform(1.0, 1.5))
                    reconnects += 1
                    continue
                # Two workers created the same person or room at once, or the database chose
                # this transaction as a deadlock victim: run afresh, it will see the other's work.
                lost_race = isinstance(error, IntegrityError) or (isinstance(error, DBAPIError) and is_transient(error))
                if lost_race and races < ATTEMPTS - 1:
                    races += 1
                    log.info("retrying event %s after %s", event.event_id, type(getattr(error, "orig", error)).__name__)
                    continue
                # A bug or an outage must not stop the bot; the event stays unclaimed so a
                # redelivery can succeed once the cause is gone.
                log.exception("event %s failed", event.event_id)
                outcome = await self._apologize(event)
                # A deadlock or an outage may pass; the same IntegrityError three times will not.
                outcome.retryable = is_connection_fault(error) or (
                    isinstance(error, DBAPIError) and is_transient(error)
                )
                break
        return outcome

    def _count(self, event: Incoming, outcome: Outcome) -> None:
        if outcome.failed:
            self.failed_count += 1
        elif not outcome.duplicate:
            self.handled_count += 1
        else:
            self.duplicate_count += 1
        log.info(
            "event platform=%s room=%s event=%s kind=%s outcome=%s",
            event.place.platform,
            event.place.chat_id,
            event.event_id,
            type(event).__name__,
            "failed" if outcome.failed else "duplicate" if outcome.duplicate else "handled",
        )

    async def _before(self, event: Incoming) -> None:
        for hook in self.registry.before_hooks:
            try:
                await hook(event)
            except Exception:
                # Only a wait: the event is still handled, as it would have been without it.
                log.exception("preparing event %s failed", event.event_id)

    async def _handle_once(self, event: Incoming) -> Outcome:
        try:
            async with self.db.session() as session:
                return await self._run(session, event)
        except UserError as error:
            # The failed attempt is rolled back whole; the refusal is recorded on its own.
            async with self.db.session() as session:
                return await self._refuse(session, event, error)

    async def _run(self, session: AsyncSession, event: Incoming) -> Outcome:
        """Claim the event and dispatch it in `session`; a duplicate changes nothing."""
        ctx = await self._begin(session, event)
        if ctx is None:
            return Outcome(duplicate=True)
        answer = await self._dispatch(ctx, event)
        return Outcome(toast=answer.toast, handled_at=ctx.now())

    async def _refuse(self, session: AsyncSession, event: Incoming, error: UserError) -> Outcome:
        ctx = await self._begin(session, event)
        if ctx is None:
            return Outcome(duplicate=True)
        text = ctx.t(error.key, **error.params)
        if isinstance(error, NotAllowed):
            ctx.audit("refused", attempted=error.action)
        if not isinstance(event, ButtonPress):
            ctx.reply(text)
        return Outcome(toast=text, handled_at=ctx.now())

    async def _apologize(self, event: Incoming) -> Outcome:
        """Tell the person something went wrong, in their language, if the database allows."""
        text = Translator(self.settings.locale)("error.internal")
        if not isinstance(event, ButtonPress):
            try:
                async with self.db.session() as session:
                    # Once per event: a redelivery that fails again does not apologize again.
                    first = await insert_ignoring_conflict(
                        session,
                        ProcessedEvent,
                        dict(platform=event.place.platform, event_id=f"apology:{event.event_id}"[:200]),
                    )
                    if first:
                        destination = Destination(event.place.platform, "room", event.place.chat_id)
                        enqueue(session, destination, Outgoing(text), priority=0, now=self.clock.now())
            except Exception:
                log.exception("could not even queue the apology for event %s", event.event_id)
        return Outcome(toast=text, failed=True)

    async def run_job(self, job: Callable[[Context], Awaitable[T]], room: Room | None = None) -> T:
        """Run scheduled work (a reminder, a closing) as the bot itself, in one transaction."""
        async with self.db.session() as session:
            ctx = await self.system_context(session, room)
            result = await job(ctx)
        self.on_outbox()
        return result

    async def system_context(self, session: AsyncSession, room: Room | None = None) -> Context:
        """A context whose actor is the bot, for work no person started."""
        person, identity = await system_person(session, self.clock.now())
        if room is None:
            room = Room(id=0, platform=SYSTEM, external_id=SYSTEM)  # never stored: no room is involved
        place = Place(room.platform, room.external_id, room.title, room.is_direct)
        return self._context(session, person, identity, room, place, f"job:{self.clock.now().isoformat()}")

    def _context(
        self,
        session: AsyncSession,
        person: Person,
        identity: Identity,
        room: Room,
        place: Place,
        event_id: str,
        message_id: str | None = None,
        reaction: str | None = None,
    ) -> Context:
        return Context(
            session=session,
            settings=self.settings,
            clock=self.clock,
            registry=self.registry,
            person=person,
            identity=identity,
            room=room,
            place=place,
            event_id=event_id,
            message_id=message_id,
            reaction=reaction,
        )

    async def _begin(self, session: AsyncSession, event: Incoming) -> Context | None:
        claimed = await insert_ignoring_conflict(
            session,
            ProcessedEvent,
            dict(platform=event.place.platform, event_id=event.event_id, processed_at=self.clock.now()),
        )
        if not claimed:
            return None
        identity, person = await self._person(session, event.actor)
        room = await self._room(session, event.place, person)
        message_id = getattr(event, "message_id", None)
        return self._context(
            session, person, identity, room, event.place, event.event_id, message_id, reaction_key(event)
        )

    async def _person(self, session: AsyncSession, actor: Actor) -> tuple[Identity, Person]:
        return await resolve_actor(session, actor, now=self.clock.now(), handle_platforms=self.handle_platforms)

    async def _room(self, session: AsyncSession, place: Place, person: Person) -> Room:
        room = (await session.exec(_ROOM, params={"platform": place.platform, "external_id": place.chat_id})).first()
        # A direct chat is its person's (erasure removes it with them); one from before this was kept learns it now.
        owner = person.id if place.is_direct else None
        title = clean_name(place.title)
        if room is None:
            room = Room(
                platform=place.platform,
                external_id=place.chat_id,
                title=title,
                is_direct=place.is_direct,
                person_id=owner,
                created_at=self.clock.now(),
            )
            session.add(room)
            await session.flush()
        else:
            if title and room.title != title:
                room.title = title
                session.add(room)
            if owner is not None and room.is_direct and room.person_id != owner:
                room.person_id = owner
                session.add(room)
        return room

    async def _dispatch(self, ctx: Context, event: Incoming) -> _Answer:
        if isinstance(event, IncomingMessage):
            await self._on_message(ctx, event)
            return _Answer()
        if isinstance(event, ButtonPress):
            prefix, *args = strip_control_characters(event.action).split(":")
            handler = self.registry.buttons.get(prefix)
            if handler is None:
                return _Answer(ctx.t("error.unknown_button"))
            return _Answer(await handler(ctx, args))
        if isinstance(event, RoomMoved):
            await self._move_room(ctx, event.new_chat_id)
            return _Answer()
        if isinstance(event, ReactionAdded):
            if event.emoji in SUPPORT_EMOJI:
                await ctx.publish("reaction.support", message_id=event.message_id)
            return _Answer()
        if isinstance(event, ReactionRemoved):
            if ctx.reaction is not None:
                # A removal named by its own id is that reaction's, whoever took it away (a moderator
                # too); one named by message and emoji is the remover's own reaction there.
                await ctx.publish("reaction.removed", reaction=ctx.reaction, anyone=event.reaction_id is not None)
            return _Answer()
        if isinstance(event, MessageEdited):
            await ctx.publish(
                "message.edited",
                message_id=event.message_id,
                text=strip_control_characters(event.text),
                edited_at=event.edited_at,
            )
            return _Answer()
        raise TypeError(f"unknown event {event!r}")

    async def _move_room(self, ctx: Context, new_chat_id: str) -> None:
        """Keep the room (its topic, ideas, invitations) under the id the platform now uses."""
        taken = (
            await ctx.session.exec(
                select(Room).where(Room.platform == ctx.room.platform, Room.external_id == new_chat_id)
            )
        ).first()
        if taken is not None:
            log.warning("room %s moved to %s, which is already a room of its own", ctx.room.external_id, new_chat_id)
            return
        old_chat_id = ctx.room.external_id
        ctx.room.external_id = new_chat_id
        ctx.session.add(ctx.room)
        await ctx.session.exec(
            sa.update(OutboxMessage)
            .where(
                col(OutboxMessage.platform) == ctx.room.platform,
                col(OutboxMessage.dest_kind) == "room",
                col(OutboxMessage.dest_id) == old_chat_id,
                col(OutboxMessage.state) == OutboxState.pending,
            )
            .values(dest_id=new_chat_id)
        )
        ctx.audit("room.moved", "room", ctx.room.id, old=old_chat_id, new=new_chat_id)

    async def _on_message(self, ctx: Context, event: IncomingMessage) -> None:
        # A NUL or an escape code never reaches a handler: PostgreSQL refuses NUL in text.
        text = strip_control_characters(event.text)
        command = parse(text, self.bot_usernames.get(event.place.platform))
        if command is None:
            pending = (
                await ctx.session.exec(select(PendingInput).where(PendingInput.person_id == ctx.person.id))
            ).first()
            if pending is not None and event.place.is_direct:
                handler = self.registry.inputs.get(pending.kind)
                await ctx.session.delete(pending)
                if handler is not None:
                    await handler(ctx, text, pending)
                return
            if event.place.is_direct:
                ctx.reply(ctx.t("help.direct_hint"))
            elif event.reply_to:
                await ctx.publish("message.reply", message_id=event.reply_to, text=text)
            return
        spec = self.registry.commands.get(command.name)
        if spec is None:
            suggestion = closest_command(command.shown, [n for n in self.registry.commands if n != "start"])
            if suggestion:
                raise UserError(
                    "error.unknown_command_suggest", command=f"/{command.shown[:40]}", suggestion=suggestion
                )
            raise UserError("error.unknown_command", command=f"/{command.shown[:40]}")
        if event.place.is_direct and not spec.in_direct_chat:
            raise UserError("error.room_only", command=command.shown)
        await spec.handler(ctx, command)
