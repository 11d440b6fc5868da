"""Delivers outbox entries through the Telegram Bot API and maps its errors for the sender."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Bot, LinkPreviewOptions, Message, ReactionTypeEmoji, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, EndPointNotFound, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.convert import PLATFORM
from adapters.telegram.markup import MAX_CAPTION_LENGTH, MarkupError, keyboard, reaction_emoji, split_text
from adapters.telegram.settings import DEFAULT_LIMITS
from bot.messages import Destination, Outgoing, SendResult
from bot.ports import DEFAULT_ACK_REACTION, Clock, DeliveryError, PlatformLimits

log = logging.getLogger(__name__)

INVITE_LINK_LIFETIME = timedelta(days=7)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def chat_id_of(value: str) -> int | str:
    """Telegram chat ids are integers; a public @channel name stays a string."""
    return int(value) if value.lstrip("-").isdigit() else value


def retry_after_seconds(error: RetryAfter) -> float:
    """How long Telegram asked to wait, in seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@contextmanager
def delivery_errors() -> Iterator[None]:
    """Telegram's errors as the sender understands them: wait, retry with backoff, or give up."""
    try:
        yield
    except RetryAfter as error:
        raise DeliveryError(
            f"telegram flood control: {error.message}", retry_after=retry_after_seconds(error)
        ) from error
    except Forbidden as error:  # blocked, never started, or removed from the group
        raise DeliveryError(f"telegram refused: {error.message}", permanent=True) from error
    except (BadRequest, EndPointNotFound) as error:  # BadRequest first: it is a NetworkError too
        raise DeliveryError(f"telegram bad request: {error.message}", permanent=True) from error
    except MarkupError as error:
        raise DeliveryError(str(error), permanent=True) from error
    except TelegramError as error:  # network errors, timeouts, 5xx answers, conflicts
        raise DeliveryError(f"telegram unavailable: {error.message}") from error


class TelegramGateway:
    """The ChatGateway of Telegram: rooms are chats, a user's direct chat id is their user id."""

    platform = PLATFORM
    ack_reaction = DEFAULT_ACK_REACTION

    def __init__(self, bot: Bot, clock: Clock, *, limits: PlatformLimits = DEFAULT_LIMITS) -> None:
        self.bot = bot
        self.clock = clock
        self.limits = limits  # Telegram's documented limits unless the settings change them

    def start_link(self, payload: str) -> str:
        """A link that opens the bot's direct chat and sends `/start <payload>` when pressed."""
        return f"https://t.me/{self.bot.username}?start={payload}"

    async def send(self, destination: Destination, message: Outgoing) -> SendResult:
        chat_id = chat_id_of(destination.id)
        with delivery_errors():
            try:
                return await self._deliver(chat_id, message)
            except ChatMigrated as moved:
                log.warning("telegram group %s became supergroup %s; sending there", chat_id, moved.new_chat_id)
                return await self._deliver(moved.new_chat_id, message)

    async def invite(self, user_id: str, room_id: str) -> SendResult:
        """Bots cannot add people to a group: a personal link for one person, valid for a week."""
        with delivery_errors():
            link = await self.bot.create_chat_invite_link(
                chat_id_of(room_id),
                member_limit=1,
                expire_date=self.clock.now() + INVITE_LINK_LIFETIME,
                name=f"idearoom {user_id}"[:32],
            )
        return SendResult(link=link.invite_link, detail="link")

    async def react(self, room_id: str, message_id: str, emoji: str) -> SendResult:
        with delivery_errors():
            await self.bot.set_message_reaction(
                chat_id_of(room_id), int(message_id), reaction=[ReactionTypeEmoji(reaction_emoji(emoji))]
            )
        return SendResult(message_id=message_id)

    async def _deliver(self, chat_id: int | str, message: Outgoing) -> SendResult:
        markup = keyboard(message.buttons)
        reply_to = str(message.payload.get("reply_to") or "")
        reply = ReplyParameters(int(reply_to), allow_sending_without_reply=True) if reply_to.isdigit() else None
        if message.kind == "photo":
            return await self._send_photo(chat_id, message, markup, reply)
        if message.kind == "document":
            return await self._send_document(chat_id, message, reply)
        pieces = split_text(message.text)
        if not pieces:
            raise DeliveryError("empty message", permanent=True)
        sent = await self._send_pieces(chat_id, pieces, markup, reply)
        return SendResult(message_id=str(sent[0].message_id))

    async def _send_pieces(self, chat_id, pieces, markup, reply) -> list[Message]:
        """Long texts go out as several messages: the reply on the first, the buttons under the last."""
        sent = []
        for index, piece in enumerate(pieces):
            sent.append(
                await self.bot.send_message(
                    chat_id,
                    piece,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_parameters=reply if index == 0 else None,
                    reply_markup=markup if index == len(pieces) - 1 else None,
                )
            )
        return sent

    async def _send_document(self, chat_id: int | str, message: Outgoing, reply: Any) -> SendResult:
        path = Path(str(message.payload.get("path") or ""))
        if not path.is_file():
            raise DeliveryError(f"document file not found: {path}", permanent=True)
        with path.open("rb") as document:
            sent = await self.bot.send_document(
                chat_id,
                document=document,
                filename=path.name,
                caption=message.text[:MAX_CAPTION_LENGTH] or None,
                reply_parameters=reply,
            )
        return SendResult(message_id=str(sent.message_id))

    async def _send_photo(self, chat_id, message: Outgoing, markup, reply) -> SendResult:
        path = Path(str(message.payload.get("path") or ""))
        if not path.is_file():
            raise DeliveryError(f"photo file not found: {path}", permanent=True)
        captions = split_text(message.text, MAX_CAPTION_LENGTH)
        caption_fits = len(captions) <= 1
        with path.open("rb") as photo:
            sent = await self.bot.send_photo(
                chat_id,
                photo=photo,
                caption=captions[0] if captions and caption_fits else None,
                parse_mode=ParseMode.HTML,
                reply_parameters=reply,
                reply_markup=markup if caption_fits else None,
            )
        if not caption_fits:
            await self._send_pieces(chat_id, split_text(message.text), markup, None)
        return SendResult(message_id=str(sent.message_id))
