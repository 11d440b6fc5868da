"""Slack requests are stored before Slack hears 200, and odd or hostile ones are answered 401/400, never 500."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from datetime import timedelta
from urllib.parse import urlencode

from sqlmodel import select

from idearoom.wiring import App
from storage.tables import Idea, InboxEvent, ProcessedEvent
from storage.types import utcnow
from tests.adapters.slack.stand import ROOM, SECRET, SlackStand, add_demo_users, eventually, start_stand
from tests.fakes.slack_api import FakeSlackAPI, event_callback, message_event, signed_request_headers


def idea_event(slack: SlackStand, text: str, ts: str = "1700000005.000100") -> dict:
    return message_event(ROOM, slack.user("minji"), f"#아이디어 {text}", ts=ts)


async def test_the_request_is_in_the_inbox_before_slack_hears_200(slack: SlackStand) -> None:
    gate = asyncio.Event()
    handle = slack.app.core.handle

    async def held(event):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await handle(event)

    slack.app.core.handle = held  # type: ignore[method-assign]
    assert await slack.event(idea_event(slack, "정류장 온열의자"), event_id="EvKEPT") == 200
    async with slack.app.db.session() as session:
        [row] = (await session.exec(select(InboxEvent))).all()
    assert (row.platform, row.delivery_id, row.kind) == ("slack", "EvKEPT", "event")
    assert row.payload["event"]["text"] == "#아이디어 정류장 온열의자" and await slack.count(Idea) == 0
    assert await slack.command("junho", "/idea", "민원실 보조배터리") == 200
    assert await slack.press("seoyeon", "support:1") == 200
    async with slack.app.db.session() as session:
        kinds = [
            (r.kind, r.delivery_id[:4]) for r in (await session.exec(select(InboxEvent).order_by(InboxEvent.id))).all()
        ]
    assert kinds == [("event", "EvKE"), ("command", "cmd:"), ("action", "act:")]
    gate.set()
    await slack.settle()
    assert await slack.count(Idea) == 2 and await slack.count(InboxEvent) == 0
    assert "#1번" in slack.posted_texts()[0]


async def test_a_request_that_cannot_be_stored_is_not_answered_200(slack: SlackStand, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def database_down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("database went away")

    monkeypatch.setattr(slack.app.inbox, "put", database_down)
    assert await slack.event(idea_event(slack, "저장 못 한 아이디어")) == 503  # so Slack sends it again
    monkeypatch.undo()
    assert await slack.event(idea_event(slack, "다시 온 아이디어")) == 200
    await slack.settle()
    async with slack.app.db.session() as session:
        assert [i.text for i in (await session.exec(select(Idea))).all()] == ["다시 온 아이디어"]


async def test_requests_a_previous_run_left_in_the_inbox_are_handled_at_start(sqlite_url: str) -> None:
    async def left_by_a_crash(app: App) -> None:
        body = event_callback(
            message_event(ROOM, "UJUNHO", "#아이디어 재시작 뒤에도 남은 아이디어", ts="1700000007.000100"),
            event_id="EvLEFT",
        )
        async with app.db.session() as session:
            session.add(
                InboxEvent(
                    platform="slack",
                    delivery_id="EvLEFT",
                    kind="event",
                    payload=body,
                    attempts=1,
                    lease_until=utcnow() - timedelta(seconds=1),
                )
            )

    async with FakeSlackAPI() as fake:
        add_demo_users(fake)
        stand = await start_stand(sqlite_url, fake, before_start=left_by_a_crash)
        try:
            await stand.settle()
            async with stand.app.db.session() as session:
                assert [i.text for i in (await session.exec(select(Idea))).all()] == ["재시작 뒤에도 남은 아이디어"]
            assert "#1번" in stand.posted_texts()[0]
            assert await stand.count(ProcessedEvent, ProcessedEvent.event_id == "EvLEFT") == 1
        finally:
            await stand.close()


def sign_bytes(body: bytes, timestamp: str) -> str:
    """Slack's signature over raw bytes (the fake's helper takes text only)."""
    return "v0=" + hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


async def test_malformed_signed_bodies_get_400_and_the_bot_keeps_running(slack: SlackStand) -> None:
    form = "application/x-www-form-urlencoded"
    bodies = {
        "payload=%7Bnot+json": form,
        "payload=null": form,
        "payload=%5B1%2C2%5D": form,  # a list, not an object
        "[" * 50_000: "application/json",
        '{"type": "event_callback", "event": "not an object"}': "application/json",
        "just=words": form,
        "<xml/>": "text/xml",
    }
    for body, content_type in bodies.items():
        status, text = await slack.post_raw(body, signed_request_headers(SECRET, body, content_type=content_type))
        assert status == 400, (body[:30], status, text)
        assert "Traceback" not in text
    assert await slack.count(InboxEvent) == 0
    assert await slack.event(idea_event(slack, "그래도 받는 아이디어")) == 200
    await slack.settle()
    assert await slack.count(Idea) == 1


async def test_a_bad_timestamp_or_signature_gets_401_before_anything_is_read(slack: SlackStand) -> None:
    body = json.dumps(event_callback(idea_event(slack, "위조")))
    now = str(int(time.time()))
    odd_headers = [(timestamp, "v0=00") for timestamp in ("abc", "", "1e9", "١٧٠٠٠٠٠٠٠٠", now + "0" * 20)]
    odd_headers += [(now, "v0=서명"), (now, "v0=é" + "0" * 63)]  # not ASCII: compare_digest would raise on str
    for timestamp, signature in odd_headers:
        headers = {
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            "Content-Type": "application/json",
        }
        status, text = await slack.post_raw(body, headers)
        assert status == 401 and "Traceback" not in text, (timestamp, signature)
    assert await slack.count(InboxEvent) == 0 and await slack.count(Idea) == 0
    assert await slack.event(idea_event(slack, "그래도 받는 아이디어")) == 200


async def test_signed_bytes_that_are_not_utf8_are_a_malformed_body(slack: SlackStand) -> None:
    raw = b"\xff\xfe{"
    now = str(int(time.time()))
    async with slack.http.post(
        slack.url,
        data=raw,
        headers={
            "X-Slack-Request-Timestamp": now,
            "X-Slack-Signature": sign_bytes(raw, now),
            "Content-Type": "application/json",
        },
    ) as response:
        assert response.status == 400, await response.text()  # the signature holds: malformed, not forged
    async with slack.http.post(
        slack.url,
        data=raw,
        headers={
            "X-Slack-Request-Timestamp": now,
            "X-Slack-Signature": sign_bytes(b"other", now),
            "Content-Type": "application/json",
        },
    ) as response:
        assert response.status == 401
    assert await slack.count(InboxEvent) == 0 and await slack.count(Idea) == 0


async def test_the_url_verification_challenge_is_answered(slack: SlackStand) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aB", "token": "x"})
    status, text = await slack.post_raw(body, signed_request_headers(SECRET, body))
    assert status == 200 and json.loads(text) == {"challenge": "3eZbrw1aB"}


async def test_a_modal_or_shortcut_payload_is_acknowledged_and_stores_nothing(slack: SlackStand) -> None:
    body = urlencode({"payload": json.dumps({"type": "shortcut", "callback_id": "x", "trigger_id": "t"})})
    assert await slack.post(body) == 200
    assert await slack.count(InboxEvent) == 0


async def test_socket_mode_acknowledges_only_after_the_commit(sqlite_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async with FakeSlackAPI(ack_timeout=0.5, retry_delays=(0.0,)) as fake:
        add_demo_users(fake)
        stand = await start_stand(sqlite_url, fake, SLACK_APP_TOKEN="xapp-test", SLACK_SIGNING_SECRET="")
        try:
            commit = asyncio.Event()
            put = stand.app.inbox.put

            async def slow_commit(*args, **kwargs):  # type: ignore[no-untyped-def]
                await commit.wait()
                return await put(*args, **kwargs)

            monkeypatch.setattr(stand.app.inbox, "put", slow_commit)
            envelope = await fake.push_event(
                message_event(ROOM, "UMINJI", "#아이디어 소켓 아이디어", ts="1700000008.000100")
            )
            await asyncio.sleep(0.3)
            assert not fake.calls_to("socket_mode.ack")  # not stored yet, so not acknowledged
            commit.set()
            await fake.wait_for_ack(envelope)
            await stand.settle()
            async with stand.app.db.session() as session:
                assert [i.text for i in (await session.exec(select(Idea))).all()] == ["소켓 아이디어"]
        finally:
            await stand.close()


async def test_socket_mode_leaves_an_envelope_it_could_not_store_for_slack_to_resend(
    sqlite_url: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    async with FakeSlackAPI(ack_timeout=0.3, retry_delays=(0.0,)) as fake:
        add_demo_users(fake)
        stand = await start_stand(sqlite_url, fake, SLACK_APP_TOKEN="xapp-test", SLACK_SIGNING_SECRET="")
        try:
            put = stand.app.inbox.put
            tries = []

            async def down_once(*args, **kwargs):  # type: ignore[no-untyped-def]
                tries.append(args)
                if len(tries) == 1:
                    raise ConnectionError("database went away")
                return await put(*args, **kwargs)

            monkeypatch.setattr(stand.app.inbox, "put", down_once)
            envelope = await fake.push_event(
                message_event(ROOM, "UMINJI", "#아이디어 다시 온 소켓 아이디어", ts="1700000009.000100")
            )
            await fake.wait_for_ack(envelope, timeout=5)
            await eventually(lambda: stand.count(Idea))
            await stand.settle()
            [delivery] = [d for d in fake.app_deliveries if d.key == envelope]
            assert [a.retry_num for a in delivery.attempts] == [0, 1] and len(tries) == 2
            assert await stand.count(Idea) == 1
        finally:
            await stand.close()
