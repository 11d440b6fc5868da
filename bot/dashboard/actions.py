"""What a person does on the web runs as the chat command or button it stands for, in one transaction.

The dashboard writes no workflow of its own: a form is turned into the command a person would type
(`/proposal adopt 3`) or the button they would press (`inv:4:accept`), and the registered handler runs
with a context whose replies come back to the page instead of a chat. Everything else the handler
does (points, the audit log, posts in rooms, messages to heads and proposers) happens as in chat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.context import NOTICE, Context
from bot.dashboard.viewer import Viewer
from bot.errors import NotAllowed, UserError
from bot.messages import Button, Place
from bot.parsing import parse
from bot.ports import Clock
from bot.registry import Registry
from bot.text import strip_control_characters
from storage.db import Database, insert_ignoring_conflict
from storage.tables import Identity, OutboxMessage, Person, ProcessedEvent, Room

log = logging.getLogger(__name__)

WEB = "web"  # the place of what is done on the web: a direct conversation with the bot


@dataclass
class Answer:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)


@dataclass
class ActionResult:
    """The bot's answers to the person; `refused` when a check said no (`forbidden`: not their role)."""

    answers: list[Answer] = field(default_factory=list)
    posted: list[tuple[str, Answer]] = field(default_factory=list)  # (room title, what was posted there)
    refused: bool = False
    forbidden: bool = False
    duplicate: bool = False


@dataclass
class WebContext(Context):
    """A chat context whose replies are shown on the page that asked, not sent to a chat."""

    answers: list[Answer] = field(default_factory=list)
    posted: list[tuple[str, Answer]] = field(default_factory=list)

    def post(
        self,
        room: Room,
        text: str,
        buttons: list[list[Button]] | None = None,
        *,
        priority: int = NOTICE,
        ref: tuple[str, int] | None = None,
    ) -> OutboxMessage:
        """Posted in the room as from chat; the page shows it too (its buttons work there as well)."""
        self.posted.append((room.title or room.external_id, Answer(text, buttons or [])))
        return super().post(room, text, buttons, priority=priority, ref=ref)

    def reply(
        self,
        text: str,
        buttons: list[list[Button]] | None = None,
        *,
        ref: tuple[str, int] | None = None,
        coalesce_key: str | None = None,
    ) -> OutboxMessage:
        self.answers.append(Answer(text, buttons or []))
        # Never added to the session: nothing is sent for it.
        return OutboxMessage(platform=WEB, dest_kind="room", dest_id=WEB, text=text)


@dataclass
class Actions:
    """Runs commands and button presses for signed-in people; one per running dashboard."""

    db: Database
    settings: Settings
    clock: Clock
    registry: Registry
    on_outbox: Callable[[], None] = lambda: None

    async def _context(self, session: Any, viewer: Viewer, room_id: int | None) -> WebContext:
        person = await session.get(Person, viewer.person_id)
        identity = await session.get(Identity, viewer.identity_id) if viewer.identity_id else None
        if identity is None:  # a directory person with no chat account yet (an operator's link)
            identity = Identity(
                id=0, person_id=viewer.person_id, platform=WEB, external_id=f"person:{viewer.person_id}"
            )
        room = await session.get(Room, room_id) if room_id else None
        if room is not None and not room.is_direct:
            place = Place(room.platform, room.external_id, room.title, is_direct=False)
        else:
            room = Room(id=0, platform=WEB, external_id=f"{WEB}:{viewer.person_id}", is_direct=True)
            place = Place(WEB, room.external_id, is_direct=True)
        return WebContext(
            session=session,
            settings=self.settings,
            clock=self.clock,
            registry=self.registry,
            person=person,
            identity=identity,
            room=room,
            place=place,
            event_id=f"{WEB}:{self.clock.now().isoformat()}",
        )

    async def _dispatch(self, ctx: WebContext, command: str | None, press: str | None) -> None:
        if press is not None:
            prefix, *args = strip_control_characters(press).split(":")
            handler = self.registry.buttons.get(prefix)
            if handler is None:
                raise UserError("error.unknown_button")
            toast = await handler(ctx, args)
            if toast and not ctx.answers:
                ctx.answers.append(Answer(toast))
            return
        parsed = parse(strip_control_characters(command or ""))
        spec = self.registry.commands.get(parsed.name) if parsed else None
        if parsed is None or spec is None:
            raise UserError("web.unknown_action")
        if ctx.place.is_direct and not spec.in_direct_chat:
            raise UserError("web.room_needed")
        await spec.handler(ctx, parsed)

    async def run(
        self,
        viewer: Viewer,
        *,
        nonce: str,
        command: str | None = None,
        press: str | None = None,
        room_id: int | None = None,
    ) -> ActionResult:
        """Do what the form asked, once per `nonce` (a form sent twice does it once)."""
        try:
            async with self.db.session() as session:
                first = await insert_ignoring_conflict(
                    session,
                    ProcessedEvent,
                    dict(platform=WEB, event_id=f"form:{nonce}"[:200], processed_at=self.clock.now()),
                )
                if not first:
                    return ActionResult(duplicate=True)
                ctx = await self._context(session, viewer, room_id)
                await self._dispatch(ctx, command, press)
                result = ActionResult(answers=ctx.answers, posted=ctx.posted)
        except UserError as error:
            # Rolled back whole, as in chat; a refused attempt is recorded on its own.
            async with self.db.session() as session:
                ctx = await self._context(session, viewer, room_id)
                if isinstance(error, NotAllowed):
                    ctx.audit("refused", attempted=error.action, via=WEB)
                return ActionResult(
                    [Answer(ctx.t(error.key, **error.params))], refused=True, forbidden=isinstance(error, NotAllowed)
                )
        self.on_outbox()
        return result
