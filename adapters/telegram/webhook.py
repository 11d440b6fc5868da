"""The webhook endpoint: Telegram POSTs updates here with the secret it was given in setWebhook."""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Bot, Update

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# What Telegram allows as secret_token in setWebhook.
VALID_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramWebhook:
    """Checks the secret header, parses the update defensively and hands it on.

    Telegram sends an update again until it is answered 2xx, so an update from Telegram (the
    secret is right) that the bot cannot read is answered 200 and logged: asking again would
    bring the same bytes forever. Only an update the core could not handle for now (its
    database away) is answered 500, for a redelivery once it is back.
    """

    def __init__(self, secret: str, bot: Bot, handle: Callable[[Update], Awaitable[bool]]) -> None:
        self.secret = secret.encode()
        self.bot = bot
        self.handle = handle

    async def handle_request(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401, text="missing secret token")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.secret):
            log.warning("telegram webhook call with a wrong secret from %s", request.remote)
            return web.Response(status=403, text="wrong secret token")
        body = await request.read()
        try:
            data = json.loads(body)
        except RecursionError:
            log.warning("telegram webhook: ignored an update nested too deep to read (%d bytes)", len(body))
            return web.Response(status=200, text="ignored: nested too deep")
        except ValueError:  # not JSON, or not UTF-8: not something Telegram sends
            return web.Response(status=400, text="body is not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not a Telegram update")
        try:
            update = Update.de_json(data, self.bot)
        except Exception:  # a shape PTB cannot read
            log.warning("telegram webhook: ignored unreadable update %s", data.get("update_id"), exc_info=True)
            return web.Response(status=200, text="ignored: unreadable update")
        # Handled before answering: if the process dies meanwhile, Telegram delivers the update again.
        if not await self.handle(update):
            return web.Response(status=500, text="update not handled, please retry")
        return web.Response(status=200)
