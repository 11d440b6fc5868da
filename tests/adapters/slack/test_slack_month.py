"""A scripted month in Slack against the fake server: topic, invitation, ideas, supports, proposal, points, App Home."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.registry import registry
from storage.tables import Idea, Invitation, Proposal, Topic
from tests.adapters.slack.stand import ROOM, SlackStand

# The flows of other features this month goes through; each must be registered in bot.features.
FLOWS = ("topic", "invite", "proposal", "points")


def home_text(slack: SlackStand, handle: str) -> str:
    return json.dumps(slack.fake.views[slack.user(handle)], ensure_ascii=False)


async def open_home(slack: SlackStand, handle: str) -> str:
    before = len(slack.fake.calls_to("views.publish"))
    await slack.event(
        {"type": "app_home_opened", "user": slack.user(handle), "channel": f"D{slack.user(handle)}", "tab": "home"}
    )
    await slack.fake.wait_for("views.publish", count=before + 1)
    return home_text(slack, handle)


async def test_a_month_in_the_slack_idea_room(slack: SlackStand) -> None:
    assert [name for name in FLOWS if name not in registry.commands] == []  # every flow is registered
    dohyun = slack.user("dohyun")
    slack.fake.members[ROOM].discard(dohyun)  # the head is not in the idea room yet

    # The head has talked to the bot once, so it can reach him directly.
    await slack.command("dohyun", "/help", channel=f"D{dohyun}")
    await slack.settle()

    # The topic of the month: suggested by staff, picked by the organizer.
    await slack.command("minji", "/topic", "suggest 버스정류장 개선 | 겨울철 대기 환경")
    await slack.settle()
    await slack.command("sujin", "/topic", "pick 1")
    await slack.settle()
    assert any("버스정류장 개선" in t and "📢" in t for t in slack.posted_texts())
    async with slack.app.db.session() as session:
        assert (await session.exec(select(Topic))).one().state == "active"

    # The organizer invites the head of 교통정책과; he accepts with the button in his DM.
    await slack.command("sujin", "/invite", "교통정책과")
    await slack.settle()
    [invitation_dm] = slack.fake.posted_messages(f"D{dohyun}")[-1:]
    values = [e["value"] for b in invitation_dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    accept = next(v for v in values if v.endswith(":accept"))
    await slack.press("dohyun", accept, channel=f"D{dohyun}", message_ts=invitation_dm["ts"])
    await slack.settle()
    assert dohyun in slack.fake.members[ROOM]  # added with conversations.invite
    [invite_call] = slack.fake.calls_to("conversations.invite")
    assert invite_call.params["channel"] == ROOM
    assert any("김도현 부서장님" in t and "🎉" in t for t in slack.posted_texts())
    async with slack.app.db.session() as session:
        assert (await session.exec(select(Invitation))).one().state == "accepted"

    # Ideas and supports: a slash command, a tagged message, a button and a 👍.
    await slack.command("minji", "/idea", "정류장에 온열의자를 설치합시다")
    await slack.settle()
    await slack.event(
        {
            "type": "message",
            "channel": ROOM,
            "user": slack.user("junho"),
            "text": "#아이디어 정류장 그늘막 확대",
            "ts": "1700000100.000100",
            "channel_type": "channel",
        }
    )
    await slack.settle()
    async with slack.app.db.session() as session:
        first, second = (await session.exec(select(Idea).order_by(Idea.id))).all()
    await slack.press("seoyeon", f"support:{first.id}")
    await slack.event(
        {
            "type": "reaction_added",
            "user": slack.user("jiwoo"),
            "reaction": "thumbsup",
            "item": {"type": "message", "channel": ROOM, "ts": "1700000100.000100"},
        }
    )
    await slack.settle()
    async with slack.app.db.session() as session:
        supports = [i.support_count for i in (await session.exec(select(Idea).order_by(Idea.id))).all()]
    assert supports == [1, 1]

    # The organizer bundles both ideas into a proposal and submits it to the department.
    await slack.command("sujin", "/proposal", f"new {first.id} {second.id} 버스정류장 겨울나기")
    await slack.settle()
    await slack.command("sujin", "/proposal", "submit 1 교통정책과")
    await slack.settle()
    async with slack.app.db.session() as session:
        proposal = (await session.exec(select(Proposal))).one()
    assert proposal.state == "submitted"

    # Points: minji earned some for her idea and the proposal; she sees them.
    await slack.command("minji", "/points")
    await slack.settle()
    points_line = next(t for t in slack.posted_texts() if t.startswith("😊 박민지 ") and "님의 미소포인트" in t)
    assert "누적 0점" not in points_line

    # App Home: minji sees her points and the topic; the head sees the proposal to review.
    minji_home = await open_home(slack, "minji")
    assert "미소포인트: *0점*" not in minji_home and "버스정류장 개선" in minji_home
    dohyun_home = await open_home(slack, "dohyun")
    assert "제안 #1 '버스정류장 겨울나기' 검토" in dohyun_home
