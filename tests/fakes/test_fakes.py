"""Tests of the fake platform servers, driven through the real PTB and slack_sdk clients."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
import telegram
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReactionTypeEmoji, Update
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from .slack_api import FakeSlackAPI, message_event, signed_request_headers
from .telegram_api import FakeTelegramAPI, UploadedFile

pytestmark = pytest.mark.asyncio

TOKEN = "123456:TEST-token"
GROUP = -100123
ALICE = 111


class FakeClock:
    """Manually advanced clock for deterministic rate-limit tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def retry_seconds(error: RetryAfter) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value if isinstance(value, int) else int(value.total_seconds())


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(long_poll_cap=2.0) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegramAPI) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as real_bot:
        yield real_bot


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlackAPI) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


# ---- Telegram ---------------------------------------------------------------


async def test_telegram_binds_locally_and_serves_get_me(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    assert tg.url.startswith("http://127.0.0.1:")
    assert bot.username == "idearoom_bot"
    call = tg.calls_to("getMe")[0]
    assert call.token == TOKEN and call.status == 200


async def test_send_message_decodes_reply_markup_and_numbers_messages(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Vote", callback_data="vote:1")]])
    first = await bot.send_message(GROUP, "Idea #1", reply_markup=markup)
    second = await bot.send_message(GROUP, "42")
    other = await bot.send_message(ALICE, "hello")

    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.chat.id == GROUP and first.text == "Idea #1" and first.reply_markup == markup
    assert first.from_user.username == "idearoom_bot"
    params = tg.calls_to("sendMessage")[0].params
    assert params["chat_id"] == GROUP
    assert params["reply_markup"] == {"inline_keyboard": [[{"text": "Vote", "callback_data": "vote:1"}]]}
    assert tg.calls_to("sendMessage")[1].params["text"] == "42"
    assert [m["text"] for m in tg.sent_messages(GROUP)] == ["Idea #1", "42"]
    assert [(d.chat_id, d.text) for d in tg.delivered] == [(GROUP, "Idea #1"), (GROUP, "42"), (ALICE, "hello")]


async def test_get_updates_serves_queue_and_honours_offset(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    pushed = tg.push_message(ALICE, ALICE, "/start hello", chat_type="private", first_name="Alice", username="alice")
    tg.push_message(GROUP, ALICE, "just chatting")

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [pushed["update_id"], pushed["update_id"] + 1]
    command = updates[0].message
    assert command.text == "/start hello" and command.chat.type == "private"
    assert command.from_user.username == "alice"
    assert command.entities[0].type == "bot_command" and command.entities[0].length == len("/start")
    assert updates[1].message.chat.type == "group" and not updates[1].message.entities

    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()
    assert tg.pending_updates == []


async def test_get_updates_keeps_every_update_until_an_offset_confirms_it(
    tg: FakeTelegramAPI, bot: telegram.Bot
) -> None:
    first = tg.push_message(GROUP, ALICE, "first")
    second = tg.push_message(GROUP, ALICE, "second")

    # Like Telegram: fetching confirms nothing; the same updates come again until an offset passes them.
    assert [u.update_id for u in await bot.get_updates()] == [first["update_id"], second["update_id"]]
    assert [u.update_id for u in await bot.get_updates()] == [first["update_id"], second["update_id"]]
    assert tg.confirmed == []
    assert [u.update_id for u in await bot.get_updates(offset=second["update_id"])] == [second["update_id"]]
    assert tg.confirmed == [first["update_id"]]
    assert [u["update_id"] for u in tg.pending_updates] == [second["update_id"]]

    third = tg.push_message(GROUP, ALICE, "third")
    # A negative offset keeps only the last -offset updates and forgets the others.
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [third["update_id"]]
    assert tg.confirmed == [first["update_id"], second["update_id"]]


async def test_get_updates_answers_429_with_retry_after_and_keeps_the_updates(
    tg: FakeTelegramAPI, bot: telegram.Bot
) -> None:
    pushed = tg.push_message(GROUP, ALICE, "kept through flood control")
    tg.fail_next("getUpdates", status=429, retry_after=2)
    with pytest.raises(RetryAfter) as caught:
        await bot.get_updates(offset=pushed["update_id"] + 1)
    assert retry_seconds(caught.value) == 2
    assert tg.confirmed == []  # a refused call confirms nothing
    assert [u.update_id for u in await bot.get_updates()] == [pushed["update_id"]]


async def test_long_poll_waits_and_wakes_on_push(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - started >= 0.25

    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await tg.wait_until(lambda: tg.polls_waiting > 0)
    tg.push_message(GROUP, ALICE, "late arrival")
    updates = await asyncio.wait_for(poll, 1.5)
    assert updates[0].message.text == "late arrival"


async def test_allowed_updates_gate_reactions_like_telegram(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    tg.push_reaction(GROUP, ALICE, message_id=7, emoji="🔥", old_emoji="👍")

    assert await bot.get_updates() == ()
    updates = await bot.get_updates(allowed_updates=Update.ALL_TYPES)
    reaction = updates[0].message_reaction
    assert reaction.message_id == 7 and reaction.user.id == ALICE
    assert reaction.new_reaction == (ReactionTypeEmoji("🔥"),)
    assert reaction.old_reaction == (ReactionTypeEmoji("👍"),)


async def test_push_raw_duplicates_are_served_twice(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    update = tg.push_message(GROUP, ALICE, "once")
    tg.push_raw(update)
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [update["update_id"]] * 2


async def test_application_handles_command_and_callback(tg: FakeTelegramAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Join", callback_data="join")]])
        await update.effective_message.reply_text(f"hi {update.effective_user.first_name}", reply_markup=keyboard)

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("joined")
        await update.callback_query.edit_message_text(f"{update.callback_query.data} pressed")

    app = Application.builder().token(TOKEN).base_url(tg.base_url).base_file_url(tg.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(press))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            tg.push_message(GROUP, ALICE, "/start@idearoom_bot", first_name="Alice")
            sent = await tg.wait_for("sendMessage")
            assert sent.params["text"] == "hi Alice" and sent.params["chat_id"] == GROUP
            message_id = sent.response["result"]["message_id"]

            tg.push_callback(GROUP, ALICE, "join", message_id)
            answer = await tg.wait_for("answerCallbackQuery")
            edited = await tg.wait_for("editMessageText")
        finally:
            await app.updater.stop()
            await app.stop()
    assert answer.params["text"] == "joined"
    assert edited.params["message_id"] == message_id and edited.status == 200
    assert edited.response["result"]["text"] == "join pressed"


async def test_fail_next_429_is_retry_after_in_ptb(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    tg.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "too fast")
    assert retry_seconds(caught.value) == 3
    assert tg.calls_to("sendMessage")[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert tg.rejections == 1
    assert (await bot.send_message(GROUP, "fine now")).text == "fine now"


async def test_fail_next_500_and_times(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    tg.fail_next("sendMessage", status=500, description="Internal Server Error: boom", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="boom"):
            await bot.send_message(GROUP, "x")
    assert (await bot.send_message(GROUP, "x")).message_id == 1


async def test_blocked_private_chat_and_left_chat_are_forbidden(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    tg.block_private_chat(ALICE)
    with pytest.raises(Forbidden, match="(?i)bot can.t initiate conversation with a user"):
        await bot.send_message(ALICE, "dm")
    assert tg.calls_to("sendMessage")[0].status == 403

    assert await bot.leave_chat(GROUP) is True
    with pytest.raises(Forbidden):
        await bot.send_message(GROUP, "still here?")


async def test_unknown_method_returns_telegram_404(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("definitelyNotAMethod")
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{tg.base_url}{TOKEN}/nope", json={}) as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }


async def test_edit_errors_match_telegram(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    message = await bot.send_message(GROUP, "same")
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("same", GROUP, message.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("new", GROUP, 999)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    edited = await bot.edit_message_reply_markup(GROUP, message.message_id, reply_markup=markup)
    assert edited.reply_markup == markup and edited.edit_date is not None


async def test_invite_links_reactions_commands_webhook(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    expire = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    first = await bot.create_chat_invite_link(GROUP, member_limit=1, expire_date=expire, name="alice")
    second = await bot.create_chat_invite_link(GROUP)
    assert first.invite_link.startswith("https://t.me/+fake") and first.invite_link != second.invite_link
    assert (first.member_limit, first.expire_date, first.name) == (1, expire, "alice")
    assert first.creator.username == "idearoom_bot"

    assert await bot.set_message_reaction(GROUP, 5, ReactionTypeEmoji("👍")) is True
    assert tg.calls_to("setMessageReaction")[0].params["reaction"] == [{"type": "emoji", "emoji": "👍"}]

    assert await bot.set_my_commands([("new", "Post an idea")]) is True
    assert [c.command for c in await bot.get_my_commands()] == ["new"]
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == ()

    assert await bot.set_webhook("https://example.invalid/hook") is True
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook() is True
    assert (await bot.get_webhook_info()).url == ""


async def test_photo_and_document_uploads_round_trip(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    photo = await bot.send_photo(GROUP, photo=b"\x89PNG fake bytes", caption="board")
    assert photo.caption == "board"
    upload = tg.calls_to("sendPhoto")[0].params["photo"]
    assert isinstance(upload, UploadedFile) and upload.data == b"\x89PNG fake bytes"
    downloaded = await (await bot.get_file(photo.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"\x89PNG fake bytes"

    document = await bot.send_document(GROUP, document=b"a,b\n1,2\n", filename="ideas.csv")
    assert document.document.file_name == "ideas.csv" and document.document.file_size == 8


async def test_get_chat_and_chat_member(tg: FakeTelegramAPI, bot: telegram.Bot) -> None:
    tg.add_chat(GROUP, "supergroup", title="Idea Room")
    tg.set_member_status(GROUP, bot.id, "administrator")
    chat = await bot.get_chat(GROUP)
    assert (chat.id, chat.type, chat.title) == (GROUP, "supergroup", "Idea Room")
    me = await bot.get_chat_member(GROUP, bot.id)
    assert me.status == "administrator" and me.can_invite_users
    assert (await bot.get_chat_member(GROUP, ALICE)).status == "member"


async def test_enforced_limits_use_sliding_windows() -> None:
    clock = FakeClock()
    async with FakeTelegramAPI(enforce_limits=True, per_group_per_minute=3, clock=clock) as tg:
        async with telegram.Bot(TOKEN, base_url=tg.base_url) as bot:
            await bot.send_message(ALICE, "1")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(ALICE, "2")
            assert retry_seconds(caught.value) == 1
            clock.now += 1.0
            await bot.send_message(ALICE, "2")

            for second in range(3):
                clock.now += 1.0 + second
                await bot.send_message(GROUP, f"g{second}")
            clock.now += 1.0
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(GROUP, "g3")
            oldest = tg.delivered[2].at
            assert retry_seconds(caught.value) == int(oldest + 60 - clock.now)
    assert tg.rejections == 2
    assert [d.text for d in tg.delivered] == ["1", "2", "g0", "g1", "g2"]


async def test_wait_for_times_out_with_context(tg: FakeTelegramAPI) -> None:
    with pytest.raises(TimeoutError, match="sendMessage"):
        await tg.wait_for("sendMessage", timeout=0.05)


# ---- Slack ------------------------------------------------------------------


async def test_slack_auth_test(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert (response["user_id"], response["bot_id"], response["team_id"]) == ("UBOT", "BBOT", "T1")
    call = slack.calls_to("auth.test")[0]
    assert call.headers["Authorization"] == "Bearer xoxb-test"


async def test_slack_post_update_ephemeral(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Idea*"}}]
    first = await client.chat_postMessage(channel="C1", text="Idea", blocks=blocks)
    second = await client.chat_postMessage(channel="C1", text="Reply", thread_ts=first["ts"])
    assert (first["ts"], second["ts"]) == ("1700000000.000100", "1700000000.000200")
    assert first["channel"] == "C1" and first["message"]["blocks"] == blocks
    assert second["message"]["thread_ts"] == first["ts"]

    updated = await client.chat_update(channel="C1", ts=first["ts"], text="Idea (edited)")
    assert updated["ts"] == first["ts"] and updated["message"]["text"] == "Idea (edited)"
    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel="C1", ts="1.2", text="x")
    assert caught.value.response["error"] == "message_not_found"

    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert ephemeral["message_ts"] > second["ts"]
    assert slack.ephemeral[0]["to_user"] == "U1"
    assert [m["text"] for m in slack.posted_messages("C1")] == ["Idea", "Reply"]


async def test_slack_form_body_blocks_are_decoded(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    blocks = [{"type": "divider"}]
    await client.api_call("chat.postMessage", data={"channel": "C1", "text": "t", "blocks": json.dumps(blocks)})
    params = slack.calls_to("chat.postMessage")[0].params
    assert params["blocks"] == blocks and "token" not in params


async def test_slack_conversations(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    opened = await client.conversations_open(users="U1")
    assert opened["channel"]["id"] == "DU1"
    posted = await client.chat_postMessage(channel="U1", text="dm")
    assert posted["channel"] == "DU1"

    slack.add_channel("C9", "ideas", members=("UBOT",))
    slack.add_member("C9", "U2")
    assert (await client.conversations_invite(channel="C9", users=["U1"]))["channel"]["id"] == "C9"
    with pytest.raises(SlackApiError) as caught:
        await client.conversations_invite(channel="C9", users="U2")
    assert caught.value.response["error"] == "already_in_channel"
    members = await client.conversations_members(channel="C9")
    assert members["members"] == ["U1", "U2", "UBOT"]
    info = await client.conversations_info(channel="C9", include_num_members=True)
    assert info["channel"]["name"] == "ideas" and info["channel"]["is_member"] and info["channel"]["num_members"] == 3


async def test_slack_users_reactions_views(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    slack.add_user("U1", "alice", "Alice Doe", locale="de-DE", tz="Europe/Berlin")
    user = (await client.users_info(user="U1", include_locale=True))["user"]
    profile = (user["name"], user["real_name"], user["locale"], user["tz"])
    assert profile == ("alice", "Alice Doe", "de-DE", "Europe/Berlin")
    assert "locale" not in (await client.users_info(user="U1"))["user"]

    posted = await client.chat_postMessage(channel="C1", text="x")
    await client.reactions_add(channel="C1", timestamp=posted["ts"], name="eyes")
    with pytest.raises(SlackApiError, match="already_reacted"):
        await client.reactions_add(channel="C1", timestamp=posted["ts"], name="eyes")

    view = {"type": "home", "blocks": [{"type": "divider"}]}
    published = await client.views_publish(user_id="U1", view=view)
    assert published["view"]["type"] == "home" and slack.views["U1"]["blocks"] == view["blocks"]


async def test_slack_files_upload_v2(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(channel="C1", content="a,b\n", filename="ideas.csv", title="Ideas")
    assert response["file"]["name"] == "ideas.csv" and response["file"]["title"] == "Ideas"
    assert slack.uploads[response["file"]["id"]] == b"a,b\n"
    assert [c.method for c in slack.calls] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


async def test_slack_429_surfaces_retry_after(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=3)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C1", text="x")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "3"
    assert caught.value.response["error"] == "ratelimited"
    assert slack.rejections == 1


async def test_slack_rate_limit_retry_handler_retries(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    slack.fail_next("chat.postMessage", retry_after=0)
    response = await client.chat_postMessage(channel="C1", text="eventually")
    assert response["ok"] and response["message"]["text"] == "eventually"
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]


async def test_slack_error_faults_and_unknown_method(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C404", text="x")
    assert caught.value.response.status_code == 200 and caught.value.response["error"] == "channel_not_found"

    slack.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C1", text="x")
    assert caught.value.response.status_code == 500

    with pytest.raises(SlackApiError) as caught:
        await client.api_call("nope.never")
    assert caught.value.response["error"] == "unknown_method"


async def test_slack_enforced_channel_limit_takes_a_short_burst_then_one_a_second() -> None:
    clock = FakeClock()
    async with FakeSlackAPI(enforce_limits=True, clock=clock) as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="1")
        await client.chat_postMessage(channel="C1", text="2")  # a burst of two after a quiet spell
        await client.chat_postMessage(channel="C2", text="other channel")
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel="C1", text="3")
        assert caught.value.response.status_code == 429
        assert caught.value.response.headers["Retry-After"] == "1"
        clock.now += 0.6
        with pytest.raises(SlackApiError):  # the bucket refills at one a second, not sooner
            await client.chat_postMessage(channel="C1", text="3")
        clock.now += 0.4
        await client.chat_postMessage(channel="C1", text="3")
        clock.now += 0.5
        with pytest.raises(SlackApiError):  # kept to one a second: no second burst without a pause
            await client.chat_postMessage(channel="C1", text="4")
    assert slack.rejections == 3
    assert [(d.channel, d.text) for d in slack.delivered] == [
        ("C1", "1"),
        ("C1", "2"),
        ("C2", "other channel"),
        ("C1", "3"),
    ]


async def test_slack_enforced_workspace_limit_counts_every_channel_for_a_minute() -> None:
    clock = FakeClock()
    async with FakeSlackAPI(enforce_limits=True, workspace_per_minute=3, clock=clock) as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        for channel in ("C1", "C2", "C3"):
            await client.chat_postMessage(channel=channel, text=channel)
        clock.now += 30
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel="C4", text="C4")
        assert caught.value.response.status_code == 429
        assert caught.value.response.headers["Retry-After"] == "30"
        clock.now += 30
        await client.chat_postMessage(channel="C4", text="C4")
    assert slack.rejections == 1
    assert [d.channel for d in slack.delivered] == ["C1", "C2", "C3", "C4"]


async def test_slack_wait_for_counts(slack: FakeSlackAPI, client: AsyncWebClient) -> None:
    posting = asyncio.gather(*(client.chat_postMessage(channel="C1", text=str(i)) for i in range(3)))
    third = await slack.wait_for("chat.postMessage", count=3)
    await posting
    assert third.status == 200 and len(slack.calls_to("chat.postMessage")) == 3


async def test_signed_request_headers_verify() -> None:
    body = json.dumps({"type": "event_callback", "event": message_event("C1", "U1", "hi")})
    headers = signed_request_headers("s3cret", body)
    assert headers["Content-Type"] == "application/json"
    assert SignatureVerifier("s3cret").is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    stale = signed_request_headers("s3cret", "payload=%7B%7D", timestamp=time.time() - 3600)
    assert stale["Content-Type"] == "application/x-www-form-urlencoded"
    assert not SignatureVerifier("s3cret").is_valid_request("payload=%7B%7D", stale)


async def test_slack_socket_mode_round_trip(slack: FakeSlackAPI) -> None:
    received: list[SocketModeRequest] = []

    async def listener(socket_client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        await socket_client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    web_client = AsyncWebClient(base_url=slack.api_url)
    socket_client = SocketModeClient(app_token="xapp-test", web_client=web_client)
    socket_client.socket_mode_request_listeners.append(listener)
    await socket_client.connect()
    try:
        envelope_id = await slack.push_event(message_event("C1", "U1", "hello bot"))
        ack = await slack.wait_for_ack(envelope_id)
    finally:
        await socket_client.close()
    assert ack.params == {"envelope_id": envelope_id}
    assert received[0].type == "events_api" and received[0].payload["event"]["text"] == "hello bot"

    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await AsyncWebClient(token="xoxb-test", base_url=slack.api_url).apps_connections_open(app_token="xoxb-test")


class SlowApp:
    """A receiving app that answers each request after the given delay (or a status), recording the headers."""

    def __init__(self, *answers: float | int) -> None:
        self.answers = list(answers)  # float: seconds before 200; int: that status at once
        self.seen: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        self.runner: aiohttp.web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.Response:
        self.seen.append(dict(request.headers))
        self.bodies.append(await request.read())
        answer = self.answers.pop(0) if self.answers else 0.0
        if isinstance(answer, float):
            await asyncio.sleep(answer)
            return aiohttp.web.Response(status=200)
        return aiohttp.web.Response(status=answer)

    async def __aenter__(self) -> SlowApp:
        app = aiohttp.web.Application()
        app.router.add_post("/slack/events", self.handle)
        self.runner = aiohttp.web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        site = aiohttp.web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/slack/events"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def test_slack_never_resends_an_event_answered_200() -> None:
    async with (
        FakeSlackAPI(signing_secret="s3cret", ack_timeout=0.3, retry_delays=(0.0, 0.05)) as fake,
        SlowApp(0.0) as app,
    ):
        delivery = await fake.send_event(app.url, message_event("C1", "U1", "hi"))
        await asyncio.wait_for(delivery.done.wait(), 2)
        await asyncio.sleep(0.2)
    assert delivery.acknowledged and [a.status for a in delivery.attempts] == [200]
    assert len(app.seen) == 1 and "X-Slack-Retry-Num" not in app.seen[0]
    assert SignatureVerifier("s3cret").is_valid_request(app.bodies[0], app.seen[0])
    assert json.loads(app.bodies[0])["event"]["text"] == "hi"


async def test_slack_resends_an_event_not_answered_in_time_saying_why() -> None:
    async with (
        FakeSlackAPI(signing_secret="s3cret", ack_timeout=0.3, retry_delays=(0.0, 0.05, 0.05)) as fake,
        SlowApp(1.0, 503, 0.0) as app,
    ):
        delivery = await fake.send_event(app.url, message_event("C1", "U1", "slow"), event_id="EvSLOW")
        await asyncio.wait_for(delivery.done.wait(), 3)
    assert [(a.retry_num, a.status, a.reason) for a in delivery.attempts] == [
        (0, None, ""),
        (1, 503, "http_timeout"),
        (2, 200, "http_error"),
    ]
    assert [(h.get("X-Slack-Retry-Num"), h.get("X-Slack-Retry-Reason")) for h in app.seen] == [
        (None, None),
        ("1", "http_timeout"),
        ("2", "http_error"),
    ]
    assert {json.loads(b)["event_id"] for b in app.bodies} == {"EvSLOW"}  # every copy is the same event


async def test_slack_never_resends_a_slash_command_or_a_button_press() -> None:
    async with (
        FakeSlackAPI(signing_secret="s3cret", ack_timeout=0.2, retry_delays=(0.0,)) as fake,
        SlowApp(1.0, 1.0) as app,
    ):
        command = await fake.send_command(app.url, {"command": "/idea", "text": "x", "trigger_id": "t1"})
        press = await fake.send_action(app.url, {"type": "block_actions", "trigger_id": "t2", "actions": []})
        await asyncio.sleep(0.3)
    assert [a.status for a in command.attempts] == [None] and not command.acknowledged
    assert [a.status for a in press.attempts] == [None] and len(app.seen) == 2


async def test_slack_socket_mode_resends_an_envelope_until_it_is_acknowledged() -> None:
    received: list[SocketModeRequest] = []

    async def ack_only_the_retry(socket_client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        if request.retry_attempt:
            await socket_client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    async with FakeSlackAPI(ack_timeout=0.2, retry_delays=(0.0, 0.0)) as fake:
        socket_client = SocketModeClient(app_token="xapp-test", web_client=AsyncWebClient(base_url=fake.api_url))
        socket_client.socket_mode_request_listeners.append(ack_only_the_retry)
        await socket_client.connect()
        try:
            envelope_id = await fake.push_event(message_event("C1", "U1", "hello"))
            await fake.wait_for_ack(envelope_id)
            await asyncio.sleep(0.5)  # no further copies once acknowledged
        finally:
            await socket_client.close()
    assert [(r.envelope_id, r.retry_attempt, r.retry_reason) for r in received] == [
        (envelope_id, 0, ""),
        (envelope_id, 1, "timeout"),
    ]
