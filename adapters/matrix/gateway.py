"""Delivers outbox entries to a Matrix homeserver and maps its errors for the sender."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mautrix.api import Method
from mautrix.client.api import ClientAPI
from mautrix.errors import MatrixConnectionError, MatrixRequestError
from mautrix.types import RoomCreatePreset, RoomID, UserID

from adapters.matrix.client import retry_after_seconds
from adapters.matrix.content import POLL_START, is_vote, message_content, poll_content
from adapters.matrix.settings import MatrixSettings
from bot.i18n import Translator
from bot.messages import Destination, Outgoing, SendResult
from bot.ports import DEFAULT_ACK_REACTION, DeliveryError, PlatformLimits

log = logging.getLogger(__name__)

PLATFORM = "matrix"
DIRECT = "m.direct"
# Seeding a button's reaction after its message went out: waits for a rate limit up to this long.
SEED_WAIT_SECONDS = 10.0
PERMANENT_CODES = frozenset(
    {"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_TOKEN", "M_BAD_JSON", "M_NOT_JSON", "M_TOO_LARGE", "M_INVALID_PARAM"}
)


def delivery_error(error: Exception) -> DeliveryError:
    """A homeserver error as the sender understands it: wait as asked, give up, or try again later."""
    wait = retry_after_seconds(error)
    if wait is not None:
        return DeliveryError(f"matrix M_LIMIT_EXCEEDED: wait {wait:.1f}s", retry_after=wait)
    if isinstance(error, MatrixRequestError):
        code = getattr(error, "errcode", None) or ""
        status = getattr(error, "http_status", 0)
        permanent = code in PERMANENT_CODES or (400 <= status < 500 and status not in (408, 429))
        return DeliveryError(f"matrix {code or 'error'} (HTTP {status}): {error}", permanent=permanent)
    return DeliveryError(f"matrix connection: {error!r}")


class MatrixGateway:
    """The ChatGateway of Matrix: rooms are room ids, a person's direct chat is an `is_direct` room."""

    platform = PLATFORM
    ack_reaction = DEFAULT_ACK_REACTION

    def __init__(self, client: ClientAPI, settings: MatrixSettings) -> None:
        self.client = client
        self.limits: PlatformLimits = settings.matrix_limits
        self.t = Translator(getattr(settings, "locale", "ko"))
        self.direct: dict[str, str] = {}  # user id -> the direct room with them (m.direct)
        self.direct_rooms: set[str] = set()
        self._direct_locks: dict[str, asyncio.Lock] = {}
        self._txn = 0

    def start_link(self, payload: str) -> str | None:
        return None  # the bot can always open a direct room itself

    # --- direct chats -----------------------------------------------------------------------

    async def load_direct(self) -> None:
        """The direct rooms the bot account already has (its m.direct account data)."""
        data: dict[str, Any] = {}
        try:
            data = dict(await self.client.api.request(Method.GET, self._account_data_path()) or {})
        except MatrixRequestError:  # M_NOT_FOUND: no direct rooms yet
            pass
        for user_id, rooms in data.items():
            if rooms:
                self.direct[user_id] = rooms[-1]
                self.direct_rooms.update(rooms)

    def _account_data_path(self) -> str:
        return f"/_matrix/client/v3/user/{quote(self.client.mxid)}/account_data/{DIRECT}"

    async def remember_direct(self, user_id: str, room_id: str) -> None:
        """Record a direct room in m.direct, so it is found again after a restart and by clients."""
        self.direct[user_id] = room_id
        self.direct_rooms.add(room_id)
        mapping: dict[str, list[str]] = {}
        for user, room in self.direct.items():
            mapping.setdefault(user, []).append(room)
        try:
            await self.client.api.request(Method.PUT, self._account_data_path(), mapping)
        except (MatrixRequestError, MatrixConnectionError) as error:
            log.warning("could not store m.direct: %s", error)

    async def direct_room(self, user_id: str) -> str:
        lock = self._direct_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            if user_id not in self.direct:
                try:
                    room_id = await self.client.create_room(
                        preset=RoomCreatePreset.TRUSTED_PRIVATE, is_direct=True, invitees=[UserID(user_id)]
                    )
                except (MatrixRequestError, MatrixConnectionError) as error:
                    raise delivery_error(error) from error
                await self.remember_direct(user_id, str(room_id))
            return self.direct[user_id]

    # --- sending ------------------------------------------------------------------------------

    def _txn_id(self) -> str:
        self._txn += 1
        return f"idearoom-{id(self):x}-{asyncio.get_running_loop().time():.6f}-{self._txn}"

    async def send_event(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/send/{event_type}/{self._txn_id()}"
        try:
            answer = await self.client.api.request(Method.PUT, path, content)
        except (MatrixRequestError, MatrixConnectionError) as error:
            raise delivery_error(error) from error
        return str(answer["event_id"])

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        room_id = destination.id if destination.kind != "user" else await self.direct_room(destination.id)
        if message.kind == "photo" and message.payload.get("path"):
            return await self._send_image(room_id, message)
        if not message.text.strip():
            raise DeliveryError("empty message", permanent=True)
        content = message_content(
            message.text,
            self.t("matrix.buttons_hint"),
            message.buttons,
            lambda key, label, command: self.t(
                "matrix.button_line", label=label if label.startswith(key) else f"{key} {label}", command=command
            ),
        )
        if is_vote(message.buttons):
            event_id = await self.send_event(room_id, POLL_START, poll_content(message.text, message.buttons, content))
            return SendResult(message_id=event_id, detail=room_id)
        reply_to = str(message.payload.get("reply_to") or "")
        if reply_to.startswith("$"):
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        event_id = await self.send_event(room_id, "m.room.message", content)
        for item in content.get("org.idearoom.buttons", []):
            await self._seed(room_id, event_id, item["key"])
        return SendResult(message_id=event_id, detail=room_id)

    async def _seed(self, room_id: str, event_id: str, key: str) -> None:
        """Put the bot's own reaction under its message, so pressing a button is one tap on it."""
        for _ in range(3):
            try:
                await self.react(room_id, event_id, key)
                return
            except DeliveryError as error:
                # The message is out: sending it again for a missing reaction would double it.
                if error.retry_after is None or error.retry_after > SEED_WAIT_SECONDS:
                    log.warning("reaction %s on %s not seeded: %s", key, event_id, error.reason)
                    return
                await asyncio.sleep(error.retry_after)

    async def _send_image(self, room_id: str, message: Outgoing) -> SendResult:
        path = Path(str(message.payload.get("path")))
        if not path.is_file():
            raise DeliveryError(f"image file not found: {path}", permanent=True)
        mime = mimetypes.guess_type(path.name)[0] or "image/png"
        data = await asyncio.to_thread(path.read_bytes)
        try:
            uri = await self.client.upload_media(data, mime_type=mime, filename=path.name)
        except (MatrixRequestError, MatrixConnectionError) as error:
            raise delivery_error(error) from error
        caption = message_content(message.text, "", [], None) if message.text.strip() else {}
        content: dict[str, Any] = {
            "msgtype": "m.image",
            "url": str(uri),
            "filename": path.name,
            "body": caption.get("body") or path.name,
            "info": {"mimetype": mime, "size": len(data)},
            "m.mentions": {},
        }
        if caption:  # a caption in the body, with its formatted twin (Matrix 1.10 media captions)
            content["format"] = caption["format"]
            content["formatted_body"] = caption["formatted_body"]
        event_id = await self.send_event(room_id, "m.room.message", content)
        return SendResult(message_id=event_id, detail="uploaded")

    async def invite(self, user_id: str, room_id: str) -> SendResult:
        """The bot invites the person into the room itself; no link is needed on Matrix."""
        try:
            await self.client.invite_user(RoomID(room_id), UserID(user_id))
        except MatrixRequestError as error:
            if "already in the room" in str(getattr(error, "message", "") or error):
                return SendResult(detail="already_in_room")
            raise delivery_error(error) from error
        except MatrixConnectionError as error:
            raise delivery_error(error) from error
        return SendResult(detail="invited")

    async def react(self, room_id: str, message_id: str, emoji: str) -> SendResult:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": message_id, "key": emoji}}
        try:
            event_id = await self.send_event(room_id, "m.reaction", content)
        except DeliveryError as error:
            if "M_DUPLICATE_ANNOTATION" in error.reason:
                return SendResult(message_id=message_id)
            raise
        return SendResult(message_id=event_id)
