"""Connects the bot to Telegram through python-telegram-bot: updates in (polling or webhook), sends out."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from telegram import CallbackQuery, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from adapters.telegram.commands import register_menus
from adapters.telegram.convert import PLATFORM, to_event
from adapters.telegram.gateway import TelegramGateway
from adapters.telegram.polling import Poller
from adapters.telegram.settings import TelegramSettings
from adapters.telegram.webhook import VALID_SECRET, WEBHOOK_PATH, TelegramWebhook
from bot import people
from bot.i18n import Translator
from bot.ports import Host

log = logging.getLogger(__name__)

MAX_TOAST = 200  # answerCallbackQuery text limit
# Reactions are only delivered when asked for explicitly.
ALLOWED_UPDATES = list(Update.ALL_TYPES)


class TelegramSetupError(RuntimeError):
    """The Telegram settings cannot work; the message says which one to fix."""


class TelegramAdapter:
    """Long polling by default; a webhook on the shared HTTP server when TELEGRAM_WEBHOOK_URL is set."""

    def __init__(self, app: Host) -> None:
        settings = TelegramSettings.of(app.settings)
        if not settings.telegram_bot_token:
            raise TelegramSetupError("TELEGRAM_BOT_TOKEN is empty: create a bot with @BotFather and set its token")
        self.app = app
        self.webhook_url = settings.telegram_webhook_url.strip()
        self.webhook_secret = settings.telegram_webhook_secret.strip()
        if self.webhook_url and not VALID_SECRET.match(self.webhook_secret):
            raise TelegramSetupError(
                "TELEGRAM_WEBHOOK_URL is set, so TELEGRAM_WEBHOOK_SECRET must be set too "
                "(1-256 characters of A-Z, a-z, 0-9, _ and -); the webhook refuses requests without it"
            )
        # httpx logs every request URL at INFO, and Bot API URLs contain the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        api = settings.telegram_api_base_url.rstrip("/")
        builder = Application.builder().token(settings.telegram_bot_token).base_url(f"{api}/bot")
        # No Updater: it confirms a batch to Telegram before handling it (see polling.py).
        builder = builder.base_file_url(f"{api}/file/bot").updater(None)
        self.application = builder.build()
        self.gateway = TelegramGateway(self.application.bot, app.clock, limits=settings.telegram_limits)
        self.translator = Translator(app.settings.locale)
        self.poller: Poller | None = None
        if not self.webhook_url:
            self.poller = Poller(
                self.application.bot,
                self.handle_update,
                allowed_updates=ALLOWED_UPDATES,
                handle_many=self.handle_updates,
            )
        self._started = False

    @property
    def bot_username(self) -> str:
        return self.application.bot.username

    def start_link(self, payload: str) -> str:
        return self.gateway.start_link(payload)

    async def start(self) -> None:
        try:
            await self.application.initialize()  # getMe: checks the token, learns the bot's username
        except InvalidToken as error:
            raise TelegramSetupError(f"Telegram refused TELEGRAM_BOT_TOKEN: {error.message}") from error
        self.app.core.bot_usernames[PLATFORM] = self.bot_username
        await register_menus(
            self.application.bot, self.app.core.registry, self.app.settings.locale, await self._organizer_chats()
        )
        if self.webhook_url:
            await self._start_webhook()
        else:
            await self.application.bot.delete_webhook()  # getUpdates answers 409 while one is set
        self._started = True
        if self.poller is not None:
            self.poller.start()
        log.info("telegram: @%s is running (%s)", self.bot_username, "webhook" if self.webhook_url else "polling")

    async def _start_webhook(self) -> None:
        path = urlparse(self.webhook_url).path
        if path != WEBHOOK_PATH:
            log.warning("TELEGRAM_WEBHOOK_URL path %r: the bot listens on %s behind it", path, WEBHOOK_PATH)
        endpoint = TelegramWebhook(self.webhook_secret, self.application.bot, self.handle_update)
        self.app.http.add_route("POST", WEBHOOK_PATH, endpoint.handle_request)
        await self.application.bot.set_webhook(
            self.webhook_url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES
        )

    async def stop_intake(self) -> None:
        """Stop taking updates: polling finishes the ones in hand and confirms them; sending still works."""
        if self.poller is not None:
            await self.poller.stop()

    async def stop(self) -> None:
        """Stop taking updates, then close the connection to Telegram (nothing can be sent after)."""
        await self.stop_intake()
        if self._started:
            await self.application.shutdown()
            self._started = False

    async def _organizer_chats(self) -> list[tuple[int, str]]:
        """Organizers' direct chats (user ids) with their language, for the fuller command menu."""
        chats = await people.organizer_chats(self.app.db, self.app.settings, PLATFORM)
        return [(int(user_id), locale) for user_id, locale in chats if user_id.isdigit()]

    async def handle_update(self, update: Update) -> bool:
        """Hand the update to the core once; False when it should be delivered again later.

        That is only when the database could not be reached: an update the bot cannot read,
        or one whose handling failed for good, is logged and not asked for again. A button
        press is always answered, even on errors.
        """
        query = update.callback_query
        toast: str | None = None
        done = True
        try:
            event = to_event(update)
            if event is not None:
                outcome = await self.app.core.handle(event)
                toast = outcome.toast
                done = not (outcome.failed and outcome.retryable)
        except Exception:  # one bad update must not stop the adapter (the core apologizes for its own failures)
            log.exception("telegram update %s could not be handled", update.update_id)
            toast = self.translator("error.internal")
        finally:
            if query is not None:
                await self._answer(query, toast)
        return done

    async def handle_updates(self, updates: list[Update]) -> list[bool]:
        """Hand a batch of updates to the core to share transactions; for each, whether it may be confirmed.

        Button presses and updates the bot cannot read go one by one, as `handle_update` does them.
        """
        events = []
        for update in updates:
            if update.callback_query is not None:
                break
            try:
                event = to_event(update)
            except Exception:
                break
            if event is None:
                break
            events.append(event)
        if not events:
            return [await self.handle_update(updates[0])]
        try:
            outcomes = await self.app.core.handle_many(events)
        except Exception:  # as in handle_update: logged, and not asked for again
            log.exception("telegram updates %s..%s could not be handled", updates[0].update_id, updates[-1].update_id)
            return [True] * len(events)
        return [not (outcome.failed and outcome.retryable) for outcome in outcomes]

    async def _answer(self, query: CallbackQuery, toast: str | None) -> None:
        try:
            await query.answer(text=toast[:MAX_TOAST] if toast else None)
        except TelegramError as error:  # e.g. a query too old to answer
            log.info("could not answer callback query %s: %s", query.id, error)
        except Exception:  # an unreadable query id from a hostile update
            log.warning("could not answer callback query of update %s", query.id, exc_info=True)
