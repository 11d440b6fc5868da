"""Webhook mode: the secret header is checked, garbage is refused, and nothing is stored for either."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram_stand import GROUP, MINJI, Bot, ko, plain, start_bot

from adapters.telegram import TelegramAdapter, TelegramSetupError
from idearoom.wiring import build_app
from storage.tables import Idea, ProcessedEvent
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.faults import fail_command
from tests.harness import test_settings

URL = "https://idearoom.example.go.kr/telegram/webhook"
SECRET = "s3cret_token-for-tests"


@pytest.fixture
async def hooked(tg: FakeTelegramAPI, sqlite_url: str) -> AsyncIterator[Bot]:
    running = await start_bot(tg, sqlite_url, TELEGRAM_WEBHOOK_URL=URL, TELEGRAM_WEBHOOK_SECRET=SECRET)
    yield running
    await running.adapter.stop()
    await running.app.close()


async def post(bot: Bot, body: bytes, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    url = f"http://127.0.0.1:{bot.app.http.port}/telegram/webhook"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status


async def test_webhook_mode_registers_the_hook_instead_of_polling(hooked: Bot) -> None:
    [call] = hooked.tg.calls_to("setWebhook")
    assert call.params["url"] == URL and call.params["secret_token"] == SECRET
    assert "message_reaction" in call.params["allowed_updates"]
    assert hooked.tg.calls_to("getUpdates") == []


async def test_requests_without_or_with_a_wrong_secret_are_rejected_and_store_nothing(hooked: Bot) -> None:
    update = json.dumps(hooked.say(MINJI, "/idea 가짜 요청")).encode()

    assert await post(hooked, update, None) == 401
    assert await post(hooked, update, "guessed") == 403
    assert await post(hooked, update, SECRET + "x") == 403
    assert await hooked.count(Idea) == 0 and await hooked.count(ProcessedEvent) == 0


async def test_garbage_with_the_right_secret_is_a_bad_request(hooked: Bot) -> None:
    assert await post(hooked, b"<html>not json", SECRET) == 400
    assert await post(hooked, b"\xff\xfe", SECRET) == 400
    assert await post(hooked, b'["a list"]', SECRET) == 400
    assert await post(hooked, b'{"update_id": "7"}', SECRET) == 400
    assert await hooked.count(ProcessedEvent) == 0


async def test_an_update_with_the_right_secret_is_handled_once(hooked: Bot) -> None:
    update = json.dumps(hooked.say(MINJI, "/idea 웹훅으로 온 아이디어")).encode()

    assert await post(hooked, update, SECRET) == 200
    assert await post(hooked, update, SECRET) == 200  # Telegram's redelivery
    answer = await hooked.reply_to(GROUP)
    assert answer.params["text"] == ko("idea.recorded", number=1)
    assert [i.text for i in await hooked.rows(Idea)] == ["웹훅으로 온 아이디어"]
    assert hooked.app.core.duplicate_count == 1


async def test_an_update_the_core_could_not_handle_is_answered_500_and_its_redelivery_stored(
    hooked: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    update = json.dumps(hooked.say(MINJI, "/idea 장애 뒤에 다시 온 아이디어")).encode()
    idea = fail_command(monkeypatch, hooked.app.core, "idea")
    idea.outage(ConnectionError("database went away"))
    monkeypatch.setattr("bot.core.RECONNECT_PAUSES", (0.01,))
    assert await post(hooked, update, SECRET) == 500
    assert await post(hooked, update, SECRET) == 500  # still down when Telegram tries again
    apology = await hooked.reply_to(GROUP)
    assert apology.params["text"] == ko("error.internal")
    assert await hooked.count(Idea) == 0
    idea.restore()  # the database is back
    assert await post(hooked, update, SECRET) == 200  # Telegram tries again
    assert [i.text for i in await hooked.rows(Idea)] == ["장애 뒤에 다시 온 아이디어"]
    await hooked.reply_to(GROUP, 2)
    texts = [c.params["text"] for c in hooked.sends(GROUP)]
    assert texts.count(ko("error.internal")) == 1  # one apology, however often it failed
    assert texts[-1] == ko("idea.recorded", number=1)


async def test_a_webhook_without_a_secret_refuses_to_start(tg: FakeTelegramAPI, sqlite_url: str) -> None:
    settings = test_settings(
        sqlite_url, TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_API_BASE_URL=tg.url, TELEGRAM_WEBHOOK_URL=URL
    )
    app = build_app(settings)
    try:
        with pytest.raises(TelegramSetupError, match="TELEGRAM_WEBHOOK_SECRET"):
            TelegramAdapter(app)
    finally:
        await app.close()
    assert tg.calls == []


async def test_updates_the_bot_cannot_read_are_answered_200_so_telegram_does_not_send_them_forever(
    hooked: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    message = hooked.say(MINJI, "/idea 정상 아이디어")["message"]
    number_text = {"update_id": 901, "message": {**message, "text": 12345}}
    deep = b'{"update_id": 902, "message": {"reply_markup": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}"
    no_sender_name = {"update_id": 903, "message": {**message, "from": {"id": MINJI, "is_bot": False}}}
    odd_types = {"update_id": 904, "message": {**message, "from": {**message["from"], "id": "minji"}}}

    for body in (
        json.dumps(number_text).encode(),
        deep,
        json.dumps(no_sender_name).encode(),
        json.dumps(odd_types).encode(),
    ):
        assert await post(hooked, body, SECRET) == 200
        assert await post(hooked, body, SECRET) == 200  # and again, should Telegram resend it

    assert await hooked.count(Idea) == 0
    assert hooked.sends(GROUP) == []  # no apology: nothing failed that could succeed later
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "901 ignored: text is int" in logged and "nested too deep" in logged and "903" in logged
    assert "904 ignored: user id is str" in logged
    # A wrong secret is still refused, whatever the body.
    assert await post(hooked, deep, "guessed") == 403
    assert await post(hooked, deep, None) == 401


async def test_an_update_that_meets_a_bug_is_apologized_for_once_and_not_asked_for_again(
    hooked: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    update = json.dumps(hooked.say(MINJI, "/idea 버그를 만난 아이디어")).encode()

    fail_command(monkeypatch, hooked.app.core, "idea", RuntimeError("a bug"))
    assert await post(hooked, update, SECRET) == 200
    apology = await hooked.reply_to(GROUP)
    assert plain(apology) == ko("error.internal")
