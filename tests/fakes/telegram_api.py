"""Fake Telegram Bot API server (aiohttp) bound to 127.0.0.1 for offline adapter tests."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import math
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Self, TypeVar

from aiohttp import web

JSON = dict[str, Any]
Clock = Callable[[], float]

# Telegram only delivers these update types when they are explicitly requested.
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Form fields that are plain strings even when they look like JSON (e.g. text "42").
TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "data",
        "callback_query_id",
        "url",
        "name",
        "description",
        "short_description",
        "parse_mode",
        "secret_token",
        "ip_address",
        "inline_message_id",
        "language_code",
        "title",
        "first_name",
        "last_name",
        "username",
        "emoji",
        "business_connection_id",
        "message_effect_id",
        "query",
        "file_id",
        "file_name",
    }
)
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
MAX_TEXT_LENGTH = 4096


@dataclass(frozen=True)
class UploadedFile:
    """A file received in a multipart upload."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One recorded Bot API request."""

    method: str
    params: JSON
    at: float
    status: int = 200
    token: str = ""
    response: JSON = field(default_factory=dict)


class Delivery(NamedTuple):
    """A message that the fake accepted for delivery."""

    chat_id: int | str
    text: str | None
    at: float


class SlidingWindow:
    """Counts events inside a trailing time window of `period` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._events: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more event fits in the window (0 if it fits now)."""
        while self._events and self._events[0] <= now - self.period:
            self._events.popleft()
        if len(self._events) < self.limit:
            return 0.0
        return self._events[len(self._events) - self.limit] + self.period - now

    def add(self, now: float) -> None:
        self._events.append(now)


CallT = TypeVar("CallT")


class FakeServer(Generic[CallT]):
    """Lifecycle, call recording and `wait_for` shared by the fake servers."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.url = ""
        self.calls: list[CallT] = []
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self._closing = False

    def _add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> Self:
        self._changed = asyncio.Event()  # bind to the loop that runs this server
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._closing = False
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _notify(self) -> None:
        # Waiters hold the old event; swapping it wakes all of them exactly once.
        self._changed.set()
        self._changed = asyncio.Event()

    def _record(self, call: CallT) -> None:
        self.calls.append(call)
        self._notify()

    def calls_to(self, method: str) -> list[CallT]:
        """All recorded calls of `method`, oldest first."""
        return [c for c in self.calls if c.method == method]  # type: ignore[attr-defined]

    async def wait_for(self, match: str | Callable[[CallT], bool], timeout: float = 5.0, *, count: int = 1) -> CallT:
        """Wait until `count` calls match (a method name or predicate); return the count-th one."""
        predicate = (lambda c: c.method == match) if isinstance(match, str) else match
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [c for c in self.calls if predicate(c)]
            if len(found) >= count:
                return found[count - 1]
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [c.method for c in self.calls]  # type: ignore[attr-defined]
                raise TimeoutError(f"no call matching {match!r} (x{count}) within {timeout}s; saw {seen}")
            await _wait_event(self._changed, remaining)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until `condition()` holds; re-checked whenever the fake's state changes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            await _wait_event(self._changed, remaining)


async def _wait_event(event: asyncio.Event, timeout: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        pass


async def read_request_params(request: web.Request) -> JSON:
    """Merge query string, form/multipart and JSON body fields into one dict."""
    params: JSON = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else None
        params.update(body or {})
    elif request.can_read_body:
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                params[key] = value
    return params


class TelegramError(Exception):
    """Raised by handlers to answer with a Bot API error."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Fault:
    status: int
    description: str
    parameters: JSON | None
    times: int


def _decode_telegram_params(params: JSON) -> JSON:
    """PTB JSON-encodes every non-string field in form bodies; undo that."""
    decoded: JSON = {}
    for key, value in params.items():
        if isinstance(value, str) and key not in TEXT_FIELDS:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        decoded[key] = value
    return decoded


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[JSON]:
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]


def _rate_limited(retry_after: int) -> TelegramError:
    return TelegramError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def _default_fault_description(status: int, retry_after: int) -> str:
    defaults = {
        400: "Bad Request: fake failure",
        401: "Unauthorized",
        403: "Forbidden: fake failure",
        404: "Not Found",
        409: "Conflict: fake failure",
        429: f"Too Many Requests: retry after {retry_after}",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }
    return defaults.get(status, f"Error {status}")


