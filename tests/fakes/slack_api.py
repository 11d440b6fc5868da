"""Fake Slack Web API (plus Socket Mode) server (aiohttp) bound to 127.0.0.1 for offline adapter tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

from .telegram_api import JSON, Clock, FakeServer, SlidingWindow, UploadedFile, read_request_params

# Fields slack_sdk sends JSON-encoded inside form bodies.
JSON_FIELDS = frozenset({"blocks", "attachments", "view", "files", "metadata", "unfurls", "user_auth_blocks"})
POST_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral"})
BASE_TS = 1700000000
# Slack resends an event it got no 200 for: at once, after a minute, after five minutes.
RETRY_DELAYS = (0.0, 60.0, 300.0)


@dataclass
class Call:
    """One recorded Slack API request (socket acks are recorded as method "socket_mode.ack")."""

    method: str
    params: JSON
    headers: dict[str, str]
    at: float
    status: int = 200
    response: JSON = field(default_factory=dict)


class Delivery(NamedTuple):
    """A message the fake accepted for delivery."""

    channel: str
    text: str | None
    at: float


@dataclass
class Attempt:
    """One try of Slack calling the app: the HTTP status, or None when there was no answer in time."""

    retry_num: int
    status: int | None
    reason: str  # "" for the first try, then why the previous try failed
    at: float


@dataclass
class AppDelivery:
    """One event, command or button press Slack sent to the app, with every try."""

    kind: str  # event, command, action
    key: str
    attempts: list[Attempt] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def acknowledged(self) -> bool:
        """Some try was answered 200 in time: Slack considers it delivered and never sends it again."""
        return any(a.status == 200 for a in self.attempts)


class SlackError(Exception):
    """Raised by handlers to answer `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, status: int = 200, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> JSON:
        return {"ok": False, "error": self.error, **self.extra}


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int
    times: int


class TokenBucket:
    """`rate` sends a second on average, up to `burst` at once after a quiet spell: how Slack
    counts chat.postMessage per channel ("1 per second, short bursts > 1 allowed")."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._at: float | None = None

    def _refill(self, now: float) -> None:
        if self._at is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def wait_time(self, now: float) -> float:
        """Seconds until one more send is taken (0 if it is taken now)."""
        self._refill(now)
        missing = 1.0 - self._tokens
        return missing / self.rate if missing > 1e-9 else 0.0

    def add(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1.0


def _ratelimited(retry_after: int) -> SlackError:
    return SlackError("ratelimited", 429, {"Retry-After": str(retry_after)})


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _decode_slack_params(params: JSON) -> JSON:
    decoded = dict(params)
    for key in JSON_FIELDS & decoded.keys():
        value = decoded[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            decoded[key] = json.loads(value)
    return decoded


def _split_ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _bearer_token(request: web.Request, params: JSON) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ")
    return params.pop("token", None)


def signed_request_headers(
    signing_secret: str, body: str, timestamp: int | float | str | None = None, content_type: str | None = None
) -> dict[str, str]:
    """Headers that make `body` pass Slack request signature verification."""
    ts = str(int(time.time() if timestamp is None else float(timestamp)))
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body)
    if content_type is None:
        content_type = "application/json" if body.lstrip().startswith("{") else "application/x-www-form-urlencoded"
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}


def event_callback(
    event: JSON, *, team_id: str = "T1", api_app_id: str = "A1", event_id: str | None = None, bot_user_id: str = "UBOT"
) -> JSON:
    """Wrap an event in the Events API `event_callback` envelope (HTTP body or socket payload)."""
    return {
        "token": "fake-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": bot_user_id, "is_bot": True, "enterprise_id": None}],
        "is_ext_shared_channel": False,
    }


def message_event(
    channel: str,
    user: str,
    text: str,
    *,
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    team: str = "T1",
) -> JSON:
    """A `message` event as a user would produce it (channel_type: channel, group, im, mpim)."""
    event: JSON = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts or f"{time.time():.6f}",
        "team": team,
        "channel_type": channel_type,
        "event_ts": ts or f"{time.time():.6f}",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def reaction_added_event(
    user: str, channel: str, ts: str, reaction: str = "thumbsup", *, item_user: str = "UBOT"
) -> JSON:
    """A `reaction_added` event on message `ts` in `channel`."""
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{time.time():.6f}",
    }


def reaction_removed_event(
    user: str, channel: str, ts: str, reaction: str = "thumbsup", *, item_user: str = "UBOT"
) -> JSON:
    """A `reaction_removed` event: `user` took `reaction` off message `ts` in `channel`."""
    return {**reaction_added_event(user, channel, ts, reaction, item_user=item_user), "type": "reaction_removed"}


def message_changed_event(
    channel: str,
    original: JSON,
    text: str,
    *,
    editor: str | None = None,
    edited_ts: str | None = None,
    stamped: bool = True,
) -> JSON:
    """A `message` event of subtype `message_changed`, as Slack sends it when `original` (a message
    event) is edited; `stamped=False` is Slack's own update (a link preview), with no `edited` stamp."""
    now = f"{time.time():.6f}"
    message: JSON = {
        "type": "message",
        "user": original["user"],
        "text": text,
        "ts": original["ts"],
        "team": original.get("team", "T1"),
    }
    if stamped:
        message["edited"] = {"user": editor or original["user"], "ts": edited_ts or now}
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "channel_type": original.get("channel_type", "channel"),
        "ts": now,
        "event_ts": now,
        "message": message,
        "previous_message": {k: original[k] for k in ("type", "user", "text", "ts") if k in original},
    }


class FakeSlackAPI(FakeServer[Call]):
    """In-process Slack Web API: point slack_sdk at `api_url`."""

    def __init__(
        self,
        *,
        team_id: str = "T1",
        team: str = "Idea Room",
        user_id: str = "UBOT",
        bot_id: str = "BBOT",
        app_id: str = "A1",
        bot_name: str = "idearoom",
        enforce_limits: bool = False,
        per_channel_per_second: int = 1,
        per_channel_burst: int = 2,
        workspace_per_minute: int = 600,
        clock: Clock = time.monotonic,
        ack_timeout: float = 3.0,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        signing_secret: str = "",
    ) -> None:
        super().__init__(clock)
        # How long Slack waits for the app's answer (3 s), and when it tries again.
        self.ack_timeout = ack_timeout
        self.retry_delays = retry_delays
        self.signing_secret = signing_secret
        self.app_deliveries: list[AppDelivery] = []
        self._envelopes: dict[str, AppDelivery] = {}
        self._delivery_tasks: set[asyncio.Task[None]] = set()
        self.team_id = team_id
        self.team = team
        self.user_id = user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.enforce_limits = enforce_limits
        # Slack's chat.postMessage: about one a second per channel with short bursts (a token
        # bucket), and "several hundred a minute" per workspace (a sliding minute, for any channel).
        self.per_channel_per_second = per_channel_per_second
        self.per_channel_burst = per_channel_burst
        self.workspace_per_minute = workspace_per_minute
        self.rejections = 0
        self.delivered: list[Delivery] = []
        self.channels: dict[str, JSON] = {}
        self.members: dict[str, set[str]] = {}
        self.users: dict[str, JSON] = {}
        self.messages: dict[tuple[str, str], JSON] = {}
        self.ephemeral: list[JSON] = []
        self.reactions: dict[tuple[str, str], list[str]] = {}
        self.views: dict[str, JSON] = {}
        self.uploads: dict[str, bytes] = {}
        self.files: dict[str, JSON] = {}
        self.sockets: list[web.WebSocketResponse] = []
        self._ts_counter = itertools.count(100, 100)
        self._ids = itertools.count(1)
        self._faults: dict[str, list[_Fault]] = {}
        self._windows: dict[str, TokenBucket] = {}
        self._workspace = SlidingWindow(workspace_per_minute, 60.0)
        self._handlers: dict[str, Any] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.open": self._conversations_open,
            "conversations.invite": self._conversations_invite,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "users.info": self._users_info,
            "reactions.add": self._reactions_add,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "apps.connections.open": self._connections_open,
        }

    @property
    def api_url(self) -> str:
        """Value for `AsyncWebClient(base_url=...)`."""
        return f"{self.url}/api/"

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link/", self._socket)

    async def stop(self) -> None:
        for task in list(self._delivery_tasks):
            task.cancel()
        await asyncio.gather(*self._delivery_tasks, return_exceptions=True)
        for ws in list(self.sockets):
            await ws.close()
        await super().stop()

    # ---- Slack calling the app over HTTP ----------------------------------

    async def send_event(self, url: str, event: JSON, *, event_id: str | None = None) -> AppDelivery:
        """POST an Events API callback to the app as Slack does: signed, retried while it gets no 200 in time.

        Returns after the first try; `delivery.done` is set when Slack stops trying.
        """
        body = json.dumps(
            event_callback(
                event, team_id=self.team_id, api_app_id=self.app_id, event_id=event_id, bot_user_id=self.user_id
            ),
            ensure_ascii=False,
        )
        key = json.loads(body)["event_id"]
        return await self._send("event", key, url, body, "application/json", self.retry_delays)

    async def send_command(self, url: str, form: dict[str, str]) -> AppDelivery:
        """POST a slash command; Slack never resends one (the person sees an error when it is not answered in time)."""
        return await self._send(
            "command", str(form.get("trigger_id", "")), url, urlencode(form), "application/x-www-form-urlencoded", ()
        )

    async def send_action(self, url: str, payload: JSON) -> AppDelivery:
        """POST a button press (interactivity); not resent either."""
        body = urlencode({"payload": json.dumps(payload, ensure_ascii=False)})
        return await self._send(
            "action", str(payload.get("trigger_id", "")), url, body, "application/x-www-form-urlencoded", ()
        )

    async def _send(
        self, kind: str, key: str, url: str, body: str, content_type: str, retry_delays: tuple[float, ...]
    ) -> AppDelivery:
        delivery = AppDelivery(kind, key)
        self.app_deliveries.append(delivery)
        reason = await self._try(delivery, url, body, content_type, 0, "")
        if reason is None or not retry_delays:
            delivery.done.set()
        else:
            self._spawn(self._resend(delivery, url, body, content_type, retry_delays, reason))
        return delivery

    async def _resend(
        self, delivery: AppDelivery, url: str, body: str, content_type: str, delays: tuple[float, ...], reason: str
    ) -> None:
        try:
            for number, delay in enumerate(delays, start=1):
                await asyncio.sleep(delay)
                next_reason = await self._try(delivery, url, body, content_type, number, reason)
                if next_reason is None:
                    return
                reason = next_reason
        finally:
            delivery.done.set()

    async def _try(
        self, delivery: AppDelivery, url: str, body: str, content_type: str, retry_num: int, reason: str
    ) -> str | None:
        """One POST; None when answered 200 in time, else the reason Slack gives on the next try."""
        headers = signed_request_headers(self.signing_secret, body, content_type=content_type)
        if retry_num:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}
        at = self.clock()
        status: int | None = None
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(
                    url, data=body.encode(), headers=headers, timeout=aiohttp.ClientTimeout(total=self.ack_timeout)
                ) as response:
                    status = response.status
                    await response.read()
            outcome = None if status == 200 else "http_error"
        except TimeoutError:
            outcome = "http_timeout"
        except aiohttp.ClientError:
            outcome = "connection_failed"
        delivery.attempts.append(Attempt(retry_num, status, reason, at))
        self._notify()
        return outcome

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._delivery_tasks.add(task)
        task.add_done_callback(self._delivery_tasks.discard)

    # ---- workspace state --------------------------------------------------

    def add_channel(
        self, channel: str, name: str | None = None, *, is_private: bool = False, members: tuple[str, ...] = ()
    ) -> JSON:
        """Register a channel (unknown C/G ids are auto-created on first use)."""
        info = self.channels.get(channel) or {
            "id": channel,
            "name": name or channel.lower(),
            "is_channel": not is_private,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": is_private,
            "is_archived": False,
            "is_general": False,
            "created": BASE_TS,
            "creator": "UADMIN",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }
        if name:
            info["name"] = name
        self.channels[channel] = info
        self.members.setdefault(channel, set()).update(members)
        return info

    def add_member(self, channel: str, user: str) -> None:
        """Mark `user` as already in `channel` (so conversations.invite says already_in_channel)."""
        self._channel(channel)
        self.members[channel].add(user)

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        real_name: str | None = None,
        *,
        locale: str = "en-US",
        tz: str = "Europe/Berlin",
        is_bot: bool = False,
        **profile: Any,
    ) -> JSON:
        """Register a user profile returned by users.info (unknown users get defaults)."""
        name = name or user_id.lower()
        real_name = real_name or f"User {user_id}"
        offset = ZoneInfo(tz).utcoffset(dt.datetime.now())
        user: JSON = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_bot": is_bot,
            "is_app_user": False,
            "locale": locale,
            "profile": {"real_name": real_name, "display_name": name, **profile},
        }
        self.users[user_id] = user
        return user

    # ---- test controls ----------------------------------------------------

    def fail_next(
        self, method: str, status: int | None = None, retry_after: int = 1, *, error: str | None = None, times: int = 1
    ) -> None:
        """Fail the next `times` calls of `method`.

        No status/error: HTTP 429 + Retry-After. error only: HTTP 200 ok:false. Other status: that HTTP code.
        """
        if status is None:
            status = 200 if error else 429
        if error is None:
            error = {429: "ratelimited"}.get(status, "fatal_error" if status >= 500 else "fake_error")
        self._faults.setdefault(method, []).append(_Fault(status, error, retry_after, times))

    def posted_messages(self, channel: str | None = None) -> list[JSON]:
        """Messages posted via chat.postMessage, optionally for one channel."""
        posted = [c.response["message"] for c in self.calls_to("chat.postMessage") if c.response.get("ok")]
        return [m for m in posted if channel is None or m["channel"] == channel]

    async def wait_for_socket(self, timeout: float = 5.0) -> web.WebSocketResponse:
        """Wait until a Socket Mode client is connected; returns the newest connection."""
        await self.wait_for(lambda c: c.method == "socket_mode.connect" and self._open_socket() is not None, timeout)
        return self._open_socket()  # type: ignore[return-value]

    async def send_envelope(self, envelope_type: str, payload: JSON, *, accepts_response_payload: bool = False) -> str:
        """Push a Socket Mode envelope (events_api, interactive, slash_commands) and return its envelope_id.

        Like Slack, an events_api envelope not acknowledged within `ack_timeout` is sent again (on the
        newest connection, `retry_attempt` counting up) up to `len(retry_delays)` times.
        """
        envelope_id = str(uuid.uuid4())
        delivery = AppDelivery("envelope", envelope_id)
        self.app_deliveries.append(delivery)
        self._envelopes[envelope_id] = delivery
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await self._push(envelope, delivery)
        retries = self.retry_delays if envelope_type == "events_api" else ()
        self._spawn(self._redeliver(envelope, delivery, retries))
        return envelope_id

    async def _push(self, envelope: JSON, delivery: AppDelivery) -> None:
        # Slack holds an envelope until the app connects again (a restart may take a while on a loaded host).
        ws = await self.wait_for_socket(timeout=60.0)
        delivery.attempts.append(Attempt(envelope["retry_attempt"], None, envelope["retry_reason"], self.clock()))
        try:
            await ws.send_json(envelope)
        except (ConnectionError, RuntimeError):
            pass  # the connection went away: no ack comes, so it is sent again

    async def _redeliver(self, envelope: JSON, delivery: AppDelivery, delays: tuple[float, ...]) -> None:
        try:
            for number, delay in enumerate((*delays, None), start=1):
                try:
                    await asyncio.wait_for(delivery.done.wait(), self.ack_timeout)
                    return
                except TimeoutError:
                    pass
                if delay is None:
                    return
                await asyncio.sleep(delay)
                if delivery.done.is_set():
                    return
                await self._push({**envelope, "retry_attempt": number, "retry_reason": "timeout"}, delivery)
        finally:
            self._envelopes.pop(envelope["envelope_id"], None)

    async def push_event(self, event: JSON) -> str:
        """Deliver an Events API event over Socket Mode; returns the envelope_id."""
        body = event_callback(event, team_id=self.team_id, api_app_id=self.app_id, bot_user_id=self.user_id)
        return await self.send_envelope("events_api", body)

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Call:
        """Wait until the client acknowledges `envelope_id`."""
        return await self.wait_for(
            lambda c: c.method == "socket_mode.ack" and c.params.get("envelope_id") == envelope_id, timeout
        )

    def _open_socket(self) -> web.WebSocketResponse | None:
        return next((ws for ws in reversed(self.sockets) if not ws.closed), None)

    # ---- HTTP plumbing ----------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        at = self.clock()
        method = request.match_info["method"]
        params = _decode_slack_params(await read_request_params(request))
        token = _bearer_token(request, params)
        headers = dict(request.headers)
        response_headers: dict[str, str] = {}
        try:
            handler = self._handlers.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            if not token:
                raise SlackError("not_authed")
            self._raise_fault(method)
            if method in POST_METHODS:
                self._check_limits(method, params)
            status, body = 200, {"ok": True, **handler(params, token)}
        except SlackError as error:
            status, body, response_headers = error.status, error.body(), error.headers
        if status == 429:
            self.rejections += 1
        self._record(Call(method, params, headers, at, status, body))
        return web.json_response(body, status=status, headers=response_headers)

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await request.read()
        if file_id not in self.files:
            return web.Response(status=404, text="file not found", content_type="text/plain")
        self.uploads[file_id] = data
        self._record(Call("upload", {"file_id": file_id, "size": len(data)}, dict(request.headers), self.clock()))
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len([s for s in self.sockets if not s.closed]),
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
                "connection_info": {"app_id": self.app_id},
            }
        )
        self._record(Call("socket_mode.connect", dict(request.query), dict(request.headers), self.clock()))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                ack = json.loads(msg.data)
                delivery = self._envelopes.get(str(ack.get("envelope_id")))
                if delivery is not None and delivery.attempts and not delivery.done.is_set():
                    delivery.attempts[-1].status = 200
                    delivery.done.set()
                self._record(Call("socket_mode.ack", ack, {}, self.clock()))
        return ws

    def _raise_fault(self, method: str) -> None:
        queue = self._faults.get(method)
        if not queue:
            return
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        if fault.status == 429:
            raise _ratelimited(fault.retry_after)
        raise SlackError(fault.error, fault.status)

    def _check_limits(self, method: str, params: JSON) -> None:
        if not self.enforce_limits:
            return
        now = self.clock()
        waits = [self._bucket(str(params.get("channel", ""))).wait_time(now)]
        if method == "chat.postMessage":
            waits.append(self._workspace.wait_time(now))
        if max(waits) > 0:
            raise _ratelimited(max(1, math.ceil(max(waits))))

    def _bucket(self, channel: str) -> TokenBucket:
        return self._windows.setdefault(channel, TokenBucket(self.per_channel_per_second, self.per_channel_burst))

    def _deliver(self, channel: str, text: str | None, method: str = "chat.postMessage") -> None:
        now = self.clock()
        if self.enforce_limits:
            self._bucket(channel).add(now)
            if method == "chat.postMessage":
                self._workspace.add(now)
        self.delivered.append(Delivery(channel, text, now))

    # ---- object helpers ---------------------------------------------------

    def _next_ts(self) -> str:
        micros = next(self._ts_counter)
        return f"{BASE_TS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _channel(self, channel: str) -> JSON:
        if not channel:
            raise SlackError("channel_not_found")
        if channel not in self.channels:
            if channel.startswith("D"):
                self.channels[channel] = {"id": channel, "is_im": True, "user": channel[1:], "created": BASE_TS}
                self.members.setdefault(channel, set()).update({channel[1:], self.user_id})
            else:
                self.add_channel(channel)
        return self.channels[channel]

    def _dm_channel(self, channel: str) -> str:
        # Posting to a user id lands in the app's DM with that user.
        return f"D{channel}" if channel.startswith(("U", "W")) else channel

    def _user(self, user_id: str) -> JSON:
        return self.users.get(user_id) or self.add_user(user_id)

    def _bot_message(self, params: JSON, ts: str) -> JSON:
        message: JSON = {
            "type": "message",
            "subtype": "bot_message",
            "text": params.get("text", ""),
            "user": self.user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key) is not None:
                message[key] = params[key]
        return message

    # ---- method handlers --------------------------------------------------

    def _auth_test(self, params: JSON, token: str) -> JSON:
        return {
            "url": f"https://{self.team.lower().replace(' ', '')}.slack.com/",
            "team": self.team,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _post_message(self, params: JSON, token: str) -> JSON:
        channel = self._dm_channel(str(params.get("channel", "")))
        self._channel(channel)
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise SlackError("no_text")
        ts = self._next_ts()
        message = self._bot_message(params, ts)
        self.messages[(channel, ts)] = {**message, "channel": channel}
        self._deliver(str(params.get("channel")), params.get("text"))
        return {"channel": channel, "ts": ts, "message": {**message, "channel": channel}}

    def _update(self, params: JSON, token: str) -> JSON:
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        self._channel(channel)
        stored = self.messages.get((channel, ts))
        if stored is None:
            raise SlackError("message_not_found")
        if stored.get("user") != self.user_id:
            raise SlackError("cant_update_message")
        for key in ("text", "blocks", "attachments", "metadata"):
            if params.get(key) is not None:
                stored[key] = params[key]
        stored["edited"] = {"user": self.user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": ts, "text": stored.get("text", ""), "message": dict(stored)}

    def _post_ephemeral(self, params: JSON, token: str) -> JSON:
        channel = str(params.get("channel", ""))
        self._channel(channel)
        if not params.get("user"):
            raise SlackError("user_not_found")
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise SlackError("no_text")
        ts = self._next_ts()
        self.ephemeral.append({**self._bot_message(params, ts), "channel": channel, "to_user": params["user"]})
        self._deliver(channel, params.get("text"), "chat.postEphemeral")
        return {"message_ts": ts}

    def _conversations_open(self, params: JSON, token: str) -> JSON:
        if params.get("channel"):
            return {"channel": dict(self._channel(str(params["channel"])))}
        users = _split_ids(params.get("users"))
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) == 1:
            channel = self._channel(f"D{users[0]}")
        else:
            channel = self.add_channel(f"G{'-'.join(sorted(users))}", is_private=True, members=(*users, self.user_id))
            channel.update(is_mpim=True, is_channel=False, is_group=True)
        return {"no_op": False, "already_open": False, "channel": dict(channel)}

    def _conversations_invite(self, params: JSON, token: str) -> JSON:
        channel = str(params.get("channel", ""))
        info = self._channel(channel)
        users = _split_ids(params.get("users"))
        if not users:
            raise SlackError("no_user")
        if self.user_id in users:
            raise SlackError("cant_invite_self")
        present = [u for u in users if u in self.members[channel]]
        if present:
            errors = [{"user": u, "ok": False, "error": "already_in_channel"} for u in present]
            raise SlackError("already_in_channel", errors=errors)
        self.members[channel].update(users)
        return {"channel": dict(info)}

    def _conversations_info(self, params: JSON, token: str) -> JSON:
        channel = str(params.get("channel", ""))
        info = dict(self._channel(channel))
        info["is_member"] = self.user_id in self.members.get(channel, set())
        if _truthy(params.get("include_num_members")):
            info["num_members"] = len(self.members.get(channel, set()))
        return {"channel": info}

    def _conversations_members(self, params: JSON, token: str) -> JSON:
        channel = str(params.get("channel", ""))
        self._channel(channel)
        return {"members": sorted(self.members[channel]), "response_metadata": {"next_cursor": ""}}

    def _users_info(self, params: JSON, token: str) -> JSON:
        user_id = str(params.get("user", ""))
        if not user_id:
            raise SlackError("user_not_found")
        user = dict(self._user(user_id))
        # Like Slack, locale is only included when asked for.
        if not _truthy(params.get("include_locale")):
            user.pop("locale", None)
        return {"user": user}

    def _reactions_add(self, params: JSON, token: str) -> JSON:
        channel, ts, name = str(params.get("channel", "")), str(params.get("timestamp", "")), params.get("name")
        self._channel(channel)
        if not name:
            raise SlackError("invalid_name")
        if not ts:
            raise SlackError("no_item_specified")
        names = self.reactions.setdefault((channel, ts), [])
        if name in names:
            raise SlackError("already_reacted")
        names.append(name)
        return {}

    def _views_publish(self, params: JSON, token: str) -> JSON:
        user_id, view = params.get("user_id"), params.get("view")
        if not user_id or not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        published = {"id": f"V{next(self._ids):08d}", "team_id": self.team_id, "app_id": self.app_id, **view}
        self.views[str(user_id)] = published
        return {"view": published}

    def _get_upload_url(self, params: JSON, token: str) -> JSON:
        if not params.get("filename") or not params.get("length"):
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = {"id": file_id, "name": params["filename"], "size": int(params["length"])}
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: JSON, token: str) -> JSON:
        completed = []
        for item in params.get("files") or []:
            file_id = item.get("id")
            if file_id not in self.uploads:
                raise SlackError("file_not_found")
            info = self.files[file_id]
            info.update(title=item.get("title") or info["name"], user=self.user_id)
            if params.get("channel_id"):
                info["channels"] = [params["channel_id"]]
            completed.append(dict(info))
        if not completed:
            raise SlackError("invalid_arguments")
        return {"files": completed}

    def _connections_open(self, params: JSON, token: str) -> JSON:
        if not token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        return {"url": f"{self.url.replace('http://', 'ws://')}/link/?ticket={uuid.uuid4()}&app_id={self.app_id}"}


__all__ = [
    "AppDelivery",
    "Attempt",
    "Call",
    "Delivery",
    "FakeSlackAPI",
    "SlackError",
    "UploadedFile",
    "event_callback",
    "message_changed_event",
    "message_event",
    "reaction_added_event",
    "reaction_removed_event",
    "signed_request_headers",
]
