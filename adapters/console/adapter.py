"""Reads lines from a terminal or a script, feeds them to the core and prints what the bot says."""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import IO

from bot import people
from bot.i18n import Translator
from bot.messages import Actor, ButtonPress, Destination, IncomingMessage, Outgoing, Place, ReactionAdded, SendResult
from bot.outbox import remembered_message_ids
from bot.parsing import split_words
from bot.ports import DEFAULT_ACK_REACTION, NO_LIMITS, Host
from bot.text import strip_control_characters

PLATFORM = "console"
DEFAULT_PERSON = "minji"
DEFAULT_ROOM = "아이디어방"
DIRECT = "dm"


class ConsoleGateway:
    """Prints what the bot sends; buttons are shown with the /press line that presses them."""

    platform = PLATFORM
    limits = NO_LIMITS
    ack_reaction = DEFAULT_ACK_REACTION

    def __init__(self, out: IO[str], translator: Translator) -> None:
        self.out = out
        self.t = translator
        self._ids = itertools.count(1)

    def _print(self, header: str, text: str) -> None:
        lines = text.splitlines() or [""]
        self.out.write(f"{header} {lines[0]}\n")
        for line in lines[1:]:
            self.out.write(f"    {line}\n")
        self.out.flush()

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        message_id = f"b{next(self._ids)}"
        if destination.kind == "user":
            header = self.t("console.to_person", person=destination.id)
        elif destination.id.startswith(f"{DIRECT}:"):
            header = self.t("console.to_person", person=destination.id.split(":", 1)[1])
        else:
            header = self.t("console.to_room", room=destination.id)
        text = message.text
        if message.kind == "photo" and message.payload.get("path"):
            text += "\n" + self.t("console.image_saved", path=message.payload.get("path"))
        if message.kind == "document" and message.payload.get("path"):
            text += "\n" + self.t("console.file_saved", path=message.payload.get("path"))
        self._print(header, text)
        for row in message.buttons:
            self.out.write("    " + "  ".join(f"[{b.label} → /press {b.action}]" for b in row) + "\n")
        self.out.flush()
        return SendResult(message_id=message_id, file_kept=bool(message.payload.get("path")))

    async def invite(self, user_id: str, room_id: str) -> SendResult:
        self._print(self.t("console.system"), self.t("console.invited", person=user_id, room=room_id))
        return SendResult(detail="added")

    async def react(self, room_id: str, message_id: str, emoji: str) -> SendResult:
        return SendResult(message_id=message_id)

    def start_link(self, payload: str) -> str | None:
        return None  # at the console a person types `/start <payload>` in `/in dm`


class ConsoleAdapter:
    """A REPL (or a script on standard input) where `/as` and `/in` switch person and room."""

    def __init__(self, app: Host, stdin: IO[str] | None = None, out: IO[str] | None = None) -> None:
        self.app = app
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stdout
        self.t = Translator(app.settings.locale)
        self.gateway = ConsoleGateway(self.out, self.t)
        self.person = DEFAULT_PERSON
        self.room = DEFAULT_ROOM
        self._line_ids = itertools.count(1)
        # Extra console-only commands (e.g. /clock from the scheduler): name → handler(args).
        self.local_commands: dict[str, Callable[[str], Awaitable[None]]] = {}

    async def start(self) -> None:
        """Nothing to connect: `run()` reads the lines."""

    async def stop(self) -> None:
        """Nothing to disconnect: `run()` ends with its input."""

    @property
    def interactive(self) -> bool:
        return self.stdin.isatty()

    def place(self) -> Place:
        if self.room == DIRECT:
            return Place(PLATFORM, f"{DIRECT}:{self.person}", title="", is_direct=True)
        return Place(PLATFORM, self.room, title=self.room)

    def actor(self) -> Actor:
        return Actor(PLATFORM, self.person, display_name=self.person, username=self.person)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def seat_everyone(self) -> None:
        """Everyone in the directory sits at this terminal, so direct messages reach them here."""
        await people.seat_directory(self.app.db, PLATFORM)

    async def continue_numbering(self) -> None:
        """Number lines on from the last session's: `u1` of yesterday still stands for its idea."""
        ids = await remembered_message_ids(self.app.db, PLATFORM)
        last = {"u": 0, "b": 0}
        for message_id in ids:
            prefix, number = message_id[:1], message_id[1:]
            if prefix in last and number.isdigit():
                last[prefix] = max(last[prefix], int(number))
        self._line_ids = itertools.count(last["u"] + 1)
        self.gateway._ids = itertools.count(last["b"] + 1)

    async def run(self) -> None:
        """Read lines until end of input or /quit."""
        await self.seat_everyone()
        await self.continue_numbering()
        self.say(self.t("console.banner", person=self.person, room=self.room))
        while True:
            line = await self._read_line()
            if line is None:
                break
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if not self.interactive:
                self.say(f"> {self.person}@{self.room}: {line}")
            if not await self.handle_line(line.strip()):
                break
        await self.app.sender.drain()

    async def _read_line(self) -> str | None:
        if self.interactive:
            prompt = f"{self.person}@{self.room}> "
            try:
                return await asyncio.to_thread(input, prompt)
            except EOFError:
                return None
        line = await asyncio.to_thread(self.stdin.readline)
        return line or None

    async def handle_line(self, line: str) -> bool:
        """Handle one line; False when the session should end."""
        # Names, rooms and message numbers typed here are ids: cleaned as any text is (PostgreSQL refuses a NUL).
        word, _, rest = strip_control_characters(line).partition(" ")
        rest = rest.strip()
        if word in ("/quit", "/exit", "/종료"):
            return False
        if word == "/as":
            if not rest:
                self.say(self.t("console.as_usage"))
            else:
                self.person = rest.split()[0].lstrip("@")
                self.say(self.t("console.now_as", person=self.person))
            return True
        if word == "/in":
            if not rest:
                self.say(self.t("console.in_usage"))
            else:
                self.room = rest.split()[0].lstrip("#")
                self.say(self.t("console.now_in", room=self.room))
            return True
        if word in self.local_commands:
            await self.local_commands[word](rest)
            await self.app.sender.drain()
            return True
        event_id = f"c{uuid.uuid4().hex}"
        if word == "/press":
            if not rest:
                self.say(self.t("console.press_usage"))
                return True
            outcome = await self.app.core.handle(ButtonPress(event_id, self.actor(), self.place(), rest.split()[0]))
            if outcome.toast:
                self.say(self.t("console.toast", text=outcome.toast))
        elif word == "/react":
            words = split_words(rest)
            if not words:
                self.say(self.t("console.react_usage"))
                return True
            emoji = words[1] if len(words) > 1 else "👍"
            await self.app.core.handle(ReactionAdded(event_id, self.actor(), self.place(), emoji, words[0]))
        elif word == "/reply":
            parts = rest.split(None, 1)
            if len(parts) < 2:
                self.say(self.t("console.reply_usage"))
                return True
            message_id = f"u{next(self._line_ids)}"
            reply = IncomingMessage(event_id, self.actor(), self.place(), parts[1], message_id, reply_to=parts[0])
            await self.app.core.handle(reply)
        else:
            message_id = f"u{next(self._line_ids)}"
            await self.app.core.handle(IncomingMessage(event_id, self.actor(), self.place(), line, message_id))
        await self.app.sender.drain()
        return True
