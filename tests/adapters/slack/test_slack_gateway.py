"""The Slack gateway through the real sender: rate limits, errors, direct messages, invites, files."""

from __future__ import annotations

from datetime import timedelta

from bot.messages import Destination, Outgoing
from bot.outbox import enqueue
from storage.tables import OutboxMessage, OutboxState
from tests.adapters.slack.stand import ROOM, SlackStand


async def queue(slack: SlackStand, destination: Destination, message: Outgoing) -> int:
    async with slack.app.db.session() as session:
        entry = enqueue(session, destination, message, priority=5, now=slack.clock.now())
        await session.flush()
        assert entry.id is not None
        return entry.id


async def entry(slack: SlackStand, entry_id: int) -> OutboxMessage:
    async with slack.app.db.session() as session:
        row = await session.get(OutboxMessage, entry_id)
        assert row is not None
        return row


def room(channel: str = ROOM) -> Destination:
    return Destination("slack", "room", channel)


async def test_a_short_rate_limit_is_waited_out_by_slack_sdk_and_delivered_once(slack: SlackStand) -> None:
    slack.fake.fail_next("chat.postMessage", retry_after=1)
    entry_id = await queue(slack, room(), Outgoing("공지"))
    assert await slack.app.sender.drain() == 1
    assert slack.waits == [1.0]  # the Retry-After slack_sdk's retry handler honoured
    assert [c.status for c in slack.fake.calls_to("chat.postMessage")] == [429, 200]
    assert slack.posted_texts() == ["공지"]
    assert (await entry(slack, entry_id)).state == OutboxState.sent


async def test_a_long_rate_limit_goes_back_to_the_outbox_until_retry_after(slack: SlackStand) -> None:
    slack.fake.fail_next("chat.postMessage", retry_after=30)
    entry_id = await queue(slack, room(), Outgoing("주간 안내"))
    assert await slack.app.sender.drain() == 0
    waiting = await entry(slack, entry_id)
    assert waiting.state == OutboxState.pending
    assert waiting.next_attempt_at == slack.clock.now() + timedelta(seconds=30)
    slack.clock.advance(seconds=29)
    assert await slack.app.sender.drain() == 0  # not before Slack said
    slack.clock.advance(seconds=1)
    assert await slack.app.sender.drain() == 1
    assert slack.posted_texts() == ["주간 안내"]
    assert slack.waits == []


async def test_an_unknown_channel_fails_for_good_and_is_reported(slack: SlackStand) -> None:
    slack.fake.fail_next("chat.postMessage", error="channel_not_found")
    entry_id = await queue(slack, room("CGONE"), Outgoing("안내"))
    assert await slack.app.sender.drain() == 1  # only the organizer's notice of the failure
    failed = await entry(slack, entry_id)
    assert failed.state == OutboxState.failed and "channel_not_found" in failed.error and failed.attempts == 1
    [notice] = slack.fake.posted_messages(f"D{slack.user('sujin')}")
    assert "CGONE" in notice["text"] or "channel_not_found" in notice["text"]
    slack.clock.advance(hours=1)
    assert await slack.app.sender.drain() == 0
    assert len(slack.fake.calls_to("chat.postMessage")) == 2  # the notice; the failed message is not retried


async def test_a_server_error_is_retried_later(slack: SlackStand) -> None:
    slack.fake.fail_next("chat.postMessage", status=503)
    entry_id = await queue(slack, room(), Outgoing("다시 보내기"))
    assert await slack.app.sender.drain() == 0
    assert (await entry(slack, entry_id)).state == OutboxState.pending
    slack.clock.advance(minutes=1)
    assert await slack.app.sender.drain() == 1
    assert slack.posted_texts() == ["다시 보내기"]


async def test_direct_messages_open_the_conversation_once(slack: SlackStand) -> None:
    to_minji = Destination("slack", "user", slack.user("minji"))
    await queue(slack, to_minji, Outgoing("첫 번째 안내"))
    await queue(slack, to_minji, Outgoing("두 번째 안내"))
    assert await slack.deliver_all() == 2
    assert len(slack.fake.calls_to("conversations.open")) == 1
    assert slack.posted_texts(f"D{slack.user('minji')}") == ["첫 번째 안내", "두 번째 안내"]


async def test_invite_adds_the_person_and_an_existing_member_is_no_error(slack: SlackStand) -> None:
    slack.fake.add_channel("CNEW", "새토론방", members=("UBOT",))
    first = await queue(
        slack,
        Destination("slack", "user", slack.user("dohyun")),
        Outgoing("", kind="invite", payload={"room_id": "CNEW"}),
    )
    again = await queue(
        slack,
        Destination("slack", "user", slack.user("dohyun")),
        Outgoing("", kind="invite", payload={"room_id": "CNEW"}),
    )
    assert await slack.app.sender.drain() == 2
    assert slack.user("dohyun") in slack.fake.members["CNEW"]
    assert [c.response.get("error") for c in slack.fake.calls_to("conversations.invite")] == [
        None,
        "already_in_channel",
    ]
    assert (await entry(slack, first)).state == (await entry(slack, again)).state == OutboxState.sent


async def test_reactions_and_photos(slack: SlackStand, tmp_path) -> None:  # type: ignore[no-untyped-def]
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG fake chart")
    await queue(
        slack, room(), Outgoing("", kind="reaction", payload={"message_id": "1700000000.000100", "emoji": "✅"})
    )
    await queue(slack, room(), Outgoing("3월 실적", kind="photo", payload={"path": str(chart)}))
    assert await slack.deliver_all() == 2
    assert slack.fake.reactions[(ROOM, "1700000000.000100")] == ["white_check_mark"]
    [upload] = slack.fake.calls_to("upload")
    assert upload.params["size"] == len(b"\x89PNG fake chart")
    [complete] = slack.fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == ROOM


async def test_buttons_become_block_kit_with_escaped_text(slack: SlackStand) -> None:
    from bot.messages import Button

    await queue(
        slack,
        room(),
        Outgoing("<!here> 투표 & 의견", [[Button("찬성", "vote:1:revive"), Button("유지", "vote:1:keep")]]),
    )
    await slack.app.sender.drain()
    [message] = slack.fake.posted_messages(ROOM)
    assert message["text"] == "&lt;!here&gt; 투표 &amp; 의견"
    section, actions = message["blocks"]
    assert section["text"]["text"] == "&lt;!here&gt; 투표 &amp; 의견"
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]] == [
        ("찬성", "vote:1:revive"),
        ("유지", "vote:1:keep"),
    ]
    assert len({e["action_id"] for e in actions["elements"]}) == 2
