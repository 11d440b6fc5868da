"""Runs the bot in Slack: HTTP requests at /slack/events, or Socket Mode; each is committed before Slack is answered."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import ACTION_ID_PREFIX
from adapters.slack.convert import (
    PLATFORM,
    action_to_press,
    command_to_message,
    edit_to_event,
    editor,
    message_to_incoming,
    reaction_removed_to_event,
    reaction_to_event,
)
from adapters.slack.gateway import SlackGateway, make_client
from adapters.slack.home import home_view
from adapters.slack.intake import ACTION, COMMAND, EVENT, Malformed, Request, is_signed, read_envelope, read_http
from adapters.slack.manifest import EVENTS_PATH
from adapters.slack.mrkdwn import escape
from adapters.slack.people import SlackPeople
from adapters.slack.settings import SlackSettings
from bot.features.home import home_of_account, official_local
from bot.i18n import Translator
from bot.inbox import InboxClosed
from bot.messages import ButtonPress, Incoming, Outcome
from bot.ports import Host

log = logging.getLogger(__name__)

# `/idearoom topic pick 3` reaches any command, also those whose name Slack keeps for itself.
UMBRELLA_COMMAND = "idearoom"


class SlackConfigError(RuntimeError):
    """The Slack settings cannot work together; the message says what to set."""


class SlackAdapter:
    """Feeds Slack's commands, messages and their edits, buttons, reactions (given and taken back) and App Home opens to the core.

    Bolt reads a body before it checks the signature (an odd body answered 500), and acknowledges
    before the work is stored; so the adapter checks, commits to the inbox and answers itself.
    """

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
        self.verifier = SignatureVerifier(settings.slack_signing_secret) if settings.slack_signing_secret else None
        self.socket_client: Any = None
        self._started = False

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Handle what the inbox holds, then start receiving."""
        if self._started:
            return
        self._started = True
        self.app.inbox.register(PLATFORM, self.handle_stored)
        self.app.inbox.start()
        if self.socket_mode:
            from slack_sdk.socket_mode.aiohttp import SocketModeClient

            self.socket_client = SocketModeClient(
                SlackSettings.of(self.app.settings).slack_app_token, web_client=self.client
            )
            self.socket_client.socket_mode_request_listeners.append(self.on_socket_request)
            await self.socket_client.connect()
            log.info("Slack adapter connected in Socket Mode")
        else:
            self.app.http.add_route("POST", EVENTS_PATH, self.handle_http)
            log.info("Slack adapter serves %s on the HTTP port", EVENTS_PATH)

    async def stop_receiving(self) -> None:
        """Take no new requests (Socket Mode: close the connection; Slack resends what was not acknowledged)."""
        if self.socket_client is not None:
            await self.socket_client.close()
            self.socket_client = None

    async def stop(self) -> None:
        await self.stop_receiving()

    # --- intake: committed before Slack is answered -----------------------------------------

    async def handle_http(self, request: web.Request) -> web.Response:
        """POST /slack/events: signature and timestamp first (401), then the body (400), then the inbox."""
        body = await request.read()
        assert self.verifier is not None
        if not is_signed(self.verifier, body, request.headers):
            return web.json_response({"error": "invalid signature or stale timestamp"}, status=401)
        try:
            slack_request = read_http(body, request.headers.get("Content-Type", ""))
        except Malformed as error:
            log.warning("a signed Slack request with a malformed body: %s", error)
            return web.json_response({"error": f"malformed request: {error}"}, status=400)
        if slack_request.challenge is not None:
            return web.json_response({"challenge": slack_request.challenge})
        if not await self._commit(slack_request):
            # Slack resends an event it could not deliver; the next worker, or this one restarted, takes it.
            return web.json_response({"error": "not taking requests now"}, status=503, headers={"Retry-After": "1"})
        return web.Response(status=200)

    async def on_socket_request(self, client: Any, request: SocketModeRequest) -> None:
        """A Socket Mode envelope, acknowledged only once it is committed."""
        try:
            slack_request = read_envelope(request.type, request.payload)
        except Malformed as error:
            log.warning("a malformed Socket Mode envelope %s: %s", request.envelope_id, error)
            slack_request = Request("", {})
        if await self._commit(slack_request):
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    async def _commit(self, slack_request: Request) -> bool:
        """True when the request is safe in the inbox (or needs no handling); False: do not acknowledge it."""
        if not slack_request.kind:
            return True
        try:
            await self.app.inbox.put(PLATFORM, slack_request.delivery_id, slack_request.kind, slack_request.payload)
        except InboxClosed:
            return False
        except Exception:
            log.exception("could not store Slack request %s", slack_request.delivery_id)
            return False
        return True

    # --- handling, from the inbox --------------------------------------------------------------

    async def handle_stored(self, kind: str, payload: dict[str, Any]) -> bool:
        """Handle one stored request; False when the core failed and it should be tried again."""
        if kind == EVENT:
            return await self.on_event(payload)
        if kind == COMMAND:
            return await self.on_command(payload)
        if kind == ACTION:
            return await self.on_actions(payload)
        return True

    async def _handle(self, event: Incoming) -> Outcome:
        return await self.app.core.handle(event)

    async def on_event(self, body: dict[str, Any]) -> bool:
        event = body["event"]
        kind = event.get("type")
        if kind == "message" and event.get("subtype") == "message_changed":
            user = editor(event)
            if user is None:
                return True
            edit = edit_to_event(body, await self.people.actor(user))
            assert edit is not None
            return not (await self._handle(edit)).failed
        if kind == "message":
            if message_to_incoming(body) is None:
                return True
            who = await self.people.actor(str(event["user"]))
            incoming = message_to_incoming(body, who)
            assert incoming is not None
            return not (await self._handle(incoming)).failed
        if kind == "reaction_added":
            if reaction_to_event(body) is None:
                return True
            who = await self.people.actor(str(event.get("user", "")))
            reaction = reaction_to_event(body, who)
            assert reaction is not None
            return not (await self._handle(reaction)).failed
        if kind == "reaction_removed":
            if reaction_removed_to_event(body) is None:
                return True
            removed = reaction_removed_to_event(body, await self.people.actor(str(event.get("user", ""))))
            assert removed is not None
            return not (await self._handle(removed)).failed
        if kind == "app_home_opened" and event.get("tab", "home") == "home":
            await self.publish_home(str(event.get("user", "")))
        return True  # mentions also arrive as message events; other events need nothing

    async def on_command(self, body: dict[str, Any]) -> bool:
        if str(body.get("command", "")).lstrip("/") == UMBRELLA_COMMAND:
            rest = str(body.get("text", "") or "").strip() or "help"
            name, _, args = rest.partition(" ")
            body = {**body, "command": f"/{name.lstrip('/')}", "text": args}
        who = await self.people.actor(str(body.get("user_id", "")), body.get("user_name"))
        return not (await self._handle(command_to_message(body, who))).failed

    async def on_actions(self, body: dict[str, Any]) -> bool:
        user = body.get("user") or {}
        who = await self.people.actor(str(user.get("id", "")), user.get("username"))
        for action in body.get("actions") or []:
            if not str(action.get("action_id", "")).startswith(f"{ACTION_ID_PREFIX}-"):
                continue
            press = action_to_press(body, action, who)
            outcome = await self._handle(press)
            if outcome.toast:
                await self._show_toast(press, outcome.toast)
        return True  # a failed press got its apology as the toast; the person presses again

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

    async def publish_home(self, user_id: str) -> None:
        """Build the person's summary and publish it as their App Home tab."""
        settings = self.app.settings
        summary = await home_of_account(self.app.db, PLATFORM, user_id)
        person = summary.person if summary else None
        t = Translator((person.locale if person and person.locale else None) or settings.locale)
        view = home_view(summary, t, official_local(settings.tz, t.locale), self.app.clock.now())
        try:
            await self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as error:
            log.warning("views.publish for %s failed: %s", user_id, error.response.get("error"))