class FakeTelegramAPI(FakeServer[Call]):
    """In-process Telegram Bot API: point PTB at `base_url` / `base_file_url`."""

    def __init__(
        self,
        *,
        username: str = "idearoom_bot",
        bot_id: int = 7000000001,
        first_name: str = "Idea Room",
        token: str | None = None,
        long_poll_cap: float = 1.0,
        enforce_limits: bool = False,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
        global_per_second: int = 30,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(clock)
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.token = token
        self.long_poll_cap = long_poll_cap
        self.enforce_limits = enforce_limits
        self.per_chat_per_second = per_chat_per_second
        self.per_group_per_minute = per_group_per_minute
        self.rejections = 0
        self.delivered: list[Delivery] = []
        self.chats: dict[int | str, JSON] = {}
        self.users: dict[int, JSON] = {}
        self.messages: dict[tuple[int | str, int], JSON] = {}
        self.reactions: dict[tuple[int | str, int], list[JSON]] = {}
        self.member_status: dict[tuple[int | str, int], str] = {}
        self.my_commands: dict[str, list[JSON]] = {}
        self.invite_links: list[JSON] = []
        self.files: dict[str, UploadedFile] = {}
        self.webhook: JSON | None = None
        self.left_chats: set[int | str] = set()
        self.blocked_users: set[int] = set()
        self.allowed_updates: set[str] | None = None
        self.polls_waiting = 0
        self._updates: list[JSON] = []
        self._last_update_id = 0
        self.confirmed: list[int] = []  # update ids a getUpdates offset confirmed, in that order
        self.highest_offset = 0
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._message_ids: dict[int | str, itertools.count[int]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._global_window = SlidingWindow(global_per_second, 1.0)
        self._chat_windows: dict[int | str, SlidingWindow] = {}
        self._group_windows: dict[int | str, SlidingWindow] = {}
        self._handlers: dict[str, tuple[str, Callable[[JSON], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "getUpdates": self._get_updates,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._true,
                "setMyCommands": self._set_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getMyCommands": self._get_my_commands,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "createChatInviteLink": self._create_chat_invite_link,
                "setMessageReaction": self._set_message_reaction,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "getFile": self._get_file,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "leaveChat": self._leave_chat,
            }.items()
        }

    @property
    def base_url(self) -> str:
        """Value for `telegram.Bot(base_url=...)`."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for `telegram.Bot(base_file_url=...)`."""
        return f"{self.url}/file/bot"

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)

    # ---- simulated users -------------------------------------------------

    def add_chat(self, chat_id: int | str, chat_type: str = "group", **fields: Any) -> JSON:
        """Register (or update) a chat; private chats get first_name, others a title."""
        chat = self.chats.get(chat_id) or {"id": chat_id, "type": chat_type}
        chat["type"] = chat_type
        if chat_type == "private":
            chat.setdefault("first_name", f"User {chat_id}")
        else:
            chat.setdefault("title", f"Chat {chat_id}")
        chat.update(fields)
        self.chats[chat_id] = chat
        return chat

    def add_user(self, user_id: int, first_name: str | None = None, username: str | None = None, **fields: Any) -> JSON:
        """Register (or update) a user profile used in pushed updates."""
        user = self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        if first_name is not None:
            user["first_name"] = first_name
        if username is not None:
            user["username"] = username
        user.update(fields)
        self.users[user_id] = user
        return user

    def push_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        chat_type: str = "group",
        chat_title: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        update_id: int | None = None,
        message_id: int | None = None,
        **message_fields: Any,
    ) -> JSON:
        """Enqueue a text message from a user; `/command` texts get a bot_command entity."""
        extra = {"language_code": language_code} if language_code else {}
        user = self.add_user(user_id, first_name, username, **extra)
        chat_fields: JSON = {"title": chat_title} if chat_title else {}
        if chat_type == "private":
            chat_fields = {k: user[k] for k in ("first_name", "username") if k in user}
        chat = self.add_chat(chat_id, chat_type, **chat_fields)
        message: JSON = {
            "message_id": message_id if message_id is not None else self._next_message_id(chat_id),
            "from": dict(user),
            "chat": dict(chat),
            "date": int(time.time()),
            "text": text,
        }
        if entities := _command_entities(text):
            message["entities"] = entities
        message.update(message_fields)
        self.messages[(chat_id, message["message_id"])] = message
        return self.push_raw({"update_id": update_id, "message": message})

    def push_callback(self, chat_id: int, user_id: int, data: str, message_id: int) -> JSON:
        """Enqueue an inline-button press on message `message_id` in `chat_id`."""
        user = self.add_user(user_id)
        message = self._message_or_shell(chat_id, message_id)
        query = {
            "id": str(next(self._callback_ids)),
            "from": dict(user),
            "chat_instance": str(abs(hash(chat_id))),
            "data": data,
            "message": dict(message),
        }
        return self.push_raw({"callback_query": query})

    def push_reaction(
        self, chat_id: int, user_id: int, message_id: int, emoji: str | None = "👍", *, old_emoji: str | None = None
    ) -> JSON:
        """Enqueue a `message_reaction` update (emoji=None means the reaction was removed)."""
        user = self.add_user(user_id)
        reaction = {
            "chat": self._chat(chat_id),
            "message_id": message_id,
            "user": dict(user),
            "date": int(time.time()),
            "old_reaction": [{"type": "emoji", "emoji": old_emoji}] if old_emoji else [],
            "new_reaction": [{"type": "emoji", "emoji": emoji}] if emoji else [],
        }
        return self.push_raw({"message_reaction": reaction})

    def push_raw(self, update: JSON) -> JSON:
        """Enqueue an update as-is (assigning update_id if missing); pushing one twice duplicates it."""
        update = dict(update)
        if update.get("update_id") is None:
            update["update_id"] = self._last_update_id + 1
        self._last_update_id = max(self._last_update_id, update["update_id"])
        self._updates.append(update)
        self._notify()
        return update

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset: every getUpdates delivers them again."""
        return list(self._updates)

    # ---- test controls ----------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 3,
        *,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail with a real-shaped error."""
        parameters = {"retry_after": retry_after} if status == 429 else None
        text = description or _default_fault_description(status, retry_after)
        self._faults.setdefault(method.lower(), []).append(_Fault(status, text, parameters, times))

    def block_private_chat(self, user_id: int) -> None:
        """Sends to this user's private chat answer 403, as if they never pressed Start."""
        self.blocked_users.add(user_id)

    def unblock_private_chat(self, user_id: int) -> None:
        self.blocked_users.discard(user_id)

    def set_member_status(self, chat_id: int | str, user_id: int, status: str) -> None:
        """status: creator, administrator, member, left or kicked (getChatMember default: member)."""
        self.member_status[(chat_id, user_id)] = status

    def sent_messages(self, chat_id: int | str | None = None) -> list[JSON]:
        """Messages the bot sent (from successful send* calls), optionally for one chat."""
        sent = [c.response["result"] for c in self.calls if c.method in SEND_METHODS and c.status == 200]
        return [m for m in sent if chat_id is None or m["chat"]["id"] == chat_id]

    # ---- HTTP plumbing ----------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        at = self.clock()
        token = request.match_info["token"]
        raw_method = request.match_info["method"]
        params = _decode_telegram_params(await read_request_params(request))
        method, handler = self._handlers.get(raw_method.lower(), (raw_method, None))
        try:
            if self.token is not None and token != self.token:
                raise TelegramError(401, "Unauthorized")
            if handler is None:
                raise TelegramError(404, "Not Found: method not found")
            self._raise_fault(method)
            if method in SEND_METHODS:
                self._check_can_send(params)
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
            status, body = 200, {"ok": True, "result": result}
        except TelegramError as error:
            status, body = error.status, error.body()
        if status == 429:
            self.rejections += 1
        self._record(Call(method, params, at, status, token, body))
        return web.json_response(body, status=status)

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for file_id, upload in self.files.items():
            if self._file_path(file_id) == path:
                return web.Response(body=upload.data, content_type=upload.content_type or "application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    def _raise_fault(self, method: str) -> None:
        queue = self._faults.get(method.lower())
        if not queue:
            return
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        raise TelegramError(fault.status, fault.description, fault.parameters)

    def _check_can_send(self, params: JSON) -> None:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise TelegramError(400, "Bad Request: chat_id is empty")
        if chat_id in self.blocked_users:
            raise TelegramError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat_id in self.left_chats:
            raise TelegramError(403, "Forbidden: bot is not a member of the group chat")
        if self.enforce_limits:
            wait = max(w.wait_time(self.clock()) for w in self._windows(chat_id))
            if wait > 0:
                raise _rate_limited(max(1, math.ceil(wait)))

    def _windows(self, chat_id: int | str) -> list[SlidingWindow]:
        windows = [self._global_window]
        windows.append(self._chat_windows.setdefault(chat_id, SlidingWindow(self.per_chat_per_second, 1.0)))
        if self._is_group(chat_id):
            windows.append(self._group_windows.setdefault(chat_id, SlidingWindow(self.per_group_per_minute, 60.0)))
        return windows

    def _is_group(self, chat_id: int | str) -> bool:
        return isinstance(chat_id, str) or chat_id < 0

    def _deliver(self, chat_id: int | str, text: str | None) -> None:
        now = self.clock()
        if self.enforce_limits:
            for window in self._windows(chat_id):
                window.add(now)
        self.delivered.append(Delivery(chat_id, text, now))

    # ---- object builders --------------------------------------------------

    def _next_message_id(self, chat_id: int | str) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _chat(self, chat_id: int | str) -> JSON:
        if chat_id not in self.chats:
            is_private = isinstance(chat_id, int) and chat_id > 0
            self.add_chat(chat_id, "private" if is_private else "supergroup")
        return dict(self.chats[chat_id])

    def _message_or_shell(self, chat_id: int, message_id: int) -> JSON:
        """The stored message, or a bot message stand-in so callbacks/edits still work."""
        key = (chat_id, message_id)
        if key not in self.messages:
            self.messages[key] = {
                "message_id": message_id,
                "from": dict(self.bot_user),
                "chat": self._chat(chat_id),
                "date": int(time.time()),
                "text": "",
            }
        return self.messages[key]

    def _bot_message(self, params: JSON, **content: Any) -> JSON:
        chat_id = params["chat_id"]
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        if (thread_id := params.get("message_thread_id")) is not None:
            message["message_thread_id"] = thread_id
        reply_to = params.get("reply_to_message_id") or (params.get("reply_parameters") or {}).get("message_id")
        if reply_to and (chat_id, reply_to) in self.messages:
            message["reply_to_message"] = dict(self.messages[(chat_id, reply_to)])
        markup = params.get("reply_markup")
        # Telegram only echoes inline keyboards back in the sent Message.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _store_file(self, value: Any, kind: str) -> tuple[str, UploadedFile | None]:
        if isinstance(value, UploadedFile):
            file_id = f"fake-{kind}-{next(self._file_ids)}"
            self.files[file_id] = value
            return file_id, value
        if isinstance(value, str) and value:
            return value, self.files.get(value)
        raise TelegramError(400, f"Bad Request: there is no {kind} in the request")

    def _file_path(self, file_id: str) -> str:
        return f"files/{file_id}"

    # ---- method handlers --------------------------------------------------

    def _true(self, params: JSON) -> bool:
        return True

    def _get_me(self, params: JSON) -> JSON:
        return dict(self.bot_user)

    def _wanted(self, update: JSON) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self.allowed_updates is None:
            return kind not in NOT_DELIVERED_BY_DEFAULT
        return kind in self.allowed_updates

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if offset:
            self._confirm(int(offset))
        if (allowed := params.get("allowed_updates")) is not None:
            # Like Telegram, the setting persists; an empty list restores the default.
            self.allowed_updates = set(allowed) or None
        limit = int(params.get("limit") or 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(params.get("timeout") or 0), self.long_poll_cap)
        self.polls_waiting += 1
        # Announce the waiting poller once (not per wake-up, or concurrent pollers would ping-pong).
        self._notify()
        try:
            while True:
                batch = [u for u in self._updates if self._wanted(u)][:limit]
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or self._closing:
                    return batch
                await _wait_event(self._changed, remaining)
        finally:
            self.polls_waiting -= 1

    def _confirm(self, offset: int) -> None:
        """Like Telegram: an offset forgets every update below it; a negative one keeps only the last -offset."""
        if offset < 0:
            kept = self._updates[offset:]
            forgotten = self._updates[: len(self._updates) - len(kept)]
        else:
            kept = [u for u in self._updates if u["update_id"] >= offset]
            forgotten = [u for u in self._updates if u["update_id"] < offset]
        self.confirmed.extend(u["update_id"] for u in forgotten)
        self._updates = kept
        self.highest_offset = max(self.highest_offset, offset)

    def _send_message(self, params: JSON) -> JSON:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > MAX_TEXT_LENGTH:
            raise TelegramError(400, "Bad Request: message is too long")
        content: JSON = {"text": text}
        if params.get("entities"):
            content["entities"] = params["entities"]
        message = self._bot_message(params, **content)
        self._deliver(params["chat_id"], text)
        return message

    def _editable(self, params: JSON) -> JSON | None:
        if params.get("inline_message_id"):
            return None
        key = (params.get("chat_id"), params.get("message_id"))
        message = self.messages.get(key)  # type: ignore[arg-type]
        if message is None:
            raise TelegramError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise TelegramError(400, "Bad Request: message can't be edited")
        return message

    def _apply_edit(self, message: JSON, text: str | None, markup: Any) -> JSON:
        new_markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        new_text = message.get("text") if text is None else text
        if new_text == message.get("text") and new_markup == message.get("reply_markup"):
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = new_text
        message["edit_date"] = int(time.time())
        if new_markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = new_markup
        return dict(message)

    def _edit_message_text(self, params: JSON) -> JSON | bool:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        message = self._editable(params)
        if message is None:
            return True
        return self._apply_edit(message, text, params.get("reply_markup"))

    def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        message = self._editable(params)
        if message is None:
            return True
        return self._apply_edit(message, None, params.get("reply_markup"))

    def _scope_key(self, params: JSON) -> str:
        scope = params.get("scope") or {"type": "default"}
        language = params.get("language_code") or ""
        return json.dumps(scope, sort_keys=True) + (f"|{language}" if language else "")

    def _set_my_commands(self, params: JSON) -> bool:
        self.my_commands[self._scope_key(params)] = list(params.get("commands") or [])
        return True

    def _delete_my_commands(self, params: JSON) -> bool:
        self.my_commands.pop(self._scope_key(params), None)
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.my_commands.get(self._scope_key(params), [])

    def _set_webhook(self, params: JSON) -> bool:
        if not params.get("url"):
            return self._delete_webhook(params)
        self.webhook = {k: v for k, v in params.items() if not isinstance(v, UploadedFile)}
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}
        if self.webhook:
            info["url"] = self.webhook["url"]
            info["max_connections"] = self.webhook.get("max_connections", 40)
            if self.webhook.get("allowed_updates") is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _create_chat_invite_link(self, params: JSON) -> JSON:
        if params.get("member_limit") and params.get("creates_join_request"):
            raise TelegramError(400, "Bad Request: can't combine member limit with join request")
        link: JSON = {
            "invite_link": f"https://t.me/+fake{secrets.token_urlsafe(12)}",
            "creator": dict(self.bot_user),
            "creates_join_request": bool(params.get("creates_join_request")),
            "is_primary": False,
            "is_revoked": False,
        }
        for key in ("name", "expire_date", "member_limit"):
            if params.get(key) is not None:
                link[key] = params[key]
        self.invite_links.append({"chat_id": params.get("chat_id"), **link})
        return link

    def _set_message_reaction(self, params: JSON) -> bool:
        key = (params.get("chat_id"), params.get("message_id"))
        self.reactions[key] = list(params.get("reaction") or [])  # type: ignore[index]
        return True

    def _send_photo(self, params: JSON) -> JSON:
        file_id, upload = self._store_file(params.get("photo"), "photo")
        size = len(upload.data) if upload else 0
        photo = [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 320, "height": 320, "file_size": size}]
        content: JSON = {"photo": photo}
        if params.get("caption"):
            content["caption"] = params["caption"]
        message = self._bot_message(params, **content)
        self._deliver(params["chat_id"], params.get("caption"))
        return message

    def _send_document(self, params: JSON) -> JSON:
        file_id, upload = self._store_file(params.get("document"), "document")
        document: JSON = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if upload:
            document.update(file_name=upload.filename, mime_type=upload.content_type, file_size=len(upload.data))
        content: JSON = {"document": document}
        if params.get("caption"):
            content["caption"] = params["caption"]
        message = self._bot_message(params, **content)
        self._deliver(params["chat_id"], params.get("caption"))
        return message

    def _get_file(self, params: JSON) -> JSON:
        file_id = params.get("file_id")
        upload = self.files.get(file_id or "")
        if upload is None:
            raise TelegramError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(upload.data),
            "file_path": self._file_path(file_id),  # type: ignore[arg-type]
        }

    def _get_chat(self, params: JSON) -> JSON:
        chat = self._chat(params["chat_id"])
        gifts = dict.fromkeys(
            ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"), False
        )
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    def _get_chat_member(self, params: JSON) -> JSON:
        user_id = params.get("user_id")
        if user_id == self.bot_user["id"]:
            user = self.bot_user
        else:
            user = self.users.get(user_id) or self.add_user(user_id)  # type: ignore[arg-type]
        status = self.member_status.get((params.get("chat_id"), user_id), "member")  # type: ignore[arg-type]
        member: JSON = {"status": status, "user": dict(user)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                dict.fromkeys(
                    (
                        "can_be_edited",
                        "is_anonymous",
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_invite_users",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    ),
                    False,
                ),
                can_manage_chat=True,
                can_invite_users=True,
                can_delete_messages=True,
            )
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _leave_chat(self, params: JSON) -> bool:
        self.left_chats.add(params["chat_id"])
        return True


__all__ = [
    "Call",
    "Delivery",
    "FakeServer",
    "FakeTelegramAPI",
    "SlidingWindow",
    "TelegramError",
    "UploadedFile",
    "read_request_params",
]
