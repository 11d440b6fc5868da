"""A month in a Matrix idea room on a real Synapse: ideas, 👍 supports, the topic pick, a head invited into the room."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from matrix_people import button_key, text_of
from matrix_stand import Stand, make_stand

from storage.tables import CommitteeVote, Idea, Invitation, ProcessedEvent, Topic

# One Synapse per test process: these tests run together on one xdist worker.
pytestmark = pytest.mark.xdist_group("synapse")


@pytest.fixture
async def stand(synapse, names, sqlite_url, tmp_path) -> AsyncIterator[Stand]:  # type: ignore[no-untyped-def]
    running = make_stand(synapse, names)
    await running.start(sqlite_url, IDEAROOM_REPORT_DIR=str(tmp_path / "reports"))
    yield running
    await running.stop()


async def idea_room(stand: Stand) -> str:
    """The organizer makes a room, invites the bot and two colleagues; the bot joins by itself."""
    sujin, minji, junho = stand["sujin"], stand["minji"], stand["junho"]
    room = await sujin.create_room("아이디어방", [stand.bot_id, minji.user_id, junho.user_id])
    await minji.join(room)
    await junho.join(room)
    for _ in range(100):
        if room in await stand.bot_joined():
            return room
        await stand.adapter.synced.wait()  # type: ignore[union-attr]
        stand.adapter.synced.clear()  # type: ignore[union-attr]
    raise AssertionError("the bot did not join the room it was invited to")


async def test_a_month_in_a_matrix_room_from_ideas_to_the_head_in_the_room(stand: Stand) -> None:
    sujin, minji, junho, dohyun = stand["sujin"], stand["minji"], stand["junho"], stand["dohyun"]
    bot = stand.bot_id
    room = await idea_room(stand)

    # Staff suggest topics; the organizer picks the most supported one.
    await minji.say(room, "/topic suggest 버스정류장 환경 개선 | 겨울철 한파와 미세먼지에 대비한 정류장")
    await minji.wait_for_text(room, bot, "버스정류장 환경 개선")
    await junho.say(room, "/topic support 1")
    await junho.wait_for_message(
        room, bot, lambda e: "#1" in text_of(e) and "공감" in text_of(e) and e["sender"] == bot
    )
    stand.clock.advance(days=3)
    await sujin.say(room, "/topic pick")
    offer = await sujin.wait_for_message(
        room, bot, lambda e: "교통정책과" in text_of(e) and "/press invite:" in text_of(e), timeout=60
    )

    # The offer's invite buttons are reactions the bot put under it, and /press lines in the text.
    [line] = [line for line in text_of(offer).splitlines() if "교통정책과" in line and "/press invite:" in line]
    await sujin.react(room, offer["event_id"], button_key(offer, line.split("/press ")[1].strip()))
    # Matrix has no toast: the button's short answer comes as a notice replying to the pressed message.
    await sujin.wait_for_message(
        room, bot, lambda e: e["content"].get("msgtype") == "m.notice" and "김도현" in text_of(e)
    )

    # The head gets a direct room from the bot (is_direct, in the bot's m.direct), with the invitation.
    direct = await dohyun.wait_invited()
    await dohyun.join(direct)
    invitation = await dohyun.wait_for_text(direct, bot, "버스정류장 환경 개선")
    assert "아이디어방" in text_of(invitation) and room not in text_of(invitation)  # the room by its name
    invites = [
        e["content"]
        for e in await dohyun.timeline(direct)
        if e["type"] == "m.room.member" and e["state_key"] == dohyun.user_id
    ]
    assert invites[0] == {"displayname": dohyun.user_id[1:].split(":")[0], "is_direct": True, "membership": "invite"}
    assert stand.adapter.gateway.direct == {dohyun.user_id: direct}  # type: ignore[union-attr]
    await dohyun.react(direct, invitation["event_id"], button_key(invitation, "inv:1:accept"))

    # Accepting brings him into the idea room: the bot invites him itself, no link needed.
    assert await dohyun.wait_invited(room) == room
    await dohyun.join(room)
    await sujin.wait_for_text(room, bot, "김도현")

    # Ideas by command and by #아이디어; supports by the pre-seeded 👍, a 👍 on the person's message, and a command.
    posted = await minji.say(room, "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    confirmation = await minji.wait_for_message(room, bot, lambda e: "/press support:1" in text_of(e))
    await junho.say(room, "#아이디어 정류장 미세먼지 알림판 @room")
    await junho.wait_for_message(room, bot, lambda e: "/press support:2" in text_of(e))
    seeded = [e for e in await minji.timeline(room) if e["type"] == "m.reaction" and e["sender"] == bot]
    assert {(e["content"]["m.relates_to"]["event_id"], e["content"]["m.relates_to"]["key"]) for e in seeded} >= {
        (confirmation["event_id"], "👍")
    }
    await junho.react(room, confirmation["event_id"], "👍")
    await sujin.react(room, posted, "👍")
    await dohyun.say(room, "/support 1")
    await minji.wait_for_text(room, bot, "(공감 3)")
    await sujin.say(room, "/ideas")
    listing = await sujin.wait_for_message(room, bot, lambda e: "온열의자" in text_of(e) and "👍 3" in text_of(e))

    # User text is never markup and never pings the room: the listing escapes it, "@room" is defused.
    content = listing["content"]
    assert content["format"] == "org.matrix.custom.html" and content["m.mentions"] == {}
    assert "@room" not in content["body"] and "@room" not in content["formatted_body"]

    # What is stored matches what people saw; every Matrix event was claimed once.
    [topic] = await stand.rows(Topic, Topic.title == "버스정류장 환경 개선")
    [accepted] = await stand.rows(Invitation)
    first, second = sorted(await stand.rows(Idea), key=lambda i: i.id)
    assert (topic.state, accepted.state) == ("active", "accepted")
    assert (first.support_count, second.support_count, first.topic_id) == (3, 0, topic.id)
    assert await stand.count(ProcessedEvent, ProcessedEvent.platform == "matrix") >= 8
    assert room in await dohyun.joined_rooms()


async def test_the_report_chart_arrives_as_an_image_and_an_encrypted_room_is_refused_once(stand: Stand) -> None:
    sujin, minji, bot = stand["sujin"], stand["minji"], stand.bot_id
    room = await idea_room(stand)
    await minji.say(room, "/idea 민원실 대기표를 문자로")
    await minji.wait_for_text(room, bot, "#1번")
    await sujin.say(room, "/report")
    image = await sujin.wait_for_message(room, bot, lambda e: e["content"].get("msgtype") == "m.image", timeout=60)
    content = image["content"]
    assert content["url"].startswith("mxc://") and content["info"]["mimetype"] == "image/png"
    server, media = content["url"].removeprefix("mxc://").split("/", 1)
    download = await sujin.http.get(f"{stand.synapse.url}/_matrix/client/v1/media/download/{server}/{media}")
    assert download.status_code == 200 and download.content.startswith(b"\x89PNG")

    # An end-to-end encrypted room: the bot says once that it cannot read it, and records nothing from it.
    secret = await sujin.create_room("비밀방", [bot], encrypted=True)
    await sujin.wait_for_text(secret, bot, "암호화")
    ciphertext = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "ciphertext": "AwgAEn...",
        "session_id": "s",
        "sender_key": "k",
        "device_id": "D",
    }
    await sujin.http.put(f"/rooms/{secret}/send/m.room.encrypted/e1", json=ciphertext)
    await sujin.say(secret, "/idea 암호화된 방에서 보낸 아이디어")
    for _ in range(3):
        stand.adapter.synced.clear()  # type: ignore[union-attr]
        await stand.adapter.synced.wait()  # type: ignore[union-attr]
    refusals = [e for e in await sujin.messages_from(secret, bot) if "암호화" in text_of(e)]
    assert len(refusals) == 1 and refusals[0]["content"]["msgtype"] == "m.notice"
    assert [idea.text for idea in await stand.rows(Idea)] == ["민원실 대기표를 문자로"]


async def test_the_committee_votes_in_a_matrix_poll(stand: Stand) -> None:
    sujin, minji, seoyeon, dohyun, bot = stand["sujin"], stand["minji"], stand["seoyeon"], stand["dohyun"], stand.bot_id
    room = await idea_room(stand)
    await sujin.invite(room, dohyun.user_id)
    await dohyun.join(room)
    await sujin.say(room, "/committee add seoyeon")
    await sujin.wait_for_text(room, bot, "정서연")
    await minji.say(room, "/idea 버스정류장에 온열의자를 설치하면 좋겠습니다")
    await minji.wait_for_text(room, bot, "#1번")
    await sujin.say(room, "/proposal new 1 버스정류장 온열의자 설치")
    await sujin.wait_for_text(room, bot, "제안 #1")
    await sujin.say(room, "/proposal submit 1 교통정책과")
    await sujin.wait_for_text(room, bot, "교통정책과")
    await dohyun.say(room, "/proposal reject 1 올해 예산이 부족합니다")
    await dohyun.wait_for_text(room, bot, "예산")
    await sujin.say(room, "/committee agenda")

    # The member's agenda is a poll in her direct room; her answer is her vote.
    direct = await seoyeon.wait_invited(timeout=30)
    await seoyeon.join(direct)
    for _ in range(100):
        polls = [e for e in await seoyeon.timeline(direct) if e["type"] == "org.matrix.msc3381.poll.start"]
        if polls:
            break
        await asyncio.sleep(0.2)
    [poll] = polls
    answers = poll["content"]["org.matrix.msc3381.poll.start"]["answers"]
    assert [a["id"] for a in answers] == ["vote:1:1:revive", "vote:1:1:keep"]
    assert "/press vote:1:1:revive" in poll["content"]["body"]
    await seoyeon.http.put(
        f"/rooms/{direct}/send/org.matrix.msc3381.poll.response/v1",
        json={
            "m.relates_to": {"rel_type": "m.reference", "event_id": poll["event_id"]},
            "org.matrix.msc3381.poll.response": {"answers": ["vote:1:1:revive"]},
        },
    )
    notice = await seoyeon.wait_for_message(direct, bot, lambda e: e["content"].get("msgtype") == "m.notice")
    assert "재상정" in text_of(notice)
    [vote] = await stand.rows(CommitteeVote)
    assert vote.choice == "revive"
