"""Runs the bot in Slack through Bolt (async): HTTP events at /slack/events, or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import ACTION_ID_PREFIX
from adapters.slack.convert import (
    PLATFORM,
    action_to_press,
    command_to_message,
    message_to_incoming,
    reaction_to_event,
)
from adapters.slack.gateway import SlackGateway, make_client
from adapters.slack.home import home_view
from adapters.slack.manifest import EVENTS_PATH, slash_command_names
from adapters.slack.mrkdwn import escape
from adapters.slack.people import SlackPeople
from adapters.slack.settings import SlackSettings
from bot.ports import Host
from bot.features.home import home_of_account
from bot.i18n import Translator
from bot.messages import ButtonPress, Incoming, Outcome

log = logging.getLogger(__name__)

# `/idearoom topic pick 3` reaches any command, also those whose name Slack keeps for itself.
UMBRELLA_COMMAND = "idearoom"
# Seconds to wait before each new try of an event the core could not handle (an outage).
RETRY_DELAYS = (2.0, 10.0, 60.0)


class SlackConfigError(RuntimeError):
    """The Slack settings cannot work together; the message says what to set."""


class SlackAdapter:
    """Feeds Slack's commands, messages, buttons, reactions and App Home opens to the core."""

    def __init__(self, app: Host, client: AsyncWebClient | None = None) -> None:
        settings = SlackSettings.of(app.settings)
        if not settings.slack_bot_token:
            raise SlackConfigError("SLACK_BOT_TOKEN is not set")
        self.socket_mode = bool(settings.slack_app_token)
        if not self.socket_mode and not settings.slack_signing_secret:
            raise SlackConfigError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to check that requests come from Slack "
                "(Basic Information → App Credentials → Signing Secret), or set SLACK_APP_TOKEN for Socket Mode"
            )
        self.app = app
        self.client = client or make_client(settings.slack_bot_token, settings.slack_api_base_url)
        self.gateway = SlackGateway(self.client, limits=settings.slack_limits)
        self.people = SlackPeople(self.client)
        # The client carries the token; Bolt acknowledges before the listener finishes its work.
        self.bolt = AsyncApp(
            name="idearoom",
            client=self.client,
            signing_secret=settings.slack_signing_secret,
            process_before_response=False,
        )
        self.socket_handler: Any = None
        self._started = False
        self._retries: set[asyncio.Task[None]] = set()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Register the listeners (commands as the core has them now) and start receiving."""
        if self._started:
            return
        self._started = True
        self._register_listeners()
        if self.socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self.socket_handler = AsyncSocketModeHandler(
                self.bolt, app_token=SlackSettings.of(self.app.settings).slack_app_token, web_client=self.client
            )
            await self.socket_handler.connect_async()
            log.info("Slack adapter connected in Socket Mode")
        else:
            self.app.http.add_route("POST", EVENTS_PATH, self.handle_http)
            log.info("Slack adapter serves %s on the HTTP port", EVENTS_PATH)

    async def stop(self) -> None:
        for task in self._retries:
            task.cancel()
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
            self.socket_handler = None

    def _register_listeners(self) -> None:
        for name in slash_command_names(self.app.core.registry.commands):
            self.bolt.command(f"/{name}")(self.on_command)
        self.bolt.command(f"/{UMBRELLA_COMMAND}")(self.on_umbrella_command)
        self.bolt.event("message")(self.on_message)
        self.bolt.event("reaction_added")(self.on_reaction)
        self.bolt.event("app_home_opened")(self.on_home_opened)
        # Mentions also arrive as message events; acknowledging them keeps Slack from retrying.
        self.bolt.event("app_mention")(self.on_ignored_event)
        self.bolt.event("reaction_removed")(self.on_ignored_event)
        self.bolt.action(re.compile(f"^{ACTION_ID_PREFIX}-"))(self.on_action)

    async def handle_http(self, request: web.Request) -> web.Response:
        """POST /slack/events: Bolt checks the signature and timestamp, then dispatches."""
        bolt_response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    # --- listeners ------------------------------------------------------------------------

    async def _handle(self, event: Incoming) -> Outcome | None:
        try:
            outcome = await self.app.core.handle(event)
        except Exception:  # a bug in one event must not stop the adapter
            log.exception("handling Slack event %s failed", event.event_id)
            return None
        if outcome.failed and not isinstance(event, ButtonPress):
            # Slack was acknowledged already and will not send it again; the event is still
            # unclaimed, so trying again later (as Telegram would redeliver) is safe.
            task = asyncio.create_task(self._retry(event))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)
        return outcome

    async def _retry(self, event: Incoming) -> None:
        for delay in RETRY_DELAYS:
            await asyncio.sleep(delay)
            try:
                outcome = await self.app.core.handle(event)
            except Exception:
                log.exception("retrying Slack event %s failed", event.event_id)
                continue
            if not outcome.failed:
                return
        log.error("Slack event %s could not be handled after %d retries", event.event_id, len(RETRY_DELAYS))

    async def on_command(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        who = await self.people.actor(str(body.get("user_id", "")), body.get("user_name"))
        await self._handle(command_to_message(body, who))

    async def on_umbrella_command(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        rest = str(body.get("text", "") or "").strip() or "help"
        name, _, args = rest.partition(" ")
        rewritten = {**body, "command": f"/{name.lstrip('/')}", "text": args}
        who = await self.people.actor(str(body.get("user_id", "")), body.get("user_name"))
        await self._handle(command_to_message(rewritten, who))

    async def on_message(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if message_to_incoming(body) is None:
            return
        who = await self.people.actor(str(body["event"]["user"]))
        event = message_to_incoming(body, who)
        assert event is not None
        await self._handle(event)

    async def on_reaction(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if reaction_to_event(body) is None:
            return
        who = await self.people.actor(str(body["event"].get("user", "")))
        event = reaction_to_event(body, who)
        assert event is not None
        await self._handle(event)

    async def on_ignored_event(self, ack: Any) -> None:
        await ack()

    async def on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = body.get("user") or {}
        who = await self.people.actor(str(user.get("id", "")), user.get("username"))
        press = action_to_press(body, action, who)
        outcome = await self._handle(press)
        if outcome is not None and outcome.toast:
            await self._show_toast(press, outcome.toast)

    async def _show_toast(self, press: ButtonPress, toast: str) -> None:
        """The short answer to a pressed button, seen only by the person who pressed it."""
        try:
            if press.place.chat_id:
                await self.client.chat_postEphemeral(
                    channel=press.place.chat_id, user=press.actor.user_id, text=escape(toast)
                )
            else:  # a button on the App Home: no channel to answer in but the person's own
                opened = await self.client.conversations_open(users=[press.actor.user_id])
                await self.client.chat_postMessage(channel=opened["channel"]["id"], text=escape(toast))
        except SlackApiError as error:
            log.warning("could not show a button answer to %s: %s", press.actor.user_id, error.response.get("error"))

    async def on_home_opened(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        event = body.get("event") or {}
        if event.get("tab", "home") != "home":
            return
        await self.publish_home(str(event.get("user", "")))

    async def publish_home(self, user_id: str) -> None:
        """Build the person's summary and publish it as their App Home tab."""
        settings = self.app.settings
        summary = await home_of_account(self.app.db, PLATFORM, user_id)
        person = summary.person if summary else None
        t = Translator((person.locale if person and person.locale else None) or settings.locale)
        view = home_view(summary, t, lambda when, fmt: when.astimezone(settings.tz).strftime(fmt), self.app.clock.now())
        try:
            await self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as error:
            log.warning("views.publish for %s failed: %s", user_id, error.response.get("error"))
