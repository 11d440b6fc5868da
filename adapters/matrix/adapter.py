"""Runs the bot on a Matrix homeserver: a sync loop whose token is stored only after its events are handled."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from mautrix.api import Method
from mautrix.errors import MatrixConnectionError, MatrixRequestError

from adapters.matrix.client import make_client, retry_after_seconds
from adapters.matrix.content import BUTTONS_FIELD, POLL_RESPONSE, POLL_RESPONSES, POLL_START, message_content
from adapters.matrix.gateway import PLATFORM, MatrixGateway
from adapters.matrix.settings import MatrixSettings
from bot import cursors
from bot.i18n import Translator
from bot.leases import Lease, lock_key
from bot.messages import (
    Actor,
    ButtonPress,
    Incoming,
    IncomingMessage,
    MessageEdited,
    Place,
    ReactionAdded,
    ReactionRemoved,
)
from bot.ports import Host

log = logging.getLogger(__name__)

SYNC_PATH = "/_matrix/client/v3/sync"
TIMELINE_LIMIT = 200  # the default of 10 events per room loses most of a burst
BACKFILL_PAGE = 100
RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
STOP_SECONDS = 10.0  # a batch in hand gets this long to finish when the adapter stops
TOKEN_ACCOUNT = "{user}#access_token"  # where a token obtained with MATRIX_PASSWORD is kept


class MatrixSetupError(RuntimeError):
    """The Matrix settings cannot work; the message says which one to fix."""


class BatchFailed(Exception):
    """An event of the batch could not be handled: the sync token is not moved past it."""


class MatrixAdapter:
    """Joins rooms it is invited to, feeds their events to the core once each, and sends through the gateway."""

    def __init__(self, app: Host) -> None:
        settings = MatrixSettings.of(app.settings)
        if not settings.matrix_configured:
            raise MatrixSetupError(
                "set MATRIX_HOMESERVER_URL, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN (or MATRIX_PASSWORD)"
            )
        self.app = app
        self.settings = settings
        self.user_id = settings.matrix_user_id
        self.client = make_client(settings.matrix_homeserver_url, self.user_id, settings.matrix_access_token)
        self.gateway = MatrixGateway(self.client, settings)
        self.t = Translator(app.settings.locale)
        self.since: str | None = None
        self.filter_id = ""
        self.titles: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.encrypted: set[str] = set()
        self._told_encrypted: set[str] = set()
        self._buttons: dict[str, dict[str, str]] = {}  # bot message id -> reaction key -> action
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._lease_task: asyncio.Task[None] | None = None
        self.timeline_limit = TIMELINE_LIMIT
        self.synced = asyncio.Event()  # set after each stored batch (tests wait on it)
        self.batches = 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        await self._authenticate()
        self.filter_id = await self._create_filter()
        await self.gateway.load_direct()
        # Several workers on PostgreSQL: exactly one syncs, the others stand by and take over (from
        # the stored sync token) when its lock connection dies. All syncing with the event ids
        # deduplicated by the core's claims would also be exactly once, but every worker would
        # download every event, join every invited room and tell an encrypted room once each;
        # with the lease the claims are only the safety net for a brief overlap at a takeover.
        lease = Lease(
            self.app.settings.database_url,
            lock_key(f"matrix-sync:{self.user_id}"),
            f"the Matrix sync of {self.user_id}",
            self._begin_sync,
            self._end_sync,
        )
        if lease.uses_lock:
            self._lease_task = asyncio.create_task(lease.run(), name="matrix-sync-lease")
            log.info(
                "matrix: %s is connected to %s; syncing once this worker holds the lease",
                self.user_id,
                self.settings.matrix_homeserver_url,
            )
        else:  # SQLite: one process, which syncs
            await self._begin_sync()
            log.info("matrix: %s is running on %s", self.user_id, self.settings.matrix_homeserver_url)

    async def _begin_sync(self) -> None:
        """Read on from the stored token (another worker may have moved it since this one last synced)."""
        self.since = await cursors.load(self.app.db, PLATFORM, self.user_id)
        if self.since is None:
            # The first start: what was said before the bot came is not the bot's business.
            data = await self._sync(None, timeout_ms=0, history=False)
            await self._handle_invites(data)
            await self._store(data["next_batch"])
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(self._stopping), name="matrix-sync")

    async def _end_sync(self) -> None:
        """End the sync loop in bounded time, whatever it is doing."""
        # The flag ends the loop even when a cancellation is lost: Python 3.11's asyncio.wait_for
        # returns its result and drops a cancel that lands as its inner future completes (gh-86296),
        # and a sync loop that lost its cancel would run on for ever, its stop() waiting with it.
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=STOP_SECONDS)
        if not done:
            log.warning("matrix: the sync loop did not stop within %.0fs", STOP_SECONDS)
        elif not task.cancelled() and task.exception() is not None:
            log.warning("matrix: the sync loop had failed: %r", task.exception())

    async def stop(self) -> None:
        """Give up the lease, end the sync loop and close the connection, in bounded time."""
        if self._lease_task is not None:
            self._lease_task.cancel()  # its step-down ends the sync loop
            await asyncio.wait({self._lease_task}, timeout=STOP_SECONDS * 2)
            self._lease_task = None
        await self._end_sync()
        await self.client.api.session.close()

    @staticmethod
    async def _pause(seconds: float, stopping: asyncio.Event) -> None:
        """Sleep, but no longer than until the loop is asked to stop."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await stopping.wait()

    async def _authenticate(self) -> None:
        api = self.client.api
        if not self.settings.matrix_access_token:
            kept = await cursors.load(self.app.db, PLATFORM, TOKEN_ACCOUNT.format(user=self.user_id))
            if kept:
                api.token = kept
            else:
                try:
                    answer = await api.request(
                        Method.POST,
                        "/_matrix/client/v3/login",
                        {
                            "type": "m.login.password",
                            "identifier": {"type": "m.id.user", "user": self.user_id},
                            "password": self.settings.matrix_password,
                            "initial_device_display_name": "idearoom",
                        },
                    )
                except MatrixRequestError as error:
                    raise MatrixSetupError(
                        f"the homeserver refused MATRIX_PASSWORD for {self.user_id}: {error}"
                    ) from error
                api.token = answer["access_token"]
                await cursors.save(self.app.db, PLATFORM, TOKEN_ACCOUNT.format(user=self.user_id), api.token)
        try:
            who = await api.request(Method.GET, "/_matrix/client/v3/account/whoami")
        except MatrixRequestError as error:
            raise MatrixSetupError(f"the homeserver refused the access token of {self.user_id}: {error}") from error
        except MatrixConnectionError as error:
            raise MatrixSetupError(f"cannot reach MATRIX_HOMESERVER_URL: {error}") from error
        if who.get("user_id") != self.user_id:
            raise MatrixSetupError(
                f"the access token belongs to {who.get('user_id')}, not MATRIX_USER_ID {self.user_id}"
            )

    async def _create_filter(self) -> str:
        definition = {
            "presence": {"types": []},
            "account_data": {"types": []},
            "room": {
                "timeline": {"limit": self.timeline_limit},
                "state": {"lazy_load_members": True},
                "ephemeral": {"types": []},
                "account_data": {"types": []},
            },
        }
        answer = await self.client.api.request(
            Method.POST, f"/_matrix/client/v3/user/{quote(self.user_id)}/filter", definition
        )
        return str(answer["filter_id"])

    # --- the sync loop ----------------------------------------------------------------------

    async def _sync(self, since: str | None, *, timeout_ms: int, history: bool = True) -> dict[str, Any]:
        params: dict[str, str] = {"timeout": str(timeout_ms)}
        if history:
            params["filter"] = self.filter_id
        else:  # the very first sync: the rooms and invites as they are, no history
            params["filter"] = json.dumps({"room": {"timeline": {"limit": 0}}})
        if since:
            params["since"] = since
        return await self.client.api.request(Method.GET, SYNC_PATH, query_params=params)

    async def _run(self, stopping: asyncio.Event) -> None:
        failures = 0
        timeout_ms = int(self.settings.matrix_sync_timeout_seconds * 1000)
        while not stopping.is_set():
            try:
                data = await self._sync(self.since, timeout_ms=timeout_ms)
                await self._handle_batch(data)
                await self._store(data["next_batch"])
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the homeserver or the database is away: wait and sync again
                wait = retry_after_seconds(error)
                if wait is None:
                    wait = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                    failures += 1
                    log.warning("matrix sync failed (%s); again in %.0fs", error, wait)
                await self._pause(wait, stopping)

    async def _store(self, next_batch: str) -> None:
        """Every event before this token is committed (or was a duplicate): only now move the token."""
        await cursors.save(self.app.db, PLATFORM, self.user_id, next_batch, now=self.app.clock.now())
        self.since = next_batch
        self.batches += 1
        self.synced.set()

    async def _handle_batch(self, data: dict[str, Any]) -> None:
        rooms = data.get("rooms") or {}
        await self._handle_invites(data)
        for room_id, room in (rooms.get("join") or {}).items():
            state = (room.get("state") or {}).get("events") or []
            timeline = room.get("timeline") or {}
            events = list(timeline.get("events") or [])
            for event in state:
                self._learn(room_id, event)
            if timeline.get("limited") and self.since:
                events = await self._backfill(room_id, timeline.get("prev_batch"), events)
            events = self._after_own_join(events)
            for event in events:
                self._learn(room_id, event)
            if room_id in self.encrypted:
                await self._refuse_encrypted(room_id)
                continue
            for event in events:
                incoming = await self._convert_or_skip(room_id, event)
                if incoming is None:
                    continue
                outcome = await self.app.core.handle(incoming)
                if outcome.failed:
                    raise BatchFailed(f"event {incoming.event_id} in {room_id}")
                if isinstance(incoming, ButtonPress) and outcome.toast and not outcome.duplicate:
                    await self._answer_press(incoming, outcome.toast)

    def _after_own_join(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """In a room the bot just joined, only what came after its own join is new to it."""
        for index in range(len(events) - 1, -1, -1):
            event = events[index]
            if (
                event.get("type") == "m.room.member"
                and event.get("state_key") == self.user_id
                and (event.get("content") or {}).get("membership") == "join"
                and ((event.get("unsigned") or {}).get("prev_content") or {}).get("membership") != "join"
            ):
                return events[index + 1 :]
        return events

    async def _backfill(
        self, room_id: str, prev_batch: str | None, events: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """A `limited` timeline skipped events since the last sync: fetch them with /messages, oldest first."""
        if not prev_batch:
            return events
        older: list[dict[str, Any]] = []
        token: str | None = prev_batch
        seen: set[str] = set()  # a server that hands back a token already read would loop for ever
        while token and token not in seen:
            seen.add(token)
            params = {"dir": "b", "from": token, "to": self.since or "", "limit": str(BACKFILL_PAGE)}
            page = await self.client.api.request(
                Method.GET, f"/_matrix/client/v3/rooms/{quote(room_id)}/messages", query_params=params
            )
            chunk = page.get("chunk") or []
            older.extend(chunk)
            if not chunk or page.get("end") in (None, token):
                break
            token = page.get("end")
        older.reverse()
        log.info("matrix: %d events of %s backfilled after a limited sync", len(older), room_id)
        return older + events

    async def _handle_invites(self, data: dict[str, Any]) -> None:
        """Join every room the bot is invited to; an invite marked is_direct becomes the person's direct room."""
        for room_id, room in ((data.get("rooms") or {}).get("invite") or {}).items():
            stripped = (room.get("invite_state") or {}).get("events") or []
            inviter, direct = None, False
            for event in stripped:
                if event.get("type") == "m.room.member" and event.get("state_key") == self.user_id:
                    inviter = event.get("sender")
                    direct = bool((event.get("content") or {}).get("is_direct"))
                if event.get("type") == "m.room.encryption":
                    self.encrypted.add(room_id)
            try:
                await self.client.api.request(Method.POST, f"/_matrix/client/v3/join/{quote(room_id)}", {})
            except MatrixRequestError as error:
                log.warning("matrix: could not join %s: %s", room_id, error)
                continue
            if direct and inviter:
                await self.gateway.remember_direct(inviter, room_id)
            log.info("matrix: joined %s (invited by %s%s)", room_id, inviter, ", direct" if direct else "")

    async def _refuse_encrypted(self, room_id: str) -> None:
        """Say once, in the room, that the bot cannot read it; messages there are not handled."""
        self.encrypted.add(room_id)
        if room_id in self._told_encrypted:
            return
        self._told_encrypted.add(room_id)
        content = {"msgtype": "m.notice", "body": self.t("matrix.encrypted_room"), "m.mentions": {}}
        try:
            await self.gateway.send_event(room_id, "m.room.message", content)
        except Exception as error:
            log.warning("matrix: could not tell encrypted room %s: %s", room_id, error)
        log.warning("matrix: room %s is encrypted; its messages are not read", room_id)

    async def _answer_press(self, press: ButtonPress, toast: str) -> None:
        """Matrix has no toast: the short answer to a button is a notice replying to the pressed message."""
        content = message_content(toast, "", [], None)
        content["msgtype"] = "m.notice"
        if press.message_id:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": press.message_id}}
        try:
            await self.gateway.send_event(press.place.chat_id, "m.room.message", content)
        except Exception as error:  # the press itself is done and stored; only its answer is lost
            log.warning("matrix: could not answer the press %s: %s", press.event_id, error)

    # --- events -----------------------------------------------------------------------------

    def _learn(self, room_id: str, event: dict[str, Any]) -> None:
        kind, content = event.get("type"), event.get("content") or {}
        if kind == "m.room.name":
            self.titles[room_id] = str(content.get("name") or "")
        elif kind in ("m.room.encryption", "m.room.encrypted"):
            self.encrypted.add(room_id)
        elif kind == "m.room.member" and content.get("displayname"):
            self.names[str(event.get("state_key"))] = str(content["displayname"])

    async def _place(self, room_id: str) -> Place:
        if room_id not in self.titles:  # lazy-loaded state may not carry the name: ask once
            try:
                state = await self.client.api.request(
                    Method.GET, f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.name"
                )
                self.titles[room_id] = str(state.get("name") or "")
            except MatrixRequestError:  # a room without a name
                self.titles[room_id] = ""
        return Place(PLATFORM, room_id, self.titles[room_id], room_id in self.gateway.direct_rooms)

    def _actor(self, user_id: str) -> Actor:
        localpart = user_id[1:].split(":", 1)[0]
        return Actor(PLATFORM, user_id, self.names.get(user_id, localpart), localpart)

    async def _convert_or_skip(self, room_id: str, event: dict[str, Any]) -> Incoming | None:
        """The event for the core, or None; one whose content is not the shape clients send (any member can send
        such an event) is logged and skipped: failing the batch would read it again, and stop the sync, for ever."""
        try:
            return await self._convert(room_id, event)
        except (AttributeError, TypeError, ValueError, KeyError) as error:
            log.warning(
                "matrix event %s in %s ignored: not a shape the bot reads (%s)", event.get("event_id"), room_id, error
            )
            return None

    async def _convert(self, room_id: str, event: dict[str, Any]) -> Incoming | None:
        sender = str(event.get("sender") or "")
        if not sender or sender == self.user_id or "state_key" in event:
            return None
        kind, content, event_id = event.get("type"), event.get("content") or {}, str(event.get("event_id"))
        place, actor = await self._place(room_id), self._actor(sender)
        if kind == "m.room.message" and content.get("msgtype") in ("m.text", "m.emote"):
            relation = content.get("m.relates_to") or {}
            if relation.get("rel_type") == "m.replace":
                return await self._edit(room_id, event, place, actor)
            text = strip_reply_fallback(str(content.get("body") or ""), bool(relation.get("m.in_reply_to")))
            word, _, rest = text.strip().partition(" ")
            if word == "/press" and rest.strip():
                return ButtonPress(event_id, actor, place, rest.strip(), None)
            return IncomingMessage(event_id, actor, place, text, message_id=event_id)
        if kind in POLL_RESPONSES:
            relation = content.get("m.relates_to") or {}
            answers = (content.get(POLL_RESPONSE) or content.get("m.poll.response") or {}).get("answers") or []
            target = relation.get("event_id")
            if not target or not answers:
                return None
            if str(answers[0]) in (await self._buttons_of(room_id, str(target))).values():
                return ButtonPress(event_id, actor, place, str(answers[0]), str(target))
            return None
        if kind == "m.reaction":
            relation = content.get("m.relates_to") or {}
            target, key = relation.get("event_id"), relation.get("key")
            if relation.get("rel_type") != "m.annotation" or not target or not key:
                return None
            action = (await self._buttons_of(room_id, str(target))).get(str(key))
            if action:
                return ButtonPress(event_id, actor, place, action, str(target), reaction_id=event_id)
            return ReactionAdded(
                event_id, actor, place, str(key).replace("\ufe0f", ""), str(target), reaction_id=event_id
            )
        if kind == "m.room.redaction":
            # Un-reacting is a redaction naming the reaction (top-level `redacts`; in content from room v11).
            redacts = event.get("redacts") or content.get("redacts")
            return ReactionRemoved(event_id, actor, place, reaction_id=str(redacts)) if redacts else None
        return None

    async def _edit(self, room_id: str, event: dict[str, Any], place: Place, actor: Actor) -> MessageEdited | None:
        """An `m.replace` edit: the new text is in `m.new_content`; it names the message first sent."""
        content = event.get("content") or {}
        target = (content.get("m.relates_to") or {}).get("event_id")
        text = (content.get("m.new_content") or {}).get("body")
        if not target or not isinstance(text, str) or not text:
            return None
        # Only the sender of a message may replace it (clients ignore anyone else's m.replace).
        if await self._sender_of(room_id, str(target)) != event.get("sender"):
            return None
        stamp = event.get("origin_server_ts")
        edited_at = datetime.fromtimestamp(stamp / 1000, UTC) if isinstance(stamp, int) else None
        return MessageEdited(str(event.get("event_id")), actor, place, str(target), text, edited_at)

    async def _sender_of(self, room_id: str, event_id: str) -> str | None:
        try:
            event = await self.client.api.request(
                Method.GET, f"/_matrix/client/v3/rooms/{quote(room_id)}/event/{quote(event_id)}"
            )
        except MatrixRequestError:
            return None
        return str(event.get("sender") or "") or None

    async def _buttons_of(self, room_id: str, event_id: str) -> dict[str, str]:
        """The buttons a bot message carries, read from the message itself (so they survive restarts)."""
        if event_id not in self._buttons:
            try:
                event = await self.client.api.request(
                    Method.GET, f"/_matrix/client/v3/rooms/{quote(room_id)}/event/{quote(event_id)}"
                )
            except MatrixRequestError:
                return {}
            buttons: dict[str, str] = {}
            if event.get("sender") == self.user_id:
                for item in (event.get("content") or {}).get(BUTTONS_FIELD) or []:
                    buttons[str(item.get("key"))] = str(item.get("action"))
                for answer in ((event.get("content") or {}).get(POLL_START) or {}).get("answers") or []:
                    buttons[f"poll:{answer.get('id')}"] = str(answer.get("id"))
            self._buttons[event_id] = buttons
        return self._buttons[event_id]


def strip_reply_fallback(body: str, is_reply: bool) -> str:
    """A reply's body starts with the quoted original ("> <@a:b> …"); the person's own words follow."""
    if not is_reply:
        return body
    lines = body.split("\n")
    while lines and lines[0].startswith("> "):
        lines.pop(0)
    if lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)
