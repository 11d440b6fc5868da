"""A running bot on a temporary SQLite file, connected by the real Telegram adapter to the fake Bot API."""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import func, select

from adapters.telegram import TelegramAdapter
from bot.i18n import Translator
from bot.ports import ManualClock
from idearoom.wiring import App
from storage.tables import OutboxMessage
from tests.fakes.telegram_api import Call, FakeTelegramAPI
from tests.harness import link_accounts, test_settings
from tests.templates import prepared_app

TOKEN = "123456:TEST-token"
GROUP = -1001234567890
OTHER_GROUP = -1009876543210
# Telegram users whose usernames are the demo organisation's handles.
SUJIN, MINJI, JUNHO, SEOYEON, JIWOO, DOHYUN = 1001, 1002, 1003, 1004, 1005, 1006
NAMES = {
    SUJIN: ("수진", "sujin"),
    MINJI: ("민지", "minji"),
    JUNHO: ("준호", "junho"),
    SEOYEON: ("서연", "seoyeon"),
    JIWOO: ("지우", "jiwoo"),
    DOHYUN: ("도현", "dohyun"),
}
BYSTANDER = 4242  # asks for /help in a direct chat to mark "everything before is handled"
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # Monday 09:00 in Seoul

ko = Translator("ko")


def plain(call: Call) -> str:
    """What a person reads: the HTML text of a send, unescaped."""
    return html.unescape(call.params.get("text") or call.params.get("caption") or "")


@dataclass
class Bot:
    """The running bot and the fake Telegram it talks to, with helpers that act like its users."""

    app: App
    adapter: TelegramAdapter
    tg: FakeTelegramAPI
    clock: ManualClock

    def say(self, user: int, text: str, chat: int = GROUP, **fields: object) -> dict:
        first_name, username = NAMES.get(user, (f"User {user}", None))
        chat_type = "private" if chat == user else "supergroup"
        return self.tg.push_message(
            chat,
            user,
            text,
            chat_type=chat_type,
            chat_title="아이디어방" if chat < 0 else None,
            first_name=first_name,
            username=username,
            **fields,
        )

    def sends(self, chat: int | None = None, method: str = "sendMessage") -> list[Call]:
        """Successful sends of the bot, optionally to one chat."""
        return [
            c for c in self.tg.calls_to(method) if c.status == 200 and (chat is None or c.params["chat_id"] == chat)
        ]

    async def reply_to(self, chat: int, count: int = 1, timeout: float = 5.0) -> Call:
        """Wait until the bot has sent `count` messages in total to `chat` and recorded the last one as sent."""
        call = await self.tg.wait_for(
            lambda c: c.method in ("sendMessage", "sendPhoto") and c.status == 200 and c.params["chat_id"] == chat,
            timeout,
            count=count,
        )
        message_id = str(call.response["result"]["message_id"])
        # The fake answers before the sender writes down the message id (and the idea it stands for).
        for _ in range(int(timeout / 0.02)):
            if await self.count(
                OutboxMessage, OutboxMessage.platform_message_id == message_id, OutboxMessage.dest_id == str(chat)
            ):
                break
            await asyncio.sleep(0.02)
        return call

    async def say_and_wait(self, user: int, text: str, chat: int = GROUP) -> Call:
        before = len(self.sends(chat))
        self.say(user, text, chat)
        return await self.reply_to(chat, before + 1)

    def button(self, chat: int, prefix: str, label: str = "") -> tuple[str, int]:
        """The newest button the bot sent to `chat` whose action starts with `prefix`: (action, message id)."""
        for call in reversed(self.sends(chat)):
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["callback_data"].startswith(prefix) and label in button["text"]:
                        return button["callback_data"], call.response["result"]["message_id"]
        raise AssertionError(f"no button {prefix!r} with {label!r} in chat {chat}")

    async def press(self, user: int, chat: int, prefix: str, label: str = "") -> str:
        """`user` presses the bot's newest matching button in `chat`; returns the toast Telegram shows."""
        action, message_id = self.button(chat, prefix, label)
        answered = len(self.tg.calls_to("answerCallbackQuery"))
        self.tg.push_callback(chat, user, action, message_id)
        call = await self.tg.wait_for("answerCallbackQuery", count=answered + 1)
        return call.params.get("text", "")

    async def settle(self) -> None:
        """Every update pushed so far is handled: updates are handled in order, so a later /help's answer proves it."""
        await self.say_and_wait(BYSTANDER, "/help", chat=BYSTANDER)

    async def count(self, table: type, *where: object) -> int:
        async with self.app.db.session() as session:
            return (await session.exec(select(func.count()).select_from(table).where(*where))).one()

    async def rows(self, table: type, *where: object) -> list:
        async with self.app.db.session() as session:
            return list((await session.exec(select(table).where(*where))).all())


async def start_bot(
    tg: FakeTelegramAPI, database_url: str, clock: ManualClock | None = None, **settings: object
) -> Bot:
    """The bot on a clock that only moves when told; pacing is off unless asked for (the clock would never free it)."""
    clock = clock or ManualClock(START)
    for user_id, (first_name, username) in NAMES.items():
        tg.add_user(user_id, first_name, username)
    values: dict[str, object] = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": tg.url,
        "IDEAROOM_HTTP_HOST": "127.0.0.1",
        "IDEAROOM_HTTP_PORT": 0,
        "IDEAROOM_SEND_RATE_LIMITS": "off",
    }
    values.update(settings)
    app = await prepared_app(test_settings(database_url, **values), clock)
    await link_accounts(
        app, "telegram", {username: str(user_id) for user_id, (_, username) in NAMES.items() if username}
    )
    adapter = TelegramAdapter(app)
    app.add_gateway(adapter.gateway)
    await adapter.start()
    if app.http.has_routes:
        await app.http.start()
    app.start_sender()
    return Bot(app, adapter, tg, clock)
