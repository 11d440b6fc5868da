"""Long polling that confirms an update to Telegram only after the core has committed it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from adapters.telegram.gateway import retry_after_seconds

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds a getUpdates long poll may wait
DRAIN_SECONDS = 10.0  # how long a stop waits for the updates in hand
FIRST_BACKOFF, MAX_BACKOFF = 0.5, 30.0  # seconds between tries after a network error
HANDLE_ATTEMPTS = 5  # an update the core could not handle is tried this often before it is given up
CONFLICT_PAUSE = 5.0  # another poller holds the token: ask again after this long


class Poller:
    """Asks Telegram for updates, hands each to `handle` in order, and confirms only what was handled.

    Telegram forgets an update once a getUpdates call carries a higher offset; this loop sends
    that offset only after `handle` returned, that is after the core committed the update with
    its processed-event claim. A crash before that leaves the update with Telegram, which
    delivers it again; the claim makes the second delivery do nothing if it was committed.
    """

    def __init__(
        self,
        bot: Bot,
        handle: Callable[[Update], Awaitable[bool]],
        *,
        allowed_updates: list[str],
        timeout: int = POLL_TIMEOUT,
        drain_seconds: float = DRAIN_SECONDS,
        handle_many: Callable[[list[Update]], Awaitable[list[bool]]] | None = None,
    ) -> None:
        self.bot = bot
        self.handle = handle
        # Takes several updates at once so they share the core's transactions; returns, for each of
        # a first part of them (at least one), whether it may be confirmed.
        self.handle_many = handle_many
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.drain_seconds = drain_seconds
        self.offset: int | None = None  # the next update id to ask for: everything below is handled
        self._confirmed: int | None = None  # the offset Telegram was last sent
        self._asked: int | None = None  # the offset of the fetch in progress
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        """Stop fetching, finish the updates in hand (at most `drain_seconds`), confirm what was handled."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            log.info("telegram: polling stops; finishing the updates in hand")
            done, _ = await asyncio.wait({task}, timeout=self.drain_seconds)
            if not done:
                # The update being handled rolls back; it is not confirmed, so Telegram keeps it.
                log.warning("telegram: stopping before the updates in hand were handled; Telegram keeps them")
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._confirm()

    async def _confirm(self) -> None:
        """Tell Telegram everything below `offset` is handled (a getUpdates that does not wait)."""
        if self.offset is None or self.offset == self._confirmed:
            return
        try:
            await self.bot.get_updates(offset=self.offset, timeout=0, limit=1, allowed_updates=self.allowed_updates)
            self._confirmed = self.offset
            log.info("telegram: confirmed the updates below %s", self.offset)
        except TelegramError as error:
            # Not fatal: the updates are claimed in the database, so a redelivery changes nothing.
            log.warning("telegram: could not confirm updates below %s: %s", self.offset, error)

    async def _run(self) -> None:
        backoff = FIRST_BACKOFF
        while not self._stopping.is_set():
            try:
                batch = await self._fetch()
            except RetryAfter as error:
                await self._pause(retry_after_seconds(error))
                continue
            except Conflict as error:
                log.error("telegram: %s (is another process polling this bot token?)", error.message)
                await self._pause(CONFLICT_PAUSE)
                continue
            except InvalidToken as error:
                log.error("telegram: the bot token was refused (%s); polling stops", error.message)
                return
            except TelegramError as error:  # network errors, timeouts, 5xx answers
                log.warning("telegram: getUpdates failed (%s); trying again in %.1f s", error.message, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except Exception:  # an update python-telegram-bot cannot read: find it, skip only it
                log.warning("telegram: python-telegram-bot could not read a batch of updates", exc_info=True)
                batch = await self._read_one_by_one()
                if not batch:
                    await self._pause(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
            if batch is None:
                break
            backoff = FIRST_BACKOFF
            # The offset sent with this fetch confirmed what was handled before it.
            self._confirmed = self._asked
            await self._handle_batch(list(batch))

    async def _handle_batch(self, batch: list[Update | int]) -> None:
        """Hand the batch on in order, advancing the offset past each update handled."""
        while batch:
            update = batch[0]
            if isinstance(update, int):  # unreadable: confirming it is all the bot can do
                log.warning("telegram update %s ignored: python-telegram-bot cannot read it", update)
                self.offset = update + 1
                batch.pop(0)
                continue
            readable: list[Update] = []
            for item in batch:
                if isinstance(item, int):
                    break
                readable.append(item)
            if self.handle_many is not None and len(readable) > 1:
                try:
                    dones = await self.handle_many(readable)
                except Exception:  # a bug in the adapter: these go one by one below
                    log.exception("telegram updates could not be handled together")
                    dones = []
                handled = 0
                for done in dones[: len(readable)]:
                    if not done:
                        break  # this one (and the rest) again, one by one, with their retries
                    handled += 1
                if handled:
                    self.offset = readable[handled - 1].update_id + 1
                    del batch[:handled]
                    continue
            if not await self._handle(update):
                return  # stopping while the database is away: Telegram keeps this one and the rest
            self.offset = update.update_id + 1
            batch.pop(0)

    async def _fetch(self) -> tuple[Update, ...] | list[Update | int] | None:
        """The next batch, or None when stopping was asked for while waiting."""
        self._asked = self.offset
        fetch = asyncio.ensure_future(
            self.bot.get_updates(offset=self.offset, timeout=self.timeout, allowed_updates=self.allowed_updates)
        )
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not fetch.done():
            # Updates this long poll might still return are not confirmed by it: Telegram keeps them.
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetch
            return None
        return fetch.result()

    async def _read_one_by_one(self) -> list[Update | int]:
        """The pending updates read one at a time; the id in place of each one that cannot be read."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # do_api_request warns that get_updates exists
                raw = await self.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={"offset": self.offset, "timeout": 0, "allowed_updates": self.allowed_updates},
                )
            self._asked = self.offset
        except Exception:
            log.warning("telegram: getUpdates failed again", exc_info=True)
            return []
        batch: list[Update | int] = []
        for data in raw if isinstance(raw, list) else []:
            update_id = data.get("update_id") if isinstance(data, dict) else None
            if not isinstance(update_id, int):
                break  # nothing to confirm it by
            try:
                batch.append(Update.de_json(data, self.bot))
            except Exception:  # noqa: BLE001 (any way PTB fails to read it, the update is skipped)
                batch.append(update_id)
        return batch

    async def _handle(self, update: Update) -> bool:
        """Hand one update on; True when it may be confirmed.

        One the core could not handle for now (the database is away) is tried again, a few
        times, before it is given up; False when stopping interrupts that.
        """
        backoff = FIRST_BACKOFF
        for attempt in range(1, HANDLE_ATTEMPTS + 1):
            try:
                if await self.handle(update):
                    return True
            except Exception:  # a bug in the adapter must not stop polling
                log.exception("telegram update %s could not be handled", update.update_id)
                return True
            if attempt < HANDLE_ATTEMPTS:
                await self._pause(backoff)
                if self._stopping.is_set():
                    return False
                backoff = min(backoff * 2, MAX_BACKOFF)
        log.error("telegram update %s given up after %d attempts", update.update_id, HANDLE_ATTEMPTS)
        return True

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
