"""Delivers outbox entries through Slack's Web API and maps its errors for the sender."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import message_blocks
from adapters.slack.convert import PLATFORM
from adapters.slack.mrkdwn import escape
from adapters.slack.settings import DEFAULT_LIMITS
from bot.messages import Destination, Outgoing, SendResult
from bot.ports import DEFAULT_ACK_REACTION, DeliveryError, PlatformLimits

log = logging.getLogger(__name__)

# Answers that will not change however often the same call is repeated.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "not_allowed_token_type",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "restricted_action",
        "cant_invite_self",
        "cant_invite",
        "file_not_found",
    }
)
# An invite to someone who is already there did what was asked.
INVITE_DONE = frozenset({"already_in_channel"})
REACTION_DONE = frozenset({"already_reacted"})
# What the core's emoji names are called in Slack.
EMOJI_NAMES = {"✅": "white_check_mark", "📝": "memo", "👍": "+1", "👀": "eyes"}
# Rate limit waits up to this long are slept through by slack_sdk; longer ones go back to the outbox.
BRIEF_WAIT_SECONDS = 3.0

Sleep = Callable[[float], Awaitable[None]]


class BriefRateLimitRetryHandler(AsyncRetryHandler):
    """slack_sdk's rate-limit retry, but only for short Retry-After waits (longer: the outbox waits)."""

    def __init__(self, max_wait: float = BRIEF_WAIT_SECONDS, sleep: Sleep = asyncio.sleep, max_retry_count: int = 1):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.sleep = sleep

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after_of(response.headers) <= self.max_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None
        state.next_attempt_requested = True
        await self.sleep(retry_after_of(response.headers))
        state.increment_current_attempt()


def retry_after_of(headers: Any) -> float:
    """Seconds from a Retry-After header (1 when it is missing or unreadable)."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, (list, tuple)) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return 1.0
    return 1.0


def make_client(
    token: str, base_url: str, *, brief_wait: float = BRIEF_WAIT_SECONDS, sleep: Sleep = asyncio.sleep
) -> AsyncWebClient:
    """A Web API client with retries for dropped connections and short rate limits."""
    client = AsyncWebClient(token=token, base_url=base_url if base_url.endswith("/") else base_url + "/")
    client.retry_handlers = [AsyncConnectionErrorRetryHandler(), BriefRateLimitRetryHandler(brief_wait, sleep)]
    return client


def delivery_error(error: SlackApiError) -> DeliveryError:
    """A Slack error as the sender understands it: wait, give up, or try again later."""
    response = error.response
    code = str(response.get("error", "") if response is not None else "") or "unknown_error"
    status = getattr(response, "status_code", 200)
    if status == 429 or code == "ratelimited":
        return DeliveryError(f"slack {code}", retry_after=retry_after_of(getattr(response, "headers", {})))
    if status < 500 and code in PERMANENT_ERRORS:
        return DeliveryError(f"slack {code}", permanent=True)
    return DeliveryError(f"slack {code} (HTTP {status})")


class SlackGateway:
    """The ChatGateway of Slack: chat.postMessage, conversations.open/invite, reactions.add, files."""

    platform = PLATFORM
    ack_reaction = DEFAULT_ACK_REACTION

    def __init__(self, client: AsyncWebClient, *, limits: PlatformLimits = DEFAULT_LIMITS) -> None:
        self.client = client
        self.limits = limits  # about one message a second per channel unless the settings change it
        self._dm_channels: dict[str, str] = {}

    async def _call(self, call: Awaitable[Any], done_errors: frozenset[str] = frozenset()) -> Any:
        try:
            return await call
        except SlackApiError as error:
            if error.response is not None and error.response.get("error") in done_errors:
                return None
            raise delivery_error(error) from error
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryError(f"slack connection: {error!r}") from error

    async def channel_for(self, destination: Destination) -> str:
        """The channel to post in: a room as is, a person through their direct conversation."""
        if destination.kind != "user":
            return destination.id
        if destination.id not in self._dm_channels:
            opened = await self._call(self.client.conversations_open(users=[destination.id]))
            self._dm_channels[destination.id] = opened["channel"]["id"]
        return self._dm_channels[destination.id]

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        channel = await self.channel_for(destination)
        if message.kind in ("photo", "document") and message.payload.get("path"):
            return await self._upload(channel, message)
        arguments: dict[str, Any] = dict(channel=channel, text=escape(message.text), unfurl_links=False)
        if message.buttons:
            arguments["blocks"] = message_blocks(message.text, message.buttons)
        posted = await self._call(self.client.chat_postMessage(**arguments))
        return SendResult(message_id=posted["ts"], detail=posted.get("channel", channel))

    async def _upload(self, channel: str, message: Outgoing) -> SendResult:
        path = str(message.payload.get("path"))
        uploaded = await self._call(
            self.client.files_upload_v2(channel=channel, file=path, initial_comment=escape(message.text) or None)
        )
        file_id = (uploaded.get("file") or {}).get("id") if uploaded else None
        return SendResult(message_id=file_id, detail="uploaded")

    async def invite(self, user_id: str, room_id: str) -> SendResult:
        result = await self._call(self.client.conversations_invite(channel=room_id, users=[user_id]), INVITE_DONE)
        return SendResult(detail="added" if result is not None else "already_in_channel")

    async def react(self, room_id: str, message_id: str, emoji: str) -> SendResult:
        name = EMOJI_NAMES.get(emoji, emoji.strip(":"))
        await self._call(self.client.reactions_add(channel=room_id, timestamp=message_id, name=name), REACTION_DONE)
        return SendResult(message_id=message_id)

    def start_link(self, payload: str) -> str | None:
        return None  # Slack's direct chat with the app needs no start link: the bot can always write first
